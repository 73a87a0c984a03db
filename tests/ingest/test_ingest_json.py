"""Signed JSON submissions: accepted when right, refused with the field and reason when not."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from tests.factories import REPORTS, T0, signed, wire_report
from warnline.agreement.model import Agreement
from warnline.domain import ManualClock
from warnline.errors import (
    RateLimitError,
    SanityError,
    SchemaError,
    SignatureError,
    StaleReportError,
)
from warnline.ingest import Intake
from warnline.ingest.checks import RateLimiter
from warnline.ingest.signature import SignedRequest, sign_request


def _req(body: bytes, headers: dict[str, str]) -> SignedRequest:
    return SignedRequest(method="POST", target=REPORTS, headers=headers, body=body)


@pytest.fixture
def intake(agreement: Agreement) -> Intake:
    return Intake(agreement=agreement, clock=ManualClock(T0 + timedelta(seconds=1)))


def test_single_list_and_object_forms(intake: Intake) -> None:
    for payload in (
        wire_report(),
        [wire_report(), wire_report("r2")],
        {"reports": [wire_report("r3")]},
    ):
        body, headers = signed(payload)
        reports = intake.json_submission(_req(body, headers))
        assert reports and all(r.partner == "JOR" for r in reports)


def test_partner_default_releasability_filled_in(intake: Intake, agreement: Agreement) -> None:
    body, headers = signed(wire_report(), partner="BHR")
    (r,) = intake.json_submission(_req(body, headers))
    assert r.releasability == agreement.partners["BHR"].releasability


def test_explicit_releasability_kept(intake: Intake) -> None:
    body, headers = signed(
        wire_report(releasability={"release_to": ["USA", "ISR"], "attribution": "anonymous"})
    )
    (r,) = intake.json_submission(_req(body, headers))
    assert r.releasability is not None and r.releasability.release_to == ("ISR", "USA")


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda h: h.pop("Signature"), "signature"),
        (lambda h: h.pop("Signature-Input"), "signature-input"),
        (lambda h: h.pop("Content-Digest"), "content-digest"),
        (lambda h: h.update({"X-Warnline-Partner": "ZZZ"}), "x-warnline-partner"),
        (
            lambda h: h.update({"Signature": f"warnline=:{base64.b64encode(b'x' * 64).decode()}:"}),
            "signature",
        ),
        (lambda h: h.update({"X-Warnline-Partner": "ISR"}), "signature"),
    ],
)
def test_bad_signatures_refused(intake: Intake, mutate, field: str) -> None:  # type: ignore[no-untyped-def]
    body, headers = signed(wire_report())
    mutate(headers)
    with pytest.raises(SignatureError) as err:
        intake.json_submission(_req(body, {k.lower(): v for k, v in headers.items()}))
    assert err.value.field == field


def test_body_changed_after_signing_refused(intake: Intake) -> None:
    body, headers = signed(wire_report())
    with pytest.raises(SignatureError):
        intake.json_submission(_req(body.replace(b"31.95", b"31.96"), headers))


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"position": {"lat": 95, "lon": 36}}, "reports.0.position.lat"),
        ({"accuracy_m": 0}, "reports.0.accuracy_m"),
        ({"kind": "spaceship"}, "reports.0.kind"),
        ({"confidence": 1.5}, "reports.0.confidence"),
        ({"surprise": 1}, "reports.0.surprise"),
        ({"report_id": "bad id with spaces"}, "reports.0.report_id"),
        ({"partner": "ISR"}, "reports.0.partner"),
    ],
)
def test_schema_errors_name_the_field(intake: Intake, over: dict, field: str) -> None:  # type: ignore[type-arg]
    body, headers = signed([wire_report(**over)])
    with pytest.raises(SchemaError) as err:
        intake.json_submission(_req(body, {k.lower(): v for k, v in headers.items()}))
    assert err.value.field == field


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_non_finite_numbers_are_refused_as_such(intake: Intake, literal: bytes) -> None:
    """Python's JSON reader takes NaN and infinities; the reason names them, not a range."""
    raw = json.dumps([wire_report()]).encode().replace(b'"east": -50.0', b'"east": ' + literal)
    assert literal in raw
    body, headers = signed(raw)
    with pytest.raises(SchemaError) as err:
        intake.json_submission(_req(body, {k.lower(): v for k, v in headers.items()}))
    assert err.value.field == "reports.0.velocity.east"
    assert "finite number" in str(err.value)


def test_not_json_refused(intake: Intake) -> None:
    body, headers = signed(b"{not json")
    with pytest.raises(SchemaError):
        intake.json_submission(_req(body, {k.lower(): v for k, v in headers.items()}))


def test_stale_and_future_reports_refused(intake: Intake) -> None:
    for t, needle in ((T0 - timedelta(minutes=10), "ago"), (T0 + timedelta(minutes=1), "future")):
        body, headers = signed([wire_report(t=t)])
        with pytest.raises(StaleReportError) as err:
            intake.json_submission(_req(body, {k.lower(): v for k, v in headers.items()}))
        assert needle in err.value.reason and err.value.field == "reports.0.observed_at"


def test_implausible_speed_and_unknown_release_partner(intake: Intake) -> None:
    body, headers = signed([wire_report(velocity={"east": 9000.0, "north": 0.0})])
    with pytest.raises(SanityError):
        intake.json_submission(_req(body, {k.lower(): v for k, v in headers.items()}))
    body, headers = signed([wire_report(releasability={"release_to": ["XXX"]})])
    with pytest.raises(SanityError) as err:
        intake.json_submission(_req(body, {k.lower(): v for k, v in headers.items()}))
    assert "XXX" in err.value.reason


def test_rate_limit_per_partner() -> None:
    limiter = RateLimiter(rate=10, burst_s=2, rates={"BHR": 1})
    limiter.take("JOR", 20, T0)
    with pytest.raises(RateLimitError):
        limiter.take("JOR", 1, T0)
    limiter.take("ISR", 5, T0)  # another partner has its own bucket
    limiter.take("JOR", 10, T0 + timedelta(seconds=1))
    limiter.take("BHR", 2, T0)  # BHR's agreed rate is 1/s: a bucket of two
    with pytest.raises(RateLimitError) as err:
        limiter.take("BHR", 1, T0)
    assert "1 reports/s" in err.value.reason


def test_agreed_rate_applies_to_submissions(agreement: Agreement) -> None:
    from dataclasses import replace

    slow = replace(agreement.partners["JOR"], max_reports_per_s=1.0)
    ag = replace(agreement, partners={**agreement.partners, "JOR": slow})
    intake = Intake(agreement=ag, clock=ManualClock(T0))
    body, headers = signed([wire_report(f"r{i}") for i in range(4)])
    intake.json_submission(_req(body, headers))  # four seconds' worth: one burst
    body, headers = signed([wire_report("r9")])
    with pytest.raises(RateLimitError):
        intake.json_submission(_req(body, headers))


def test_events_are_idempotent_by_partner_and_report_id(intake: Intake) -> None:
    body, headers = signed([wire_report("same"), wire_report("other")])
    reports = intake.json_submission(_req(body, headers))
    events = intake.events(reports, submission="s1")
    again = intake.events(reports, submission="s2")
    assert (
        [e.event_id for e in events]
        == [e.event_id for e in again]
        == ["report:JOR:same", "report:JOR:other"]
    )
    assert json.loads(json.dumps(events[0].payload))["report"]["report_id"] == "same"


def test_report_key_rotation_and_retirement(agreement: Agreement) -> None:
    """A partner adds key k2, signs with it, then retires k1: k1 signatures stop working."""
    from dataclasses import replace

    from nacl.signing import SigningKey

    from warnline.agreement.exercise_keys import exercise_signing_key

    new_key = SigningKey(b"\x01" * 32)
    new_b64 = base64.b64encode(bytes(new_key.verify_key)).decode()
    jor = agreement.partners["JOR"]
    both = replace(
        agreement,
        partners={
            **agreement.partners,
            "JOR": replace(jor, public_keys={**jor.public_keys, "k2": new_b64}),
        },
    )
    only_new = replace(
        agreement, partners={**agreement.partners, "JOR": replace(jor, public_keys={"k2": new_b64})}
    )
    body = json.dumps([wire_report()]).encode()

    def sign(key: SigningKey, key_id: str) -> dict[str, str]:
        return sign_request(
            "POST", REPORTS, body, partner="JOR", key=key, key_id=key_id, created=T0
        )

    old_key = exercise_signing_key("JOR")
    during = Intake(agreement=both, clock=ManualClock(T0))
    assert during.json_submission(_req(body, sign(old_key, "k1")))
    assert during.json_submission(_req(body, sign(new_key, "k2")))
    after = Intake(agreement=only_new, clock=ManualClock(T0))
    assert after.json_submission(_req(body, sign(new_key, "k2")))
    with pytest.raises(SignatureError) as err:
        after.json_submission(_req(body, sign(old_key, "k1")))
    assert err.value.field == "keyid"
    wrong_kid = sign(old_key, "k2")
    with pytest.raises(SignatureError):
        after.json_submission(_req(body, wrong_kid))


def test_withheld_fields_in_a_report_policy(intake: Intake) -> None:
    body, headers = signed([wire_report(releasability={"withhold": ["velocity", "accuracy"]})])
    (r,) = intake.json_submission(_req(body, headers))
    assert r.releasability is not None and r.releasability.withhold == ("accuracy", "velocity")
    body, headers = signed([wire_report(releasability={"withhold": ["sensor_site"]})])
    with pytest.raises(SchemaError) as err:
        intake.json_submission(_req(body, headers))
    assert err.value.field is not None and err.value.field.startswith(
        "reports.0.releasability.withhold"
    )


def test_default_agreement_withholds_isr_accuracy(agreement: Agreement) -> None:
    assert agreement.partners["ISR"].releasability.withhold == ("accuracy",)
