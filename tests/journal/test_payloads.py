"""The journal's typed vocabulary: every kind has one payload type, entries round-trip
through it, and a payload read or written as another kind's type is refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.factories import make_report
from warnline.domain import (
    Acknowledgement,
    Answer,
    Attempt,
    AttemptResult,
    DeliveryOutcome,
    OfferAttempt,
    OfferResult,
    OfferStepFired,
    Override,
    Readiness,
    ReadinessStatus,
    StepFired,
    Takeover,
)
from warnline.domain.codec import to_json
from warnline.journal import Event, Kind, canonical_json
from warnline.journal.payloads import PAYLOADS, PayloadTypeError, Received, Tick, event, payload

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

SAMPLES: dict[Kind, Any] = {
    Kind.TICK: Tick(),
    Kind.ACK: Acknowledgement(
        alert_id="A1", version=2, partner="JOR", user="jor-watch", channel="console", at=T0
    ),
    Kind.ANSWER: Answer(
        incident_id="I1",
        partner="JOR",
        user="c1",
        accept=True,
        channel="sms",
        version=3,
        attempt_id="offer-attempt:I1:v3:c1:sms",
    ),
    Kind.OVERRIDE: Override(incident_id="I1", lead="ISR", user="cell", reason="closest"),
    Kind.READINESS: Readiness(
        partner="JOR", sector="north", status=ReadinessStatus.LIMITED, time_to_respond_s=120.0
    ),
    Kind.TAKEOVER: Takeover(
        partner="JOR", role="commander", contact="c2", at=T0, until=T0 + timedelta(hours=8)
    ),
    Kind.ATTEMPT: Attempt(
        alert_id="A1",
        version=2,
        recipient="c1",
        partner="JOR",
        channel="sms",
        attempt=1,
        address="+962700000001",
        role="watch_officer",
    ),
    Kind.RESULT: AttemptResult(
        alert_id="A1",
        version=2,
        recipient="c1",
        channel="sms",
        outcome=DeliveryOutcome.FAILED,
        partner="JOR",
        detail="no route",
        attempt_id="attempt:A1:v2:c1:sms:0.0",
    ),
    Kind.ESCALATION_STEP: StepFired(
        alert_id="A1", version=2, partner="JOR", round=1, step=0, restart=0
    ),
    Kind.OFFER_STEP: OfferStepFired(incident_id="I1", version=3, partner="JOR", step=1),
    Kind.OFFER_ATTEMPT: OfferAttempt(
        incident_id="I1",
        version=3,
        partner="JOR",
        purpose="lead",
        recipient="c1",
        channel="sms",
        address="+962700000001",
        code_sha256="ab" * 32,
    ),
    Kind.OFFER_RESULT: OfferResult(
        incident_id="I1",
        version=3,
        partner="JOR",
        recipient="c1",
        channel="voice",
        outcome=DeliveryOutcome.DELIVERED,
        attempt_id="offer-attempt:I1:v3:c1:voice",
    ),
}


def test_every_kind_has_exactly_one_payload_type() -> None:
    assert set(PAYLOADS) == set(Kind)
    # One type per kind: a reader can never take one kind's payload for another's.
    assert len(set(PAYLOADS.values())) == len(PAYLOADS)


@pytest.mark.parametrize("kind", sorted(SAMPLES, key=str))
def test_an_entry_reads_back_as_what_was_written(kind: Kind) -> None:
    obj = SAMPLES[kind]
    ev = event(kind, obj, event_id=f"{kind}:1", at=T0)
    assert ev.kind == kind
    assert payload(ev, PAYLOADS[kind]) == obj
    # The stored form is plain JSON (what is hashed and signed), stable under a round trip.
    assert canonical_json(ev.payload) == canonical_json(to_json(obj))


def test_a_payload_read_as_another_kinds_type_is_refused() -> None:
    ev = event(Kind.ATTEMPT, SAMPLES[Kind.ATTEMPT], event_id="a", at=T0)
    with pytest.raises(PayloadTypeError, match=r"delivery\.attempt"):
        payload(ev, AttemptResult)


def test_an_entry_written_with_another_kinds_type_is_refused() -> None:
    with pytest.raises(PayloadTypeError, match=r"delivery\.result"):
        event(Kind.RESULT, SAMPLES[Kind.ATTEMPT], event_id="a", at=T0)


def test_a_console_attempt_stored_before_person_fields_existed_still_reads() -> None:
    """Entries keep their stored keys forever: a console attempt has no address, route
    or role, and reads with their defaults."""
    stored = {
        "alert_id": "A1", "version": 1, "recipient": "jor-watch", "partner": "JOR",
        "channel": "console", "attempt": 2,
    }  # fmt: skip
    ev = Event(event_id="attempt:A1:v1:jor-watch:console:2", kind=Kind.ATTEMPT, at=T0,
               payload=stored)  # fmt: skip
    a = payload(ev, Attempt)
    assert (a.recipient, a.attempt, a.address, a.route) == ("jor-watch", 2, "", "")


def test_a_report_entry_keeps_its_stored_shape() -> None:
    report = make_report()
    ev = event(Kind.REPORT, Received(report=report, submission="s1"), event_id="r", at=T0)
    assert set(ev.payload) == {"report", "submission"}
    assert ev.payload["report"] == to_json(report)
    assert payload(ev, Received) == Received(report=report, submission="s1")


def test_the_audit_format_lists_every_kind_with_its_payload_type() -> None:
    """docs/audit-format.md is what a partner's verifier is written from."""
    doc = (Path(__file__).parents[2] / "docs" / "audit-format.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z_.]+)` \| `(\w+)` \|", doc, flags=re.MULTILINE))
    assert rows == {str(k): tp.__name__ for k, tp in PAYLOADS.items()}
