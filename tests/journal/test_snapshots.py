"""Snapshot files: only ours, only for this journal, code and context, written whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warnline.errors import SnapshotError
from warnline.journal import Event, MemoryJournal
from warnline.journal.snapshots import SnapshotStore, snapshot_key

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KEY = snapshot_key(b"\x01" * 32)


def journal(n: int) -> MemoryJournal:
    j = MemoryJournal()
    j.append([Event(event_id=f"e{i}", kind="k", at=T0 + timedelta(seconds=i)) for i in range(n)])
    return j


def write(store: SnapshotStore, j: MemoryJournal, seq: int, body: bytes = b"state") -> Path:
    entry = j.entry(seq)
    assert entry is not None
    return store.write(seq=seq, entry_hash=entry.hash, code="c", context="x", body=body)


def test_the_newest_snapshot_that_verifies_is_loaded_and_two_are_kept(tmp_path: Path) -> None:
    j = journal(10)
    store = SnapshotStore(tmp_path / "snap", key=KEY)
    assert store.load(j, code="c", context="x", upto=10) is None  # no directory yet
    for seq in (3, 5, 7):
        write(store, j, seq, body=f"at {seq}".encode())
    assert [p.name for p in store.paths()] == [
        "snapshot-000000000007.bin",
        "snapshot-000000000005.bin",
    ]
    snap = store.load(j, code="c", context="x", upto=10)
    assert snap is not None and (snap.seq, snap.body) == (7, b"at 7")
    # Beyond the followers' position: the one before is taken.
    snap = store.load(j, code="c", context="x", upto=6)
    assert snap is not None and snap.seq == 5
    assert "beyond the followers' stored position 6" in store.rejected[0].reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda raw: raw[:-1], "MAC does not verify"),
        (lambda raw: raw[:20], "truncated or malformed header"),
        (lambda raw: b"garbage", "not a snapshot file"),
        (lambda raw: raw.replace(b'"seq":7', b'"seq":5'), "MAC does not verify"),
    ],
)
def test_a_changed_or_truncated_snapshot_is_passed_over_with_the_reason(
    tmp_path: Path, change: object, reason: str
) -> None:
    j = journal(10)
    store = SnapshotStore(tmp_path, key=KEY)
    write(store, j, 5, body=b"older")
    path = write(store, j, 7)
    assert callable(change)
    path.write_bytes(change(path.read_bytes()))
    snap = store.load(j, code="c", context="x", upto=10)
    assert snap is not None and snap.body == b"older"
    assert [r.reason for r in store.rejected] == [store.rejected[0].reason]
    assert reason in store.rejected[0].reason
    assert path.exists()  # passed over, never deleted: it may be evidence


def test_another_key_code_context_or_journal_is_not_trusted(tmp_path: Path) -> None:
    j = journal(10)
    write(SnapshotStore(tmp_path, key=KEY), j, 7)
    other_key = SnapshotStore(tmp_path, key=snapshot_key(b"\x02" * 32))
    assert other_key.load(j, code="c", context="x", upto=10) is None
    assert "MAC does not verify" in other_key.rejected[0].reason
    store = SnapshotStore(tmp_path, key=KEY)
    assert store.load(j, code="d", context="x", upto=10) is None
    assert "another version of the code" in store.rejected[0].reason
    assert store.load(j, code="c", context="y", upto=10) is None
    assert "another agreement" in store.rejected[0].reason
    assert store.load(journal(6), code="c", context="x", upto=10) is None  # entry 7 absent
    assert "entry 7 of this journal is not the one" in store.rejected[0].reason


def test_a_write_that_did_not_finish_leaves_the_last_snapshot(tmp_path: Path) -> None:
    j = journal(10)
    store = SnapshotStore(tmp_path, key=KEY)
    write(store, j, 5)
    (tmp_path / "snapshot-000000000009.tmp").write_bytes(b"half a snapsh")
    snap = store.load(j, code="c", context="x", upto=10)
    assert snap is not None and snap.seq == 5 and store.rejected == []


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="at least 16 bytes"):
        SnapshotStore(tmp_path, key=b"short")
