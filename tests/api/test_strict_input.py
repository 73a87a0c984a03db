"""Strict input for real: a string is not a number, a bool is not a number, a key given
twice is refused by name, a report id reused for other content is a conflict (409),
and the console's pages carry a content policy and no-framing headers."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import Live
from tests.factories import signed, wire_report
from warnline.api.headers import CSP


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"position": {"lat": "24.5", "lon": 36.6}}, "reports.0.position.lat"),
        ({"confidence": True}, "reports.0.confidence"),
        ({"accuracy_m": "200"}, "reports.0.accuracy_m"),
        ({"velocity": {"east": False, "north": 0.0}}, "reports.0.velocity.east"),
    ],
)
async def test_loose_types_refused(live: Live, over: dict[str, object], field: str) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        body, headers = signed([wire_report(**over)])
        r = await c.post("/api/v1/reports", content=body, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == field


async def test_duplicate_keys_refused_naming_the_key(live: Live) -> None:
    twice = (
        b'[{"report_id": "r1", "sensor": "radar-1", "observed_at": "2026-11-25T12:00:00+00:00",'
        b' "position": {"lat": 31.95, "lon": 36.6, "lat": 24.5}, "accuracy_m": 200.0}]'
    )
    async with httpx.AsyncClient(base_url=live.base) as c:
        body, headers = signed(twice)
        r = await c.post("/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "lat"
        assert "duplicate key 'lat'" in r.json()["detail"]
        jor = await live.token(c, "jor-watch")
        r = await c.post(
            "/api/v1/roster/takeovers",
            content=b'{"role": "watch", "contact": "a", "contact": "b", "minutes": 5}',
            headers=jor | {"content-type": "application/json"},
        )
        assert r.status_code == 422 and r.json()["field"] == "contact"
        r = await c.post(
            "/api/v1/roster/takeovers",
            json={"role": "watch", "contact": "JOR night watch", "minutes": "60"},
            headers=jor,
        )
        assert r.status_code == 422 and r.json()["field"] == "body.minutes"
    assert not any(e.event.kind == "report.received" for e in live.journal.read())


async def test_reused_report_id_with_other_content_is_a_conflict(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        body, headers = signed([wire_report("same")])
        assert (await c.post("/api/v1/reports", content=body, headers=headers)).status_code == 202
        body, headers = signed([wire_report("same")])  # the identical resend: a no-op
        assert (await c.post("/api/v1/reports", content=body, headers=headers)).status_code == 202
        moved = wire_report("same", position={"lat": 31.0, "lon": 36.6, "alt_m": 150.0})
        body, headers = signed([moved])
        r = await c.post("/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 409 and r.json()["field"] == "reports.0.report_id"
        assert r.headers["content-type"] == "application/problem+json"
        body, headers = signed([wire_report("new"), moved])  # refused alone in a batch
        r = await c.post("/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 202 and r.json()["reports"] == ["JOR/new"]
        (refusal,) = r.json()["refused"]
        assert refusal["index"] == 1 and refusal["field"] == "reports.1.report_id"
        assert refusal["status"] == 409 and "different content" in refusal["reason"]
        body, headers = signed([wire_report("twice"), moved | {"report_id": "twice"}])
        r = await c.post("/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 202 and r.json()["reports"] == ["JOR/twice"]  # the first stands
        assert "twice with different content" in r.json()["refused"][0]["reason"]
    stored = [e.event.event_id for e in live.journal.read() if e.event.kind == "report.received"]
    assert stored == ["report:JOR:same", "report:JOR:new", "report:JOR:twice"]
    kept = next(e.event for e in live.journal.read() if e.event.event_id == "report:JOR:twice")
    assert kept.payload["report"]["position"]["lat"] == 31.95  # not the refused content


async def test_console_pages_carry_a_content_policy(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        for path in ("/", "/console/index.html"):
            page = await c.get(path)
            assert page.status_code == 200
            assert page.headers["content-security-policy"] == CSP
            assert "frame-ancestors 'none'" in CSP and "'unsafe-inline'" not in CSP
            assert page.headers["x-frame-options"] == "DENY"
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["referrer-policy"] == "no-referrer"
            assert "<script>" not in page.text  # no inline script for the policy to allow
        script = await c.get("/console/app.js")
        assert script.headers["x-content-type-options"] == "nosniff"
        assert "token=" not in script.text  # the token never goes into a URL
