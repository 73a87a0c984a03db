"""A node whose picture runs in a child process: if the child dies, decisions stop with
one line saying so, rather than going on against an empty picture."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from datetime import timedelta
from pathlib import Path

from tests.factories import T0, drone_path
from warnline.accounts import Accounts, Role, User
from warnline.agreement.model import Agreement
from warnline.domain import ManualClock
from warnline.ingest import report_event
from warnline.journal import Event, SQLiteJournal
from warnline.journal.kinds import Kind
from warnline.node import Node, NodeSettings
from warnline.picture.remote import PictureProcess

USERS = [User(username="jor-watch", partner="JOR", role=Role.WATCH, password_hash="x")]


async def test_a_dead_picture_process_stops_decisions_and_says_so(
    agreement: Agreement, tmp_path: Path
) -> None:
    node = Node(
        agreement=agreement,
        journal=SQLiteJournal(tmp_path / "journal.db"),
        clock=ManualClock(T0),
        accounts=Accounts(USERS),
        settings=NodeSettings(picture_process=True),
    )
    await node.start()
    try:
        picture = node.pipeline.picture
        assert isinstance(picture, PictureProcess)
        first, second = drone_path(T0, 2, prefix="d")
        await node.inbox.append([report_event(first, received_at=T0, submission="s1")])
        await node.settle()
        assert node.pipeline.reports_seen == 1 and picture.tracks()
        assert picture._proc is not None and picture._proc.pid is not None
        os.kill(picture._proc.pid, signal.SIGKILL)
        picture._proc.join(10)
        process = next(t for t in node.runner._tasks if t.get_name() == "process")
        said: list[str] = []
        handler = logging.Handler(logging.CRITICAL)
        handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
        logger = logging.getLogger("warnline.node")
        logger.addHandler(handler)  # not caplog: other tests may stop propagation
        try:
            later = T0 + timedelta(seconds=2)
            await node.inbox.append(
                [
                    report_event(second, received_at=later, submission="s2"),
                    Event(event_id="tick:later", kind=Kind.TICK, at=later),
                ]
            )
            node.wake()
            await asyncio.wait_for(process, 10)  # the loop ends; it does not spin
        finally:
            logger.removeHandler(handler)
        assert any("decisions stopped: the picture's process ended" in m for m in said)
    finally:
        await node.runner.stop()
        picture.close()
        node.journal.close()
