"""The SQLite journal's tail: the newest entries read back from memory are the entries a
reader of the file gets, and reads the tail no longer holds still come from the file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warnline.journal import Entry, Event, MemoryJournal, SQLiteJournal
from warnline.journal.base import canonical_json

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def ev(i: int) -> Event:
    payload = {"i": i, "nested": {"b": [1, 2.5, None], "a": "x"}}  # keys out of order
    return Event(event_id=f"e{i}", kind="report", at=T0 + timedelta(seconds=i), payload=payload)


def same(a: list[Entry], b: list[Entry]) -> bool:
    """Equal as stored: seq, id, kind, time, canonical payload and both hashes."""

    def form(e: Entry) -> tuple[object, ...]:
        ev = e.event
        return (e.seq, ev.event_id, str(ev.kind), ev.at.isoformat(),
                canonical_json(ev.payload), e.prev_hash, e.hash)  # fmt: skip

    return [form(e) for e in a] == [form(e) for e in b]


@pytest.mark.parametrize(
    ("after", "limit"), [(0, None), (0, 7), (5, 10), (14, 3), (19, 5), (20, 5), (25, None)]
)
def test_reads_from_the_tail_are_what_the_file_holds(
    tmp_path: Path, after: int, limit: int | None
) -> None:
    j = SQLiteJournal(tmp_path / "j.db", tail=10)
    j.append([ev(i) for i in range(1, 11)])
    j.append([ev(i) for i in range(11, 21)])
    j.append([ev(3)])  # a resend is stored once, and does not enter the tail again
    fresh = j.read(after, limit)
    j.close()
    reopened = SQLiteJournal(tmp_path / "j.db")  # an empty tail: every read from the file
    try:
        from_file = reopened.read(after, limit)
    finally:
        reopened.close()
    assert same(fresh, from_file)
    expected = list(range(after + 1, 21 if limit is None else min(21, after + 1 + limit)))
    assert [e.seq for e in fresh] == expected


def test_the_tail_holds_the_newest_entries_only(tmp_path: Path) -> None:
    j = SQLiteJournal(tmp_path / "j.db", tail=10)
    try:
        j.append([ev(i) for i in range(1, 31)])
        assert [e.seq for e in j._from_tail(20, None) or []] == list(range(21, 31))  # the ten kept
        assert j._from_tail(19, None) is None  # older ones are read from the file
        assert [e.seq for e in j.read(5, 3)] == [6, 7, 8]
        assert j._from_tail(30, None) is None  # nothing newer: the file says so
        assert j.read(30) == []
    finally:
        j.close()


def test_a_held_read_answers_from_memory_or_says_it_cannot(tmp_path: Path) -> None:
    """What an event loop may read without a thread: the tail, nothing once nothing is
    newer, and None (not a wrong empty list) for entries only the file holds."""
    j = SQLiteJournal(tmp_path / "j.db", tail=10)
    try:
        assert j.read_held(0, 5) is None  # an empty tail knows nothing
        j.append([ev(i) for i in range(1, 31)])
        assert same(j.read_held(22, 4) or [], j.read(22, 4))
        assert [e.seq for e in j.read_held(20) or []] == list(range(21, 31))
        assert j.read_held(30) == []  # the newest committed: nothing to read
        assert j.read_held(19) is None  # only the file holds entry 20
    finally:
        j.close()


def test_a_memory_journal_holds_everything() -> None:
    j = MemoryJournal()
    j.append([ev(i) for i in range(1, 6)])
    assert [e.seq for e in j.read_held(2, 2) or []] == [3, 4]
    assert j.read_held(5) == []


@pytest.mark.parametrize("limit", [64 * 1024, -1])
def test_the_write_ahead_log_is_cut_back_after_a_burst(tmp_path: Path, limit: int) -> None:
    """A burst grows the -wal file; once the log has been checkpointed and starts over,
    it is cut back to the limit (-1: SQLite's default, never cut back), then grows
    again only to the automatic checkpoint's 1,000 pages."""
    j = SQLiteJournal(tmp_path / "j.db", wal_limit_bytes=limit)
    big = {"blob": "x" * 2000}
    j.append([Event(event_id=f"b{i}", kind="report", at=T0, payload=big) for i in range(3000)])
    wal = tmp_path / "j.db-wal"
    burst = wal.stat().st_size
    assert burst > 4_000_000
    for i in range(400):  # enough small commits for automatic checkpoints to start over
        j.append([ev(10_000 + i)])
    after = wal.stat().st_size
    j.close()
    if limit > 0:
        assert after <= 1000 * 4096 + limit < burst
    else:
        assert after >= burst
