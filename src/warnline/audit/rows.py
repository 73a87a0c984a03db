"""One stored journal entry checked against the chain: shared by the database's rows
and the archived segments' lines, so both are held to exactly the same rules."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

from warnline.errors import AuditError
from warnline.journal.base import canonical_json

__all__ = ["TEXT6", "check_row"]

# json.dumps(text, ensure_ascii=False) without building an encoder per call.
_string = json.encoder.JSONEncoder(ensure_ascii=False).encode
_HEX64 = re.compile(r"[0-9a-f]{64}")
TEXT6 = "text" * 6


def check_row(row: tuple[Any, ...], n: int, prev: str) -> str:
    """Check entry `n` as stored; return its hash."""
    seq, event_id, kind, at, payload, prev_hash, stored_hash, types = row
    if seq != n:
        why = "dropped" if seq > n else "repeated"
        raise AuditError(n, f"expected seq {n}, found {seq}: an entry was {why}")
    if types != TEXT6:
        raise AuditError(n, "event_id, kind, at, payload and hashes must be stored as text")
    if prev_hash != prev:
        raise AuditError(n, f"prev_hash does not match the hash of entry {n - 1}")
    if not _HEX64.fullmatch(stored_hash):
        raise AuditError(n, "hash is not 64 lowercase hex digits")
    try:
        parsed = datetime.fromisoformat(at)
    except ValueError:
        parsed = None
    if parsed is None or parsed.isoformat() != at:
        raise AuditError(n, "at is not an ISO 8601 time as the journal writes it")
    try:
        value = json.loads(payload)
    except ValueError:
        raise AuditError(n, "payload is not JSON") from None
    if not isinstance(value, dict):
        raise AuditError(n, "payload is not a JSON object")
    # The journal stores payloads canonically, so the hashed body is assembled around
    # the stored text; only a payload stored otherwise (by an older journal) is encoded
    # again, which costs several times more.
    body = (
        f'{{"at":{_string(at)},"event_id":{_string(event_id)},"kind":{_string(kind)},'
        f'"payload":{payload},"seq":{n}}}'
    ).encode()
    prefix = bytes.fromhex(prev)
    if hashlib.sha256(prefix + body).hexdigest() != stored_hash:
        canonical = {"seq": n, "event_id": event_id, "kind": kind, "at": at, "payload": value}
        if hashlib.sha256(prefix + canonical_json(canonical)).hexdigest() != stored_hash:
            raise AuditError(n, "hash does not match the entry's content: the entry was changed")
    return str(stored_hash)
