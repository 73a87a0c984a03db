"""Lead offers carried to commanders' phones, through the partner's escalation policy.

An offer (`assignment.made`, status offered) waits for the offered partner's commander.
The console shows it at once; a commander away from it is reached on the person channels
the partner's escalation policy names for the commander role. Offers are made only for
confirmed hostile incidents, so the policy is the partner's most demanding one; its
commander steps run with their delays counted from the offer (the first at once, later
ones keep their spacing: the alert's own delay before the commander is paged is time the
offer does not have), on the channels of those steps a person can answer on (SMS, voice).
Each step fires once; a failed attempt brings the next step forward.

The escalation of an offer stops at the first answer to that offer version on any channel,
at a newer record of the procedure for the incident (answered, timed out, overridden,
handed over), or at the offer's deadline, whichever comes first.

Every step is journaled (`offer.step` with its `offer.attempt`s) before anything is sent,
so a replay reaches the same steps and sends nothing twice. An SMS attempt carries a fresh
answer code from an injected source (`secrets` in a node, seeded in tests); the journal
keeps only its SHA-256, so the record hands out no live code, and a code answers only its
own offer version, from the number it was sent to. Time is only what the journal says.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from warnline.agreement.model import Agreement, Contact, EscalationStep, Partner
from warnline.dispatch.escalation import policy_for, route_of
from warnline.dispatch.roster import on_duty
from warnline.domain import (
    Answer,
    Assignment,
    AssignmentStatus,
    DeliveryOutcome,
    OfferAttempt,
    OfferResult,
    OfferStepFired,
    Severity,
    Takeover,
)
from warnline.journal import Entry, Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import event, payload

COMMANDER = "commander"  # the role that answers offers
ANSWERING = ("sms", "voice")  # channels a person can answer an offer on
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 6  # 32**6: about 10**9 codes, each valid for one offer's few seconds
_HANDED_OVER = (DeliveryOutcome.SENT, DeliveryOutcome.DELIVERED)


def new_code() -> str:
    """An answer code nobody can guess from what they know about the offer."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_digest(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def offer_steps(
    partner: Partner, channels: Iterable[str] = ANSWERING
) -> tuple[EscalationStep, ...]:
    """The partner's commander steps of its most demanding policy, on those of their
    channels that carry an answer and are configured (`channels`), counted from the first
    such step; empty: offers reach only the console."""
    policy = policy_for(partner.escalation, Severity.EXTREME)
    usable = set(ANSWERING) & set(channels)
    steps = [
        (s.after_s, tuple(c for c in s.channels if c in usable))
        for s in (policy.steps if policy is not None else ())
        if COMMANDER in s.roles
    ]
    steps = [(after, chans) for after, chans in steps if chans]
    if not steps:
        return ()
    first = steps[0][0]
    return tuple(
        EscalationStep(after_s=after - first, channels=chans, roles=(COMMANDER,))
        for after, chans in steps
    )


@dataclass
class OfferEscalation:
    offer: Assignment
    steps: tuple[EscalationStep, ...]
    people: tuple[Contact, ...]
    step: int = 0
    next_at: datetime | None = None
    stopped: str = ""  # "answered", "superseded", "expired"

    @property
    def key(self) -> str:
        return f"{self.offer.incident_id}:v{self.offer.version}"

    @property
    def partner(self) -> str:
        """Whose commander is asked (an escalation is kept only for an offer made to one)."""
        return self.offer.offered_to or ""


class OfferEscalator:
    def __init__(
        self,
        *,
        agreement: Agreement,
        channels: Iterable[str],
        new_code: Callable[[], str] = new_code,
        retain_s: float = 900.0,
    ) -> None:
        self.agreement = agreement
        self.channels = frozenset(c for c in channels if c in ANSWERING)
        self.new_code = new_code
        self.retain = timedelta(seconds=retain_s)
        self.escalations: dict[str, OfferEscalation] = {}  # incident -> its latest offer
        self.attempts: dict[str, OfferAttempt] = {}  # attempt id -> what it offered
        self.by_code: dict[str, str] = {}  # code digest -> attempt id
        self.outcomes: dict[str, str] = {}  # attempt id -> pending / sent / delivered / failed
        self.plain: dict[str, str] = {}  # attempt id -> code, for the send in this process
        self.takeovers: list[Takeover] = []
        self.now: datetime | None = None
        self._stopped: deque[tuple[datetime, str, int]] = deque()  # when, incident, version

    # -- fold ----------------------------------------------------------------------

    def observe(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            ev = entry.event
            if self.now is None or ev.at > self.now:
                self.now = ev.at
            if ev.kind == Kind.ASSIGNMENT:
                self._record(payload(ev, Assignment), ev.at)
            elif ev.kind == Kind.ANSWER:
                answer = payload(ev, Answer)
                esc = self.escalations.get(answer.incident_id)
                if esc is not None and esc.offer.version == answer.version:
                    self._stop(esc, "answered", ev.at)
            elif ev.kind == Kind.OFFER_STEP:
                self._apply_step(payload(ev, OfferStepFired), ev.at)
            elif ev.kind == Kind.OFFER_ATTEMPT:
                self._attempt(ev.event_id, payload(ev, OfferAttempt))
            elif ev.kind == Kind.OFFER_RESULT:
                self._result(payload(ev, OfferResult), ev.at)
            elif ev.kind == Kind.TAKEOVER:
                self.takeovers.append(payload(ev, Takeover))
        self._forget()

    def _record(self, a: Assignment, at: datetime) -> None:
        esc = self.escalations.get(a.incident_id)
        if esc is not None:
            if esc.offer.version >= a.version:
                return
            self._stop(esc, "superseded", at)
        if a.status is not AssignmentStatus.OFFERED or a.offered_to is None:
            return
        partner = self.agreement.partners.get(a.offered_to)
        steps = () if partner is None else offer_steps(partner, self.channels)
        if partner is None or not steps:
            return
        self.escalations[a.incident_id] = OfferEscalation(
            offer=a,
            steps=steps,
            people=on_duty(partner, COMMANDER, at, self.takeovers),
            next_at=at + timedelta(seconds=steps[0].after_s),
        )

    def _stop(self, esc: OfferEscalation, why: str, at: datetime) -> None:
        if not esc.stopped:
            esc.stopped = why
            self._stopped.append((at, esc.offer.incident_id, esc.offer.version))

    def _forget(self) -> None:
        """An offer stopped `retain_s` ago is forgotten with its attempts and codes."""
        while self._stopped and self.now is not None:
            at, incident, version = self._stopped[0]
            if self.now - at < self.retain:
                break
            self._stopped.popleft()
            esc = self.escalations.get(incident)
            if esc is not None and esc.stopped and esc.offer.version == version:
                del self.escalations[incident]
            for k in [
                k
                for k, a in self.attempts.items()
                if (a.incident_id, a.version) == (incident, version)
            ]:
                del self.attempts[k]
                self.outcomes.pop(k, None)
                self.plain.pop(k, None)
            live = set(self.attempts)
            self.by_code = {d: k for d, k in self.by_code.items() if k in live}

    def _apply_step(self, fired: OfferStepFired, at: datetime) -> None:
        esc = self.escalations.get(fired.incident_id)
        if esc is None or esc.offer.version != fired.version or esc.step != fired.step:
            return  # already applied (due() applies its own steps at once)
        esc.step += 1
        if esc.step < len(esc.steps):
            later = esc.offer.decided_at + timedelta(seconds=esc.steps[esc.step].after_s)
            esc.next_at = max(later, at)
        else:
            esc.next_at = None

    def _attempt(self, attempt_id: str, attempt: OfferAttempt) -> None:
        self.attempts[attempt_id] = attempt
        self.outcomes.setdefault(attempt_id, "pending")
        if attempt.code_sha256:
            self.by_code[attempt.code_sha256] = attempt_id

    def _result(self, r: OfferResult, at: datetime) -> None:
        if self.outcomes.get(r.attempt_id) not in _HANDED_OVER:
            self.outcomes[r.attempt_id] = r.outcome
        esc = self.escalations.get(r.incident_id)
        if (
            r.outcome is DeliveryOutcome.FAILED
            and esc is not None
            and not esc.stopped
            and esc.offer.version == r.version
            and esc.next_at is not None
            and esc.next_at > at
        ):
            esc.next_at = at  # the next step at once: this one did not get through

    # -- decisions -------------------------------------------------------------------

    def due(self, at: datetime | None = None) -> list[Event]:
        """Steps due now with their attempts, as events to journal before anything is
        sent; applied at once, so a second call repeats none."""
        at = at or self.now
        if at is None:
            return []
        out: list[Event] = []
        for _, esc in sorted(self.escalations.items()):
            expires = esc.offer.expires_at
            if not esc.stopped and expires is not None and at >= expires:
                self._stop(esc, "expired", at)
            guard = len(esc.steps)  # bounded: each step fires once
            while not esc.stopped and esc.next_at is not None and esc.next_at <= at and guard:
                guard -= 1
                fired = OfferStepFired(
                    incident_id=esc.offer.incident_id,
                    version=esc.offer.version,
                    partner=esc.partner,
                    step=esc.step,
                )
                step = event(
                    Kind.OFFER_STEP, fired, event_id=f"offer-step:{esc.key}:{esc.step}", at=at
                )
                attempts = self._attempts(esc, at)
                out += [step, *(e for _, e in attempts)]
                self._apply_step(fired, at)
                for a, e in attempts:
                    self._attempt(e.event_id, a)
        return out

    def _attempts(self, esc: OfferEscalation, at: datetime) -> list[tuple[OfferAttempt, Event]]:
        out = []
        for contact in esc.people:
            for channel in esc.steps[esc.step].channels:
                address = contact.addresses.get(channel)
                if channel not in self.channels or not address:
                    continue
                attempt_id = f"offer-attempt:{esc.key}:{contact.contact_id}:{channel}"
                if self.outcomes.get(attempt_id) in (*_HANDED_OVER, "pending"):
                    continue  # one hand-over per offer version, person and channel
                if self.outcomes.get(attempt_id) == "failed":
                    attempt_id += f":{esc.step}"
                digest = ""
                if channel == "sms":
                    code = self.new_code()
                    self.plain[attempt_id] = code
                    digest = code_digest(code)
                attempt = OfferAttempt(
                    incident_id=esc.offer.incident_id,
                    version=esc.offer.version,
                    partner=esc.partner,
                    purpose=esc.offer.purpose,
                    recipient=contact.contact_id,
                    channel=channel,
                    address=address,
                    route=route_of(address),
                    step=esc.step,
                    role=COMMANDER,
                    code_sha256=digest,
                )
                out.append(
                    (attempt, event(Kind.OFFER_ATTEMPT, attempt, event_id=attempt_id, at=at))
                )
        return out

    # -- answers ---------------------------------------------------------------------

    def open_attempt(self, attempt_id: str, at: datetime) -> OfferAttempt | None:
        """The attempt, if its offer still waits for an answer at `at`."""
        attempt = self.attempts.get(attempt_id)
        if attempt is None:
            return None
        esc = self.escalations.get(attempt.incident_id)
        if esc is None or esc.offer.version != attempt.version or esc.stopped:
            return None
        if esc.offer.expires_at is not None and at >= esc.offer.expires_at:
            return None
        return attempt

    def by_answer_code(self, code: str) -> str | None:
        return self.by_code.get(code_digest(code))

    def offer_of(self, attempt: OfferAttempt) -> Assignment | None:
        esc = self.escalations.get(attempt.incident_id)
        return esc.offer if esc is not None and esc.offer.version == attempt.version else None

    def pending(self) -> list[str]:
        """Offers whose escalation still runs."""
        return sorted(esc.key for esc in self.escalations.values() if not esc.stopped)


def offer_result_event(
    attempt_event: Event, *, outcome: str, at: datetime, detail: str = ""
) -> Event:
    """The outcome of one offer attempt (one per attempt)."""
    a = payload(attempt_event, OfferAttempt)
    result = OfferResult(
        incident_id=a.incident_id,
        version=a.version,
        partner=a.partner,
        recipient=a.recipient,
        channel=a.channel,
        route=a.route,
        outcome=DeliveryOutcome(outcome),
        detail=detail[:300],
        attempt_id=attempt_event.event_id,
    )
    return event(
        Kind.OFFER_RESULT,
        result,
        event_id=f"offer-result:{attempt_event.event_id.removeprefix('offer-attempt:')}",
        at=at,
    )


__all__ = [
    "ANSWERING",
    "COMMANDER",
    "OfferEscalation",
    "OfferEscalator",
    "code_digest",
    "new_code",
    "offer_result_event",
    "offer_steps",
]
