"""Each kind's payload type, named once: the journal's vocabulary of typed events.

A stage makes an entry with `event(kind, obj, ...)` and reads one back with
`payload(event, Type)`; both check that the type is the kind's own, so a fold cannot
read an attempt as a result, and a field is read by name, never by string key. The
stored form is the domain type's JSON (`domain.codec`), so what is hashed and signed is
what a verifier reads (docs/audit-format.md lists each kind's fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

from warnline.domain import Acknowledgement, Alert, Assignment, Incident, Report
from warnline.domain.codec import from_json, to_json
from warnline.domain.delivery import (
    Attempt,
    AttemptResult,
    OfferAttempt,
    OfferResult,
    OfferStepFired,
    StepFired,
    Takeover,
)
from warnline.domain.incident import Answer, Override, Readiness
from warnline.domain.manual import (
    ManualApproval,
    ManualDraft,
    ManualEnd,
    ManualExpiry,
    ManualIssue,
    ManualRejection,
    ManualReport,
)
from warnline.journal.base import Event
from warnline.journal.kinds import Kind

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True, slots=True)
class Received:
    """A partner's report as journaled on intake, with the submission it came in (the
    picture takes one submission as one scan of its sensor)."""

    report: Report
    submission: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Tick:
    """The node's clock moved on: the entry's own time is all it says."""


PAYLOADS: Final[dict[str, type[Any]]] = {  # by `Kind` (a str, as entries store it)
    Kind.TICK: Tick,
    Kind.REPORT: Received,
    Kind.ACK: Acknowledgement,
    Kind.ANSWER: Answer,
    Kind.OVERRIDE: Override,
    Kind.READINESS: Readiness,
    Kind.TAKEOVER: Takeover,
    Kind.INCIDENT: Incident,
    Kind.ALERT: Alert,
    Kind.ASSIGNMENT: Assignment,
    Kind.ATTEMPT: Attempt,
    Kind.RESULT: AttemptResult,
    Kind.ESCALATION_STEP: StepFired,
    Kind.OFFER_STEP: OfferStepFired,
    Kind.OFFER_ATTEMPT: OfferAttempt,
    Kind.OFFER_RESULT: OfferResult,
    Kind.MANUAL_REPORT: ManualReport,
    Kind.MANUAL_DRAFT: ManualDraft,
    Kind.MANUAL_APPROVAL: ManualApproval,
    Kind.MANUAL_REJECTION: ManualRejection,
    Kind.MANUAL_END: ManualEnd,
    Kind.MANUAL_ISSUE: ManualIssue,
    Kind.MANUAL_EXPIRY: ManualExpiry,
}


class PayloadTypeError(TypeError):
    """A payload read or written as a type that is not its kind's (a programming
    error, not bad input: inputs are checked before they are journaled)."""


def _check(kind: str, tp: type[Any]) -> None:
    if PAYLOADS.get(kind) is not tp:
        raise PayloadTypeError(f"a {kind} entry's payload is not a {tp.__name__}")


def payload(ev: Event, tp: type[T]) -> T:
    """The payload of `ev` as its kind's type `tp`."""
    _check(ev.kind, tp)
    return from_json(tp, ev.payload)


def event(kind: Kind, obj: object, *, event_id: str, at: datetime) -> Event:
    """An entry of `kind` carrying `obj`, which must be of that kind's type."""
    _check(kind, type(obj))
    return Event(event_id=event_id, kind=kind, at=at, payload=to_json(obj))
