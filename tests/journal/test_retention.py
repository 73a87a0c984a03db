"""Retention: whole segments leave SQLite for signed files, never what replay needs, and
the journal still reads, de-duplicates and verifies as one unbroken log."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warnline.agreement.exercise_keys import HUB_CODE, exercise_signing_key, exercise_verify_key_b64
from warnline.audit import HeadSigner, parse_head, verify_head, verify_journal
from warnline.audit.merkle import merkle_root
from warnline.domain import ManualClock
from warnline.errors import JournalCorruptError, JournalError
from warnline.journal import GENESIS_HASH, Event, SQLiteJournal, chain_hash
from warnline.journal import retention as retention_module
from warnline.journal.archive import id_key
from warnline.journal.retention import Retention, RetentionPolicy
from warnline.journal.segments import read_segment, segment_name

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KEYS = {HUB_CODE: exercise_verify_key_b64(HUB_CODE)}


def ev(i: int, kind: str = "report") -> Event:
    payload = {"i": i, "area": ["عمّان", "תל אביב"][i % 2], "x": i / 7}
    return Event(event_id=f"e{i}", kind=kind, at=T0 + timedelta(seconds=i), payload=payload)


def sealed(path: Path) -> SQLiteJournal:
    """No tail in memory: these tests read what the file and the segments hold (the tail
    would answer the newest entries without them, as it does in a node)."""
    key = exercise_signing_key(HUB_CODE)
    return SQLiteJournal(path, sealer=HeadSigner(key=key, clock=ManualClock(T0)), tail=0)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[SQLiteJournal]:
    j = sealed(tmp_path / "j.db")
    yield j
    j.close()


def retention(j: SQLiteJournal, floor: int, *, segment: int = 10, keep: int = 5) -> Retention:
    policy = RetentionPolicy(segment_entries=segment, keep_entries=keep)
    return Retention(j, policy=policy, replay_floor=lambda: floor)


def fill(j: SQLiteJournal, n: int) -> None:
    j.append([ev(i, "alert.issued" if i % 4 == 0 else "report") for i in range(1, n + 1)])


def stored_rows(j: SQLiteJournal) -> list[int]:
    conn = j.connect()
    try:
        return [int(r[0]) for r in conn.execute("SELECT seq FROM entries ORDER BY seq")]
    finally:
        conn.close()


def test_whole_segments_below_the_floor_and_outside_the_kept_tail(journal: SQLiteJournal) -> None:
    fill(journal, 57)
    step = retention(journal, floor=36).step()
    # Floor 36: entries up to 35 may go, in whole segments of 10: 1..30.
    assert (step.segments, step.entries, step.archived_upto) == (3, 30, 30)
    assert stored_rows(journal)[0] == 31
    names = sorted(p.name for p in journal.archive.directory.glob("segment-*"))
    assert names == [segment_name(1, 10), segment_name(11, 20), segment_name(21, 30)]
    # The kept tail bounds it too: with the floor far ahead, 57 - 5 = 52 -> up to 50.
    step = retention(journal, floor=10_000).step()
    assert step.archived_upto == 50
    assert journal.archived_segments() == 5


def test_nothing_without_a_snapshot(journal: SQLiteJournal) -> None:
    fill(journal, 40)
    step = retention(journal, floor=0).step()
    assert step.segments == 0 and "no snapshot" in step.limit
    assert stored_rows(journal)[0] == 1


def test_reads_below_the_first_stored_entry_come_from_segments(journal: SQLiteJournal) -> None:
    fill(journal, 57)
    before = list(journal.iter_all(batch=7))
    retention(journal, floor=10_000).step()
    assert list(journal.iter_all(batch=7)) == before
    assert journal.read(after=8, limit=5) == before[8:13]
    assert journal.read(after=28, limit=5) == before[28:33]  # across the archive's end
    assert journal.read(after=45) == before[45:]
    assert journal.entry(3) == before[2]
    assert journal.entry(51) == before[50]
    got = journal.read_kind("alert.issued", 6, 54, 100)
    assert [e.seq for e in got] == list(range(8, 53, 4))
    assert [e.seq for e in journal.read_kind("alert.issued", 0, 57, 3)] == [4, 8, 12]
    assert journal.last_seq() == 57


def test_an_archived_event_id_stays_stored(journal: SQLiteJournal) -> None:
    fill(journal, 30)
    retention(journal, floor=10_000).step()
    assert journal.contains(["e3", "e29", "nope"]) == {"e3", "e29"}
    assert journal.stored(["e3", "nope"]) == {"e3": ev(3)}
    # Resending an archived event is a no-op that returns its seq: nothing duplicated.
    assert journal.append([ev(3), ev(31)]) == [3, 31]
    assert [e.event.event_id for e in journal.iter_all()].count("e3") == 1
    assert journal.last_seq() == 31


def test_each_segment_is_signed_at_its_end_and_chains_on(journal: SQLiteJournal) -> None:
    fill(journal, 40)
    hashes = [e.hash for e in journal.read()]
    retention(journal, floor=10_000).step()
    prev = GENESIS_HASH
    for first in (1, 11, 21):
        manifest, lines = read_segment(journal.archive.directory / segment_name(first, first + 9))
        head = parse_head(manifest.head)
        verify_head(head, {HUB_CODE: exercise_signing_key(HUB_CODE).verify_key})
        leaves = [bytes.fromhex(h) for h in hashes[: first + 9]]
        assert (head.size, head.root) == (first + 9, merkle_root(leaves).hex())
        assert manifest.prev_hash == prev == lines[0][0].prev_hash
        for x, _ in lines:
            event = Event(
                event_id=x.event_id,
                kind=x.kind,
                at=datetime.fromisoformat(x.at),
                payload=json.loads(bytes(x.payload)),
            )
            assert chain_hash(prev, x.seq, event) == x.hash
            prev = x.hash
        assert manifest.last_hash == prev


class Crash(BaseException):
    pass


def test_a_crash_between_file_and_delete_is_redone(
    journal: SQLiteJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(journal, 30)
    before = list(journal.iter_all())
    real = retention_module.write_segment

    def write_then_die(*args: object, **kwargs: object) -> Path:
        real(*args, **kwargs)  # type: ignore[arg-type]
        raise Crash  # the process dies before the transaction that deletes the rows

    monkeypatch.setattr(retention_module, "write_segment", write_then_die)
    with pytest.raises(Crash):
        retention(journal, floor=10_000, segment=20).step()
    monkeypatch.undo()
    directory = journal.archive.directory
    assert (directory / segment_name(1, 20)).is_file()
    assert stored_rows(journal)[0] == 1 and journal.archived_segments() == 0
    (directory / (segment_name(1, 10) + ".tmp")).write_bytes(b"half written")
    # A crash after the ids were indexed, before the rows were deleted, leaves index rows
    # ahead of any segment: harmless, the rows are still there.
    conn = journal.connect()
    conn.executemany(
        "INSERT INTO archived VALUES (?,?)", [(id_key(e.event.event_id), e.seq) for e in before]
    )
    conn.close()
    assert journal.contains(["e3"]) == {"e3"} and journal.stored(["e31"]) == {}
    # The next step (other segment size: the stray file is not simply overwritten).
    step = retention(journal, floor=10_000, segment=10).step()
    assert set(step.removed) == {segment_name(1, 20), segment_name(1, 10) + ".tmp"}
    assert step.archived_upto == 20
    assert sorted(p.name for p in directory.glob("segment-*")) == [
        segment_name(1, 10),
        segment_name(11, 20),
    ]
    assert list(journal.iter_all()) == before
    assert verify_journal(journal.path, public_keys=KEYS).entries == 30


def test_a_missing_segment_is_a_journal_error_naming_it(journal: SQLiteJournal) -> None:
    fill(journal, 30)
    retention(journal, floor=10_000).step()
    os.unlink(journal.archive.directory / segment_name(1, 10))
    journal.archive.forget()
    with pytest.raises(JournalError, match=r"segment-000000000001-000000000010\.jsonl\.gz"):
        journal.read(0, 5)


def test_a_segment_is_plain_gzip_json_lines(journal: SQLiteJournal) -> None:
    fill(journal, 20)
    retention(journal, floor=10_000).step()
    with gzip.open(journal.archive.directory / segment_name(1, 10), "rt") as f:
        manifest, *entries = [json.loads(line) for line in f]
    assert manifest["format"] == "warnline-segment:v1"
    assert [e["seq"] for e in entries] == list(range(1, 11))
    assert entries[0] == {
        "seq": 1, "event_id": "e1", "kind": "report", "at": ev(1).at.isoformat(),
        "payload": ev(1).payload, "prev_hash": GENESIS_HASH, "hash": entries[0]["hash"],
    }  # fmt: skip


def test_the_policy_refuses_what_cannot_work() -> None:
    with pytest.raises(ValueError, match="keep_entries"):
        RetentionPolicy(keep_entries=0)
    with pytest.raises(ValueError, match="segment_entries"):
        RetentionPolicy(segment_entries=0)


def test_retention_needs_a_sealed_journal(tmp_path: Path) -> None:
    j = SQLiteJournal(tmp_path / "j.db")
    try:
        with pytest.raises(JournalError, match="sealed"):
            retention(j, floor=1)
    finally:
        j.close()


def test_a_sealer_that_cannot_restore_resumes_from_segments_and_rows(tmp_path: Path) -> None:
    j = sealed(tmp_path / "j.db")
    fill(j, 40)
    retention(j, floor=10_000).step()
    conn = j.connect()
    conn.execute("DELETE FROM sealer")  # the stored accumulator is gone
    conn.close()
    j.close()
    j = sealed(tmp_path / "j.db")
    try:
        j.append([ev(41)])
        head = parse_head(j.tree_head() or {})
        leaves = [bytes.fromhex(e.hash) for e in j.iter_all()]
        assert [e.seq for e in j.iter_all()] == list(range(1, 42))
        assert (head.size, head.root) == (41, merkle_root(leaves).hex())
    finally:
        j.close()
    assert verify_journal(tmp_path / "j.db", public_keys=KEYS).entries == 41


def test_nothing_is_signed_on_top_of_a_tampered_last_segment(journal: SQLiteJournal) -> None:
    fill(journal, 40)
    retention(journal, floor=25).step()  # 1..10 and 11..20
    conn = journal.connect()
    conn.execute(
        "UPDATE segments SET peaks = ? WHERE first_seq = 11",
        ('{"peaks":[[16,"' + "ab" * 32 + '"],[4,"' + "cd" * 32 + '"]]}',),
    )
    conn.close()
    with pytest.raises(JournalError, match="peaks are not its head's tree"):
        retention(journal, floor=10_000).step()
    assert stored_rows(journal)[0] == 21  # nothing more archived


def test_an_entry_missing_from_database_and_archive_is_named(journal: SQLiteJournal) -> None:
    fill(journal, 30)
    conn = journal.connect()
    conn.execute("DELETE FROM entries WHERE seq = 12")
    conn.close()
    with pytest.raises(JournalCorruptError, match="entry 12: is missing") as err:
        journal.read(11, 5)  # a gap inside a chunk is the chain check's to name
    assert err.value.seq == 12
