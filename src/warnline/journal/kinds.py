"""The journal's vocabulary: every kind of entry, named once.

Entries are stored with these strings, so a value never changes once journaled; a
`StrEnum` compares equal to the stored string, so entries read back match members.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    # inputs from outside the node
    TICK = "clock.tick"  # the node's clock moved on
    REPORT = "report.received"  # a partner's sensor or watch officer report
    ACK = "ack.received"  # a duty officer acknowledged an alert version
    ANSWER = "response.answer"  # a commander accepted or declined a lead offer
    OVERRIDE = "response.override"  # the coordination cell named the lead
    READINESS = "readiness.declared"  # a partner's readiness in a sector
    TAKEOVER = "roster.takeover"  # a contact stands in for a role until a time
    MANUAL_REPORT = "report.manual"  # who entered a report by hand, and from what source
    MANUAL_DRAFT = "manual.drafted"  # a person drafted a manual alert
    MANUAL_APPROVAL = "manual.approved"  # a second person approved a pending draft
    MANUAL_REJECTION = "manual.rejected"  # a second person refused it, with a reason
    MANUAL_END = "manual.ended"  # a person ended an issued manual alert
    # decisions of the pipeline
    INCIDENT = "incident.updated"
    ALERT = "alert.issued"
    ASSIGNMENT = "assignment.made"
    MANUAL_ISSUE = "manual.issued"  # a draft went out as alerts (approved, or partner-only)
    MANUAL_EXPIRY = "manual.expired"  # a pending draft lapsed unapproved
    # delivery to people
    ATTEMPT = "delivery.attempt"  # an alert version sent to one recipient on one channel
    RESULT = "delivery.result"  # what became of an attempt (a receipt is one)
    ESCALATION_STEP = "escalation.step"  # an alert's escalation moved to its next step
    OFFER_STEP = "offer.step"  # a lead offer's escalation moved on
    OFFER_ATTEMPT = "offer.attempt"
    OFFER_RESULT = "offer.result"
