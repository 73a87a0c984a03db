"""Checked inputs to the lead-partner procedure: a commander's answer, the coordination
cell's override, a readiness declaration. Each is refused here with a specific error
(who may not, what is not open, which field is wrong) or becomes one journal event; the
procedure decides on it only when the pipeline meets it in the journal."""

from __future__ import annotations

import uuid
from datetime import datetime

from warnline.agreement.model import Agreement
from warnline.domain import AssignmentStatus
from warnline.domain.incident import Answer, Override, Readiness, ReadinessStatus
from warnline.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from warnline.journal import Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import event
from warnline.response.procedure import LeadProcedure


def answer_event(
    procedure: LeadProcedure,
    *,
    username: str,
    partner: str,
    is_commander: bool,
    incident_id: str,
    accept: bool,
    channel: str,
    version: int | None,
    at: datetime,
) -> Event:
    if not is_commander:
        raise ForbiddenError(f"{username} is not a commander: only commanders answer offers")
    current = procedure.current(incident_id)
    if current is None:
        raise NotFoundError(f"no lead procedure for incident {incident_id}")
    if current.status is not AssignmentStatus.OFFERED or current.offered_to != partner:
        raise ConflictError(
            f"no offer open to {partner} for {incident_id} (now: {current.status.value})",
            field="incident_id",
        )
    if version is not None and version != current.version:
        raise ConflictError(
            f"offer v{version} was superseded by v{current.version}", field="version"
        )
    answer = Answer(
        incident_id=incident_id, partner=partner, user=username,
        accept=accept, channel=channel, version=current.version,
    )  # fmt: skip
    return event(Kind.ANSWER, answer, event_id=f"answer:{uuid.uuid4().hex}", at=at)


def phone_answer_event(
    *,
    attempt_id: str,
    incident_id: str,
    version: int,
    partner: str,
    contact_id: str,
    accept: bool,
    channel: str,
    at: datetime,
) -> Event:
    """A commander's answer on the phone (SMS reply, keypad) to the offer one attempt
    carried: the same input as a console answer, with the contact as the user. Its id
    names the attempt, so one attempt answers at most once (a second reply is a no-op)."""
    answer = Answer(
        incident_id=incident_id, partner=partner, user=contact_id,
        accept=accept, channel=channel, version=version, attempt_id=attempt_id,
    )  # fmt: skip
    return event(Kind.ANSWER, answer, event_id=f"answer:{attempt_id}", at=at)


def override_event(
    procedure: LeadProcedure,
    agreement: Agreement,
    *,
    username: str,
    is_cell: bool,
    incident_id: str,
    lead: str,
    reason: str,
    at: datetime,
) -> Event:
    if not is_cell:
        raise ForbiddenError("only the coordination cell may override an assignment")
    if procedure.current(incident_id) is None:
        raise NotFoundError(f"no lead procedure for incident {incident_id}")
    if lead not in agreement.partners:
        raise InputError(f"unknown partner code {lead!r}", field="lead")
    override = Override(incident_id=incident_id, lead=lead, user=username, reason=reason)
    return event(Kind.OVERRIDE, override, event_id=f"override:{uuid.uuid4().hex}", at=at)


def readiness_event(
    agreement: Agreement,
    *,
    partner: str,
    may_declare: bool,
    sector: str,
    status: str,
    time_to_respond_s: float,
    at: datetime,
) -> Event:
    if not may_declare:
        raise ForbiddenError("only a commander declares readiness")
    if sector not in {s.sector_id for s in agreement.response.sectors}:
        raise InputError(f"unknown response sector {sector!r}", field="sector")
    try:
        state = ReadinessStatus(status)
    except ValueError:
        raise InputError(f"unknown readiness {status!r}", field="status") from None
    r = Readiness(partner=partner, sector=sector, status=state, time_to_respond_s=time_to_respond_s)
    return event(Kind.READINESS, r, event_id=f"readiness:{uuid.uuid4().hex}", at=at)


__all__ = [
    "answer_event",
    "override_event",
    "phone_answer_event",
    "readiness_event",
]
