"""The console stream: opened only by an auth message carrying the bearer token (not
the cookie alone, not a token in the URL); a malformed command gets an error answer
and the socket stays open, with nothing logged; receipts are checked."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.api.conftest import PASSWORD, Live, drive_drone, wait_for
from warnline.sim.stream_client import connect_stream, open_stream


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_log() -> Iterator[Collect]:
    """What the server logs (uvicorn's loggers do not propagate to the root)."""
    handler = Collect()
    loggers = [logging.getLogger(n) for n in ("uvicorn.error", "uvicorn", "warnline")]
    for lg in loggers:
        lg.addHandler(handler)
    yield handler
    for lg in loggers:
        lg.removeHandler(handler)


async def _session(live: Live) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=live.base) as c:
        r = await c.post("/api/v1/session", json={"username": "jor-watch", "password": PASSWORD})
        return r.json()["token"], r.cookies["warnline_session"]


async def _next(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if msg["type"] == kind:
            return dict(msg)


async def test_cookie_or_url_token_alone_do_not_open_the_stream(live: Live) -> None:
    token, cookie = await _session(live)
    url = live.base.replace("http", "ws") + "/api/v1/stream"
    attempts = [
        websockets.connect(url, additional_headers={"cookie": f"warnline_session={cookie}"}),
        websockets.connect(f"{url}?token={token}"),
    ]
    for attempt in attempts:
        async with attempt as ws:
            await ws.send(json.dumps({"type": "ack", "alert_id": "A-JOR"}))
            refused = json.loads(await ws.recv())
            assert refused["type"] == "error" and "auth" in refused["detail"]
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": "not-a-session"}))
        assert json.loads(await ws.recv())["status"] == 401
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await ws.recv()
    ws = await connect_stream(live.base, token)
    assert json.loads(await ws.recv())["type"] == "hello"
    await ws.close()


@pytest.mark.parametrize(
    "frame",
    [
        "{not json",
        "[1, 2]",
        "42",
        b"\x00binary",
        json.dumps({"type": "launch"}),
        json.dumps({"type": "ack"}),
        json.dumps({"type": "ack", "alert_id": "A-JOR", "version": "1"}),
        json.dumps({"type": "received", "alert_id": "A" * 1_000_000, "version": 1}),
        json.dumps({"type": "received", "alert_id": "A-JOR", "version": 1, "extra": 1}),
        '{"type": "ack", "alert_id": "A-JOR", "alert_id": "A-ISR"}',
    ],
    ids=["not-json", "array", "number", "binary", "unknown-type", "missing-field",
         "string-version", "megabyte-id", "extra-field", "duplicate-key"],
)  # fmt: skip
async def test_malformed_command_gets_an_error_and_the_socket_stays(
    live: Live, server_log: Collect, frame: str | bytes
) -> None:
    token, _ = await _session(live)
    ws = await connect_stream(live.base, token, max_size=None)
    try:
        await _next(ws, "hello")
        await ws.send(frame)
        error = await _next(ws, "error")
        assert error["status"] == 422 and error["detail"]
        await ws.send(json.dumps({"type": "ack", "alert_id": "A-none"}))  # still listening
        assert (await _next(ws, "error"))["status"] == 404
    finally:
        await ws.close()
    assert [r.getMessage() for r in server_log.records if r.levelno >= logging.WARNING] == []
    assert not any(e.event.kind == "ack.received" for e in live.journal.read())


async def test_receipts_only_for_an_alert_addressed_to_the_user(live: Live) -> None:
    def receipts() -> list[str]:
        return [
            e.event.event_id for e in live.journal.read() if e.event.event_id.startswith("receipt:")
        ]

    async with httpx.AsyncClient(base_url=live.base) as c:
        await drive_drone(live, c)
        jor = await live.token(c, "jor-watch")

        async def alert() -> dict[str, Any] | None:
            alerts = (await c.get("/api/v1/alerts", headers=jor)).json()
            return alerts[0] if alerts else None

        a = await wait_for(alert, "a JOR alert")
        isr = (await live.token(c, "isr-watch"))["authorization"][7:]
    isr_ws = await connect_stream(live.base, isr)
    jor_ws = await connect_stream(live.base, jor["authorization"][7:])
    try:
        before = len(receipts())
        for cmd in (
            {"type": "received", "alert_id": "A-invented", "version": 1},
            {"type": "received", "alert_id": a["alert_id"], "version": 1},  # not ISR's alert
        ):
            await isr_ws.send(json.dumps(cmd))
            assert (await _next(isr_ws, "error"))["status"] == 404
        await jor_ws.send(json.dumps({"type": "received", "alert_id": a["alert_id"],
                                      "version": a["version"] + 5}))  # fmt: skip
        error = await _next(jor_ws, "error")
        assert error["status"] == 400 and error["field"] == "version"
        assert len(receipts()) == before
        await jor_ws.send(json.dumps({"type": "received", "alert_id": a["alert_id"],
                                      "version": a["version"], "count": 7}))  # fmt: skip

        real = f"receipt:{a['alert_id']}:v{a['version']}:jor-watch:console:7"
        await jor_ws.send(json.dumps({"type": "probe"}))  # answered after the receipt is in
        await _next(jor_ws, "error")
        assert real in receipts()
    finally:
        await isr_ws.close()
        await jor_ws.close()
    assert not any(":isr-watch:" in r for r in receipts())


async def test_consoles_draw_confirmed_tracks_only(live: Live) -> None:
    """A one-report track is in `/tracks`, not on the consoles' map: it is not yet an
    object, and a partner flooding never-seen objects must not fill every console."""
    async with httpx.AsyncClient(base_url=live.base, timeout=10) as c:
        auth = await live.token(c, "jor-watch")
        await drive_drone(live, c, seconds=2)  # one report
        tracks = (await c.get("/api/v1/tracks", headers=auth)).json()["tracks"]
        assert [t["state"] for t in tracks] == ["tentative"]
        async with open_stream(live.base, auth["authorization"][7:]) as ws:
            assert (await _next(ws, "picture"))["tracks"] == []
        await drive_drone(live, c, seconds=30)
        async with open_stream(live.base, auth["authorization"][7:]) as ws:
            drawn = (await _next(ws, "picture"))["tracks"]
        assert drawn and all(t["state"] != "tentative" for t in drawn)
