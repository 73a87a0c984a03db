"""One suite for the Journal interface, run against every backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warnline.journal import (
    GENESIS_HASH,
    Event,
    Journal,
    MemoryJournal,
    SQLiteJournal,
    chain_hash,
)

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def ev(i: int, kind: str = "report") -> Event:
    return Event(event_id=f"e{i}", kind=kind, at=T0 + timedelta(seconds=i), payload={"i": i})


@pytest.fixture(params=["memory", "sqlite"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    j: Journal = MemoryJournal() if request.param == "memory" else SQLiteJournal(tmp_path / "j.db")
    yield j
    j.close()


def test_append_assigns_increasing_seqs(journal: Journal) -> None:
    assert journal.append([ev(1), ev(2)]) == [1, 2]
    assert journal.append([ev(3)]) == [3]
    assert [e.seq for e in journal.read()] == [1, 2, 3]
    assert journal.last_seq() == 3


def test_read_kind_between_two_cursors(journal: Journal) -> None:
    journal.append([ev(i, "alert.issued" if i % 3 == 0 else "report") for i in range(1, 31)])
    got = journal.read_kind("alert.issued", 3, 21, 100)
    assert [e.seq for e in got] == [6, 9, 12, 15, 18, 21]
    assert all(e.event.kind == "alert.issued" for e in got)
    assert [e.seq for e in journal.read_kind("alert.issued", 0, 30, 2)] == [3, 6]
    assert journal.read_kind("alert.issued", 21, 21, 10) == []


def test_append_is_idempotent_by_event_id(journal: Journal) -> None:
    journal.append([ev(1), ev(2)])
    assert journal.append([ev(2), ev(3), ev(3)]) == [2, 3, 3]
    assert [e.event.event_id for e in journal.read()] == ["e1", "e2", "e3"]


def test_read_after_and_limit(journal: Journal) -> None:
    journal.append([ev(i) for i in range(1, 11)])
    assert [e.seq for e in journal.read(after=4, limit=3)] == [5, 6, 7]
    assert journal.read(after=10) == []


def test_hash_chain_links_entries(journal: Journal) -> None:
    journal.append([ev(i) for i in range(1, 6)])
    prev = GENESIS_HASH
    for entry in journal.read():
        assert entry.prev_hash == prev
        assert entry.hash == chain_hash(prev, entry.seq, entry.event)
        prev = entry.hash


def test_payload_and_time_round_trip(journal: Journal) -> None:
    e = Event(event_id="x", kind="k", at=T0, payload={"a": [1, 2.5, "ש"], "b": None})
    journal.append([e])
    assert journal.read()[0].event == e


def test_follower_position_is_stored_with_outputs(journal: Journal) -> None:
    journal.append([ev(1)])
    assert journal.position("pipeline") == 0
    journal.append_from("pipeline", 1, [ev(100, "decision")])
    assert journal.position("pipeline") == 1
    assert journal.contains(["e100", "nope"]) == {"e100"}


def test_submit_completes_once_stored_with_the_followers_position(journal: Journal) -> None:
    """`submit` is how a node on an event loop stores: every backend answers with a
    future (SQLite's from its writer thread)."""
    assert journal.submit([ev(1), ev(2)]).result(timeout=10) == [1, 2]
    done = journal.submit([ev(100, "decision")], follower="pipeline", position=2)
    assert done.result(timeout=10) == [3]
    assert journal.position("pipeline") == 2
    assert journal.submit([ev(1)]).result(timeout=10) == [1]  # idempotent, as append


def test_concurrent_appends_lose_nothing(journal: Journal) -> None:
    def worker(k: int) -> None:
        for i in range(50):
            journal.append([ev(k * 1000 + i)])

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = journal.read()
    assert len(entries) == 400
    assert len({e.event.event_id for e in entries}) == 400
    assert [e.seq for e in entries] == list(range(1, 401))


def test_sqlite_survives_reopen(tmp_path: Path) -> None:
    j = SQLiteJournal(tmp_path / "j.db")
    j.append([ev(1), ev(2)])
    j.append_from("f", 2, [])
    j.close()
    j2 = SQLiteJournal(tmp_path / "j.db")
    assert j2.append([ev(3)]) == [3]
    assert j2.position("f") == 2
    entries = j2.read()
    assert entries[2].prev_hash == entries[1].hash
    j2.close()
