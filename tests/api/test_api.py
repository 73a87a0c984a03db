"""The HTTP API and WebSocket stream against a real node served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json

import httpx
from lxml import etree

from tests.api.conftest import Live, drive_drone, wait_for
from tests.factories import signed, wire_report
from warnline.dispatch.roster import on_duty
from warnline.sim.stream_client import connect_stream


async def test_report_accepted_once_journaled(live: Live) -> None:
    async with httpx.AsyncClient() as c:
        body, headers = signed([wire_report("a1"), wire_report("a2")])
        r = await c.post(f"{live.base}/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 202
        assert r.json() == {"accepted": 2, "reports": ["JOR/a1", "JOR/a2"], "refused": []}
        assert live.journal.contains(["report:JOR:a1", "report:JOR:a2"]) == {
            "report:JOR:a1",
            "report:JOR:a2",
        }
        replayed = await c.post(f"{live.base}/api/v1/reports", content=body, headers=headers)
        assert replayed.status_code == 401 and replayed.json()["field"] == "nonce"
        body, headers = signed([wire_report("a1"), wire_report("a2")])  # resent, signed anew
        again = await c.post(f"{live.base}/api/v1/reports", content=body, headers=headers)
        assert again.status_code == 202
        assert sum(1 for e in live.journal.read() if e.event.kind == "report.received") == 2


async def test_bad_input_gets_problem_details(live: Live) -> None:
    async with httpx.AsyncClient() as c:
        body, headers = signed([wire_report(accuracy_m=-1)])
        r = await c.post(f"{live.base}/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        p = r.json()
        assert (
            p["field"] == "reports.0.accuracy_m"
            and p["status"] == 422
            and p["type"].endswith("/schema")
        )
        headers["X-Warnline-Partner"] = "ISR"
        r = await c.post(f"{live.base}/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 401 and r.json()["field"] == "signature"
        r = await c.get(f"{live.base}/api/v1/tracks")
        assert r.status_code == 401 and r.json()["title"] == "Not signed in"
        r = await c.post(
            f"{live.base}/api/v1/session", json={"username": "jor-watch", "password": "nope"}
        )
        assert r.status_code == 401
        r = await c.post(f"{live.base}/api/v1/session", json={"username": "jor-watch"})
        assert r.status_code == 422 and r.json()["field"] == "body.password"
    assert not any(e.event.kind == "report.received" for e in live.journal.read())


async def test_alert_reaches_partner_console_and_is_acknowledged(
    live: Live, cap_schema: etree.XMLSchema
) -> None:
    async with httpx.AsyncClient() as c:
        jor = await live.token(c, "jor-watch")
        isr = await live.token(c, "isr-watch")
        usa = await live.token(c, "usa-watch")
        ws = await connect_stream(live.base, jor["authorization"][7:])
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello" and hello["partner"] == "JOR" and hello["exercise"] is True
        await drive_drone(live, c)

        async def amman_alert():  # type: ignore[no-untyped-def]
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if msg["type"] == "alert" and msg["alert"]["area_id"] == "JOR-amman":
                    return msg["alert"]

        alert = await asyncio.wait_for(amman_alert(), 15)
        assert (
            alert["status"] == "Exercise"
            and alert["partner"] == "JOR"
            and alert["time_to_arrival_s"] > 0
        )
        await ws.send(
            json.dumps(
                {
                    "type": "received",
                    "alert_id": alert["alert_id"],
                    "version": alert["version"],
                    "count": 1,
                }
            )
        )
        await ws.send(
            json.dumps({"type": "ack", "alert_id": alert["alert_id"], "version": alert["version"]})
        )

        async def acked():  # type: ignore[no-untyped-def]
            r = await c.get(f"{live.base}/api/v1/alerts", headers=jor)
            return [
                a
                for a in r.json()
                if a["alert_id"] == alert["alert_id"] and a["acknowledged_by"] == ["jor-watch"]
            ]

        await wait_for(acked, "acknowledgement")
        # Released only to the partner concerned and the cell.
        assert all(
            a["partner"] == "ISR"
            for a in (await c.get(f"{live.base}/api/v1/alerts", headers=isr)).json()
        )
        assert any(
            a["alert_id"] == alert["alert_id"]
            for a in (await c.get(f"{live.base}/api/v1/alerts", headers=usa)).json()
        )
        r = await c.post(f"{live.base}/api/v1/alerts/{alert['alert_id']}/ack", headers=isr, json={})
        assert r.status_code == 404  # another partner's alert reads as one that does not exist
        observer = await live.token(c, "jor-observer")
        r = await c.post(
            f"{live.base}/api/v1/alerts/{alert['alert_id']}/ack", headers=observer, json={}
        )
        assert r.status_code == 403 and "observer" in r.json()["detail"]
        r = await c.post(f"{live.base}/api/v1/alerts/A-nope/ack", headers=jor, json={})
        assert r.status_code == 404
        # CAP of the alert, valid against the OASIS schema; the feed carries it.
        r = await c.get(f"{live.base}/api/v1/alerts/{alert['alert_id']}/cap", headers=jor)
        assert r.status_code == 200
        cap_schema.assertValid(etree.fromstring(r.content))
        assert (
            await c.get(f"{live.base}/api/v1/alerts/{alert['alert_id']}/cap", headers=isr)
        ).status_code == 404
        feed = await c.get(f"{live.base}/api/v1/feeds/JOR/cap.atom", headers=jor)
        assert feed.status_code == 200 and alert["alert_id"].encode() in feed.content
        assert (
            await c.get(f"{live.base}/api/v1/feeds/JOR/cap.atom", headers=isr)
        ).status_code == 403
        # The picture and incidents as released; the lead assignment.
        tracks = (await c.get(f"{live.base}/api/v1/tracks", headers=jor)).json()["tracks"]
        assert tracks and tracks[0]["sources"] == ["JOR"]
        incidents = (await c.get(f"{live.base}/api/v1/incidents", headers=jor)).json()
        assert incidents and alert["alert_id"] in incidents[0]["alerts"]

        async def lead():  # type: ignore[no-untyped-def]
            r = await c.get(f"{live.base}/api/v1/assignments", headers=usa)
            return r.json()

        (assignment,) = await wait_for(lead, "assignment")
        assert f"{assignment['rule']} rule" in assignment["explanation"]  # the cell sees why
        # A partner's own system acknowledges with its Ed25519 key instead of a session.
        url = f"{live.base}/api/v1/alerts/{alert['alert_id']}/signed-ack"
        path, now = url.removeprefix(live.base), live.clock.now()
        body, headers = signed({"version": alert["version"]}, path=path, at=now)
        r = await c.post(url, content=body, headers=headers)
        assert r.status_code == 200 and r.json()["user"] == "jor-system:k1"
        body, headers = signed({"version": alert["version"]}, partner="ISR", path=path, at=now)
        assert (await c.post(url, content=body, headers=headers)).status_code == 404
        headers["X-Warnline-Partner"] = "JOR"
        assert (await c.post(url, content=body, headers=headers)).status_code == 401
        body, headers = signed({"version": 0}, path=path, at=now)
        bad = await c.post(url, content=body, headers=headers)
        assert bad.status_code == 422 and bad.json()["field"] == "version"
        await ws.close()
    entries = live.journal.read()
    assert any(
        e.event.kind == "ack.received" and e.event.payload["user"] == "jor-watch" for e in entries
    )
    assert any(
        e.event.kind == "delivery.result" and e.event.payload["recipient"] == "jor-watch"
        for e in entries
    )
    assert any(
        e.event.kind == "ack.received" and e.event.payload["channel"] == "api-signed"
        for e in entries
    )


async def test_ops_endpoints(live: Live) -> None:
    async with httpx.AsyncClient() as c:
        assert (await c.get(f"{live.base}/healthz")).json()["status"] == "ok"
        assert (await c.get(f"{live.base}/metrics")).status_code == 401  # behind a credential
        m = await c.get(f"{live.base}/metrics", headers=await live.token(c, "usa-watch"))
        assert m.status_code == 200 and "warnline_journal_seq" in m.text
        spec = (await c.get(f"{live.base}/openapi.json")).json()
        assert "/api/v1/reports" in spec["paths"] and "SubmissionIn" in json.dumps(spec)
        page = await c.get(f"{live.base}/")
        assert page.status_code == 200 and "Warnline console" in page.text


async def test_takeover_through_the_api_changes_who_is_called(live: Live) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        jor = await live.token(client, "jor-watch")
        url = f"{live.base}/api/v1/roster/takeovers"
        body = {"role": "watch", "contact": "JOR night watch", "minutes": 60}
        r = await client.post(url, json=body, headers=jor)
        assert r.status_code == 201, r.text
        assert r.json()["contact"] == "JOR night watch"

        async def taken() -> list[object]:
            return list(live.node.outreach.escalator.takeovers)

        (t,) = await wait_for(taken, "the take-over folded")
        jor_partner = live.node.agreement.partners["JOR"]
        (who,) = on_duty(jor_partner, "watch", live.clock.now(), [t])  # T0 is a day shift
        assert who.name == "JOR night watch"
        bad = await client.post(url, json={**body, "contact": "nobody"}, headers=jor)
        assert bad.status_code == 400 and bad.json()["field"] == "contact"
        assert "no contact 'nobody'" in bad.json()["detail"]
        zero = await client.post(url, json={**body, "minutes": 0}, headers=jor)
        assert zero.status_code == 422 and zero.json()["field"] == "body.minutes"
