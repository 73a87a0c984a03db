"""CAP over HTTP against a real node: a partner's civil-defence system reports in CAP,
and the CAP the hub issues (single and in the feed) verifies with the hub certificate."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from lxml import etree

from tests.api.conftest import Live, wait_for
from tests.factories import T0, make_report
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.alerting.cap_sign import verify_cap
from warnline.ingest.cap_adapter import encode_observations
from warnline.ingest.signature import sign_request

CAP_NS = "{urn:oasis:names:tc:emergency:cap:1.2}"


def cap_submission(i: int, *, partner: str = "JOR") -> tuple[bytes, dict[str, str]]:
    t = T0 + timedelta(seconds=i)
    lon = 36.25 - (50.0 * i) / (111_320.0 * 0.848)
    body = encode_observations(
        [make_report(rid=f"c{i}", t=t, lon=lon)],
        identifier=f"JOR-CD-{i:04d}",
        sender="civil-defence@jor.invalid",
        sent=t,
        status="Exercise",
    )
    key = exercise_signing_key(partner)
    headers = sign_request("POST", "/api/v1/cap", body, partner=partner, key=key, created=t)
    return body, headers | {"content-type": "application/cap+xml"}


async def test_cap_input_drives_an_alert_whose_cap_verifies(
    live: Live, cap_schema: etree.XMLSchema
) -> None:
    async with httpx.AsyncClient() as c:
        for i in range(0, 30, 2):
            live.clock.set(T0 + timedelta(seconds=i + 1))
            body, headers = cap_submission(i)
            r = await c.post(f"{live.base}/api/v1/cap", content=body, headers=headers)
            assert r.status_code == 202, r.text
            assert r.json() == {"accepted": 1, "reports": [f"JOR/JOR-CD-{i:04d}"]}
            await asyncio.sleep(0.06)
        formats = {
            e.event.payload["report"]["source_format"]
            for e in live.journal.read()
            if e.event.kind == "report.received"
        }
        assert formats == {"cap"}
        jor = await live.token(c, "jor-watch")

        async def amman() -> list[dict[str, Any]]:
            r = await c.get(f"{live.base}/api/v1/alerts", headers=jor)
            return [a for a in r.json() if a["area_id"] == "JOR-amman"]

        alert = (await wait_for(amman, "an alert from CAP input"))[0]
        assert alert["stage"] in ("early_warning", "alert") and alert["time_to_shelter_s"] > 0
        cert = await c.get(f"{live.base}/api/v1/cap/certificate")
        assert cert.status_code == 200 and cert.content.startswith(b"-----BEGIN CERTIFICATE")
        r = await c.get(f"{live.base}/api/v1/alerts/{alert['alert_id']}/cap", headers=jor)
        cap_schema.assertValid(etree.fromstring(r.content))
        signed = verify_cap(r.content, cert.content)
        assert signed.findtext(f"{CAP_NS}identifier", "").startswith("warnline-A-")
        feed = await c.get(f"{live.base}/api/v1/feeds/JOR/cap.atom", headers=jor)
        alerts = etree.fromstring(feed.content).findall(f".//{CAP_NS}alert")
        assert alerts
        for a in alerts:
            verify_cap(etree.tostring(a), cert.content)


async def test_hostile_cap_gets_problem_details(live: Live) -> None:
    live.clock.set(T0 + timedelta(seconds=1))
    evil = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""
    key = exercise_signing_key("JOR")
    headers = sign_request("POST", "/api/v1/cap", evil, partner="JOR", key=key, created=T0)
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{live.base}/api/v1/cap", content=evil, headers=headers)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["field"] == "body" and "DTD" in r.json()["detail"]
        body, headers = cap_submission(0)
        headers["X-Warnline-Partner"] = "ISR"
        r = await c.post(f"{live.base}/api/v1/cap", content=body, headers=headers)
        assert r.status_code == 401 and r.json()["field"] == "signature"
    assert not any(e.event.kind == "report.received" for e in live.journal.read())


async def test_openapi_documents_the_cap_endpoints(live: Live) -> None:
    async with httpx.AsyncClient() as c:
        spec = (await c.get(f"{live.base}/openapi.json")).json()
    body = spec["paths"]["/api/v1/cap"]["post"]["requestBody"]["content"]
    assert "application/cap+xml" in body
    assert "/api/v1/cap/certificate" in spec["paths"]
