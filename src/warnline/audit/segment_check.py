"""Checking a journal's archived segments (`warnline.journal.segments`) as the
database's own rows are checked, in one pass from entry 1: each file there and readable,
every line canonical and chained on from the one before (across files too), each
segment's signed head over entries 1..its last, and the index that keeps its event ids
stored. `journal_check` runs this before the rows still in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nacl.signing

from warnline.audit.heads import TreeHead, parse_head, verify_head
from warnline.audit.merkle import MerkleAccumulator
from warnline.audit.rows import TEXT6, check_row
from warnline.errors import AuditError, JournalCorruptError, JournalError
from warnline.journal.archive import id_key
from warnline.journal.base import GENESIS_HASH
from warnline.journal.segments import Manifest, entry_line, read_segment

__all__ = ["check_archive_shape", "check_segment", "segment_rows"]


def segment_rows(conn: sqlite3.Connection) -> list[tuple[int, int, str, str]]:
    """(first, last, file, last hash) of every archived segment, oldest first."""
    if not conn.execute("PRAGMA table_info(segments)").fetchall():
        return []
    rows = conn.execute("SELECT first_seq, last_seq, file, last_hash FROM segments ORDER BY 1")
    return [(int(a), int(b), str(f), str(h)) for a, b, f, h in rows]


def check_archive_shape(conn: sqlite3.Connection, archive: Path) -> None:
    """Without reading a segment: they run 1.. without gaps, each file is there, and the
    first entry left in SQLite follows the last archived one."""
    upto, last_hash = 0, GENESIS_HASH
    for first, last, name, hash_ in segment_rows(conn):
        if first != upto + 1 or last < first:
            raise AuditError(upto + 1, f"archived segments skip or repeat entries at {name}")
        if not (archive / name).is_file():
            raise AuditError(first, f"segment {name} (entries {first}..{last}) is missing")
        upto, last_hash = last, hash_
    if upto:
        row = conn.execute("SELECT seq, prev_hash FROM entries ORDER BY seq LIMIT 1").fetchone()
        if row is None or (int(row[0]), str(row[1])) != (upto + 1, last_hash):
            raise AuditError(
                upto + 1,
                f"the first entry in the database does not follow entry {upto}, the last archived",
            )


def check_segment(
    conn: sqlite3.Connection,
    keys: Mapping[str, nacl.signing.VerifyKey],
    archive: Path,
    segment: tuple[int, int, str, str],
    tree: MerkleAccumulator,
    seq: int,
    prev: str,
    kept: TreeHead | None,
) -> tuple[int, str]:
    """Check one archived segment after entry `seq` (hash `prev`), folding its hashes
    into `tree`; return where the chain then stands."""
    first, last, name, last_hash = segment
    where = f"segment {name}"
    if first != seq + 1:
        raise AuditError(seq + 1, f"{where} starts at entry {first}, not {seq + 1}")
    try:
        manifest, lines = read_segment(archive / name)
    except JournalError as exc:
        reason = exc.reason if isinstance(exc, JournalCorruptError) else str(exc)
        raise AuditError(first, reason) from None
    _check_manifest(manifest, first, last, prev, last_hash, where)
    leaves: list[bytes] = []
    for x, raw in lines:
        seq += 1
        payload = bytes(x.payload).decode()
        if raw != entry_line(x.seq, x.event_id, x.kind, x.at, payload, x.prev_hash, x.hash):
            raise AuditError(seq, f"{where}: the line of entry {seq} is not canonical JSON")
        row = (x.seq, x.event_id, x.kind, x.at, payload, x.prev_hash, x.hash, TEXT6)
        try:
            prev = check_row(row, seq, prev)
        except AuditError as exc:
            raise AuditError(exc.entry, f"{where}: {exc.reason}") from None
        leaves.append(bytes.fromhex(prev))
        if kept is not None and seq == kept.size:
            tree.extend(leaves)
            leaves.clear()
            if tree.root().hex() != kept.root:
                raise AuditError(
                    seq, f"entries 1..{seq} differ from {kept.describe()}: the record was rewritten"
                )
    if seq != last:
        raise AuditError(seq + 1, f"{where} ends at entry {seq}, not at {last}: cut short")
    tree.extend(leaves)
    try:
        signed = parse_head(manifest.head)
        verify_head(signed, keys)
    except AuditError as exc:
        raise AuditError(last, f"{where}: its head: {exc.reason}") from None
    if (signed.size, signed.root) != (tree.size, tree.root().hex()):
        raise AuditError(last, f"{where}: entries 1..{last} differ from its signed head")
    if [list(p) for p in tree.peaks()] != manifest.peaks:
        raise AuditError(last, f"{where}: its peaks are not its signed tree's")
    _check_index(conn, lines, first, last, where)
    return seq, prev


def _check_manifest(
    manifest: Manifest, first: int, last: int, prev: str, last_hash: str, where: str
) -> None:
    if (manifest.first_seq, manifest.last_seq) != (first, last):
        raise AuditError(first, f"{where}: its manifest names entries other than {first}..{last}")
    if manifest.prev_hash != prev:
        raise AuditError(first, f"{where} does not follow from entry {first - 1}")
    if manifest.last_hash != last_hash:
        raise AuditError(last, f"{where}: its last hash is not the one the database lists")


def _check_index(
    conn: sqlite3.Connection, lines: list[tuple[Any, bytes]], first: int, last: int, where: str
) -> None:
    """Every archived event id indexed (else a resent input would be stored twice)."""
    expected = {(id_key(x.event_id), x.seq) for x, _ in lines}
    found = set(
        conn.execute("SELECT id_key, seq FROM archived WHERE seq BETWEEN ? AND ?", (first, last))
    )
    if found != expected:
        missing = sorted(s for _, s in expected - found) or sorted(s for _, s in found - expected)
        raise AuditError(
            missing[0],
            f"{where}: the index of archived event ids does not match it (entry {missing[0]}): "
            "a resent input would be stored again",
        )
