"""Escalation by the agreement's policies: steps, rosters, acknowledgement semantics,
lapses on material change, degradation on failure, replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tests.dispatch.test_dispatcher import alert, issued
from tests.factories import T0
from warnline.agreement.load import default_agreement
from warnline.agreement.model import Agreement, EscalationPolicy, EscalationStep
from warnline.dispatch import ack_event
from warnline.dispatch.escalation import Escalator, ack_code, result_event
from warnline.dispatch.health import ChannelHealth
from warnline.dispatch.roster import on_duty, takeover_event
from warnline.domain import Acknowledgement, Alert, MsgType, Severity, Takeover
from warnline.journal import Event, MemoryJournal

CHANNELS = ("console", "webhook", "email", "sms", "voice")
JOR_DAY = "JOR/watch/jor-air-operations-centre-watch"
JOR_NIGHT = "JOR/watch/jor-night-watch"
JOR_CMD = "JOR/commander/jor-duty-air-commander"


def agreement() -> Agreement:
    a = default_agreement()
    policy = EscalationPolicy(
        min_severity=Severity.SEVERE,
        repeat_s=60.0,
        steps=(
            EscalationStep(after_s=0, channels=("console", "sms"), roles=("watch",)),
            EscalationStep(after_s=30, channels=("voice",), roles=("watch",)),
            EscalationStep(after_s=90, channels=("voice", "email"), roles=("commander",)),
        ),
    )
    return replace(
        a, partners={**a.partners, "JOR": replace(a.partners["JOR"], escalation=(policy,))}
    )


def role_of(user: str) -> str | None:
    if "/" in user:
        return user.split("/")[1]
    return "watch"


def make(ag: Agreement | None = None) -> tuple[Escalator, MemoryJournal]:
    return Escalator(
        agreement=ag or agreement(), role_of=role_of, channels=CHANNELS
    ), MemoryJournal()


def feed(e: Escalator, j: MemoryJournal, events: list[Event]) -> None:
    start = j.last_seq()
    j.append(events)
    e.observe(j.read(start))


def tick(at: datetime) -> Event:
    return Event(event_id=f"tick:{at.isoformat()}", kind="clock.tick", at=at)


def attempts(events: list[Event]) -> list[tuple[str, str]]:
    return sorted(
        (ev.payload["recipient"], ev.payload["channel"])
        for ev in events
        if ev.kind == "delivery.attempt"
    )


def ack(user: str, version: int = 1, partner: str = "JOR", a: Alert | None = None) -> Event:
    return ack_event(
        Acknowledgement(
            alert_id=(a or alert()).alert_id,
            version=version,
            partner=partner,
            user=user,
            channel="sms",
            at=T0,
        )
    )


def run_until(e: Escalator, j: MemoryJournal, seconds: float) -> list[Event]:
    """Tick every second up to `seconds`, journaling what is due."""
    out: list[Event] = []
    for s in range(int(seconds) + 1):
        feed(e, j, [tick(T0 + timedelta(seconds=s))])
        due = e.due()
        feed(e, j, due)
        out.extend(due)
    return out


def test_steps_fire_at_their_delays_on_person_channels() -> None:
    e, j = make()
    feed(e, j, [issued(alert())])
    assert attempts(run_until(e, j, 0)) == [(JOR_DAY, "sms")]  # console is the console's
    assert attempts(run_until(e, j, 29)) == []  # nothing new before step 2
    later = run_until(e, j, 95)
    assert (JOR_DAY, "voice") in attempts(later)
    assert {(JOR_CMD, "voice"), (JOR_CMD, "email")} <= set(attempts(later))


def test_repeat_round_never_repeats_a_handed_over_delivery() -> None:
    e, j = make()
    feed(e, j, [issued(alert())])
    first = [ev for ev in run_until(e, j, 0) if ev.kind == "delivery.attempt"]
    feed(e, j, [result_event(first[0], outcome="delivered", at=T0)])
    out = run_until(e, j, 400)  # several rounds, never acknowledged
    sent = [a for a in attempts(out) if a == (JOR_DAY, "sms")]
    assert sent == []  # delivered in round 1: never again
    assert any(ev.payload["round"] >= 2 for ev in out if ev.kind == "escalation.step")


def test_failed_attempt_degrades_to_next_step_at_once_and_is_retried_next_round() -> None:
    e, j = make()
    feed(e, j, [issued(alert())])
    first = [ev for ev in run_until(e, j, 0) if ev.kind == "delivery.attempt"]
    feed(e, j, [result_event(first[0], outcome="failed", at=T0, detail="no route")])
    now = e.due(T0)
    assert attempts(now) == [(JOR_DAY, "voice")]  # step 2 without waiting 30 s
    feed(e, j, now)
    out = run_until(e, j, 400)
    assert (JOR_DAY, "sms") in attempts(out)  # the failed SMS is tried again


def test_failure_at_the_last_step_waits_for_the_next_round() -> None:
    ag = agreement()
    one = EscalationPolicy(
        min_severity=Severity.SEVERE,
        repeat_s=60.0,
        steps=(EscalationStep(after_s=0, channels=("sms",), roles=("watch",)),),
    )
    ag = replace(
        ag, partners={**ag.partners, "JOR": replace(ag.partners["JOR"], escalation=(one,))}
    )
    e, j = make(ag)
    feed(e, j, [issued(alert())])
    first = [ev for ev in run_until(e, j, 0) if ev.kind == "delivery.attempt"]
    feed(e, j, [result_event(first[0], outcome="failed", at=T0, detail="refused")])
    assert attempts(e.due(T0 + timedelta(seconds=1))) == []  # no hot loop on a dead route
    assert attempts(run_until(e, j, 61)) == [(JOR_DAY, "sms")]  # retried next round


def test_roster_and_takeover_decide_who_is_called() -> None:
    ag = agreement()
    jor = ag.partners["JOR"]
    night = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    assert [c.contact_id for c in on_duty(jor, "watch", T0)] == [JOR_DAY]
    assert [c.contact_id for c in on_duty(jor, "watch", night)] == [JOR_NIGHT]
    take = Takeover(
        partner="JOR",
        role="watch",
        contact="JOR night watch",
        at=T0 - timedelta(hours=1),
        until=T0 + timedelta(hours=1),
    )
    e, j = make(ag)
    feed(e, j, [takeover_event(take), issued(alert())])
    assert attempts(run_until(e, j, 0)) == [(JOR_NIGHT, "sms")]


def test_floor_ack_stops_everything() -> None:
    e, j = make()
    feed(e, j, [issued(alert())])
    run_until(e, j, 0)
    feed(e, j, [ack("jor-watch")])  # a console acknowledgement counts for SMS/voice too
    assert attempts(run_until(e, j, 400)) == []
    assert e.pending() == []


def test_each_role_needs_every_named_role() -> None:
    ag = default_agreement()  # ISR: each_role; watch at 0 s, commander at 20 s
    isr = replace(alert(), alert_id="A-I1-ISR-tel-aviv", partner="ISR", area_id="ISR-tel-aviv")
    e, j = make(ag)
    feed(e, j, [issued(isr), tick(T0)])
    feed(e, j, e.due())
    feed(e, j, [ack("isr-watch", partner="ISR", a=isr)])
    out = run_until(e, j, 25)
    assert {r for r, _ in attempts(out)} == {"ISR/commander/isr-duty-air-commander"}
    feed(e, j, [ack("ISR/commander/isr-duty-air-commander", partner="ISR", a=isr)])
    assert e.pending() == []


def test_material_change_lapses_the_ack_and_restarts() -> None:
    e, j = make()
    feed(e, j, [issued(alert())])
    run_until(e, j, 0)
    feed(e, j, [ack("jor-watch")])
    same = replace(alert(2), msg_type=MsgType.UPDATE, expected_at=alert().expected_at)
    feed(e, j, [issued(same)])
    assert e.pending() == []  # nothing material: the acknowledgement still holds
    sooner = replace(
        alert(3),
        msg_type=MsgType.UPDATE,
        time_to_arrival_s=200.0,
        expected_at=T0 + timedelta(seconds=200),
    )
    feed(e, j, [issued(sooner)])
    restarted = e.due(T0 + timedelta(seconds=1))
    assert attempts(restarted) == [(JOR_DAY, "sms")]
    assert {ev.payload["version"] for ev in restarted} == {3}
    feed(e, j, restarted)
    feed(e, j, [ack("jor-watch", version=1)])  # an old acknowledgement has lapsed
    assert e.pending() == [alert().alert_id]
    feed(e, j, [ack("jor-watch", version=3)])
    assert e.pending() == []


def test_cancel_stops_escalation() -> None:
    e, j = make()
    feed(e, j, [issued(alert())])
    run_until(e, j, 0)
    feed(e, j, [issued(replace(alert(2), msg_type=MsgType.CANCEL))])
    assert attempts(run_until(e, j, 400)) == []


def test_minor_alert_below_every_policy_is_not_escalated() -> None:
    e, j = make()
    feed(e, j, [issued(replace(alert(), severity=Severity.MINOR))])
    assert run_until(e, j, 400) == []


def test_replay_reaches_the_same_state_and_repeats_nothing() -> None:
    e, j = make()
    feed(e, j, [issued(alert())])
    out = run_until(e, j, 200)
    first = next(ev for ev in out if ev.kind == "delivery.attempt")
    feed(e, j, [result_event(first, outcome="sent", at=T0)])
    rebuilt, _ = make()
    rebuilt.observe(j.read())
    assert rebuilt.outcomes == e.outcomes
    esc, again = e.escalations[alert().alert_id], rebuilt.escalations[alert().alert_id]
    assert (again.round, again.step, again.next_at) == (esc.round, esc.step, esc.next_at)
    assert rebuilt.due() == e.due()


def test_ack_code_is_stable_and_per_person() -> None:
    assert ack_code("A", 1, JOR_DAY) == ack_code("A", 1, JOR_DAY)
    assert ack_code("A", 1, JOR_DAY) != ack_code("A", 1, JOR_NIGHT)
    assert len(ack_code("A", 2, JOR_DAY)) == 6


def test_channel_dies_after_failures_in_a_row_and_recovers() -> None:
    e, j = make()
    feed(e, j, [issued(alert())])
    first = next(ev for ev in run_until(e, j, 0) if ev.kind == "delivery.attempt")
    health = ChannelHealth(dead_after=3)
    results = [
        replace(result_event(first, outcome="failed", at=T0, detail="refused"), event_id=f"r{i}")
        for i in range(3)
    ]
    feed(e, j, results)
    changed = health.observe(j.read())
    assert [c.channel for c in changed] == ["sms"] and health.dead() == ["sms"]
    assert health.view()[0]["last_error"] == "refused"
    feed(e, j, [replace(result_event(first, outcome="delivered", at=T0), event_id="r9")])
    health.observe(j.read(j.last_seq() - 1))
    assert health.dead() == []
