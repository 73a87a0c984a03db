"""Retention: the oldest entries leave SQLite for sealed segments, so the disk stays bounded.

One step archives as many whole segments as the replay floor allows, oldest first. A
segment is never taken at or after the lowest position a restart would replay from (the
oldest snapshot kept, and the followers' stored positions: nothing without a snapshot)
and never among the newest `keep_entries`. Each segment goes:

1. its entries' hashes read, and the hub's tree head over entries 1..last signed (from
   the previous segment's peaks: no hash folded twice);
2. the file written durably (`segments.write_segment`: temporary, fsync, rename, fsync);
3. its event ids indexed (`archived`), a thousand per transaction;
4. one transaction: the segment listed and its rows deleted.

A crash before 4 commits leaves the rows and a file no committed step names: the next
step (at the node's next snapshot, or `warnline journal archive`) removes it and does
the segment again (its index rows are inserted again or already there); after 4 the
segment is done. Steps are serialised by a lock file, so the node and the command may
both run one. SQLite reuses the freed pages for new entries, so the file stops growing
without a VACUUM (docs/benchmarks.md, "retention").
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from warnline.errors import JournalCorruptError, JournalError, WarnlineError
from warnline.journal.archive import decode_payload, id_key
from warnline.journal.base import GENESIS_HASH, Sealer, canonical_json
from warnline.journal.segments import Manifest, entry_line, remove_unfinished, write_segment

if TYPE_CHECKING:
    from warnline.journal.sqlite import SQLiteJournal

__all__ = ["ArchiveStep", "Retention", "RetentionPolicy"]

log = logging.getLogger("warnline.journal")
LOCK = ".archive.lock"
INDEX_CHUNK = 1000  # archived ids indexed per transaction
_string = json.encoder.JSONEncoder(ensure_ascii=False).encode


@dataclass(frozen=True, kw_only=True, slots=True)
class RetentionPolicy:
    """How much to move at a time and how much to keep (both in entries)."""

    segment_entries: int = 10_000
    keep_entries: int = 100_000

    def __post_init__(self) -> None:
        if self.segment_entries < 1:
            raise ValueError("segment_entries must be at least 1")
        if self.keep_entries < 1:  # the newest entry anchors the chain when the file opens
            raise ValueError("keep_entries must be at least 1")


@dataclass(frozen=True, kw_only=True, slots=True)
class ArchiveStep:
    """What one step did: segments written, entries moved, the archive's end after it,
    unfinished files of an interrupted step removed, and why it stopped where it did."""

    segments: int
    entries: int
    archived_upto: int
    removed: tuple[str, ...] = ()
    limit: str = ""
    locked_s: float = 0.0  # the longest a segment's transaction held the write lock

    def describe(self) -> str:
        cleaned = f"; removed unfinished {', '.join(self.removed)}" if self.removed else ""
        return (
            f"archived {self.segments} segments ({self.entries} entries); entries "
            f"1..{self.archived_upto} are in segments{cleaned}; {self.limit}"
        )


class Retention:
    """Runs retention steps on `journal` within the floor `replay_floor` gives (the
    lowest seq a restart may replay from; 0: none, nothing may be archived)."""

    def __init__(
        self,
        journal: SQLiteJournal,
        *,
        policy: RetentionPolicy,
        replay_floor: Callable[[], int],
    ) -> None:
        if journal.sealer is None:
            raise JournalError("retention needs a sealed journal: every segment is signed")
        self.journal = journal
        self.policy = policy
        self._floor = replay_floor
        self.segments_written = 0  # by this process
        self._locked_s = 0.0

    def step(self) -> ArchiveStep:
        directory = self.journal.archive.directory
        directory.mkdir(parents=True, exist_ok=True)
        with _locked(directory / LOCK) as got:
            if not got:
                return ArchiveStep(
                    segments=0,
                    entries=0,
                    archived_upto=self.journal.archived_entries(),
                    limit="another step is running",
                )
            return self._step(directory)

    def _step(self, directory: Path) -> ArchiveStep:
        conn = self.journal.connect()
        try:
            committed = {str(r[0]) for r in conn.execute("SELECT file FROM segments")}
            removed = tuple(remove_unfinished(directory, committed))
            last = self.journal.last_seq()
            floor = self._floor()
            limit = min(floor - 1, last - self.policy.keep_entries)
            why = (
                "no snapshot yet: a restart would replay everything"
                if floor <= 0
                else f"replay may start at entry {floor}; the newest "
                f"{self.policy.keep_entries} entries stay"
            )
            done = entries = 0
            self._locked_s = 0.0
            while True:
                prev = conn.execute(
                    "SELECT last_seq, last_hash, peaks, head FROM segments"
                    " ORDER BY first_seq DESC LIMIT 1"
                ).fetchone()
                upto = int(prev[0]) if prev else 0
                first, end = upto + 1, upto + self.policy.segment_entries
                if end > limit:
                    return ArchiveStep(
                        segments=done,
                        entries=entries,
                        archived_upto=upto,
                        removed=removed,
                        limit=why,
                        locked_s=self._locked_s,
                    )
                prev_hash = str(prev[1]) if prev else GENESIS_HASH
                after = (str(prev[2]), str(prev[3])) if prev else ("", "")
                self._segment(conn, directory, first, end, prev_hash, after)
                done += 1
                entries += end - first + 1
                self.segments_written += 1
        finally:
            conn.close()

    def _segment(
        self,
        conn: sqlite3.Connection,
        directory: Path,
        first: int,
        last: int,
        prev_hash: str,
        after: tuple[str, str],
    ) -> None:
        hashes = [
            str(r[0])
            for r in conn.execute(
                "SELECT hash FROM entries WHERE seq BETWEEN ? AND ? ORDER BY seq", (first, last)
            )
        ]
        if len(hashes) != last - first + 1:
            raise JournalCorruptError(
                first, f"entries {first}..{last} are not all stored; nothing archived"
            )
        sealer: Sealer | None = self.journal.sealer
        assert sealer is not None
        try:
            head, state = sealer.head_over(*after, hashes)
        except WarnlineError as exc:
            raise JournalError(f"segment {first}..{last} cannot be signed: {exc}") from None
        manifest = Manifest(
            first_seq=first,
            last_seq=last,
            prev_hash=prev_hash,
            last_hash=hashes[-1],
            head=json.loads(head),
            peaks=json.loads(state)["peaks"],
        )
        path = write_segment(directory, manifest, _lines(conn, first, last, prev_hash))
        ids = conn.execute(
            "SELECT event_id, seq FROM entries WHERE seq BETWEEN ? AND ?", (first, last)
        ).fetchall()
        keys = sorted((id_key(str(e)), int(s)) for e, s in ids)
        # The ids are indexed first, a chunk per transaction: inserts into a large index
        # land on pages all over it, and one transaction for all of them held the write
        # lock (every append waiting) ~0.4-1.2 s. Index rows ahead of their segment are
        # harmless (the rows are still stored, and a lookup confirms in the segment).
        for i in range(0, len(keys), INDEX_CHUNK):
            with self._transaction(conn):
                conn.executemany(
                    "INSERT OR IGNORE INTO archived VALUES (?,?)", keys[i : i + INDEX_CHUNK]
                )
        with self._transaction(conn):
            cur = conn.execute("SELECT MAX(last_seq) FROM segments").fetchone()
            if int(cur[0] or 0) != first - 1:
                raise JournalError(f"the archive moved on under segment {first}..{last}")
            conn.execute(
                "INSERT INTO segments VALUES (?,?,?,?,?,?)",
                (first, last, path.name, hashes[-1], head, state),
            )
            conn.execute("DELETE FROM entries WHERE seq BETWEEN ? AND ?", (first, last))
        log.info("archived entries %d..%d into %s", first, last, path.name)

    @contextlib.contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error), timed: the longest is what
        appends waited at most."""
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            self._locked_s = max(self._locked_s, time.perf_counter() - started)


def _lines(conn: sqlite3.Connection, first: int, last: int, prev_hash: str) -> Iterator[bytes]:
    """The segment's entry lines, streamed from the rows, each checked against the chain
    as it goes: the hub never signs a segment it cannot itself verify."""
    expect, prev = first, prev_hash
    rows = conn.execute(
        "SELECT seq, event_id, kind, at, payload, prev_hash, hash FROM entries"
        " WHERE seq BETWEEN ? AND ? ORDER BY seq",
        (first, last),
    )
    for seq, event_id, kind, at, payload, row_prev, row_hash in rows:
        computed = _hash(prev, seq, event_id, kind, at, payload)
        if computed != row_hash:  # stored otherwise by an older journal: its canonical form
            payload = canonical_json(decode_payload(payload)).decode()
            computed = _hash(prev, seq, event_id, kind, at, payload)
        if seq != expect or row_prev != prev or computed != row_hash:
            raise JournalCorruptError(
                seq, "does not follow from the entry before it; nothing archived"
            )
        yield entry_line(seq, event_id, kind, at, payload, row_prev, row_hash)
        expect, prev = seq + 1, row_hash


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[bool]:
    """An exclusive, non-blocking lock on `path` (True when got); released on close."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _hash(prev: str, seq: int, event_id: str, kind: str, at: str, payload: str) -> str:
    body = (
        f'{{"at":{_string(at)},"event_id":{_string(event_id)},"kind":{_string(kind)},'
        f'"payload":{payload},"seq":{seq}}}'
    ).encode()
    return hashlib.sha256(bytes.fromhex(prev) + body).hexdigest()
