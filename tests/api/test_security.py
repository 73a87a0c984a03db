"""Console and API protections: CSRF, cross-site WebSockets, oversize bodies, sign-in delays."""

from __future__ import annotations

import httpx
import pytest
import websockets

from tests.api.conftest import PASSWORD, Live
from tests.factories import signed, wire_report
from warnline.sim.stream_client import open_stream


async def test_cookie_alone_cannot_change_state(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        r = await c.post("/api/v1/session", json={"username": "jor-watch", "password": PASSWORD})
        assert "warnline_session" in r.cookies
        assert (await c.get("/api/v1/alerts")).status_code == 200  # the cookie reads
        forged = await c.post("/api/v1/alerts/A-JOR/ack", json={})
        assert forged.status_code == 401 and "bearer" in forged.json()["detail"]
        token = r.json()["token"]
        real = await c.post(
            "/api/v1/alerts/A-none/ack", json={}, headers={"authorization": f"Bearer {token}"}
        )
        assert real.status_code == 404  # authenticated; the alert just does not exist


async def test_cross_site_websocket_refused(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        token = (
            await c.post("/api/v1/session", json={"username": "jor-watch", "password": PASSWORD})
        ).json()["token"]
    host = live.base.split("://")[1]
    async with open_stream(live.base, token, origin=f"http://{host}") as ws:
        assert "hello" in await ws.recv()
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with open_stream(live.base, token, origin="http://evil.example") as ws:
            await ws.recv()
    assert refused.value.response.status_code == 403


async def test_oversize_submission_refused_before_reading_it(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        body, headers = signed([wire_report(f"r{i}") for i in range(8000)])
        assert len(body) > 2 * 1024 * 1024
        r = await c.post("/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 413 and r.json()["field"] == "body"
    assert not any(e.event.kind == "report.received" for e in live.journal.read())


async def test_password_guessing_is_slowed_with_retry_after(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        for _ in range(4):  # three free tries, the fourth failure starts a 1 s delay
            r = await c.post("/api/v1/session", json={"username": "isr-watch", "password": "guess"})
            assert r.status_code == 401
        r = await c.post("/api/v1/session", json={"username": "isr-watch", "password": PASSWORD})
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        assert r.json()["type"].endswith("/sign-in-delay") and r.json()["retry_after_s"] == 1
        ok = await c.post("/api/v1/session", json={"username": "jor-watch", "password": PASSWORD})
        assert ok.status_code == 200  # other names from the same address are not held
        live.clock.advance(1.0)  # the delay runs on the node's clock, not the wall's
        r = await c.post("/api/v1/session", json={"username": "isr-watch", "password": PASSWORD})
        assert r.status_code == 200


async def test_hub_signs_every_json_answer(live: Live) -> None:
    from warnline.api.signing import HEADER, verify_hub_signature

    hub_key = live.node.agreement.hub_public_key
    async with httpx.AsyncClient(base_url=live.base) as c:
        r = await c.post("/api/v1/session", json={"username": "jor-watch", "password": PASSWORD})
        token = r.json()["token"]
        answer = await c.get("/api/v1/alerts", headers={"authorization": f"Bearer {token}"})
        assert verify_hub_signature(answer.content, answer.headers[HEADER], hub_key)
        refused = await httpx.AsyncClient(base_url=live.base).get("/api/v1/tracks")
        assert refused.status_code == 401 and verify_hub_signature(
            refused.content, refused.headers[HEADER], hub_key
        )
        assert not verify_hub_signature(answer.content + b" ", answer.headers[HEADER], hub_key)
        assert HEADER not in (await c.get("/healthz")).headers


async def test_app_built_without_a_key_still_signs(patient: Live) -> None:
    """The app that serve and the exercise build always signs (here: an exercise hub
    given no key, which signs with the exercise key the agreement names)."""
    from warnline.api.signing import HEADER, verify_hub_signature

    async with httpx.AsyncClient(base_url=patient.base) as c:
        answer = await c.get("/api/v1/alerts", headers=await patient.token(c, "jor-watch"))
    assert answer.status_code == 200
    assert verify_hub_signature(
        answer.content, answer.headers[HEADER], patient.node.agreement.hub_public_key
    )


def test_app_outside_an_exercise_needs_the_hub_key(live: Live) -> None:
    from dataclasses import replace

    from warnline.api.app import create_app
    from warnline.errors import ConfigError

    live.node.views.agreement = replace(live.node.agreement, exercise=False)
    with pytest.raises(ConfigError, match="needs its key"):
        create_app(live.node)
