"""The node's clock ticks: sparse while nothing is in the air, dense once something is."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from tests.factories import signed_request, wire_report
from warnline.accounts import Accounts
from warnline.agreement.model import Agreement
from warnline.domain import ScaledClock
from warnline.journal import SQLiteJournal
from warnline.node import Node, NodeSettings


async def test_idle_node_ticks_sparsely_and_a_report_brings_ticks_back(
    agreement: Agreement, tmp_path: Path
) -> None:
    start = datetime.now(UTC)
    clock = ScaledClock(start=start, speed=10.0)  # tick_s 0.5 -> 50 ms; idle 10 s -> 1 s
    journal = SQLiteJournal(tmp_path / "j.db")
    node = Node(
        agreement=agreement,
        journal=journal,
        clock=clock,
        accounts=Accounts([]),
        settings=NodeSettings(speed=10.0),
    )
    await node.start()
    try:
        await asyncio.sleep(0.6)
        ticks = lambda: sum(1 for e in journal.read() if e.event.kind == "clock.tick")  # noqa: E731
        assert node.runner.busy() is False and ticks() == 1
        await node.commands.submit_reports(
            signed_request([wire_report("x1", t=clock.now())], at=clock.now())
        )
        for _ in range(40):  # bounded: 2 s at most
            await asyncio.sleep(0.05)
            if node.runner.busy() and ticks() >= 6:
                break
        assert node.runner.busy() and ticks() >= 6
    finally:
        await node.stop()
        journal.close()


def test_a_consoles_time_to_answer_is_wall_time_at_any_speed(
    agreement: Agreement, tmp_path: Path
) -> None:
    # The dispatcher runs on the node's clock, receipts come back in wall time: at 5x a
    # console gets 10 wall seconds (50 clock seconds) before its version is resent.
    def retry_at(speed: float) -> float:
        node = Node(
            agreement=agreement,
            journal=SQLiteJournal(tmp_path / f"j{speed:g}.db"),
            clock=ScaledClock(start=datetime.now(UTC), speed=speed),
            accounts=Accounts([]),
            settings=NodeSettings(speed=speed, retry_s=10.0),
        )
        return node.dispatcher.retry.total_seconds()

    assert retry_at(1.0) == 10.0 and retry_at(5.0) == 50.0
