"""Reading archived entries back: the SQLite journal's view of its segment files.

Retention moves the oldest entries into segments (`segments.py`) but the journal still
answers for them: `read`, `entry`, `read_kind` and `iter_all` below the first stored
seq come from the files, transparently, so a full replay (no snapshot that verifies, a
new code version), an old read-back cursor, the audit export and the sealer's resume see
one unbroken log. That is slow (a segment is decompressed whole) and rare; the node's
hot path never reads below its snapshot.

Idempotency is permanent: the table `archived` keeps, for every archived entry, a
64-bit key of its event id and its seq (about 19 bytes a row instead of the entry's
~700 bytes). A key that matches is confirmed by reading the entry back from its segment, so
a collision of keys can never make a new input look stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from warnline.errors import JournalCorruptError
from warnline.journal.base import Entry, Event
from warnline.journal.segments import SegmentLine, read_segment

__all__ = ["ARCHIVE_SCHEMA", "Archive", "decode_payload", "id_key"]

ARCHIVE_SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    first_seq INTEGER PRIMARY KEY,
    last_seq  INTEGER NOT NULL,
    file      TEXT NOT NULL,
    last_hash TEXT NOT NULL,
    head      TEXT NOT NULL,
    peaks     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS archived (
    id_key INTEGER NOT NULL,
    seq    INTEGER NOT NULL,
    PRIMARY KEY (id_key, seq)
) WITHOUT ROWID;
"""

_DECODE = msgspec.json.Decoder().decode


def id_key(event_id: str) -> int:
    """The archived index's key for an event id: 64 bits of its SHA-256, signed (SQLite
    integers are signed 64-bit)."""
    return int.from_bytes(hashlib.sha256(event_id.encode()).digest()[:8], "big", signed=True)


def decode_payload(text: str | bytes) -> Any:
    """A stored payload, decoded by msgspec (five times json's speed, the same values
    for canonical JSON); what it refuses (e.g. a non-finite number) by json."""
    try:
        return _DECODE(text)
    except msgspec.DecodeError:
        return json.loads(text)


class Archive:
    """The segments in `directory` as the `segments` table of a journal lists them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._cached: tuple[str, list[SegmentLine]] | None = None  # the last segment read

    def upto(self, conn: sqlite3.Connection) -> int:
        """The last archived seq (0: nothing archived)."""
        row = conn.execute("SELECT MAX(last_seq) FROM segments").fetchone()
        return int(row[0] or 0)

    def read(self, conn: sqlite3.Connection, after: int, limit: int) -> list[Entry]:
        """Archived entries with seq > `after`, in order, at most `limit`."""
        out: list[Entry] = []
        while len(out) < limit:
            row = conn.execute(
                "SELECT first_seq, last_seq, file FROM segments WHERE last_seq > ?"
                " ORDER BY first_seq LIMIT 1",
                (after,),
            ).fetchone()
            if row is None:
                break
            first, last, name = int(row[0]), int(row[1]), str(row[2])
            lines = self._lines(first, last, name)
            start = max(after + 1, first) - first
            out += [_entry(x) for x in lines[start : start + limit - len(out)]]
            after = last
        return out

    def read_kind(
        self, conn: sqlite3.Connection, kind: str, after: int, upto: int, limit: int
    ) -> list[Entry]:
        out: list[Entry] = []
        rows = conn.execute(
            "SELECT first_seq, last_seq, file FROM segments WHERE last_seq > ? AND first_seq <= ?"
            " ORDER BY first_seq",
            (after, upto),
        ).fetchall()
        for first, last, name in rows:
            for x in self._lines(int(first), int(last), str(name)):
                if after < x.seq <= upto and x.kind == kind:
                    out.append(_entry(x))
                    if len(out) >= limit:
                        return out
        return out

    def lookup(self, conn: sqlite3.Connection, event_ids: Sequence[str]) -> dict[str, Entry]:
        """The archived entries among `event_ids`, by id (keys confirmed by content)."""
        keys: dict[int, list[str]] = {}
        for event_id in event_ids:
            keys.setdefault(id_key(event_id), []).append(event_id)
        found: dict[str, Entry] = {}
        wanted = list(keys)
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for key, seq in conn.execute(
                f"SELECT id_key, seq FROM archived WHERE id_key IN ({marks})", chunk
            ).fetchall():
                got = self.read(conn, int(seq) - 1, 1)
                if got and got[0].seq == seq and got[0].event.event_id in keys[int(key)]:
                    found[got[0].event.event_id] = got[0]
        return found

    def hashes(self, conn: sqlite3.Connection) -> Iterator[str]:
        """Every archived entry's hash, seq 1 first (a sealer resuming needs them all)."""
        rows = conn.execute("SELECT first_seq, last_seq, file FROM segments ORDER BY first_seq")
        for first, last, name in rows.fetchall():
            for x in self._lines(int(first), int(last), str(name)):
                yield x.hash

    def _lines(self, first: int, last: int, name: str) -> list[SegmentLine]:
        with self._lock:
            if self._cached is not None and self._cached[0] == name:
                return self._cached[1]
        manifest, lines = read_segment(self.directory / name)
        got = [x for x, _ in lines]
        seqs_ok = [x.seq for x in got] == list(range(first, last + 1))
        if (manifest.first_seq, manifest.last_seq) != (first, last) or not seqs_ok:
            raise JournalCorruptError(
                first, f"segment {name} does not hold entries {first}..{last} in order"
            )
        with self._lock:
            self._cached = (name, got)
        return got

    def forget(self) -> None:
        with self._lock:
            self._cached = None


def _entry(x: SegmentLine) -> Entry:
    return Entry(
        seq=x.seq,
        event=Event(
            event_id=x.event_id,
            kind=x.kind,
            at=datetime.fromisoformat(x.at),
            payload=decode_payload(bytes(x.payload)),
        ),
        prev_hash=x.prev_hash,
        hash=x.hash,
    )
