"""The exercise summary, counted from the journal (and checked against what the
players themselves saw), so that a number in summary.json is evidence, not a claim."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from warnline.dispatch.health import ChannelHealth
from warnline.domain import (
    Acknowledgement,
    Alert,
    Answer,
    Assignment,
    AssignmentStatus,
    Attempt,
    AttemptResult,
    DeliveryOutcome,
    Incident,
    OfferAttempt,
    OfferResult,
    StepFired,
)
from warnline.domain.manual import ManualIssue
from warnline.journal import Entry
from warnline.journal.kinds import Kind
from warnline.journal.payloads import Received, payload

_ANSWERED = ("accepted", "declined", "consent_granted", "consent_refused")


def summarize(
    entries: Iterable[Entry],
    *,
    cell: str,
    users_of: dict[str, list[str]],
    accepted_reports: set[str],
    tracks: int,
) -> dict[str, Any]:
    reports = 0
    by_format: Counter[str] = Counter()
    journaled_reports: set[str] = set()
    incidents: dict[str, Incident] = {}
    versions: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    cap_submissions: set[str] = set()
    latest: dict[str, Alert] = {}
    assignments: dict[str, Assignment] = {}
    steps: list[Assignment] = []  # every record of the lead-partner procedure
    response_inputs: Counter[str] = Counter()
    attempts: Counter[str] = Counter()
    delivered: dict[str, set[tuple[str, int, str]]] = {}
    repeated: set[tuple[str, int, str]] = set()
    acks: Counter[str] = Counter()
    acked_versions: dict[str, int] = {}
    handed: dict[tuple[str, int, str, str], set[str]] = {}  # person channels: attempts per key
    failures: Counter[str] = Counter()
    escalation_steps: Counter[str] = Counter()
    offer_attempts: Counter[str] = Counter()
    offer_handed: Counter[str] = Counter()
    answer_channel: dict[tuple[str, int, str], str] = {}  # (incident, offer v, user) -> channel
    offers_answered: Counter[str] = Counter()
    health = ChannelHealth()
    entries = list(entries)
    health.observe(entries)
    for entry in entries:
        ev = entry.event
        if ev.kind == Kind.REPORT:
            received = payload(ev, Received)
            r = received.report
            reports += 1
            by_format[r.source_format] += 1
            journaled_reports.add(f"{r.partner}/{r.report_id}")
            if r.source_format == "cap":
                cap_submissions.add(received.submission or r.report_id)
        elif ev.kind == Kind.INCIDENT:
            inc = payload(ev, Incident)
            incidents[inc.incident_id] = inc
        elif ev.kind == Kind.ALERT:
            alert = payload(ev, Alert)
            versions[alert.msg_type] += 1
            stages[alert.stage] += 1
            latest[alert.alert_id] = alert
        elif ev.kind == Kind.ASSIGNMENT:
            a = payload(ev, Assignment)
            assignments[a.incident_id] = a
            steps.append(a)
            key = (a.incident_id, a.version - 1, a.by or "")
            if a.trigger in _ANSWERED and key in answer_channel:
                offers_answered[answer_channel.pop(key)] += 1
        elif ev.kind in (Kind.ANSWER, Kind.OVERRIDE, Kind.READINESS):
            response_inputs[ev.kind] += 1
            if ev.kind == Kind.ANSWER:
                answer = payload(ev, Answer)
                key = (answer.incident_id, answer.version or 0, answer.user)
                answer_channel.setdefault(key, answer.channel)
        elif ev.kind == Kind.OFFER_ATTEMPT:
            offer_attempts[payload(ev, OfferAttempt).channel] += 1
        elif ev.kind == Kind.OFFER_RESULT:
            o = payload(ev, OfferResult)
            if o.outcome is not DeliveryOutcome.FAILED:
                offer_handed[o.channel] += 1
        elif ev.kind == Kind.ATTEMPT:
            attempts[payload(ev, Attempt).channel] += 1
        elif ev.kind == Kind.RESULT:
            res = payload(ev, AttemptResult)
            k3 = (res.alert_id, res.version, res.recipient)
            if not res.attempt_id:  # a console receipt
                delivered.setdefault(res.channel, set()).add(k3)
                if ev.event_id.rsplit(":", 1)[-1] != "1":
                    repeated.add(k3)
            elif res.outcome is DeliveryOutcome.FAILED:
                failures[res.channel] += 1
            else:
                handed.setdefault((*k3, res.channel), set()).add(res.attempt_id)
        elif ev.kind == Kind.TAKEOVER:
            escalation_steps["takeovers"] += 1
        elif ev.kind == Kind.ESCALATION_STEP:
            fired = payload(ev, StepFired)
            first = fired.round == 0 and fired.step == 0
            escalation_steps[
                "restarts" if first and fired.restart else "first" if first else "later"
            ] += 1
        elif ev.kind == Kind.ACK:
            ack = payload(ev, Acknowledgement)
            acks[ack.channel] += 1
            acked_versions[ack.alert_id] = max(acked_versions.get(ack.alert_id, 0), ack.version)
    for (alert_id, version, recipient, channel), attempt_ids in handed.items():
        delivered.setdefault(channel, set()).add((alert_id, version, recipient))
        if len(attempt_ids) > 1:
            repeated.add((alert_id, version, f"{recipient}@{channel}"))
    received_latest = {(a, v, r) for keys in delivered.values() for (a, v, r) in keys}
    lost_alerts = sorted(
        alert_id
        for alert_id, a in latest.items()
        if users_of.get(a.partner)
        and acked_versions.get(alert_id, 0) < a.version
        and not any((alert_id, a.version, u) in received_latest for u in users_of[a.partner])
    )
    lost_reports = sorted(accepted_reports - journaled_reports)
    confirmed = sorted(i for i, inc in incidents.items() if inc.confirmed_hostile)
    led = {a.incident_id for a in steps if a.status is AssignmentStatus.LEAD}
    escalated = {a.incident_id for a in steps if a.status is AssignmentStatus.ESCALATED}
    unassigned = [i for i in confirmed if i not in led and i not in escalated]
    return {
        "reports": reports,
        "reports_by_format": dict(sorted(by_format.items())),
        "tracks": tracks,
        "incidents": len(incidents),
        "incidents_confirmed_hostile": len(confirmed),
        "alerts": versions["Alert"],
        "alert_messages": {k: versions[k] for k in ("Alert", "Update", "Cancel")},
        "alert_stages": {
            k: stages[k] for k in ("early_warning", "alert", "update", "all_clear", "cancel")
        },
        "cap_inputs": len(cap_submissions),
        "deliveries": {ch: len(keys) for ch, keys in sorted(delivered.items())},
        "delivery_attempts": dict(sorted(attempts.items())),
        "acknowledgements": dict(sorted(acks.items())),
        "delivery_failures": dict(sorted(failures.items())),
        "escalations": escalation_steps["later"],
        "escalation_restarts": escalation_steps["restarts"],
        "roster_takeovers": escalation_steps["takeovers"],
        "dead_channels": sorted(s.label() for s in health.channels.values() if s.deaths),
        "channel_health": health.view(),
        "assignments": len(led),
        "assignments_by_status": dict(Counter(str(a.status) for a in assignments.values())),
        "assignments_by_lead": dict(
            sorted(Counter(a.lead or cell for a in assignments.values()).items())
        ),
        "unassigned": len(unassigned),
        **_response_counts(steps, escalated, response_inputs),
        # Offers answered, by the channel of the answer that decided them (console, api,
        # sms, voice); offers carried to commanders' phones, attempted and handed over.
        "offers_answered": dict(sorted(offers_answered.items())),
        "offer_attempts": dict(sorted(offer_attempts.items())),
        "offer_deliveries": dict(sorted(offer_handed.items())),
        "lost": len(lost_reports) + len(lost_alerts),
        "lost_detail": {"reports": lost_reports[:20], "alerts": lost_alerts[:20]},
        "duplicates": len(repeated),
    }


def _response_counts(
    steps: list[Assignment], escalated: set[str], inputs: Counter[str]
) -> dict[str, Any]:
    """The lead-partner procedure, step by step, as the journal recorded it."""
    lead_by: dict[str, str | None] = {}
    handovers = 0
    for a in steps:
        before = lead_by.get(a.incident_id)
        if (
            a.status is AssignmentStatus.LEAD
            and a.rule == "handover"
            and before
            not in (
                None,
                a.lead,
            )
        ):
            handovers += 1
        lead_by[a.incident_id] = a.lead

    def count(**match: str) -> int:
        return sum(1 for a in steps if all(getattr(a, k) == v for k, v in match.items()))

    return {
        "offers": count(status="offered", purpose="lead"),
        "consent_requests": count(status="offered", purpose="consent"),
        "accepted": count(status="lead", trigger="accepted"),
        "declined": count(trigger="declined"),
        "consents_refused": count(trigger="consent_refused"),
        "timed_out": count(trigger="timed_out"),
        "handovers": handovers,
        "overrides": count(rule="override"),
        "escalated": len(escalated),
        "commander_answers": inputs[Kind.ANSWER],
        "readiness_declarations": inputs[Kind.READINESS],
        "offer_outcomes": offer_outcomes(steps),
    }


def offer_outcomes(steps: list[Assignment]) -> dict[str, dict[str, int]]:
    """What became of each offer, lead offers and consent requests apart: the trigger of
    the incident's next step (accepted, declined, timed_out, consent_granted, ...), or
    "open" when the journal ends on it. Each kind's outcomes add up to its count, which the
    figures `accepted`, `declined` and `timed_out` (steps by trigger, both kinds mixed, a
    decline counted where the procedure moved on) do not show."""
    out: dict[str, Counter[str]] = {"lead": Counter(), "consent": Counter()}
    open_offer: dict[str, Assignment] = {}
    for a in steps:
        before = open_offer.pop(a.incident_id, None)
        if before is not None:
            out.setdefault(before.purpose, Counter())[a.trigger] += 1
        if a.status is AssignmentStatus.OFFERED:
            open_offer[a.incident_id] = a
    for a in open_offer.values():
        out.setdefault(a.purpose, Counter())["open"] += 1
    return {purpose: dict(sorted(c.items())) for purpose, c in out.items()}


def offer_lines(summary: dict[str, Any]) -> list[str]:
    """The offers as a sum that adds up: "lead offers 19 = accepted 11 + declined 3 + ..."."""
    names = {"lead": "lead offers", "consent": "consent requests"}
    lines = []
    for purpose, outcomes in summary.get("offer_outcomes", {}).items():
        if not outcomes:
            continue
        parts = " + ".join(f"{k.replace('_', ' ')} {n}" for k, n in outcomes.items())
        lines.append(f"{names.get(purpose, purpose)} {sum(outcomes.values())} = {parts}")
    return lines


def manual_summary(entries: Iterable[Entry], *, refused_self_approval: int) -> dict[str, Any]:
    """The manual entries the journal holds: reports typed in, alerts drafted, approved by a
    second person, issued, rejected, expired and ended; `refused_self_approval` counts the
    drafter's own approvals the node refused (a refusal journals nothing). Manual alerts are
    not in `warnings`: that score matches alerts' tracks to the truth (sim/raid.py)."""
    counts: Counter[str] = Counter()
    approved = 0
    for entry in entries:
        ev = entry.event
        if ev.kind in _MANUAL_KINDS:
            counts[ev.kind] += 1
        if ev.kind == Kind.MANUAL_ISSUE and payload(ev, ManualIssue).approved_by is not None:
            approved += 1
    return {
        "reports": counts[Kind.MANUAL_REPORT],
        "alerts_drafted": counts[Kind.MANUAL_DRAFT],
        "approved": approved,
        "issued": counts[Kind.MANUAL_ISSUE],
        "rejected": counts[Kind.MANUAL_REJECTION],
        "expired": counts[Kind.MANUAL_EXPIRY],
        "ended": counts[Kind.MANUAL_END],
        "refused_self_approval": refused_self_approval,
        "in_warnings_score": False,
    }


_MANUAL_KINDS = frozenset(
    {Kind.MANUAL_REPORT, Kind.MANUAL_DRAFT, Kind.MANUAL_ISSUE, Kind.MANUAL_REJECTION,
     Kind.MANUAL_EXPIRY, Kind.MANUAL_END}
)  # fmt: skip
