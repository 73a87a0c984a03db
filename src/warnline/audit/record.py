"""The verifiable audit record: the journal's hash chain, exported with signed checkpoints.

The journal already chains every entry to its predecessor by SHA-256. The record adds what
an outsider needs to trust that chain without trusting the hub's disks: Ed25519-signed
checkpoints every `checkpoint_every` entries and at the end, each naming the chain hash
and the RFC 6962 Merkle root at that point. The format is specified in
docs/audit-format.md, which is the contract with partners writing their own verifiers.

Every line is written in canonical JSON (the form that is hashed and signed), and the
verifier refuses any line that is not byte-for-byte in that form. So a changed byte is
always either unparseable, non-canonical, or a changed value, and every value is covered
by a hash or a signature.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import nacl.exceptions
import nacl.signing

from warnline.audit.heads import TreeHead, verify_head
from warnline.audit.merkle import EMPTY_ROOT, MerkleAccumulator
from warnline.errors import AuditError, JournalCorruptError
from warnline.journal.base import (
    GENESIS_HASH,
    Entry,
    Event,
    canonical_json,
    chain_hash,
    entry_body,
)

__all__ = [
    "CHECKPOINTS_FILE",
    "ENTRIES_FILE",
    "KEYS_FILE",
    "RecordSummary",
    "export_record",
    "verify_record",
]

ENTRIES_FILE = "entries.jsonl"
CHECKPOINTS_FILE = "checkpoints.jsonl"
KEYS_FILE = "keys.json"
ENTRY_FIELDS = frozenset({"seq", "event_id", "kind", "at", "payload", "prev_hash", "hash"})
CHECKPOINT_FIELDS = frozenset(
    {"seq", "hash", "merkle_root", "count", "every", "signer", "signature"}
)
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordSummary:
    """What a record holds: how many entries and checkpoints, and where the chain ends.

    Compare `last_seq` and `head_hash` with a head obtained independently (a signed
    checkpoint received earlier): a record cut back to an earlier checkpoint is otherwise
    self-consistent.
    """

    entries: int
    checkpoints: int
    last_seq: int
    head_hash: str


def export_record(
    entries: Iterable[Entry],
    out_dir: Path,
    *,
    signing_key: nacl.signing.SigningKey,
    signer: str = "HUB",
    checkpoint_every: int = 1000,
) -> RecordSummary:
    """Write entries.jsonl, checkpoints.jsonl and keys.json for `entries` into `out_dir`.

    `entries` must be the whole journal from seq 1, in order. Each entry's chain is checked
    before anything is signed (JournalCorruptError otherwise): the hub must never put its
    signature on a chain it cannot itself verify. Files appear only once complete.
    """
    if checkpoint_every < 1:
        raise ValueError("checkpoint_every must be at least 1")
    if not signer:
        raise ValueError("signer must not be empty")
    out_dir.mkdir(parents=True, exist_ok=True)
    names = (ENTRIES_FILE, CHECKPOINTS_FILE, KEYS_FILE)
    temps = {name: out_dir / f".{name}.tmp" for name in names}
    try:
        with temps[ENTRIES_FILE].open("wb") as ef, temps[CHECKPOINTS_FILE].open("wb") as cf:
            summary = _write(entries, ef, cf, signing_key, signer, checkpoint_every)
        verify_key = base64.b64encode(bytes(signing_key.verify_key)).decode()
        temps[KEYS_FILE].write_bytes(canonical_json({signer: verify_key}) + b"\n")
        for name in names:
            os.replace(temps[name], out_dir / name)
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    return summary


def verify_record(
    path: Path, *, public_keys: Mapping[str, str] | None = None, head: TreeHead | None = None
) -> RecordSummary:
    """Check the record in directory `path`; raise AuditError at the first problem.

    Checks, in this order: every checkpoint (canonical line, signature by a known signer,
    one every `every` entries and one at the end), then every entry (canonical line, seq
    1, 2, 3..., prev_hash linking to the previous entry from the genesis hash, hash
    recomputed from the body), the chain hash and Merkle root at each checkpoint, and that
    the final checkpoint covers exactly the last entry.

    `public_keys` maps signer to base64 Ed25519 verify key. A verifier must get these out
    of band (from the coalition agreement, or directly from the hub's operator): keys.json
    travels with the record, so whoever could rewrite the record could rewrite keys.json
    too. Without `public_keys`, keys.json is used, which proves only that the record is
    intact as written, not who wrote it.

    `head`, a signed tree head a partner kept, must verify with those keys and its tree
    must be a prefix of the record's: otherwise the record was cut back or rewritten.

    `AuditError.entry` is the seq of the first entry that cannot be trusted (for a bad
    line in entries.jsonl, its line number, which is the seq it should carry); 0 means
    the record as a whole (a file or the keys missing or unreadable, a bad head).
    """
    keys = _load_keys(path, public_keys)
    if head is not None:
        verify_head(head, keys)
        if head.size == 0 and head.root != EMPTY_ROOT.hex():
            raise AuditError(0, f"{head.describe()} has a root other than the empty tree's")
    checkpoints = _read_checkpoints(path / CHECKPOINTS_FILE, keys)
    by_seq = {cp["seq"]: cp for cp in checkpoints}
    tree = MerkleAccumulator()
    chain, seq = GENESIS_HASH, 0
    if 0 in by_seq:
        _match_checkpoint(by_seq[0], chain, tree)
    with _open(path / ENTRIES_FILE) as f:
        for seq, raw in enumerate(f, start=1):
            try:
                obj = _parse_line(raw, ENTRY_FIELDS)
            except ValueError as exc:
                raise AuditError(seq, f"{ENTRIES_FILE} line {seq}: {exc}") from None
            chain = _check_entry(obj, seq, chain)
            tree.append(bytes.fromhex(chain))
            if seq in by_seq:
                _match_checkpoint(by_seq[seq], chain, tree)
            if head is not None and seq == head.size and tree.root().hex() != head.root:
                raise AuditError(
                    seq,
                    f"entries 1..{seq} differ from {head.describe()}: the record was "
                    "rewritten (entries changed, replaced or re-chained) after that head",
                )
    if head is not None and seq < head.size:
        raise AuditError(
            seq + 1,
            f"the record ends at entry {seq}, but {head.describe()} covers entries "
            f"up to {head.size}: entries {seq + 1}..{head.size} were cut off",
        )
    final = checkpoints[-1]["seq"]
    if seq > final:
        raise AuditError(
            final + 1,
            f"entries {final + 1}..{seq} are not covered by any signed checkpoint "
            "(appended after the record was sealed)",
        )
    if seq < final:
        raise AuditError(
            seq + 1,
            f"the record ends at seq {seq} but the final checkpoint covers seq {final} "
            "(entries missing at the end)",
        )
    return RecordSummary(entries=seq, checkpoints=len(checkpoints), last_seq=seq, head_hash=chain)


def _write(
    entries: Iterable[Entry],
    ef: BinaryIO,
    cf: BinaryIO,
    signing_key: nacl.signing.SigningKey,
    signer: str,
    every: int,
) -> RecordSummary:
    tree = MerkleAccumulator()
    head, seq, checkpoints = GENESIS_HASH, 0, 0
    for entry in entries:
        seq += 1
        _check_journal_entry(entry, seq, head)
        ef.write(_entry_line(entry))
        head = entry.hash
        tree.append(bytes.fromhex(head))
        if seq % every == 0:
            cf.write(_checkpoint_line(seq, head, tree, every, signing_key, signer))
            checkpoints += 1
    if seq == 0 or seq % every:
        cf.write(_checkpoint_line(seq, head, tree, every, signing_key, signer))
        checkpoints += 1
    return RecordSummary(entries=seq, checkpoints=checkpoints, last_seq=seq, head_hash=head)


def _check_journal_entry(entry: Entry, seq: int, prev: str) -> None:
    if entry.seq != seq:
        raise JournalCorruptError(entry.seq, f"expected seq {seq}: entries must run 1, 2, 3...")
    if entry.prev_hash != prev:
        raise JournalCorruptError(seq, "prev_hash does not match the previous entry's hash")
    if chain_hash(prev, seq, entry.event) != entry.hash:
        raise JournalCorruptError(seq, "hash does not match the entry's content")


def _entry_line(entry: Entry) -> bytes:
    obj = {**entry_body(entry.seq, entry.event), "prev_hash": entry.prev_hash, "hash": entry.hash}
    line = canonical_json(obj)
    # A payload with non-string keys or NaN hashes fine here but would read back as a
    # different value (or not as JSON at all): refuse to write a record nobody can verify.
    try:
        stable = canonical_json(_loads(line)) == line
    except ValueError:
        stable = False
    if not stable:
        raise AuditError(entry.seq, "payload does not survive a JSON round trip")
    return line + b"\n"


def _checkpoint_line(
    seq: int,
    head: str,
    tree: MerkleAccumulator,
    every: int,
    signing_key: nacl.signing.SigningKey,
    signer: str,
) -> bytes:
    body = {
        "seq": seq,
        "hash": head,
        "merkle_root": tree.root().hex(),
        "count": tree.size,
        "every": every,
        "signer": signer,
    }
    signature = signing_key.sign(canonical_json(body)).signature
    return canonical_json({**body, "signature": base64.b64encode(signature).decode()}) + b"\n"


def _load_keys(
    path: Path, public_keys: Mapping[str, str] | None
) -> dict[str, nacl.signing.VerifyKey]:
    if public_keys is None:
        try:
            loaded = _loads((path / KEYS_FILE).read_bytes())
        except OSError as exc:
            raise AuditError(0, f"{KEYS_FILE} cannot be read: {exc.strerror}") from None
        except ValueError:
            raise AuditError(0, f"{KEYS_FILE} is not JSON") from None
        if not isinstance(loaded, dict):
            raise AuditError(0, f"{KEYS_FILE} is not a JSON object")
        public_keys = loaded
    keys: dict[str, nacl.signing.VerifyKey] = {}
    for signer, text in public_keys.items():
        raw = _b64(text) if isinstance(text, str) else None
        if raw is None or len(raw) != 32:
            raise AuditError(0, f"key of signer {signer!r} is not a base64 Ed25519 public key")
        keys[signer] = nacl.signing.VerifyKey(raw)
    return keys


def _read_checkpoints(
    path: Path, keys: Mapping[str, nacl.signing.VerifyKey]
) -> list[dict[str, Any]]:
    checkpoints: list[dict[str, Any]] = []
    with _open(path) as f:
        for n, raw in enumerate(f, start=1):
            covered = checkpoints[-1]["seq"] if checkpoints else 0
            try:
                cp = _parse_line(raw, CHECKPOINT_FIELDS)
            except ValueError as exc:
                raise AuditError(covered + 1, f"{CHECKPOINTS_FILE} line {n}: {exc}") from None
            _check_checkpoint(cp, n, covered, keys)
            checkpoints.append(cp)
    if not checkpoints:
        raise AuditError(1, f"{CHECKPOINTS_FILE} holds no checkpoint: nothing is signed")
    every = checkpoints[0]["every"]
    for i, cp in enumerate(checkpoints, start=1):
        due, seq = i * every, cp["seq"]
        if cp["every"] != every:
            raise AuditError(seq, "checkpoint interval differs from the first checkpoint's")
        if seq > due:
            raise AuditError(due, f"no checkpoint at seq {due}, where one is due")
        # A regular checkpoint sits exactly where due; the final one closes the record
        # somewhere after the last regular one (or at seq 0 when the record is empty).
        final = i == len(checkpoints)
        in_place = (seq > due - every or (i == 1 and seq == 0)) if final else seq == due
        if not in_place:
            raise AuditError(seq, "checkpoint repeated, out of order or off its schedule")
    return checkpoints


def _check_checkpoint(
    cp: dict[str, Any], n: int, covered: int, keys: Mapping[str, nacl.signing.VerifyKey]
) -> None:
    def fail(reason: str) -> NoReturn:
        at = cp["seq"] if _is_int(cp["seq"]) and cp["seq"] >= 0 else covered + 1
        raise AuditError(at, f"{CHECKPOINTS_FILE} line {n}: {reason}")

    if not all(_is_int(cp[k]) and cp[k] >= 0 for k in ("seq", "count", "every")):
        fail("seq, count and every must be non-negative integers")
    if cp["every"] < 1 or cp["count"] != cp["seq"]:
        fail("count must equal seq, and every must be at least 1")
    if not (_is_hex64(cp["hash"]) and _is_hex64(cp["merkle_root"])):
        fail("hash and merkle_root must be 64 lowercase hex digits")
    key = keys.get(cp["signer"]) if isinstance(cp["signer"], str) else None
    if key is None:
        fail(f"signer {cp['signer']!r} has no known public key")
    signature = _b64(cp["signature"]) if isinstance(cp["signature"], str) else None
    if signature is None or len(signature) != 64:
        fail("signature is not a base64 Ed25519 signature")
    body = {k: v for k, v in cp.items() if k != "signature"}
    try:
        key.verify(canonical_json(body), signature)
    except nacl.exceptions.CryptoError:
        fail(f"signature does not verify with the key of {cp['signer']!r}")


def _check_entry(obj: dict[str, Any], n: int, prev: str) -> str:
    """Check entry line `n` against the chain so far; return its hash (the new head)."""
    seq = obj["seq"]
    if not _is_int(seq):
        raise AuditError(n, "seq is not an integer")
    if seq > n:
        raise AuditError(n, f"expected seq {n}, found {seq}: entry dropped or entries reordered")
    if seq < n:
        raise AuditError(n, f"expected seq {n}, found {seq}: entry repeated, inserted or moved")
    if not all(isinstance(obj[k], str) for k in ("event_id", "kind", "at")):
        raise AuditError(n, "event_id, kind and at must be strings")
    if not isinstance(obj["payload"], dict):
        raise AuditError(n, "payload must be a JSON object")
    if not (_is_hex64(obj["prev_hash"]) and _is_hex64(obj["hash"])):
        raise AuditError(n, "prev_hash and hash must be 64 lowercase hex digits")
    if obj["prev_hash"] != prev:
        raise AuditError(n, f"prev_hash does not match the hash of entry {n - 1}")
    try:
        at = datetime.fromisoformat(obj["at"])
    except ValueError:
        at = None
    # The journal hashes at.isoformat(): only a string in exactly that form hashes as written.
    if at is None or at.isoformat() != obj["at"]:
        raise AuditError(n, "at is not an ISO 8601 time as the journal writes it")
    event = Event(event_id=obj["event_id"], kind=obj["kind"], at=at, payload=obj["payload"])
    if chain_hash(prev, n, event) != obj["hash"]:
        raise AuditError(n, "hash does not match the entry's content: the entry was changed")
    return str(obj["hash"])


def _match_checkpoint(cp: dict[str, Any], head: str, tree: MerkleAccumulator) -> None:
    if cp["hash"] != head:
        raise AuditError(
            cp["seq"],
            "chain hash differs from the signed checkpoint: entries since the previous "
            "checkpoint were rewritten after signing",
        )
    if cp["merkle_root"] != tree.root().hex():
        raise AuditError(cp["seq"], "Merkle root differs from the signed checkpoint")


def _parse_line(raw: bytes, fields: frozenset[str]) -> dict[str, Any]:
    if not raw.endswith(b"\n"):
        raise ValueError("line is not terminated by a newline (cut short?)")
    body = raw[:-1]
    try:
        obj = _loads(body)
    except ValueError:
        raise ValueError("not a JSON line") from None
    if not isinstance(obj, dict) or set(obj) != fields:
        raise ValueError(f"not an object with exactly the fields {sorted(fields)}")
    if canonical_json(obj) != body:
        raise ValueError("not in canonical JSON form: bytes were changed")
    return obj


def _loads(data: bytes) -> Any:
    """JSON from UTF-8 bytes, refusing NaN and Infinity (not JSON, and unhashable alike)."""
    return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _b64(text: str) -> bytes | None:
    """Strict base64: also refuses the variants that decode to the same bytes."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode() == text else None


def _is_hex64(value: Any) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise AuditError(0, f"{path.name} cannot be read: {exc.strerror}") from None
