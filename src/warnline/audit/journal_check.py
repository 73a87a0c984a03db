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
  cut back or rewritten even with the hub's key);
- with retention, first every archived segment (`segments.py`) in order: each file there,
  its lines canonical, its entries chained on from the segment before, its signed head
  over entries 1..its last, and the index that keeps its event ids stored; then the
  first entry left in SQLite follows the last archived one.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import nacl.signing

from warnline.audit.heads import TreeHead, check_positions_seal, parse_head, verify_head
from warnline.audit.merkle import EMPTY_ROOT, MerkleAccumulator
from warnline.audit.rows import check_row
from warnline.audit.segment_check import check_archive_shape, check_segment, segment_rows
from warnline.errors import AuditError
from warnline.journal.base import GENESIS_HASH

__all__ = ["JournalSummary", "check_journal_shape", "verify_journal"]

SCHEMA = {
    "entries": ("seq", "event_id", "kind", "at", "payload", "prev_hash", "hash"),
    "positions": ("follower", "position"),
    "seal": ("id", "head", "positions"),
}
ARCHIVE_TABLES = {  # present once a journal was opened by a version with retention
    "segments": ("first_seq", "last_seq", "file", "last_hash", "head", "peaks"),
    "archived": ("id_key", "seq"),
}
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
    archive: Path | None = None,
) -> JournalSummary:
    """Check the journal at `path`, and its archived segments in `archive` (default:
    `archive` beside it); AuditError at the first problem.

    `public_keys` maps signer to base64 Ed25519 key, obtained out of band: the seal,
    every segment's head and `head` must verify with them. `AuditError.entry` is the
    first entry that cannot be trusted, or 0 for the journal as a whole (schema, seal,
    positions, the saved head)."""
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
        return _verify(conn, keys, head, archive or path.parent / "archive")
    except sqlite3.Error as exc:
        raise AuditError(0, f"{path} is not a readable SQLite journal: {exc}") from None
    finally:
        conn.close()


def check_journal_shape(
    path: Path, *, public_keys: Mapping[str, str], archive: Path | None = None
) -> int:
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
        check_archive_shape(conn, archive or path.parent / "archive")
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
    conn: sqlite3.Connection,
    keys: Mapping[str, nacl.signing.VerifyKey],
    head: TreeHead | None,
    archive: Path,
) -> JournalSummary:
    _check_schema(conn)
    tree = MerkleAccumulator()
    prev, seq = GENESIS_HASH, 0
    if head is not None and head.size == 0 and head.root != EMPTY_ROOT.hex():
        raise AuditError(0, f"{head.describe()} has a root other than the empty tree's")
    for segment in segment_rows(conn):
        seq, prev = check_segment(conn, keys, archive, segment, tree, seq, prev, head)
    archived = seq
    leaves: list[bytes] = []  # folded into the tree in blocks (MerkleAccumulator.extend)
    at_head = head.size if head is not None else -1
    for row in conn.execute(_ROWS):
        seq += 1
        if seq == archived + 1 and archived and row[5] != prev:
            raise AuditError(
                seq, f"prev_hash does not match the hash of entry {archived}, the last archived"
            )
        prev = check_row(row, seq, prev)
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
    for table, columns in (SCHEMA | ARCHIVE_TABLES).items():
        found = tuple(r[1] for r in conn.execute(f"PRAGMA table_info({table})"))
        if not found and table in ARCHIVE_TABLES:
            continue
        if not found:
            hint = " (or a journal from before sealing)" if table == "seal" else ""
            raise AuditError(
                0, f"table {table!r} is missing: not a journal, or one was dropped{hint}"
            )
        if found != columns:
            raise AuditError(0, f"table {table!r} has columns {found}, expected {columns}")


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
