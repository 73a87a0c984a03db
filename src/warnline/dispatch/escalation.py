"""Escalation to people on person-addressed channels (webhook, e-mail, SMS, voice, ...).

A fold over the journal, like the console dispatcher: one escalation per alert (its
partner's policy for the alert's severity). Each policy step fires at `after_s` after
the start of the escalation, names roles (resolved through the roster when the alert
is first raised) and channels; after the last step the steps run again `repeat_s`
later, until the partner acknowledges, the alert is cancelled or a newer version
supersedes the one being delivered. Every firing is itself a journaled decision
(`escalation.step`), so a replay reaches the same step and never repeats an attempt.

Acknowledgement follows the agreement per partner: `floor` (any acknowledgement stops
the whole escalation) or `each_role` (each named role must acknowledge; a role that has
stops being called). An acknowledgement lapses when a later version changes the alert
materially (another area polygon, or arrival brought forward by more than
`material_s`): the escalation restarts from its first step.

No person gets the same alert version twice on one channel: an attempt that was handed
over (sent or delivered) is never repeated; only a failed one is tried again in the next
round. A failure makes the next step due at once rather than after its delay.
Time is only what the journal says (ticks and event times), never a wall clock.
Memory stays bounded over a long raid: `retain_s` after an alert's Cancel its escalation
and the outcomes of its attempts are forgotten (a Cancel stops the escalation for good).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from warnline.agreement.model import AckMode, Agreement, Contact, EscalationPolicy
from warnline.dispatch.roster import on_duty
from warnline.domain import (
    Acknowledgement,
    Alert,
    Attempt,
    AttemptResult,
    DeliveryOutcome,
    MsgType,
    Severity,
    StepFired,
    Takeover,
)
from warnline.journal import Entry, Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import event, payload

CONSOLE = "console"
_RANK = {Severity.MINOR: 0, Severity.MODERATE: 1, Severity.SEVERE: 2, Severity.EXTREME: 3}
_HANDED_OVER = (DeliveryOutcome.SENT, DeliveryOutcome.DELIVERED)


def policy_for(policies: Iterable[EscalationPolicy], severity: Severity) -> EscalationPolicy | None:
    """The most demanding policy the alert's severity reaches."""
    fitting = [p for p in policies if _RANK[severity] >= _RANK[p.min_severity]]
    return max(fitting, key=lambda p: _RANK[p.min_severity], default=None)


def route_of(address: str) -> str:
    """The next hop an address names (a URL's host), "" for a gateway-routed address:
    health is kept per channel and route, so one partner's dead endpoint is told apart
    from a dead channel."""
    return urlsplit(address).netloc if "://" in address else ""


def ack_code(alert_id: str, version: int, contact_id: str) -> str:
    """Six digits a person replies with ("ACK 123456"); stable across restarts."""
    digest = hashlib.sha256(f"{alert_id}@{version}/{contact_id}".encode()).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"


def is_material(before: Alert, after: Alert, material_s: float) -> bool:
    """Would a duty officer who acknowledged `before` need to be told again?"""
    if after.area_id != before.area_id or after.area_polygons != before.area_polygons:
        return True
    if after.expected_at is None or before.expected_at is None:
        return after.expected_at is not None and before.expected_at is None
    return (before.expected_at - after.expected_at).total_seconds() > material_s


@dataclass
class Escalation:
    alert: Alert
    policy: EscalationPolicy
    mode: AckMode
    base: datetime  # start of the current timeline
    people: dict[str, tuple[Contact, ...]]  # role -> on duty at the start
    round: int = 0
    step: int = 0
    next_at: datetime | None = None
    acked_alert: Alert | None = None  # the version the acknowledgements are for
    acked_roles: set[str] = field(default_factory=set)
    stopped: str = ""  # "acknowledged", "cancelled"
    restarts: int = 0
    restart_version: int = 0  # acknowledgements of earlier versions have lapsed
    versions: dict[int, Alert] = field(default_factory=dict)

    @property
    def roles(self) -> set[str]:
        return {r for s in self.policy.steps for r in s.roles}

    def acknowledged(self) -> bool:
        if self.acked_alert is None:
            return False
        return self.mode is AckMode.FLOOR or self.roles <= self.acked_roles


class Escalator:
    def __init__(
        self,
        *,
        agreement: Agreement,
        role_of: Callable[[str], str | None],
        channels: Iterable[str],
        material_s: float = 10.0,
        retain_s: float = 900.0,
    ) -> None:
        self.agreement = agreement
        self.role_of = role_of  # user or contact id -> duty role
        self.channels = frozenset(c for c in channels if c != CONSOLE)
        self.material_s = material_s
        self.escalations: dict[str, Escalation] = {}
        self.outcomes: dict[tuple[str, int, str, str], str] = {}  # alert, v, contact, channel
        self.rounds: dict[tuple[str, int, str, str], int] = {}  # round of the last attempt
        self.takeovers: list[Takeover] = []
        self.contacts = {c.contact_id: c for p in agreement.partners.values() for c in p.contacts}
        self.now: datetime | None = None
        self.retain = timedelta(seconds=retain_s)
        self.forgotten = 0  # escalations forgotten so far (followers prune by alert)
        self._ended: dict[str, datetime] = {}  # cancelled alert -> when, in order

    # -- fold ----------------------------------------------------------------------

    def observe(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            ev = entry.event
            if self.now is None or ev.at > self.now:
                self.now = ev.at
            if ev.kind == Kind.ALERT:
                self._issue(payload(ev, Alert), ev.at)
            elif ev.kind == Kind.ACK:
                self._ack(payload(ev, Acknowledgement))
            elif ev.kind == Kind.ESCALATION_STEP:
                self._apply_step(payload(ev, StepFired), ev.at)
            elif ev.kind == Kind.ATTEMPT:
                a = payload(ev, Attempt)
                if a.channel in self.channels:
                    key = (a.alert_id, a.version, a.recipient, a.channel)
                    self.outcomes.setdefault(key, "pending")
                    self.rounds[key] = max(self.rounds.get(key, 0), a.attempt - 1)
            elif ev.kind == Kind.RESULT:
                r = payload(ev, AttemptResult)
                if r.channel in self.channels:
                    self._result(r, ev.at)
            elif ev.kind == Kind.TAKEOVER:
                self.takeovers.append(payload(ev, Takeover))
        self._forget()

    def _forget(self) -> None:
        gone = set()
        for alert_id, ended_at in list(self._ended.items()):
            if self.now is None or self.now - ended_at < self.retain:
                break
            del self._ended[alert_id]
            self.escalations.pop(alert_id, None)
            gone.add(alert_id)
        if gone:
            self.forgotten += len(gone)
            self.outcomes = {k: v for k, v in self.outcomes.items() if k[0] not in gone}
            self.rounds = {k: v for k, v in self.rounds.items() if k[0] not in gone}

    def _issue(self, alert: Alert, at: datetime) -> None:
        esc = self.escalations.get(alert.alert_id)
        if esc is not None and esc.alert.version >= alert.version:
            return
        if esc is None:
            partner = self.agreement.partners.get(alert.partner)
            policy = None if partner is None else policy_for(partner.escalation, alert.severity)
            if partner is None or policy is None or alert.msg_type is MsgType.CANCEL:
                return
            self.escalations[alert.alert_id] = Escalation(
                alert=alert,
                versions={alert.version: alert},
                policy=policy,
                mode=partner.ack_mode,
                base=at,
                people=self._people(alert.partner, policy, at),
                next_at=at + timedelta(seconds=policy.steps[0].after_s),
            )
            return
        if alert.msg_type is MsgType.CANCEL:
            esc.alert, esc.stopped = alert, "cancelled"
            self._ended[alert.alert_id] = at
            return
        if esc.acked_alert is not None and is_material(esc.acked_alert, alert, self.material_s):
            # The acknowledgement no longer covers what the alert says: start again.
            esc.acked_alert, esc.acked_roles, esc.stopped = None, set(), ""
            esc.base, esc.round, esc.step = at, 0, 0
            esc.next_at = at + timedelta(seconds=esc.policy.steps[0].after_s)
            esc.people = self._people(alert.partner, esc.policy, at)
            esc.restarts += 1
            esc.restart_version = alert.version
        esc.alert = alert
        esc.versions[alert.version] = alert

    def _people(
        self, partner: str, policy: EscalationPolicy, at: datetime
    ) -> dict[str, tuple[Contact, ...]]:
        p = self.agreement.partners[partner]
        roles = sorted({r for s in policy.steps for r in s.roles})
        return {r: on_duty(p, r, at, self.takeovers) for r in roles}

    def _ack(self, ack: Acknowledgement) -> None:
        esc = self.escalations.get(ack.alert_id)
        if esc is None or esc.stopped == "cancelled" or ack.partner != esc.alert.partner:
            return
        if ack.version < esc.restart_version:
            return  # acknowledges a version from before a material change: lapsed
        acked = esc.versions.get(ack.version, esc.alert)
        if esc.acked_alert is None or acked.version > esc.acked_alert.version:
            esc.acked_alert = acked
        role = self.role_of(ack.user)
        if role is not None:
            esc.acked_roles.add(role)
        if esc.acknowledged():
            esc.stopped = "acknowledged"

    def _apply_step(self, fired: StepFired, at: datetime) -> None:
        esc = self.escalations.get(fired.alert_id)
        if esc is None or (fired.round, fired.step) != (esc.round, esc.step):
            return  # already applied (due() applies its own events at once)
        steps = esc.policy.steps
        if esc.step + 1 < len(steps):
            esc.step += 1
        else:
            esc.round, esc.step = esc.round + 1, 0
            esc.base = esc.base + timedelta(seconds=steps[-1].after_s + esc.policy.repeat_s)
        esc.next_at = esc.base + timedelta(seconds=steps[esc.step].after_s)
        if esc.next_at < at:
            esc.next_at = at

    def _result(self, r: AttemptResult, at: datetime) -> None:
        key = (r.alert_id, r.version, r.recipient, r.channel)
        previous = self.outcomes.get(key)
        if previous not in _HANDED_OVER:
            self.outcomes[key] = r.outcome
        esc = self.escalations.get(r.alert_id)
        failed = r.outcome is DeliveryOutcome.FAILED and esc is not None and not esc.stopped
        # Degrade at once to the round's next step; a new round still waits for `repeat_s`
        # (otherwise a dead endpoint on a one-step policy would be hammered in a loop).
        if (
            failed
            and esc is not None
            and esc.step > 0
            and (esc.next_at is None or esc.next_at > at)
        ):
            esc.next_at = at

    # -- decisions -------------------------------------------------------------------

    def due(self, at: datetime | None = None) -> list[Event]:
        """Steps that are due now, each with its attempts, as events to journal before
        anything is sent; applied to the state at once so a second call repeats none."""
        at = at or self.now
        if at is None:
            return []
        out: list[Event] = []
        for alert_id, esc in sorted(self.escalations.items()):
            while not esc.stopped and esc.next_at is not None and esc.next_at <= at:
                fired = StepFired(
                    alert_id=alert_id,
                    version=esc.alert.version,
                    partner=esc.alert.partner,
                    round=esc.round,
                    step=esc.step,
                    restart=esc.restarts,
                )
                attempts = self._attempts(esc, at)
                out.append(
                    event(
                        Kind.ESCALATION_STEP,
                        fired,
                        event_id=f"step:{alert_id}:r{esc.restarts}.{esc.round}.{esc.step}",
                        at=at,
                    )
                )
                out.extend(e for _, e in attempts)
                self._apply_step(fired, at)
                for a, _ in attempts:
                    self.outcomes[(a.alert_id, a.version, a.recipient, a.channel)] = "pending"
                if esc.round > 50:
                    break  # bounded: a policy with zero delays cannot spin
        return out

    def _attempts(self, esc: Escalation, at: datetime) -> list[tuple[Attempt, Event]]:
        step = esc.policy.steps[esc.step]
        alert = esc.alert
        out = []
        for role in step.roles:
            if esc.mode is AckMode.EACH_ROLE and role in esc.acked_roles:
                continue
            for contact in esc.people.get(role, ()):
                for channel in step.channels:
                    if channel not in self.channels or channel not in contact.addresses:
                        continue
                    key = (alert.alert_id, alert.version, contact.contact_id, channel)
                    outcome = self.outcomes.get(key)
                    if outcome in _HANDED_OVER:
                        continue  # never the same version twice to one person on a channel
                    if outcome == "pending" and self.rounds.get(key, 0) >= esc.round:
                        continue  # still in flight; without an outcome by next round, retried
                    attempt = Attempt(
                        alert_id=alert.alert_id,
                        version=alert.version,
                        recipient=contact.contact_id,
                        partner=alert.partner,
                        channel=channel,
                        address=contact.addresses[channel],
                        route=route_of(contact.addresses[channel]),
                        attempt=esc.round + 1,
                        role=role,
                    )
                    event_id = (
                        f"attempt:{alert.alert_id}:v{alert.version}:"
                        f"{contact.contact_id}:{channel}:{esc.restarts}.{esc.round}"
                    )
                    out.append((attempt, event(Kind.ATTEMPT, attempt, event_id=event_id, at=at)))
        return out

    def pending(self) -> list[str]:
        """Alerts still escalating (not acknowledged, not cancelled)."""
        return sorted(a for a, e in self.escalations.items() if not e.stopped)


def result_event(attempt_event: Event, *, outcome: str, at: datetime, detail: str = "") -> Event:
    """The outcome of one attempt: sent, delivered or failed (one per attempt)."""
    attempt, attempt_id = payload(attempt_event, Attempt), attempt_event.event_id
    result = AttemptResult(
        alert_id=attempt.alert_id,
        version=attempt.version,
        recipient=attempt.recipient,
        channel=attempt.channel,
        partner=attempt.partner,
        route=attempt.route,
        outcome=DeliveryOutcome(outcome),
        detail=detail[:300],
        attempt_id=attempt_id,
    )
    return event(
        Kind.RESULT,
        result,
        event_id=f"result:{attempt_id.removeprefix('attempt:')}:{outcome}",
        at=at,
    )
