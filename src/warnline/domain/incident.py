"""Incidents group tracks (a raid); assignments settle who leads the response."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from warnline.domain.report import ThreatKind


@dataclass(frozen=True, kw_only=True, slots=True)
class Incident:
    incident_id: str
    opened_at: datetime
    updated_at: datetime
    track_ids: tuple[str, ...]
    kinds: dict[ThreatKind, int] = field(default_factory=dict)
    confirmed_hostile: bool = False
    ended: bool = False


class AssignmentStatus(StrEnum):
    OFFERED = "offered"  # lead (or consent to act) offered to a partner's commander
    LEAD = "lead"  # a partner leads the response
    ESCALATED = "escalated"  # nobody could be assigned: the coordination cell decides


@dataclass(frozen=True, kw_only=True, slots=True)
class Assignment:
    """Who leads the response to an incident, and why (assignment of responsibility
    between partners; nothing here controls a weapon)."""

    incident_id: str
    status: AssignmentStatus
    lead: str | None
    rule: str
    explanation: str
    decided_at: datetime
    version: int = 1  # one record per step of the procedure; the latest is the state
    trigger: str = "confirmed"  # what moved the procedure: accepted, declined, timed_out, ...
    offered_to: str | None = None  # partner whose commander must answer (OFFERED only)
    purpose: str = "lead"  # "lead", or "consent" to let `on_behalf` act over its territory
    on_behalf: str | None = None
    sector: str | None = None  # response sector the decision was taken in
    expires_at: datetime | None = None  # an unanswered offer times out then
    ranking: tuple[str, ...] = ()  # every candidate considered, and why taken or passed
    by: str | None = None  # the user whose answer or override decided, if any


class ReadinessStatus(StrEnum):
    READY = "ready"
    LIMITED = "limited"  # still a candidate, ranked after those who are ready
    UNAVAILABLE = "unavailable"  # passed in that sector


@dataclass(frozen=True, kw_only=True)
class Readiness:
    """What a partner declares it can do in one response sector, and how fast (set in
    the agreement, then declared live by its commanders)."""

    partner: str
    sector: str
    status: ReadinessStatus
    time_to_respond_s: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Answer:
    """A commander accepted or declined the lead offer `version` for `incident_id`,
    on the console (`user` is the account) or by phone (`user` is the contact and
    `attempt_id` the attempt that carried the offer)."""

    incident_id: str
    partner: str
    user: str
    accept: bool
    channel: str
    version: int | None = None  # None: whichever offer is open (an older client)
    attempt_id: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Override:
    """The coordination cell named `lead` for `incident_id`, with its reason."""

    incident_id: str
    lead: str
    user: str
    reason: str
