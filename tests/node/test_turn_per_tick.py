"""A node that fell behind folds one clock tick a turn: the decisions of the first tick
are journaled (and go out) before the next tick is folded, and the folds end where one
big turn would have ended."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import T0, signed_request, wire_report
from warnline.accounts import Accounts
from warnline.agreement.model import Agreement
from warnline.domain import ManualClock
from warnline.journal import Event, MemoryJournal
from warnline.journal.kinds import Kind
from warnline.node import Node, NodeSettings
from warnline.node.runner import through_first_tick


def _node(agreement: Agreement) -> tuple[Node, MemoryJournal, ManualClock]:
    clock, journal = ManualClock(T0), MemoryJournal()
    node = Node(agreement=agreement, journal=journal, clock=clock, accounts=Accounts([]),
                settings=NodeSettings())  # fmt: skip
    return node, journal, clock


async def _backlog(node: Node, journal: MemoryJournal, clock: ManualClock, ticks: int) -> None:
    """A drone reported and ticked `ticks` times without the process loop running."""
    for i in range(ticks):  # west towards Amman at 50 m/s, as the API tests fly it
        t = T0 + timedelta(seconds=2 * i)
        clock.set(t + timedelta(seconds=1))
        lon = 36.35 - (50.0 * 2 * i) / (111_320.0 * 0.848)
        report = wire_report(f"r{i}", t=t, position={"lat": 31.95, "lon": lon, "alt_m": 150.0})
        await node.commands.submit_reports(signed_request([report], at=clock.now()))
        now = clock.now()
        journal.append([Event(event_id=f"tick:{now.isoformat()}", kind=Kind.TICK, at=now)])


async def test_each_turn_folds_through_one_tick(agreement: Agreement) -> None:
    node, journal, clock = _node(agreement)
    await _backlog(node, journal, clock, ticks=4)
    tick_seqs = [e.seq for e in journal.read() if e.event.kind == Kind.TICK]
    assert len(tick_seqs) == 4
    positions = []
    for _ in range(10):  # bounded
        await node.runner.process_once()
        positions.append(node.followers.pos)
        if node.followers.pos >= tick_seqs[-1]:
            break
    # Each turn stopped at the next tick (a decision turn's own outputs come after it).
    assert [p for p in positions if p in tick_seqs] == tick_seqs
    assert positions[0] == tick_seqs[0]


async def test_turns_per_tick_decide_as_one_turn_did(agreement: Agreement) -> None:
    """The same backlog folded one tick a turn and all at once: the same decisions."""
    a, ja, ca = _node(agreement)
    b, jb, cb = _node(agreement)
    for node, journal, clock in ((a, ja, ca), (b, jb, cb)):
        await _backlog(node, journal, clock, ticks=16)
    await a.settle()  # one tick a turn
    decisions_b = b.followers.pipeline.process(jb.read())  # everything in one fold
    decided_a = [e.event for e in ja.read() if e.event.kind in (Kind.INCIDENT, Kind.ALERT)]
    decided_b = [e for e in decisions_b if e.kind in (Kind.INCIDENT, Kind.ALERT)]
    assert decided_a and [(e.event_id, e.payload) for e in decided_a] == [
        (e.event_id, e.payload) for e in decided_b
    ]


def test_through_first_tick_cuts_after_the_first_tick_only() -> None:
    journal = MemoryJournal()
    events = [Event(event_id=f"e{i}", kind=k, at=T0) for i, k in
              enumerate([Kind.REPORT, Kind.REPORT, Kind.TICK, Kind.REPORT, Kind.TICK])]  # fmt: skip
    journal.append(events)
    entries = journal.read()
    assert [e.event.event_id for e in through_first_tick(entries)] == ["e0", "e1", "e2"]
    assert through_first_tick(entries[3:4]) == entries[3:4]  # no tick: everything
    assert through_first_tick([]) == []
