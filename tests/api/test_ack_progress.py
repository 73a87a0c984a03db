"""What the console needs to keep an alert's Acknowledge action until the partner's rule
is met: every alert view carries `acknowledgement` (rule, roles still waited for, step
reached), an acknowledgement pushed on the stream carries it too, `me` names the duty
role, and the coordination cell is told channel health as soon as its stream opens."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from lxml import etree

from tests.api.conftest import Live, drive_drone, wait_for
from tests.factories import failed_webhook_results
from warnline.sim.stream_client import open_stream


async def _next(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if msg["type"] == kind:
            return dict(msg)


async def test_alert_views_carry_the_acknowledgement_progress(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        watch = await live.token(c, "jor-watch")
        me = (await c.get("/api/v1/me", headers=watch)).json()
        assert (me["duty_role"], me["may_acknowledge"]) == ("watch", True)
        observer = (await c.get("/api/v1/me", headers=await live.token(c, "jor-observer"))).json()
        assert observer["may_acknowledge"] is False
        await drive_drone(live, c)

        async def amman() -> dict[str, Any] | None:
            alerts = (await c.get("/api/v1/alerts", headers=watch)).json()
            return next((a for a in alerts if a["area_id"] == "JOR-amman"), None)

        alert = await wait_for(amman, "the Amman alert")
        progress = alert["acknowledgement"]
        assert progress["rule"] == "floor" and progress["met"] is False
        assert "watch" in progress["waiting_for"]
        assert set(progress["escalation"]) >= {"step", "steps", "round", "next_roles"}

        # The texts per language are those of the CAP message's info blocks.
        cap = await c.get(f"/api/v1/alerts/{alert['alert_id']}/cap", headers=watch)
        root = etree.fromstring(cap.content)
        ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
        blocks = {
            i.findtext("cap:language", namespaces=ns)[:2]: i.findtext("cap:headline", namespaces=ns)
            for i in root.findall("cap:info", ns)
        }
        assert set(alert["texts"]) == {"ar", "en"} == set(blocks)
        assert {k: v["headline"] for k, v in alert["texts"].items()} == blocks

        token = watch["authorization"][7:]
        async with open_stream(live.base, token) as ws:
            await _next(ws, "hello")
            r = await c.post(f"/api/v1/alerts/{alert['alert_id']}/ack", headers=watch, json={})
            assert r.status_code == 200
            echo = await _next(ws, "ack")
        assert echo["user"] == "jor-watch"
        assert echo["acknowledgement"]["met"] is True
        assert echo["acknowledgement"]["acked_by"] == ["jor-watch"]
        # Acknowledging again changes nothing (the console resends what it queued).
        again = await c.post(f"/api/v1/alerts/{alert['alert_id']}/ack", headers=watch, json={})
        assert again.status_code == 200
        acks = [
            e
            for e in live.journal.read()
            if e.event.kind == "ack.received" and e.event.payload["alert_id"] == alert["alert_id"]
        ]
        assert len(acks) == 1
        since = (await c.get("/api/v1/alerts?since=0", headers=watch)).json()["alerts"]
        assert all("acknowledgement" in a for a in since)


async def test_cell_stream_opens_with_channel_health_named_by_partner(live: Live) -> None:
    await live.node.inbox.append(
        failed_webhook_results("greeting", live.clock.now(), route="10.20.30.40:8443")
    )

    async def dead() -> bool:
        return any(c["status"] == "dead" for c in live.node.views.channel_health())

    await wait_for(dead, "the dead channel")
    async with httpx.AsyncClient(base_url=live.base) as c:
        cell = (await live.token(c, "usa-watch"))["authorization"][7:]
        jor = (await live.token(c, "jor-watch"))["authorization"][7:]
    async with open_stream(live.base, cell) as ws:
        health = await _next(ws, "channel.health")
    [egy] = [ch for ch in health["channels"] if ch["status"] == "dead"]
    assert egy["label"] == "EGY webhook"
    assert egy["partners"] == ["EGY"] and egy["route"] == "10.20.30.40:8443"
    assert egy["channel"] == "webhook 10.20.30.40:8443"  # the key as before
    async with open_stream(live.base, jor) as ws:  # a partner is not told
        kinds: list[str] = []
        loop = asyncio.get_running_loop()
        until = loop.time() + 1.5  # the greeting, then pictures every 0.2 s
        while (left := until - loop.time()) > 0:
            try:
                kinds.append(json.loads(await asyncio.wait_for(ws.recv(), left))["type"])
            except TimeoutError:
                break
    assert kinds[:2] == ["hello", "picture"] and "channel.health" not in kinds
