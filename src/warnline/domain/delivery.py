"""What the delivery side records: each try to reach a person, what became of it, and
the steps of an escalation, for alerts and for lead offers alike.

These are the payloads of the journal's delivery entries (`Kind.ATTEMPT`, `RESULT`,
`ESCALATION_STEP`, `OFFER_STEP`, `OFFER_ATTEMPT`, `OFFER_RESULT`), typed once here so
that every fold reads the same fields by name instead of by string key, and a field
added for one reader is seen by all. Field names are the stored keys: they never change
once journaled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DeliveryOutcome(StrEnum):
    SENT = "sent"  # handed to the channel
    DELIVERED = "delivered"  # the recipient's device confirmed receipt
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True, slots=True)
class Attempt:
    """One try to bring one alert version to one recipient on one channel. The console
    addresses users, who need no address; a person channel names the contact's address,
    the route it goes by and the duty role it was sent for."""

    alert_id: str
    version: int
    recipient: str  # a console user or a contact id
    partner: str
    channel: str
    attempt: int  # 1 for the first try of this version to this recipient on this channel
    address: str = ""
    route: str = ""
    role: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class AttemptResult:
    """What became of an attempt: handed over, delivered (a receipt) or failed."""

    alert_id: str
    version: int
    recipient: str
    channel: str
    outcome: DeliveryOutcome
    partner: str = ""
    route: str = ""
    detail: str = ""
    attempt_id: str = ""  # the attempt's event id (a console receipt names none)


@dataclass(frozen=True, kw_only=True, slots=True)
class StepFired:
    """An alert's escalation moved on: `round` and `step` are where it was."""

    alert_id: str
    version: int
    partner: str
    round: int
    step: int
    restart: int  # how often a material change started the escalation again


@dataclass(frozen=True, kw_only=True, slots=True)
class OfferStepFired:
    """A lead offer's escalation moved past `step`."""

    incident_id: str
    version: int
    partner: str
    step: int


@dataclass(frozen=True, kw_only=True, slots=True)
class OfferAttempt:
    """One try to bring a lead offer to a commander on one channel. An SMS carries a
    one-time answer code; only its SHA-256 is recorded."""

    incident_id: str
    version: int
    partner: str
    purpose: str
    recipient: str  # contact id
    channel: str
    address: str
    route: str = ""
    step: int = 0
    role: str = ""
    code_sha256: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class OfferResult:
    """What became of an offer attempt."""

    incident_id: str
    version: int
    partner: str
    recipient: str
    channel: str
    outcome: DeliveryOutcome
    attempt_id: str
    route: str = ""
    detail: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Takeover:
    """`contact` (a contact id) holds `role` for `partner` from `at` until `until`."""

    partner: str
    role: str
    contact: str
    at: datetime
    until: datetime
