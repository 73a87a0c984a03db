"""`warnline journal archive --config FILE`: one retention step by hand, signed with the
hub key from the config, within what the node's snapshots allow; and the builder gives
a served node its retention from [retention]."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import T0, free_port
from warnline.accounts import Accounts, Role, User
from warnline.agreement.exercise_keys import HUB_CODE, exercise_signing_key, exercise_verify_key_b64
from warnline.audit import HeadSigner, verify_journal
from warnline.cli import main
from warnline.domain import ManualClock
from warnline.journal import Event, SQLiteJournal
from warnline.serve.builder import build
from warnline.serve.config import load_config
from warnline.serve.journal import snapshot_store
from warnline.sim.served import write_node_config

USERS = [
    User(username="usa-cell", partner="USA", role=Role.CELL,
         password_hash=Accounts.hash_password("pw-usa")),
]  # fmt: skip
KEY = exercise_signing_key(HUB_CODE)


def config(tmp_path: Path, **retention: object) -> Path:
    return write_node_config(
        tmp_path, host="127.0.0.1", port=free_port(), agreement=None, tick_s=0.5,
        users=USERS, channels={}, secrets={}, retention=retention or None,
    )  # fmt: skip


def journal_with_snapshot(data: Path, entries: int, snapshot_at: int | None) -> None:
    j = SQLiteJournal(data / "journal.db", sealer=HeadSigner(key=KEY, clock=ManualClock(T0)))
    try:
        j.append([Event(event_id=f"e{i}", kind="tick", at=T0) for i in range(1, entries + 1)])
        j.append_from("pipeline", entries, [])
        if snapshot_at is not None:
            entry = j.entry(snapshot_at)
            assert entry is not None
            snapshot_store(data, KEY).write(
                seq=snapshot_at, entry_hash=entry.hash, code="c", context="x", body=b"state"
            )
    finally:
        j.close()


def test_a_step_by_hand_archives_below_the_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, segment_entries=100, keep_entries=50)
    journal_with_snapshot(tmp_path / "journal", 1000, snapshot_at=730)
    assert main(["journal", "archive", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "archived 7 segments (700 entries); entries 1..700 are in segments" in out
    assert "replay may start at entry 730" in out
    archive = tmp_path / "journal" / "archive"
    assert len(list(archive.glob("segment-*.jsonl.gz"))) == 7
    summary = verify_journal(
        tmp_path / "journal" / "journal.db",
        public_keys={HUB_CODE: exercise_verify_key_b64(HUB_CODE)},
    )
    assert summary.entries == 1000
    assert main(["journal", "archive", "--config", str(path)]) == 0  # nothing more to do
    assert "archived 0 segments" in capsys.readouterr().out


def test_without_a_snapshot_nothing_is_archived(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, segment_entries=100, keep_entries=50)
    journal_with_snapshot(tmp_path / "journal", 1000, snapshot_at=None)
    assert main(["journal", "archive", "--config", str(path)]) == 0
    assert "archived 0 segments" in capsys.readouterr().out
    assert not list((tmp_path / "journal" / "archive").glob("segment-*"))


def test_a_bad_retention_key_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, segments=100)
    assert main(["journal", "archive", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown key retention.segments" in err


def test_the_builder_gives_the_node_its_retention(tmp_path: Path) -> None:
    path = config(tmp_path, enabled=True, directory="cold", segment_entries=500)
    built = build(load_config(path), path, clock=ManualClock(T0))
    try:
        retention = built.node.followers.retention
        assert retention is not None and retention.policy.segment_entries == 500
        assert built.journal.archive.directory == tmp_path / "cold"
    finally:
        built.journal.close()
    off = config(tmp_path / "off")
    built = build(load_config(off), off, clock=ManualClock(T0))
    try:
        assert built.node.followers.retention is None
    finally:
        built.journal.close()
