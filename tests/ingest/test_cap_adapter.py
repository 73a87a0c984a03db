"""CAP from a partner's civil-defence system: accepted in the profile we read, and
hostile or malformed XML refused before it can do harm, with the field and reason."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tests.factories import T0, make_report
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.model import Agreement
from warnline.domain import Identity, ManualClock, ThreatKind
from warnline.errors import SchemaError, SignatureError
from warnline.ingest import Intake
from warnline.ingest.cap_adapter import MAX_CAP_BYTES, encode_observations, parse_cap
from warnline.ingest.signature import SignedRequest, sign_request

CAP = b"urn:oasis:names:tc:emergency:cap:1.2"


def cap_body(n: int = 2, status: str = "Exercise") -> bytes:
    reports = [make_report(rid=f"r{i}", lat=31.9 + i * 0.01) for i in range(n)]
    reports[-1] = dataclasses.replace(reports[-1], velocity=None, sensor_track=None)
    return encode_observations(
        reports, identifier="JOR-CD-0001", sender="cd@jor.invalid", sent=T0, status=status
    )


def test_round_trip_through_the_profile() -> None:
    reports = parse_cap(cap_body(), partner="JOR")
    assert [r.report_id for r in reports] == ["JOR-CD-0001", "JOR-CD-0001.1"]
    r = reports[0]
    assert r.partner == "JOR" and r.source_format == "cap" and r.sensor == "exercise:radar-1"
    assert r.kind is ThreatKind.DRONE and r.identity is Identity.HOSTILE
    assert r.position.lat == pytest.approx(31.9) and r.position.alt_m == pytest.approx(150)
    assert r.accuracy_m == pytest.approx(200) and r.observed_at == T0
    assert r.velocity is not None and r.velocity.east == pytest.approx(-50)
    assert reports[1].velocity is None and reports[1].sensor_track is None
    actual = parse_cap(cap_body(status="Actual"), partner="JOR")
    assert actual[0].sensor == "radar-1"


def test_signed_cap_goes_through_intake(agreement: Agreement) -> None:
    intake = Intake(agreement=agreement, clock=ManualClock(T0 + timedelta(seconds=1)))
    body = cap_body()
    key = exercise_signing_key("JOR")

    def request(body: bytes, headers: dict[str, str]) -> SignedRequest:
        return SignedRequest(method="POST", target="/api/v1/cap", headers=headers, body=body)

    headers = sign_request("POST", "/api/v1/cap", body, partner="JOR", key=key, created=T0)
    reports = intake.cap_submission(request(body, headers))
    assert len(reports) == 2 and all(r.releasability is not None for r in reports)
    headers = sign_request("POST", "/api/v1/cap", body, partner="JOR", key=key, created=T0)
    with pytest.raises(SignatureError):
        intake.cap_submission(request(body.replace(b"radar-1", b"radar-2", 1), headers))


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol4;</identifier></alert>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://127.0.0.1:9/evil.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>"""


@pytest.mark.parametrize(
    ("body", "field", "needle"),
    [
        (BILLION_LAUGHS, "body", "DTD"),
        (EXTERNAL_ENTITY, "body", "DTD"),
        (EXTERNAL_DTD, "body", "DTD"),
        (
            EXTERNAL_ENTITY.decode().replace('<?xml version="1.0"?>', "").encode("utf-16"),
            "body",
            "DTD",
        ),
        (b"x" * (MAX_CAP_BYTES + 1), "body", "larger than"),
        (b"", "body", "empty"),
        (
            b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>",
            "body",
            "well-formed",
        ),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "alert", "not a CAP 1.2 alert"),
        (
            cap_body().replace(CAP, b"urn:oasis:names:tc:emergency:cap:1.1"),
            "alert",
            "not a CAP 1.2 alert",
        ),
        (cap_body(status="Test"), "alert.status", "no observation"),
        (cap_body().replace(b"<msgType>Alert", b"<msgType>Cancel"), "alert.msgType", "Cancel"),
        (cap_body().replace(b"JOR-CD-0001", b"JOR CD,1"), "alert.identifier", "report id"),
        (cap_body().replace(b"-00:00</sent>", b"</sent>"), "alert.sent", "time zone"),
        (
            cap_body().replace(b"<value>drone", b"<value>ufo"),
            "alert.info.0.parameter.warnline:kind",
            "not one of",
        ),
        (
            cap_body().replace(b" 0.200</circle>", b" 500</circle>"),
            "alert.info.0.area.circle",
            "radius",
        ),
        (
            cap_body().replace(b"<circle>31.900000", b"<circle>131.900000"),
            "alert.info.0.area.circle",
            "out of range",
        ),
        (
            cap_body().replace(b"<value>-50.00 0.00 0.00", b"<value>nan 0 0"),
            "alert.info.0.parameter.warnline:velocity",
            "finite",
        ),
    ],
)
def test_hostile_or_malformed_cap_is_refused(body: bytes, field: str, needle: str) -> None:
    with pytest.raises(SchemaError) as err:
        parse_cap(body, partner="JOR")
    assert err.value.field == field, err.value
    assert needle in err.value.reason, err.value.reason


def test_no_info_and_missing_circle() -> None:
    body = cap_body()
    head = body[: body.index(b"<info>")] + b"</alert>"
    with pytest.raises(SchemaError, match="info"):
        parse_cap(head, partner="JOR")
    start, end = body.index(b"<circle>"), body.index(b"</circle>") + len(b"</circle>")
    with pytest.raises(SchemaError) as err:
        parse_cap(body[:start] + body[end:], partner="JOR")
    assert err.value.field == "alert.info.0.area.circle"
