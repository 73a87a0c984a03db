"""The SQLite journal seals every commit: a signed tree head over all entries and the
followers' positions, written in the same transaction, kept right across reopening and
across a commit that failed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warnline.agreement.exercise_keys import HUB_CODE, exercise_signing_key, exercise_verify_key_b64
from warnline.audit import HeadSigner, parse_head, verify_head, verify_journal
from warnline.audit.merkle import merkle_root
from warnline.domain import ManualClock
from warnline.errors import JournalError
from warnline.journal import Event, SQLiteJournal

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KEYS = {HUB_CODE: exercise_verify_key_b64(HUB_CODE)}


def ev(i: int) -> Event:
    return Event(event_id=f"e{i}", kind="report", at=T0 + timedelta(seconds=i), payload={"i": i})


def sealed(path: Path, clock: ManualClock) -> SQLiteJournal:
    return SQLiteJournal(path, sealer=HeadSigner(key=exercise_signing_key(HUB_CODE), clock=clock))


def test_every_commit_leaves_a_signed_head_over_all_entries(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    j = sealed(tmp_path / "j.db", clock)
    try:
        assert j.tree_head() is None
        for n in (1, 2, 5):
            clock.advance(1)
            j.append([ev(j.last_seq() + k) for k in range(1, n + 1)])
            head = parse_head(j.tree_head() or {})
            verify_head(head, {HUB_CODE: exercise_signing_key(HUB_CODE).verify_key})
            leaves = [bytes.fromhex(e.hash) for e in j.read()]
            assert (head.size, head.root) == (len(leaves), merkle_root(leaves).hex())
            assert head.timestamp == clock.now().isoformat()
        j.append_from("pipeline", 8, [])
        assert j.positions() == {"pipeline": 8}
    finally:
        j.close()
    assert verify_journal(tmp_path / "j.db", public_keys=KEYS).positions == {"pipeline": 8}


def test_a_reopened_journal_and_a_failed_commit_keep_the_seal_right(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    clock = ManualClock(T0)
    j = sealed(path, clock)
    j.append([ev(i) for i in range(1, 4)])
    j.close()
    j = sealed(path, clock)  # a fresh sealer resumes from the stored hashes
    try:
        unstorable = Event(event_id="bad", kind="report", at=T0, payload={"x": {1, 2}})
        with pytest.raises(JournalError):
            j.append([ev(4), unstorable])  # rolled back: neither is stored nor sealed
        j.append([ev(5)])
        assert [e.event.event_id for e in j.read()] == ["e1", "e2", "e3", "e5"]
    finally:
        j.close()
    summary = verify_journal(path, public_keys=KEYS)
    assert summary.entries == 4 and summary.sealed is not None and summary.sealed.size == 4


class CountingSigner(HeadSigner):
    """A head signer that counts how often it folds in every stored hash again."""

    resumed = 0

    def resume(self, hashes: Iterable[str]) -> None:
        self.resumed += 1
        super().resume(hashes)


def test_a_reopened_journal_takes_up_the_stored_tree_instead_of_every_hash(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    clock = ManualClock(T0)
    key = exercise_signing_key(HUB_CODE)
    j = SQLiteJournal(path, sealer=HeadSigner(key=key, clock=clock))
    j.append([ev(i) for i in range(1, 1500)])
    j.close()
    signer = CountingSigner(key=key, clock=clock)
    j = SQLiteJournal(path, sealer=signer)
    try:
        j.append([ev(1500)])
    finally:
        j.close()
    assert signer.resumed == 0 and signer.size == 1500
    assert verify_journal(path, public_keys=KEYS).entries == 1500
    # A stored tree that is not the sealed head's is not taken up: every hash is.
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE sealer SET state = ?", ('{"peaks":[[1024,"' + "ab" * 32 + '"]]}',))
    conn.close()
    signer = CountingSigner(key=key, clock=clock)
    j = SQLiteJournal(path, sealer=signer)
    try:
        j.append([ev(1501)])
    finally:
        j.close()
    assert signer.resumed == 1
    assert verify_journal(path, public_keys=KEYS).entries == 1501
