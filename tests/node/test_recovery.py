"""Restart from a snapshot and the journal's tail decides exactly as a full replay.

One seeded raid is driven through a node (consoles that receipt, watch officers who
acknowledge, person channels): a snapshot is taken mid-raid, the raid goes on, the node
stops. Two nodes then recover from copies of that journal, one from the snapshot and
its tail, one by replaying everything; both see the same views, and given the rest of
the raid they journal the same decisions, attempts and escalations, entry for entry.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from warnline.agreement.model import Agreement
from warnline.domain import ManualClock
from warnline.journal import Event, SQLiteJournal
from warnline.journal.kinds import Kind
from warnline.journal.snapshots import SnapshotStore
from warnline.node import Node
from warnline.node.recovery import Recovery, SnapshotPolicy
from warnline.node.settings import NodeSettings
from warnline.picture.remote import PictureProcess
from warnline.pipeline import Pipeline
from warnline.sim.driven import (
    RaidSteps,
    accepting_channels,
    connect_consoles,
    drive,
    quiet,
    raid_accounts,
)

KEY = b"snapshot-test-key-32-bytes-long!"
START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Built:
    dir: Path
    raid: RaidSteps
    snapshot_seq: int
    stopped_at: int  # the step the first node stopped after


def make_node(
    agreement: Agreement, data: Path, *, snapshots: bool, picture_process: bool = False
) -> tuple[Node, ManualClock]:
    clock = ManualClock(START)
    node = Node(
        agreement=agreement,
        journal=SQLiteJournal(data / "journal.db"),
        clock=clock,
        accounts=raid_accounts(agreement),
        channels=accepting_channels(),
        snapshots=SnapshotStore(data / "snapshots", key=KEY) if snapshots else None,
        settings=NodeSettings(picture_process=picture_process),
    )
    return node, clock


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    from warnline.agreement.load import default_agreement

    agreement = default_agreement()
    data = tmp_path_factory.mktemp("raid")
    raid = RaidSteps.build(agreement, start=START, duration_s=80.0, seed=11)
    first, second = 90, 150  # scenario steps of 0.5 s: snapshot at 45 s, stop at 75 s

    async def run() -> int:
        node, clock = make_node(agreement, data, snapshots=True)
        shown = connect_consoles(node)
        try:
            await drive(node, clock, raid.steps[:first], shown)
            seq = await node.snapshot()
            await drive(node, clock, raid.steps[first:second], shown)
        finally:
            await node.outreach.stop()
            node.journal.close()
        assert seq is not None
        return seq

    return Built(dir=data, raid=raid, snapshot_seq=asyncio.run(run()), stopped_at=second)


def copy_of(built: Built, dest: Path) -> Path:
    shutil.copytree(built.dir, dest)
    return dest


def views(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for partner in sorted(node.agreement.partners):
        out[partner] = (
            node.views.alerts_for(partner),
            node.views.incidents_for(partner),
            node.views.assignments_for(partner),
            node.views.picture_for(partner),
            node.views.alerts_since(partner, 0, 10_000),
        )
    d = node.dispatcher
    out["dispatch"] = (
        sorted((k, p.attempts, p.next_at) for k, p in d.state.pending.items()),
        sorted(d.state.delivered.items()),
        sorted(d.latest),
    )
    esc = node.outreach.escalator
    out["outreach"] = (
        node.views.channel_health(),
        sorted(node.outreach.codes),
        sorted(esc.escalations),
    )
    # `plain` holds the codes this process sent; why an offer stopped is "expired" where
    # the live loop's `due` saw its deadline pass and "superseded" where a replay met the
    # next step first: that it stopped is state, the label is not.
    offers = vars(node.outreach.offers.escalator)
    out["offers"] = sorted(
        (k, v) for k, v in offers.items() if k not in ("plain", "new_code", "escalations")
    )
    out["offer_escalations"] = sorted(
        (k, dataclasses.replace(e, stopped=bool(e.stopped)))
        for k, e in offers["escalations"].items()
    )
    index = node.views.incident_index  # the entries of each incident's timeline
    out["timelines"] = (index.entries, index.tracks, index.alerts, index.runs, index.run_track)
    out["held"] = sorted(node.pipeline._held.items())
    out["pipeline"] = (
        node.pipeline.reports_seen,
        node.pipeline.tracks_created,
        sorted(node.pipeline.assessments),
        len(node.pipeline._group),
    )
    return out


def recover_both(agreement: Agreement, built: Built, tmp: Path) -> tuple[Node, Node, Recovery]:
    full, _ = make_node(agreement, copy_of(built, tmp / "full"), snapshots=False)
    snap, _ = make_node(agreement, copy_of(built, tmp / "snap"), snapshots=True)
    assert full.recover().snapshot_seq is None
    recovery = snap.recover()
    return full, snap, recovery


def test_snapshot_and_tail_give_the_views_and_decisions_of_a_full_replay(
    agreement: Agreement, built: Built, tmp_path: Path
) -> None:
    full, snap, recovery = recover_both(agreement, built, tmp_path)
    stored = snap.journal.position(Pipeline.FOLLOWER)
    assert recovery.snapshot_seq == built.snapshot_seq
    assert recovery.tail == stored - built.snapshot_seq > 0
    assert views(snap) == views(full)
    assert snap.views.incident_index.run_track and snap.views.incident_index.entries
    assert sum(len(a) for a in snap.pipeline.alerting.history.values()) > 0  # a real raid
    assert snap.dispatcher.state.acks and snap.outreach.escalator.escalations

    def rest() -> Iterator[tuple[datetime, list[Any]]]:
        yield from built.raid.steps[built.stopped_at :]
        yield from quiet(built.raid.steps[-1][0], 40.0)

    async def go_on(node: Node) -> list[tuple[str, str, str, dict[str, Any]]]:
        clock = node.clock
        assert isinstance(clock, ManualClock)
        before = node.journal.last_seq()
        try:
            await drive(node, clock, rest(), connect_consoles(node))
            tail = node.journal.read(before)
        finally:
            await node.outreach.stop()
            node.journal.close()
        # A submission's id is random (uuid4): everything else must be equal.
        return [
            (e.event.event_id, e.event.kind, e.event.at.isoformat(), without_submission(e.event))
            for e in tail
        ]

    after_full, after_snap = asyncio.run(go_on(full)), asyncio.run(go_on(snap))
    kinds = {kind for _, kind, _, _ in after_snap}
    assert {"alert.issued", "delivery.attempt", "escalation.step", "ack.received"} <= kinds
    assert after_snap == after_full


def without_submission(event: Event) -> dict[str, Any]:
    return {k: v for k, v in event.payload.items() if k != "submission"}


def test_a_changed_snapshot_is_passed_over_and_the_journal_replayed(
    agreement: Agreement, built: Built, tmp_path: Path
) -> None:
    expected, _ = make_node(agreement, copy_of(built, tmp_path / "ref"), snapshots=False)
    expected.recover()
    data = copy_of(built, tmp_path / "changed")
    (path,) = SnapshotStore(data / "snapshots", key=KEY).paths()
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0x01  # one bit of the pickled state
    path.write_bytes(bytes(raw))
    node, _ = make_node(agreement, data, snapshots=True)
    recovery = node.recover()
    assert recovery.snapshot_seq is None and "MAC does not verify" in recovery.passed_over[0]
    assert recovery.tail == node.journal.position(Pipeline.FOLLOWER)
    assert views(node) == views(expected)
    assert path.read_bytes() == bytes(raw)  # passed over, never rewritten or removed


def test_a_snapshot_of_other_code_or_another_journal_is_not_loaded(
    agreement: Agreement, built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node, _ = make_node(agreement, copy_of(built, tmp_path / "code"), snapshots=True)
    monkeypatch.setattr("warnline.node.followers.code_fingerprint", lambda: "0" * 64)
    assert "another version of the code" in node.recover().passed_over[0]
    monkeypatch.undo()
    # The same snapshot beside a journal whose entries differ at its position.
    other = tmp_path / "other"
    other.mkdir()
    shutil.copytree(built.dir / "snapshots", other / "snapshots")
    node2, _ = make_node(agreement, other, snapshots=True)
    ticks = [
        Event(event_id=f"tick:{n}", kind=Kind.TICK, at=START + timedelta(seconds=n))
        for n in range(built.snapshot_seq + 10)
    ]
    node2.journal.append(ticks)
    node2.journal.append_from(Pipeline.FOLLOWER, len(ticks), [])
    recovery = node2.recover()
    assert recovery.snapshot_seq is None and recovery.tail == len(ticks)
    assert f"entry {built.snapshot_seq} of this journal is not" in recovery.passed_over[0]
    node2.journal.close()


def test_a_snapshot_is_due_after_so_many_entries_or_seconds() -> None:
    now = [0.0]
    policy = SnapshotPolicy(every_entries=100, every_s=60.0, monotonic=lambda: now[0])
    assert not policy.due(0) and not policy.due(99)
    assert policy.due(100)
    policy.taken(100)
    now[0] = 59.0
    assert not policy.due(150) and not policy.due(100)
    now[0] = 60.0
    assert policy.due(101) and not policy.due(100)  # time alone: only once something moved


def test_a_periodic_snapshot_captured_in_a_child_restores_the_same_views(
    agreement: Agreement, built: Built, tmp_path: Path
) -> None:
    """The loop's periodic capture runs in a forked child (`node/aside.py`): what it
    stores is the state between two turns, and a node restarted from it folds no tail
    and shows what the node that took it showed."""
    node, _ = make_node(agreement, copy_of(built, tmp_path / "taker"), snapshots=True)
    node.recover()  # from the test raid's snapshot and its tail: now at the journal's end
    node.followers.policy = SnapshotPolicy(every_entries=1, every_s=3600.0)
    node.followers.policy.taken(0)  # as if none had been taken: one is due

    async def take() -> None:
        await node.followers.snapshot_if_due()
        writing = node.followers._writing
        assert writing is not None  # the capture went aside, into a task
        await writing

    asyncio.run(take())
    shown = views(node)
    node.journal.close()
    again, _ = make_node(agreement, tmp_path / "taker", snapshots=True)
    recovery = again.recover()
    assert recovery.snapshot_seq == node.followers.pos and recovery.tail == 0
    assert not recovery.passed_over
    assert views(again) == shown
    again.journal.close()


def test_a_picture_in_its_own_process_replays_snapshots_and_restores_the_same_views(
    agreement: Agreement, built: Built, tmp_path: Path
) -> None:
    """`picture_process`: the node replays the raid through the child (the in-process
    snapshot is another context), shows what the in-process node shows, and a snapshot
    it takes (the child's state asked for first) restores with no tail to fold."""
    local, _ = make_node(agreement, copy_of(built, tmp_path / "local"), snapshots=True)
    local.recover()
    expected = views(local)
    local.journal.close()
    node, _ = make_node(
        agreement, copy_of(built, tmp_path / "far"), snapshots=True, picture_process=True
    )
    again: Node | None = None
    try:
        first = node.recover()
        assert first.snapshot_seq is None and first.passed_over  # replayed whole
        assert isinstance(node.pipeline.picture, PictureProcess)
        assert views(node) == expected
        node.followers.policy = SnapshotPolicy(every_entries=1, every_s=3600.0)
        node.followers.policy.taken(0)

        async def take() -> None:
            await node.followers.snapshot_if_due()
            assert node.followers._writing is not None
            await node.followers._writing

        asyncio.run(take())
        node.journal.close()
        again, _ = make_node(agreement, tmp_path / "far", snapshots=True, picture_process=True)
        recovery = again.recover()
        assert recovery.snapshot_seq == node.followers.pos and recovery.tail == 0
        assert views(again) == expected
    finally:
        for n in (node, again):
            if n is not None and isinstance(n.pipeline.picture, PictureProcess):
                n.pipeline.picture.close()
        if again is not None:
            again.journal.close()
