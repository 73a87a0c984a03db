"""The lead-partner procedure through the HTTP API and the console stream of a real node:
a commander's offer, accept and decline, the cell's override, readiness declarations, and
the problems returned to the wrong people or at the wrong time."""

from __future__ import annotations

import asyncio
import json

import httpx

from tests.api.conftest import Live, drive_drone, wait_for
from warnline.sim.stream_client import connect_stream


async def test_offer_accept_override_and_readiness(patient: Live) -> None:
    live = patient
    async with httpx.AsyncClient() as c:
        cmd = await live.token(c, "jor-cmd")
        watch = await live.token(c, "jor-watch")
        isr_cmd = await live.token(c, "isr-cmd")
        cell = await live.token(c, "usa-watch")
        ws = await connect_stream(live.base, cmd["authorization"][7:])
        await drive_drone(live, c)

        async def offer_on_stream():  # type: ignore[no-untyped-def]
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if msg["type"] == "assignment" and msg["assignment"]["status"] == "offered":
                    return msg["assignment"]

        offer = await asyncio.wait_for(offer_on_stream(), 15)
        assert offer["offered_to"] == "JOR" and "sovereignty rule" in offer["explanation"]
        assert offer["ranking"] and offer["ranking"][0].startswith("1. JOR")
        inc = offer["incident_id"]
        url = f"{live.base}/api/v1/incidents/{inc}"
        # A watch officer may not decide; another partner's commander has no offer to answer.
        r = await c.post(f"{url}/lead", json={"accept": True}, headers=watch)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
        r = await c.post(f"{url}/lead", json={"accept": True}, headers=isr_cmd)
        assert r.status_code == 409 and r.json()["field"] == "incident_id"
        r = await c.post(f"{url}/lead", json={"accept": "maybe"}, headers=cmd)
        assert r.status_code == 422 and r.json()["field"] == "body.accept"
        r = await c.post(
            f"{live.base}/api/v1/incidents/I99999/lead", json={"accept": True}, headers=cmd
        )
        assert r.status_code == 404
        # The commander accepts through the console stream.
        await ws.send(json.dumps({"type": "lead", "incident_id": inc, "accept": True,
                                  "version": offer["version"]}))  # fmt: skip

        async def led():  # type: ignore[no-untyped-def]
            r = await c.get(f"{url}/lead", headers=isr_cmd)
            return r.json() if r.json()["status"] == "lead" else None

        lead = await wait_for(led, "lead")
        assert lead["lead"] == "JOR" and lead["ranking"] == []  # ISR is not involved
        assert lead["explanation"] == "Decided under the agreement's sovereignty rule."
        r = await c.post(f"{url}/lead", json={"accept": False}, headers=cmd)
        assert r.status_code == 409  # nothing open any more
        # Only the cell overrides; an unknown partner is a field error.
        r = await c.post(f"{url}/override", json={"lead": "ISR"}, headers=cmd)
        assert r.status_code == 403
        r = await c.post(f"{url}/override", json={"lead": "XYZ"}, headers=cell)
        assert r.status_code == 400 and r.json()["field"] == "lead"
        r = await c.post(f"{url}/override", json={"lead": "ISR", "reason": "drill"}, headers=cell)
        assert r.status_code == 202

        async def overridden():  # type: ignore[no-untyped-def]
            r = await c.get(f"{url}/lead", headers=cell)
            return r.json() if r.json()["rule"] == "override" else None

        rec = await wait_for(overridden, "override")
        assert rec["lead"] == "ISR" and rec["by"] == "usa-watch" and "drill" in rec["explanation"]
        # Readiness: declared by a commander, seen by its partner and the cell only.
        r = await c.put(f"{live.base}/api/v1/readiness",
                        json={"sector": "levant", "status": "limited", "time_to_respond_s": 90},
                        headers=cmd)  # fmt: skip
        assert r.status_code == 200 and r.json()["partner"] == "JOR"
        r = await c.put(f"{live.base}/api/v1/readiness",
                        json={"sector": "mars", "status": "ready", "time_to_respond_s": 9},
                        headers=cmd)  # fmt: skip
        assert r.status_code == 400 and r.json()["field"] == "sector"
        r = await c.put(f"{live.base}/api/v1/readiness",
                        json={"sector": "levant", "status": "ready", "time_to_respond_s": 9},
                        headers=watch)  # fmt: skip
        assert r.status_code == 403

        async def declared():  # type: ignore[no-untyped-def]
            r = await c.get(f"{live.base}/api/v1/readiness", headers=cmd)
            return [x for x in r.json() if x["sector"] == "levant" and x["status"] == "limited"]

        await wait_for(declared, "readiness")
        seen_by_isr = (await c.get(f"{live.base}/api/v1/readiness", headers=isr_cmd)).json()
        assert {x["partner"] for x in seen_by_isr} == {"ISR"}
        await ws.close()
    kinds = [e.event.kind for e in live.journal.read()]
    for kind in ("response.answer", "response.override", "readiness.declared"):
        assert kind in kinds
