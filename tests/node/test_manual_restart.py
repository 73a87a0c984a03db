"""A pending manual alert draft survives a restart from a snapshot, and is approved and
issued on the restarted node exactly once."""

from __future__ import annotations

from pathlib import Path

from tests.factories import T0
from warnline.accounts import Accounts, Role, User
from warnline.agreement.model import Agreement
from warnline.domain import AlertStage, ManualClock
from warnline.domain.manual import DraftStatus
from warnline.journal import SQLiteJournal
from warnline.journal.kinds import Kind
from warnline.journal.snapshots import SnapshotStore
from warnline.node import Node

KEY = b"manual-restart-key-32-bytes-long"
USERS = [
    User(username="jor-watch", partner="JOR", role=Role.WATCH, password_hash="x"),
    User(username="jor-cmd", partner="JOR", role=Role.COMMANDER, password_hash="x"),
]


def make_node(agreement: Agreement, data: Path) -> Node:
    return Node(
        agreement=agreement,
        journal=SQLiteJournal(data / "journal.db"),
        clock=ManualClock(T0),
        accounts=Accounts(USERS),
        snapshots=SnapshotStore(data / "snapshots", key=KEY),
    )


async def test_a_pending_draft_survives_a_restart_from_a_snapshot(
    agreement: Agreement, tmp_path: Path
) -> None:
    node = make_node(agreement, tmp_path)
    await node.start()
    try:
        draft = await node.commands.draft_alert(
            "jor-watch", ["ISR-eilat"], AlertStage.EARLY_WARNING, "drones at post 7"
        )
        await node.settle()
        seq = await node.snapshot()
    finally:
        await node.stop()
        node.journal.close()
    assert seq is not None

    again = make_node(agreement, tmp_path)
    await again.start()
    try:
        assert again.recovery is not None and again.recovery.snapshot_seq == seq
        held, status = again.views.manual_draft("JOR", draft.draft_id)
        assert held == draft and status is DraftStatus.PENDING
        await again.commands.decide_draft("jor-cmd", draft.draft_id, True, "confirmed")
        await again.settle()
        assert again.views.manual_draft("JOR", draft.draft_id)[1] is DraftStatus.ISSUED
        issues = [e for e in again.journal.read() if e.event.kind == Kind.MANUAL_ISSUE]
        assert [e.event.payload["approved_by"] for e in issues] == ["jor-cmd"]
    finally:
        await again.stop()
        again.journal.close()
