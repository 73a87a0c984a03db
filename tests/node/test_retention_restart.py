"""A node whose snapshot let retention archive the journal's head still restarts as before.

One seeded raid runs on a node with a sealed journal, snapshots and retention in small
segments: the snapshot mid-raid archives what lies below it. Restarting from the
snapshot reads nothing archived; restarting without one (a snapshot that no longer
verifies, new code) replays from entry 1 through the segments and gets the same state.
The whole record, segments first, still verifies, and a report resent from the
archived part of the raid is recognised as stored.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.node.test_recovery import views
from warnline.agreement.exercise_keys import HUB_CODE, exercise_signing_key, exercise_verify_key_b64
from warnline.agreement.model import Agreement
from warnline.audit import HeadSigner, verify_journal
from warnline.domain import ManualClock
from warnline.journal import SQLiteJournal
from warnline.journal.kinds import Kind
from warnline.journal.retention import Retention, RetentionPolicy
from warnline.journal.snapshots import SnapshotStore
from warnline.node import Node
from warnline.pipeline import Pipeline
from warnline.serve.retention import replay_floor
from warnline.sim.driven import (
    RaidSteps,
    accepting_channels,
    connect_consoles,
    drive,
    raid_accounts,
)

KEY = b"snapshot-test-key-32-bytes-long!"
START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
POLICY = RetentionPolicy(segment_entries=300, keep_entries=200)


@dataclass(frozen=True)
class Archived:
    dir: Path
    raid: RaidSteps
    snapshot_seq: int
    archived_upto: int


def make_node(agreement: Agreement, data: Path, *, snapshots: bool, retention: bool = True) -> Node:
    clock = ManualClock(START)
    sealer = HeadSigner(key=exercise_signing_key(HUB_CODE), clock=clock)
    journal = SQLiteJournal(data / "journal.db", sealer=sealer)
    store = SnapshotStore(data / "snapshots", key=KEY)
    return Node(
        agreement=agreement,
        journal=journal,
        clock=clock,
        accounts=raid_accounts(agreement),
        channels=accepting_channels(),
        snapshots=store if snapshots else None,
        retention=Retention(
            journal, policy=POLICY, replay_floor=lambda: replay_floor(store, journal)
        )
        if retention
        else None,
    )


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Archived:
    from warnline.agreement.load import default_agreement

    agreement = default_agreement()
    data = tmp_path_factory.mktemp("raid")
    raid = RaidSteps.build(agreement, start=START, duration_s=60.0, seed=5)

    async def run() -> tuple[int, int]:
        node = make_node(agreement, data, snapshots=True)
        clock = node.clock
        assert isinstance(clock, ManualClock)
        shown = connect_consoles(node)
        try:
            await drive(node, clock, raid.steps[:80], shown)
            seq = await node.snapshot()  # retention runs after it is written
            assert isinstance(node.journal, SQLiteJournal)
            upto = node.journal.archived_segments() * POLICY.segment_entries
            await drive(node, clock, raid.steps[80:120], shown)
        finally:
            await node.outreach.stop()
            node.journal.close()
        assert seq is not None
        return seq, upto

    seq, upto = asyncio.run(run())
    return Archived(dir=data, raid=raid, snapshot_seq=seq, archived_upto=upto)


def copy(archived: Archived, dest: Path, *, snapshots: bool = True) -> Path:
    shutil.copytree(archived.dir, dest, ignore=None if snapshots else _no_snapshots)
    return dest


def _no_snapshots(directory: str, names: list[str]) -> list[str]:
    return [n for n in names if n == "snapshots"]


def test_the_snapshot_let_retention_archive_below_it(archived: Archived) -> None:
    assert archived.archived_upto >= POLICY.segment_entries
    assert archived.archived_upto < archived.snapshot_seq
    assert archived.archived_upto % POLICY.segment_entries == 0


def test_restart_from_the_snapshot_and_by_full_replay_agree(
    agreement: Agreement, archived: Archived, tmp_path: Path
) -> None:
    snap = make_node(agreement, copy(archived, tmp_path / "snap"), snapshots=True)
    full = make_node(agreement, copy(archived, tmp_path / "full", snapshots=False), snapshots=False)
    try:
        recovery = snap.recover()
        assert recovery.snapshot_seq == archived.snapshot_seq
        again = full.recover()
        assert again.snapshot_seq is None
        assert again.tail == full.journal.position(Pipeline.FOLLOWER) > archived.archived_upto
        assert views(snap) == views(full)
    finally:
        snap.journal.close()
        full.journal.close()


def test_the_archived_record_verifies_and_keeps_its_reports_stored(
    agreement: Agreement, archived: Archived, tmp_path: Path
) -> None:
    data = copy(archived, tmp_path / "verify")
    summary = verify_journal(
        data / "journal.db", public_keys={HUB_CODE: exercise_verify_key_b64(HUB_CODE)}
    )
    node = make_node(agreement, data, snapshots=True)
    try:
        assert summary.entries == node.journal.last_seq()
        early = [
            e for e in node.journal.read(0, archived.archived_upto) if e.event.kind == Kind.REPORT
        ]
        assert early, "the archived part of the raid holds reports"
        node.recover()
        before = node.journal.last_seq()
        # The first step's submissions again, exactly as sent: all already stored.
        resent = asyncio.run(_resubmit(node, archived.raid))
        assert resent > 0 and node.journal.last_seq() == before
    finally:
        node.journal.close()


async def _resubmit(node: Node, raid: RaidSteps) -> int:
    accepted = 0
    for _, requests in raid.steps[:10]:
        for request in requests:
            accepted += len(await node.commands.submit_reports(request))
    return accepted
