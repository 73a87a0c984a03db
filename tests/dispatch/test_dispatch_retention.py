"""Bounded memory in the delivery folds: everything kept for an alert (latest version,
pending deliveries, receipts, acknowledgements, escalation, attempt outcomes) is
forgotten a retention period after its Cancel, however many alerts a raid brings."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.dispatch.test_dispatcher import alert, feed, issued, make
from tests.dispatch.test_escalation import CHANNELS, agreement, role_of, tick
from tests.factories import T0
from warnline.dispatch import ack_event, receipt_event
from warnline.dispatch.escalation import Escalator, result_event
from warnline.domain import Acknowledgement, MsgType
from warnline.journal import MemoryJournal


def _one_alert(n: int, minute: int) -> tuple[str, list]:  # type: ignore[type-arg]
    """Alert `n` raised, shown, acknowledged and cancelled within minute `minute`."""
    at = T0 + timedelta(minutes=minute)
    first = replace(alert(), alert_id=f"A-{n}", sent_at=at)
    cancel = replace(first, version=2, msg_type=MsgType.CANCEL, sent_at=at + timedelta(seconds=30))
    ack = Acknowledgement(
        alert_id=first.alert_id,
        version=1,
        partner="JOR",
        user="jor-watch",
        channel="console",
        at=at,
    )
    shown = receipt_event(
        alert_id=first.alert_id, version=1, recipient="usa-watch", channel="console", at=at, n=1
    )
    return first.alert_id, [issued(first), shown, ack_event(ack), issued(cancel)]


def test_dispatcher_forgets_an_ended_alert_after_retention() -> None:
    d, j = make()
    d.retain = timedelta(seconds=300)
    ids = []
    for minute in range(40):
        alert_id, events = _one_alert(minute, minute)
        feed(d, j, events)
        ids.append(alert_id)
    # Cancels a minute apart, kept 5 minutes: at most 6 alerts' state is held.
    assert len(d.latest) <= 6 and ids[-1] in d.latest and ids[0] not in d.latest
    assert len(d.state.acks) <= 6
    assert {k[0] for k in d.state.delivered} <= set(d.latest)
    assert {k[0] for k in d.state.pending} <= set(d.latest)
    feed(d, j, [tick(T0 + timedelta(minutes=50))])
    assert d.latest == {} and d.state.pending == {} and d.state.delivered == {}


def test_a_live_alert_is_kept_however_long_it_lasts() -> None:
    d, j = make()
    d.retain = timedelta(seconds=60)
    feed(d, j, [issued(alert()), tick(T0 + timedelta(hours=2))])
    assert list(d.latest) == [alert().alert_id] and d.state.pending


def test_escalator_forgets_a_cancelled_escalation_and_its_outcomes() -> None:
    e = Escalator(agreement=agreement(), role_of=role_of, channels=CHANNELS, retain_s=300)
    j = MemoryJournal()
    for minute in range(40):
        at = T0 + timedelta(minutes=minute)
        first = replace(alert(), alert_id=f"A-{minute}", sent_at=at)
        feed_e(e, j, [issued(first), tick(at)])
        due = e.due()
        feed_e(e, j, due)
        attempts = [ev for ev in due if ev.kind == "delivery.attempt"]
        assert attempts  # the person channels were tried
        feed_e(e, j, [result_event(a, outcome="delivered", at=at) for a in attempts])
        cancel = replace(first, version=2, msg_type=MsgType.CANCEL, sent_at=at)
        feed_e(e, j, [issued(cancel)])
    assert len(e.escalations) <= 6 and "A-39" in e.escalations and "A-0" not in e.escalations
    assert {k[0] for k in e.outcomes} <= set(e.escalations)
    assert {k[0] for k in e.rounds} <= set(e.escalations)
    assert e.forgotten == 40 - len(e.escalations)


def feed_e(e: Escalator, j: MemoryJournal, events: list) -> None:  # type: ignore[type-arg]
    start = j.last_seq()
    j.append(events)
    e.observe(j.read(start))
