"""Embedded journal on SQLite in WAL mode, with group commit.

Appends from many threads queue up for one writer thread, which stores everything
waiting in a single transaction (`synchronous=FULL`: the WAL is fsynced at commit)
and only then completes the callers' futures. So an input is acknowledged only
once it is on disk, and a burst costs one fsync rather than one per report.

With a `Sealer`, each commit also replaces the one row of `seal`: a signed tree head
over every entry and the followers' positions, so the file cannot be extended or a
position moved without the hub's key. Payloads are stored in canonical JSON, the form
that is hashed, so a verifier can check the chain without re-encoding every payload.

The newest `tail` entries are also kept in memory as they were committed, so the
followers' read-back of what was just appended (the decision loop reads every entry once,
moments after it is stored) costs no query and no JSON decoding.

Retention (`retention.py`) may move the oldest entries into segment files in `archive`;
every read below the first stored seq is then answered from them (`archive.py`), and an
event id stays stored forever through the `archived` index.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import sqlite3
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from warnline.errors import JournalCorruptError, JournalError
from warnline.journal.archive import ARCHIVE_SCHEMA, Archive, decode_payload
from warnline.journal.base import (
    GENESIS_HASH,
    Entry,
    Event,
    Journal,
    Sealer,
    canonical_json,
    chain_hash_of,
)

TAIL = 5000  # newest entries kept in memory: a decision turn's read-back (READ_CHUNK 2,000)
WAL_LIMIT_BYTES = 64 * 1024 * 1024  # the -wal file is cut back to this after each checkpoint

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq       INTEGER PRIMARY KEY,
    event_id  TEXT NOT NULL UNIQUE,
    kind      TEXT NOT NULL,
    at        TEXT NOT NULL,
    payload   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS positions (
    follower TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seal (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    head      TEXT NOT NULL,
    positions TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sealer (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    state     TEXT NOT NULL
);
"""


@dataclass
class _Request:
    events: Sequence[Event]
    follower: str | None = None
    position: int = 0
    future: Future[list[int]] = field(default_factory=Future)


class SQLiteJournal(Journal):
    """`path` is the database file; its directory is created if missing. `archive` is
    where retention's segments are (default: `archive` beside the file)."""

    def __init__(
        self,
        path: Path,
        *,
        max_batch: int = 5000,
        sealer: Sealer | None = None,
        archive: Path | None = None,
        tail: int = TAIL,
        wal_limit_bytes: int = WAL_LIMIT_BYTES,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._wal_limit = wal_limit_bytes
        self._max_batch = max_batch
        self._sealer = sealer
        self.archive = Archive(archive or path.parent / "archive")
        self._write = self._connect()
        self._write.executescript(_SCHEMA + ARCHIVE_SCHEMA)
        self._tail: deque[Entry] = deque(maxlen=tail)  # the newest entries, as committed
        self._tail_lock = threading.Lock()
        self._read_local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        row = self._write.execute(
            "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        self._last_seq: int = int(row[0]) if row else 0
        self._last_hash: str = str(row[1]) if row else GENESIS_HASH
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._writer, name="journal-writer", daemon=True)
        self._thread.start()

    @property
    def sealer(self) -> Sealer | None:
        return self._sealer

    def connect(self) -> sqlite3.Connection:
        """A connection of its own to the database (retention's steps use one)."""
        return self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
        # After a checkpoint the write-ahead log starts over; without a limit its file
        # keeps the size of the largest burst it ever held (a raid's hour of reports).
        conn.execute(f"PRAGMA journal_size_limit={int(self._wal_limit)}")
        return conn

    # -- writing ---------------------------------------------------------------

    def append(self, events: Sequence[Event]) -> list[int]:
        return self.submit(events).result()

    def append_from(self, follower: str, position: int, events: Sequence[Event]) -> list[int]:
        return self.submit(events, follower=follower, position=position).result()

    def submit(
        self, events: Sequence[Event], *, follower: str | None = None, position: int = 0
    ) -> Future[list[int]]:
        """Queue an append; the future completes once the batch is durable."""
        if self._closed:
            raise JournalError("journal is closed")
        req = _Request(events=list(events), follower=follower, position=position)
        self._queue.put(req)
        return req.future

    def _writer(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            size = len(first.events)
            while size < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
                size += len(nxt.events)
            self._commit(batch)

    def _commit(self, batch: list[_Request]) -> None:
        """Store a group of appends in one transaction: the ids already stored looked up
        in one query per 500, each payload encoded once (for the hash and the column),
        the rows inserted in one `executemany`."""
        last_seq, last_hash = self._last_seq, self._last_hash
        results: list[list[int]] = []
        hashes: list[str] = []
        moved: list[tuple[str, int]] = []
        try:
            cur = self._write.cursor()
            cur.execute("BEGIN IMMEDIATE")
            known = self._stored_seqs(cur, {ev.event_id for req in batch for ev in req.events})
            rows: list[tuple[int, str, str, str, str, str, str]] = []
            fresh: list[Entry] = []
            for req in batch:
                seqs: list[int] = []
                for ev in req.events:
                    seq = known.get(ev.event_id)
                    if seq is None:
                        last_seq += 1
                        payload = canonical_json(ev.payload)
                        prev_hash = last_hash
                        last_hash = chain_hash_of(prev_hash, last_seq, ev, payload)
                        rows.append(
                            (
                                last_seq,
                                ev.event_id,
                                ev.kind,
                                ev.at.isoformat(),
                                payload.decode(),
                                prev_hash,
                                last_hash,
                            )
                        )
                        seq = known[ev.event_id] = last_seq
                        hashes.append(last_hash)
                        fresh.append(
                            Entry(seq=last_seq, event=ev, prev_hash=prev_hash, hash=last_hash)
                        )
                    seqs.append(seq)
                if req.follower is not None:
                    moved.append((req.follower, req.position))
                results.append(seqs)
            cur.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?)", rows)
            cur.executemany(
                "INSERT INTO positions VALUES (?,?) ON CONFLICT(follower) "
                "DO UPDATE SET position=excluded.position",
                moved,
            )
            if self._sealer is not None and (hashes or moved):
                self._seal(cur, self._sealer, hashes)
            cur.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self._write.execute("ROLLBACK")
            err = JournalError(f"append failed: {exc}")
            for req in batch:
                _settle(req.future, error=err)
            return
        self._last_seq, self._last_hash = last_seq, last_hash
        if fresh:  # before any caller hears of them, so a read after an append finds them
            with self._tail_lock:
                self._tail.extend(fresh)
        for req, seqs in zip(batch, results, strict=True):
            _settle(req.future, result=seqs)

    def _seal(self, cur: sqlite3.Cursor, sealer: Sealer, hashes: list[str]) -> None:
        """Replace the seal inside the commit's transaction. A sealer that is not at
        the stored end (a fresh one, or one that folded in a batch that rolled back)
        first resumes from the stored hashes."""
        if sealer.size != self._last_seq and not self._restore(cur, sealer):
            stored = cur.execute(
                "SELECT hash FROM entries WHERE seq <= ? ORDER BY seq", (self._last_seq,)
            ).fetchall()
            archived = list(self.archive.hashes(self._write))
            sealer.resume([*archived, *(str(r[0]) for r in stored)])
        positions = {
            str(f): int(p) for f, p in cur.execute("SELECT follower, position FROM positions")
        }
        head, signed_positions = sealer.seal(hashes, positions)
        cur.execute(
            "INSERT INTO seal VALUES (1,?,?) ON CONFLICT(id) "
            "DO UPDATE SET head=excluded.head, positions=excluded.positions",
            (head, signed_positions),
        )
        cur.execute(
            "INSERT INTO sealer VALUES (1,?) ON CONFLICT(id) DO UPDATE SET state=excluded.state",
            (sealer.state(),),
        )

    def _restore(self, cur: sqlite3.Cursor, sealer: Sealer) -> bool:
        """Take up the accumulator stored with the seal, if it is the stored head's tree
        (restart costs nothing however long the journal); else False."""
        row = cur.execute(
            "SELECT sealer.state, seal.head FROM sealer JOIN seal ON seal.id = sealer.id"
        ).fetchone()
        return (
            row is not None
            and sealer.restore(str(row[0]), str(row[1]))
            and (sealer.size == self._last_seq)
        )

    # -- reading ---------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._read_local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._read_local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def read(self, after: int = 0, limit: int | None = None) -> list[Entry]:
        recent = self._from_tail(after, limit)
        if recent is not None:
            return recent
        sql = (
            "SELECT seq, event_id, kind, at, payload, prev_hash, hash FROM entries"
            " WHERE seq > ? ORDER BY seq"
        )
        args: tuple[int, ...] = (after,)
        if limit is not None:
            sql += " LIMIT ?"
            args = (after, limit)
        conn = self._reader()
        rows = conn.execute(sql, args).fetchall()
        if not rows or rows[0][0] == after + 1:
            return [_entry(r) for r in rows]
        # Entries after..first stored were archived before these rows were read (only
        # whole segments leave, oldest first, and the newest entry always stays).
        gap = rows[0][0] - 1 - after
        want = gap if limit is None else min(gap, limit)
        older = self.archive.read(conn, after, want)
        if len(older) != want:
            raise JournalCorruptError(
                after + len(older) + 1, "is missing: neither in the database nor in a segment"
            )
        more = rows if limit is None else rows[: max(0, limit - len(older))]
        return older + [_entry(r) for r in more]

    def read_held(self, after: int, limit: int | None = None) -> list[Entry] | None:
        with self._tail_lock:
            if self._tail and self._tail[-1].seq == after:
                return []  # nothing committed since (the tail grows before callers hear)
        return self._from_tail(after, limit)

    def _from_tail(self, after: int, limit: int | None) -> list[Entry] | None:
        """Entries after `after` from the tail kept in memory, if it holds the next one:
        the followers read back what was just committed (decision 66). None: ask SQLite
        (older entries, or nothing newer kept here)."""
        with self._tail_lock:
            if not self._tail or not self._tail[0].seq <= after + 1 <= self._tail[-1].seq:
                return None
            start = after + 1 - self._tail[0].seq
            stop = len(self._tail) if limit is None else min(len(self._tail), start + limit)
            return list(itertools.islice(self._tail, start, stop))

    def read_kind(self, kind: str, after: int, upto: int, limit: int) -> list[Entry]:
        conn = self._reader()
        conn.execute("BEGIN")  # the archive's end and the rows from the same commit
        try:
            archived = self.archive.upto(conn)
            older: list[Entry] = []
            if after < archived:
                older = self.archive.read_kind(conn, kind, after, min(upto, archived), limit)
                after = archived
            rows = conn.execute(
                "SELECT seq, event_id, kind, at, payload, prev_hash, hash FROM entries"
                " WHERE seq > ? AND seq <= ? AND kind = ? ORDER BY seq LIMIT ?",
                (after, upto, kind, limit - len(older)),
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        return older + [_entry(r) for r in rows]

    def tree_head(self) -> dict[str, Any] | None:
        row = self._reader().execute("SELECT head FROM seal WHERE id=1").fetchone()
        head: dict[str, Any] | None = json.loads(row[0]) if row else None
        return head

    def positions(self) -> dict[str, int]:
        rows = self._reader().execute("SELECT follower, position FROM positions")
        return {str(f): int(p) for f, p in rows}

    def position(self, follower: str) -> int:
        row = (
            self._reader()
            .execute("SELECT position FROM positions WHERE follower=?", (follower,))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def last_seq(self) -> int:
        row = self._reader().execute("SELECT MAX(seq) FROM entries").fetchone()
        return int(row[0] or 0)

    def contains(self, event_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        conn = self._reader()
        ids = list(event_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT event_id FROM entries WHERE event_id IN ({marks})", chunk)
            found.update(r[0] for r in rows)
        missing = [i for i in ids if i not in found]
        if missing and self._has_archived(conn):
            found.update(self.archive.lookup(conn, missing))
        return found

    def stored(self, event_ids: Sequence[str]) -> dict[str, Event]:
        found: dict[str, Event] = {}
        conn = self._reader()
        ids = list(event_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT event_id, kind, at, payload FROM entries WHERE event_id IN ({marks})",
                chunk,
            )
            for r in rows:
                found[r[0]] = Event(
                    event_id=r[0],
                    kind=r[1],
                    at=datetime.fromisoformat(r[2]),
                    payload=decode_payload(r[3]),
                )
        missing = [i for i in ids if i not in found]
        if missing and self._has_archived(conn):
            found.update((k, e.event) for k, e in self.archive.lookup(conn, missing).items())
        return found

    def archived_segments(self) -> int:
        """How many segments hold archived entries."""
        row = self._reader().execute("SELECT COUNT(*) FROM segments").fetchone()
        return int(row[0])

    def archived_entries(self) -> int:
        """How many entries are in segments (entries 1..this)."""
        return self.archive.upto(self._reader())

    @staticmethod
    def _has_archived(conn: sqlite3.Connection) -> bool:
        return conn.execute("SELECT 1 FROM segments LIMIT 1").fetchone() is not None

    def _stored_seqs(self, cur: sqlite3.Cursor, event_ids: set[str]) -> dict[str, int]:
        """The journal positions of those of `event_ids` already stored, archived ones
        included (an event id is stored at most once, forever)."""
        found = _stored_seqs(cur, event_ids)
        missing = [i for i in event_ids if i not in found]
        if missing and self._has_archived(self._write):
            found.update((k, e.seq) for k, e in self.archive.lookup(self._write, missing).items())
        return found

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=10)
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._write.close()


def _stored_seqs(cur: sqlite3.Cursor, event_ids: set[str]) -> dict[str, int]:
    """The journal positions of those of `event_ids` already stored."""
    ids = list(event_ids)
    found: dict[str, int] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows = cur.execute(f"SELECT event_id, seq FROM entries WHERE event_id IN ({marks})", chunk)
        found.update((str(r[0]), int(r[1])) for r in rows)
    return found


def _settle(
    future: Future[list[int]], *, result: list[int] | None = None, error: Exception | None = None
) -> None:
    """Complete a caller's future unless the caller has given up on it (a cancelled
    await at shutdown); what was committed stays committed either way."""
    with contextlib.suppress(InvalidStateError):
        if future.cancelled():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or [])


def _entry(r: Sequence[Any]) -> Entry:
    return Entry(
        seq=r[0],
        event=Event(
            event_id=r[1], kind=r[2], at=datetime.fromisoformat(r[3]), payload=decode_payload(r[4])
        ),
        prev_hash=r[5],
        hash=r[6],
    )
