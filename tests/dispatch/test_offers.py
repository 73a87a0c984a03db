"""Lead offers escalated to commanders' phones: steps from the partner's policy counted
from the offer, stopped by an answer, a deadline or a newer record; codes bound to their
offer; replay reaches the same state and sends nothing twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from itertools import count

from tests.factories import T0
from warnline.agreement.load import default_agreement
from warnline.agreement.model import Agreement, EscalationPolicy, EscalationStep
from warnline.dispatch.offers import (
    OfferEscalator,
    code_digest,
    new_code,
    offer_result_event,
    offer_steps,
)
from warnline.domain import Assignment, AssignmentStatus, Severity
from warnline.domain.codec import to_json
from warnline.journal import Event, MemoryJournal
from warnline.journal.kinds import Kind
from warnline.response.inputs import phone_answer_event

JOR_CMD = "JOR/commander/jor-duty-air-commander"
ISR_CMD = "ISR/commander/isr-duty-air-commander"


def agreement() -> Agreement:
    """JOR pages its commander by SMS 40 s into an alert, then by voice 10 s later."""
    a = default_agreement()
    policy = EscalationPolicy(
        min_severity=Severity.SEVERE,
        repeat_s=60.0,
        steps=(
            EscalationStep(after_s=0, channels=("console", "sms"), roles=("watch",)),
            EscalationStep(after_s=40, channels=("sms", "email"), roles=("commander",)),
            EscalationStep(after_s=50, channels=("voice",), roles=("commander", "watch")),
        ),
    )
    jor = replace(a.partners["JOR"], escalation=(policy,))
    return replace(a, partners={**a.partners, "JOR": jor})


def offer(
    version: int = 1, to: str = "JOR", at: datetime = T0, status: str = "offered"
) -> Assignment:
    offered = status == "offered"
    return Assignment(
        incident_id="I00001",
        status=AssignmentStatus(status),
        lead=None if offered else to,
        rule="sovereignty",
        explanation="Lead offered to JOR under the sovereignty rule: ISR ranked second.",
        decided_at=at,
        version=version,
        trigger="confirmed" if version == 1 else "declined",
        offered_to=to if offered else None,
        sector="levant",
        expires_at=at + timedelta(seconds=20) if offered else None,
        ranking=("1. JOR ...", "2. ISR ..."),
    )


def made(a: Assignment) -> Event:
    return Event(
        event_id=f"assignment:{a.incident_id}:v{a.version}",
        kind="assignment.made",
        at=a.decided_at,
        payload=to_json(a),
    )


def tick(at: datetime) -> Event:
    return Event(event_id=f"tick:{at.isoformat()}", kind="clock.tick", at=at)


def seeded() -> OfferEscalator:
    n = count(1)
    return OfferEscalator(
        agreement=agreement(),
        channels=("console", "sms", "voice", "email"),
        new_code=lambda: f"CODE{next(n):02d}",
    )


class Run:
    """A fold with its journal; each second's decisions journaled and folded back."""

    def __init__(self, fold: OfferEscalator | None = None) -> None:
        self.fold = fold or seeded()
        self.journal = MemoryJournal()

    def feed(self, events: list[Event]) -> None:
        start = self.journal.last_seq()
        self.journal.append(events)
        self.fold.observe(self.journal.read(start))

    def until(self, seconds: float, start: float = 0) -> list[Event]:
        out: list[Event] = []
        for s in range(int(start), int(seconds) + 1):
            self.feed([tick(T0 + timedelta(seconds=s))])
            due = self.fold.due()
            self.feed(due)
            out += due
        return out


def attempts(events: list[Event]) -> list[tuple[str, str]]:
    return [
        (e.payload["recipient"], e.payload["channel"])
        for e in events
        if e.kind == Kind.OFFER_ATTEMPT
    ]


def answer(fold: OfferEscalator, attempt_id: str, accept: bool = True) -> Event:
    a = fold.attempts[attempt_id]
    return phone_answer_event(
        attempt_id=attempt_id, incident_id=a.incident_id, version=a.version,
        partner=a.partner, contact_id=a.recipient, accept=accept, channel=a.channel,
        at=T0 + timedelta(seconds=3),
    )  # fmt: skip


def test_policy_commander_steps_counted_from_the_offer_on_answerable_channels() -> None:
    steps = offer_steps(agreement().partners["JOR"])
    assert [(s.after_s, s.channels) for s in steps] == [(0, ("sms",)), (10, ("voice",))]
    # The default policy pages commanders by voice and e-mail: offers go by voice.
    assert [s.channels for s in offer_steps(default_agreement().partners["EGY"])] == [("voice",)]
    isr = offer_steps(default_agreement().partners["ISR"])
    assert [(s.after_s, set(s.channels)) for s in isr] == [(0, {"sms", "voice"})]


def test_offer_reaches_the_commander_at_once_then_the_next_step() -> None:
    run = Run()
    run.feed([made(offer())])
    assert attempts(run.until(0)) == [(JOR_CMD, "sms")]
    assert attempts(run.until(9, start=1)) == []
    assert attempts(run.until(12, start=10)) == [(JOR_CMD, "voice")]
    assert run.fold.pending() == ["I00001:v1"]


def test_an_answer_stops_the_offers_escalation() -> None:
    run = Run()
    run.feed([made(offer())])
    (sms,) = [e for e in run.until(0) if e.kind == Kind.OFFER_ATTEMPT]
    run.feed([answer(run.fold, sms.event_id)])
    assert run.fold.open_attempt(sms.event_id, T0 + timedelta(seconds=4)) is None
    assert attempts(run.until(19, start=1)) == []  # no voice call after the SMS answer
    assert run.fold.pending() == []


def test_a_console_answer_to_that_version_stops_it_too() -> None:
    run = Run()
    run.feed([made(offer())])
    run.until(0)
    console = Event(
        event_id="answer:console-1",
        kind="response.answer",
        at=T0 + timedelta(seconds=2),
        payload={"incident_id": "I00001", "partner": "JOR", "user": "jor-cmd",
                 "accept": False, "channel": "console", "version": 1},
    )  # fmt: skip
    run.feed([console])
    assert attempts(run.until(19, start=1)) == []


def test_deadline_ends_it_without_waiting_for_the_timeout_record() -> None:
    run = Run()  # offer() expires 20 s after it is made
    run.feed([made(offer())])
    (sms,) = [e for e in run.until(0) if e.kind == Kind.OFFER_ATTEMPT]
    late = run.until(25, start=20)
    assert attempts(late) == []  # the voice step at 10 s fired, nothing after the deadline
    assert run.fold.pending() == []
    assert run.fold.open_attempt(sms.event_id, T0 + timedelta(seconds=21)) is None


def test_a_newer_record_supersedes_and_an_old_code_answers_nothing() -> None:
    run = Run()
    run.feed([made(offer())])
    (sms,) = [e for e in run.until(0) if e.kind == Kind.OFFER_ATTEMPT]
    assert run.fold.by_answer_code("code01") == sms.event_id  # case does not matter
    # JOR's commander declined on the console: the lead is offered to ISR (v2).
    run.feed([made(offer(version=2, to="ISR", at=T0 + timedelta(seconds=5)))])
    assert run.fold.open_attempt(sms.event_id, T0 + timedelta(seconds=6)) is None
    second = run.until(8, start=5)
    assert set(attempts(second)) == {(ISR_CMD, "sms"), (ISR_CMD, "voice")}
    assert run.fold.by_answer_code("CODE02") is not None
    assert run.fold.by_answer_code("CODE09") is None  # a code never sent answers nothing
    # A lead record supersedes the open offer: nothing more is sent for it.
    run.feed([made(offer(version=3, to="ISR", at=T0 + timedelta(seconds=9), status="lead"))])
    assert run.fold.pending() == [] and attempts(run.until(30, start=9)) == []


def test_journal_keeps_the_codes_digest_not_the_code() -> None:
    run = Run()
    run.feed([made(offer())])
    (sms,) = [e for e in run.until(0) if e.kind == Kind.OFFER_ATTEMPT]
    assert sms.payload["code_sha256"] == code_digest("CODE01")
    assert "CODE01" not in repr([e.event for e in run.journal.read(0)])
    assert run.fold.plain[sms.event_id] == "CODE01"  # for this process's send only
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200 and all(len(c) == 6 and c.isalnum() for c in codes)


def test_failed_attempt_brings_the_next_step_forward() -> None:
    run = Run()
    run.feed([made(offer())])
    (sms,) = [e for e in run.until(0) if e.kind == Kind.OFFER_ATTEMPT]
    run.feed([offer_result_event(sms, outcome="failed", at=T0 + timedelta(seconds=1))])
    assert attempts(run.until(1, start=1)) == [(JOR_CMD, "voice")]  # not at 10 s


def test_replay_reaches_the_same_state_and_repeats_nothing() -> None:
    run = Run()
    run.feed([made(offer())])
    first = run.until(12)
    again = seeded()
    again.observe(run.journal.read(0))
    assert again.due(T0 + timedelta(seconds=12)) == []
    assert again.pending() == run.fold.pending()
    sms = next(e for e in first if e.kind == Kind.OFFER_ATTEMPT)
    assert again.by_answer_code("CODE01") == sms.event_id  # answers still match after restart
    assert [e.event_id for e in first] == [e.event.event_id for e in run.journal.read(0)
                                            if e.event.kind.startswith("offer.")]  # fmt: skip


def test_no_answerable_channel_means_console_only() -> None:
    fold = OfferEscalator(agreement=agreement(), channels=("email", "webhook"))
    run = Run(fold)
    run.feed([made(offer())])
    assert run.until(15) == []


def test_forgotten_after_retention() -> None:
    fold = OfferEscalator(agreement=agreement(), channels=("sms", "voice"), retain_s=60)
    run = Run(fold)
    run.feed([made(offer())])
    run.until(0)
    run.feed([made(offer(version=2, to="ISR", at=T0 + timedelta(seconds=2), status="lead"))])
    assert fold.attempts
    run.until(70, start=60)
    assert fold.attempts == {} and fold.by_code == {} and fold.escalations == {}
