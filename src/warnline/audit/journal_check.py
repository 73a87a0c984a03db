"""Verify a node's SQLite journal where it lies, without changing a byte of it.

The exported record (`record.py`) is what partners receive; this check is for the
journal itself: by its operator, by `warnline serve` before the node starts on it, and
by a partner's auditor given the file. It opens the database read-only (SQLite URI
`mode=ro`: no table is created, no pragma written) and turns every failure, down to a
file that is not SQLite at all, into one `AuditError` naming the entry or the head.

What it checks, in one pass over the rows:
- the schema (`entries`, `positions`, `seal` with their columns);
- each entry: seq 1, 2, 3..., text columns that are text, a payload that decodes to a
  JSON object, `prev_hash` linking to its predecessor, `hash` recomputed from content;
- every follower position within the journal (0 ... last seq): a position beyond the
  end silently stops every decision;
- the seal: a tree head signed by the hub covering exactly the stored entries, and the
  signed positions equal to the stored ones (catches an entry appended, or a position
  moved, by anyone without the hub's key);
- given a head a partner kept: its tree is a prefix of the journal's (catches a record
  cut back or rewritten even with the hub's key).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import nacl.signing

from warnline.audit.heads import TreeHead, check_positions_seal, parse_head, verify_head
from warnline.audit.merkle import EMPTY_ROOT, MerkleAccumulator
from warnline.errors import AuditError
from warnline.journal.base import GENESIS_HASH, canonical_json

__all__ = ["JournalSummary", "check_journal_shape", "verify_journal"]

# json.dumps(text, ensure_ascii=False) without building an encoder per call.
_string = json.encoder.JSONEncoder(ensure_ascii=False).encode

SCHEMA = {
    "entries": ("seq", "event_id", "kind", "at", "payload", "prev_hash", "hash"),
    "positions": ("follower", "position"),
    "seal": ("id", "head", "positions"),
}
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ROWS = (
    "SELECT seq, event_id, kind, at, payload, prev_hash, hash,"
    " typeof(event_id) || typeof(kind) || typeof(at) || typeof(payload)"
    " || typeof(prev_hash) || typeof(hash) FROM entries ORDER BY seq"
)
_TEXT6 = "text" * 6


@dataclass(frozen=True, kw_only=True, slots=True)
class JournalSummary:
    """What a verified journal holds: entries, the chain's end, the tree, the positions."""

    entries: int
    head_hash: str
    root: str
    positions: dict[str, int]
    sealed: TreeHead | None


def verify_journal(
    path: Path,
    *,
    public_keys: Mapping[str, str],
    head: TreeHead | None = None,
) -> JournalSummary:
    """Check the journal at `path`; AuditError at the first problem.

    `public_keys` maps signer to base64 Ed25519 key, obtained out of band: the seal and
    `head` must verify with them. `AuditError.entry` is the first entry that cannot be
    trusted, or 0 for the journal as a whole (schema, seal, positions, the saved head)."""
    keys = _keys(public_keys)
    if head is not None:
        verify_head(head, keys)
    if not path.is_file():
        raise AuditError(0, f"no journal at {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise AuditError(0, f"{path} cannot be opened read-only: {exc}") from None
    try:
        # One read transaction: entries, positions and seal from the same commit, even
        # while a node keeps appending.
        conn.execute("BEGIN")
        return _verify(conn, keys, head)
    except sqlite3.Error as exc:
        raise AuditError(0, f"{path} is not a readable SQLite journal: {exc}") from None
    finally:
        conn.close()


def check_journal_shape(path: Path, *, public_keys: Mapping[str, str]) -> int:
    """What can be checked without reading every entry, before a node opens the journal
    (opening creates missing tables, and a first commit writes a fresh seal): the schema,
    the followers' positions within the journal, and a seal signed by the hub that covers
    exactly the stored entries with the stored positions. Returns the entry count;
    AuditError as `verify_journal`. The entries themselves are `verify_journal`'s."""
    keys = _keys(public_keys)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise AuditError(0, f"{path} cannot be opened read-only: {exc}") from None
    try:
        conn.execute("BEGIN")
        _check_schema(conn)
        last = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM entries").fetchone()[0])
        positions = _check_positions(conn, last)
        row = conn.execute("SELECT head, positions FROM seal").fetchone()
        if row is None:
            if last:
                raise AuditError(1, f"entries 1..{last} are covered by no signed head (no seal)")
            return 0
        try:
            sealed = parse_head(row[0])
        except AuditError as exc:
            raise AuditError(0, f"the journal's seal: {exc.reason}") from None
        verify_head(sealed, keys)
        if sealed.size != last:
            raise AuditError(
                min(sealed.size, last) + 1,
                f"the journal's {sealed.describe()} does not cover its {last} entries "
                "(appended without the hub's key, or cut off)",
            )
        check_positions_seal(row[1], sealed, positions, keys[sealed.signer])
        return last
    except sqlite3.Error as exc:
        raise AuditError(0, f"{path} is not a readable SQLite journal: {exc}") from None
    finally:
        conn.close()


def _verify(
    conn: sqlite3.Connection, keys: Mapping[str, nacl.signing.VerifyKey], head: TreeHead | None
) -> JournalSummary:
    _check_schema(conn)
    tree = MerkleAccumulator()
    prev, seq = GENESIS_HASH, 0
    if head is not None and head.size == 0 and head.root != EMPTY_ROOT.hex():
        raise AuditError(0, f"{head.describe()} has a root other than the empty tree's")
    leaves: list[bytes] = []  # folded into the tree in blocks (MerkleAccumulator.extend)
    at_head = head.size if head is not None else -1
    for row in conn.execute(_ROWS):
        seq += 1
        prev = _check_row(row, seq, prev)
        leaves.append(bytes.fromhex(prev))
        if len(leaves) < 8192 and seq != at_head:
            continue
        tree.extend(leaves)
        leaves.clear()
        if head is not None and seq == head.size and tree.root().hex() != head.root:
            raise AuditError(
                head.size,
                f"entries 1..{head.size} differ from {head.describe()}: the record was "
                "rewritten (entries changed, replaced or re-chained) after that head",
            )
    tree.extend(leaves)
    if head is not None and seq < head.size:
        raise AuditError(
            seq + 1,
            f"the journal ends at entry {seq}, but {head.describe()} covers entries "
            f"up to {head.size}: entries {seq + 1}..{head.size} were cut off",
        )
    positions = _check_positions(conn, seq)
    sealed = _check_seal(conn, keys, seq, tree, positions)
    return JournalSummary(
        entries=seq, head_hash=prev, root=tree.root().hex(), positions=positions, sealed=sealed
    )


def _check_schema(conn: sqlite3.Connection) -> None:
    for table, columns in SCHEMA.items():
        found = tuple(r[1] for r in conn.execute(f"PRAGMA table_info({table})"))
        if not found:
            hint = " (or a journal from before sealing)" if table == "seal" else ""
            raise AuditError(
                0, f"table {table!r} is missing: not a journal, or one was dropped{hint}"
            )
        if found != columns:
            raise AuditError(0, f"table {table!r} has columns {found}, expected {columns}")


def _check_row(row: tuple[Any, ...], n: int, prev: str) -> str:
    """Check entry `n` as stored; return its hash."""
    seq, event_id, kind, at, payload, prev_hash, stored_hash, types = row
    if seq != n:
        why = "dropped" if seq > n else "repeated"
        raise AuditError(n, f"expected seq {n}, found {seq}: an entry was {why}")
    if types != _TEXT6:
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


def _check_positions(conn: sqlite3.Connection, last: int) -> dict[str, int]:
    positions: dict[str, int] = {}
    for follower, position, kind in conn.execute(
        "SELECT follower, position, typeof(position) FROM positions ORDER BY follower"
    ):
        if kind != "integer":
            raise AuditError(0, f"follower {follower!r}: position {position!r} is not an integer")
        if not 0 <= position <= last:
            where = "beyond the end" if position > last else "before the start"
            raise AuditError(
                min(max(position, 0), last + 1),
                f"follower {follower!r} is at entry {position}, {where} of the journal "
                f"(entries 1..{last}): its decisions would stop or be redone",
            )
        positions[str(follower)] = int(position)
    return positions


def _check_seal(
    conn: sqlite3.Connection,
    keys: Mapping[str, nacl.signing.VerifyKey],
    size: int,
    tree: MerkleAccumulator,
    positions: Mapping[str, int],
) -> TreeHead | None:
    row = conn.execute("SELECT head, positions FROM seal").fetchone()
    if row is None:
        if size == 0:
            return None
        raise AuditError(1, f"entries 1..{size} are covered by no signed head (no seal)")
    try:
        sealed = parse_head(row[0])
    except AuditError as exc:
        raise AuditError(0, f"the journal's seal: {exc.reason}") from None
    verify_head(sealed, keys)
    if sealed.size < size:
        raise AuditError(
            sealed.size + 1,
            f"entries {sealed.size + 1}..{size} are not covered by the journal's signed head "
            "(appended without the hub's key)",
        )
    if sealed.size > size or sealed.root != tree.root().hex():
        raise AuditError(
            0,
            f"the journal's {sealed.describe()} does not match its entries: entries were "
            "rewritten, re-chained or cut off",
        )
    check_positions_seal(row[1], sealed, positions, keys[sealed.signer])
    return sealed


def _keys(public_keys: Mapping[str, str]) -> dict[str, nacl.signing.VerifyKey]:
    keys: dict[str, nacl.signing.VerifyKey] = {}
    for signer, text in public_keys.items():
        try:
            raw = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise AuditError(0, f"key of signer {signer!r} is not a base64 Ed25519 public key")
        keys[signer] = nacl.signing.VerifyKey(raw)
    return keys
