"""The printed offers add up: each offer's outcome is the trigger of its incident's next
step, or "open" when the record ends on it, so the outcomes sum to the offers made."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import T0
from warnline.domain import Assignment
from warnline.domain.incident import AssignmentStatus
from warnline.summary import offer_lines, offer_outcomes


def step(inc: str, n: int, status: AssignmentStatus, trigger: str, **kw: str) -> Assignment:
    return Assignment(
        incident_id=inc,
        status=status,
        lead=kw.pop("lead", None),
        rule="sovereignty",
        explanation="",
        decided_at=T0 + timedelta(seconds=n),
        version=n,
        trigger=trigger,
        **kw,  # type: ignore[arg-type]
    )


OFFERED, LEAD, ESCALATED = (
    AssignmentStatus.OFFERED,
    AssignmentStatus.LEAD,
    AssignmentStatus.ESCALATED,
)


def test_outcomes_add_up_to_the_offers() -> None:
    steps = [
        # I1: JOR declines, ISR times out, SAU accepts.
        step("I1", 1, OFFERED, "confirmed", offered_to="JOR"),
        step("I1", 2, OFFERED, "declined", offered_to="ISR"),
        step("I1", 3, OFFERED, "timed_out", offered_to="SAU"),
        step("I1", 4, LEAD, "accepted", lead="SAU"),
        # I2: consent asked and granted, then the lead offered and still open at the end.
        step("I2", 1, OFFERED, "confirmed", offered_to="JOR", purpose="consent", on_behalf="ISR"),
        step("I2", 2, OFFERED, "consent_granted", offered_to="ISR"),
        # I3: offered, then the deadline sends it to the cell.
        step("I3", 1, OFFERED, "confirmed", offered_to="EGY"),
        step("I3", 2, ESCALATED, "deadline"),
    ]
    outcomes = offer_outcomes(steps)
    assert outcomes == {
        "lead": {"accepted": 1, "deadline": 1, "declined": 1, "open": 1, "timed_out": 1},
        "consent": {"consent_granted": 1},
    }
    offers = sum(1 for s in steps if s.status is OFFERED and s.purpose == "lead")
    assert sum(outcomes["lead"].values()) == offers
    lines = offer_lines({"offer_outcomes": outcomes})
    assert lines[0] == "lead offers 5 = accepted 1 + deadline 1 + declined 1 + open 1 + timed out 1"
    assert lines[1] == "consent requests 1 = consent granted 1"
