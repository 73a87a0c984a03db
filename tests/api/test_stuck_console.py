"""A console that stops reading cannot stall anyone else's alerts (issue 10, finding 1).

The stuck console is a real WebSocket on loopback whose client stops reading after the
handshake, with a tiny receive buffer, so the node's writes fill the TCP window and its
transport stops taking bytes. Every wait here is bounded; nothing sleeps to order events.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import PASSWORD, Live, wait_for
from tests.factories import T0, free_port, signed, wire_report
from warnline.accounts import Accounts, Role, User
from warnline.agreement.model import Agreement
from warnline.api.server import serving
from warnline.domain import ManualClock
from warnline.journal import SQLiteJournal
from warnline.node import Node, NodeSettings
from warnline.sim.stream_client import connect_stream, open_stuck_console

FILL = "x" * 65_536  # one message of 64 KiB: a few dozen fill any window on loopback
# Each alert must reach the other consoles well within the stuck socket's 60 s deadline:
# waiting on it even once would take that long. (On a quiet machine it takes tens of ms;
# the bound leaves room for a shared, loaded one. `warnline bench soak` measures p99.)
PROMPT_S = 3.0


async def _node(agreement: Agreement, tmp_path: Path, deadline_s: float) -> AsyncIterator[Live]:
    pw = Accounts.hash_password(PASSWORD)
    users = [
        User(username="jor-watch", partner="JOR", role=Role.WATCH, password_hash=pw),
        User(username="usa-watch", partner="USA", role=Role.CELL, password_hash=pw),
        User(username="jor-observer", partner="JOR", role=Role.OBSERVER, password_hash=pw),
    ]
    clock = ManualClock(T0)
    journal = SQLiteJournal(tmp_path / "journal.db")
    node = Node(
        agreement=agreement,
        journal=journal,
        clock=clock,
        accounts=Accounts(users),
        settings=NodeSettings(speed=10, picture_push_s=0.2, console_send_deadline_s=deadline_s),
    )
    async with serving(node, port=free_port()) as base:
        yield Live(base=base, node=node, clock=clock, journal=journal)
    journal.close()


@pytest.fixture
async def patient_send(agreement: Agreement, tmp_path: Path) -> AsyncIterator[Live]:
    """Sends wait up to a minute: the stuck console stays stuck for the whole raid."""
    async for live in _node(agreement, tmp_path, deadline_s=60.0):
        yield live


@pytest.fixture
async def quick_drop(agreement: Agreement, tmp_path: Path) -> AsyncIterator[Live]:
    async for live in _node(agreement, tmp_path, deadline_s=0.5):
        yield live


def _open_stuck(base: str, token: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return open_stuck_console(host, int(port), token, timeout_s=5)


@dataclass
class Reader:
    """A console that does read: every message with its arrival time."""

    ws: Any
    got: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    async def run(self) -> None:
        async for raw in self.ws:
            self.got.append((time.monotonic(), json.loads(raw)))

    def alerts(self) -> dict[tuple[str, int], float]:
        return {
            (m["alert"]["alert_id"], m["alert"]["version"]): t
            for t, m in self.got
            if m["type"] == "alert"
        }


async def _login(live: Live, c: httpx.AsyncClient, user: str) -> str:
    r = await c.post(f"{live.base}/api/v1/session", json={"username": user, "password": PASSWORD})
    r.raise_for_status()
    return str(r.json()["token"])


async def _reader(live: Live, token: str) -> tuple[Reader, asyncio.Task[None]]:
    ws = await connect_stream(live.base, token)
    reader = Reader(ws)
    return reader, asyncio.create_task(reader.run())


async def _jam(live: Live, user: str) -> None:
    """Push 64 KiB messages to `user` until their outbox holds some: the socket no
    longer takes bytes. Each push must return at once (it did not, before)."""
    for _ in range(400):
        await asyncio.wait_for(live.node.console.send(user, {"type": "fill", "x": FILL}), 0.5)
        if live.node.console.backlog() >= 8:
            return
        await asyncio.sleep(0.01)  # let the writer hand what it can to the kernel
    raise AssertionError("the stuck console kept taking bytes")


def _journaled_alerts(live: Live) -> set[tuple[str, int]]:
    return {
        (e.event.payload["alert_id"], e.event.payload["version"])
        for e in live.journal.read()
        if e.event.kind == "alert.issued" and e.event.payload["partner"] == "JOR"
    }


async def test_a_console_that_never_reads_does_not_delay_anyone_elses_alerts(
    patient_send: Live,
) -> None:
    live = patient_send
    async with httpx.AsyncClient() as c:
        stuck_token = await _login(live, c, "jor-observer")
        stuck = await asyncio.to_thread(_open_stuck, live.base, stuck_token)
        readers: list[tuple[Reader, asyncio.Task[None]]] = []
        try:
            await wait_for(
                _async(lambda: live.node.console.reachable("jor-observer")), "stuck console"
            )
            for user in ("jor-watch", "usa-watch"):
                readers.append(await _reader(live, await _login(live, c, user)))
            await _jam(live, "jor-observer")
            # A raid on Amman while the observer's socket stays full: after each report,
            # every alert version journaled so far is soon on both other consoles.
            seen: dict[tuple[str, int], float] = {}
            for i in range(0, 30, 2):
                t = T0 + timedelta(seconds=i)
                live.clock.set(t + timedelta(seconds=1))
                lon = 36.35 - (50.0 * i) / (111_320.0 * 0.848)
                body, headers = signed(
                    [wire_report(f"d{i}", t=t, position={"lat": 31.95, "lon": lon, "alt_m": 150.0})]
                )
                r = await c.post(f"{live.base}/api/v1/reports", content=body, headers=headers)
                assert r.status_code == 202, r.text
                posted = time.monotonic()
                await _settled(live)
                for version in _journaled_alerts(live) - set(seen):
                    seen[version] = posted

                async def all_delivered() -> bool:
                    return all(set(seen) <= set(rd.alerts()) for rd, _ in readers)

                await wait_for(all_delivered, "alerts on the other consoles", timeout_s=PROMPT_S)
            assert seen, "the raid raised no alert"
            for reader, _ in readers:
                late = {v: reader.alerts()[v] - seen[v] for v in seen}
                assert max(late.values()) < PROMPT_S, late
            # The observer's socket is still held open and still full: nothing waited on it.
            assert live.node.console.reachable("jor-observer")
            assert live.node.console.backlog() >= 8
            health = (await c.get(f"{live.base}/healthz")).json()
            assert health["status"] == "ok", health
        finally:
            stuck.close()
            for reader, task in readers:
                await reader.ws.close()
                task.cancel()


async def test_a_stuck_console_is_dropped_and_told_why_when_it_returns(quick_drop: Live) -> None:
    live = quick_drop
    async with httpx.AsyncClient() as c:
        token = await _login(live, c, "jor-observer")
        stuck = await asyncio.to_thread(_open_stuck, live.base, token)
        try:
            await wait_for(_async(lambda: live.node.console.reachable("jor-observer")), "stuck")
            await _jam(live, "jor-observer")
            await wait_for(
                _async(lambda: not live.node.console.reachable("jor-observer")),
                "the stuck console dropped",
                timeout_s=3.0,
            )
            assert "not taken within 0.5 s" in (live.node.console.notice_for("jor-observer") or "")
            # The node cut the connection: the client finds it closed once it reads.
            stuck.settimeout(5)
            assert await asyncio.to_thread(_drained_to_eof, stuck)
        finally:
            stuck.close()
        reader, task = await _reader(live, token)
        try:

            async def notice() -> dict[str, Any] | None:
                return next((m for _, m in reader.got if m["type"] == "notice"), None)

            told = await wait_for(notice, "a notice on reconnect", timeout_s=3.0)
            assert told["code"] == "dropped" and "not taken within" in told["detail"]
            assert [m["type"] for _, m in reader.got][:2] == ["hello", "picture"]
            assert live.node.console.notice_for("jor-observer") is None
        finally:
            await reader.ws.close()
            task.cancel()


def _drained_to_eof(s: socket.socket) -> bool:
    """Read what the kernel still holds; True once the peer's close (or reset) arrives."""
    for _ in range(100_000):
        try:
            if not s.recv(65_536):
                return True
        except ConnectionResetError:
            return True
    return False


async def _settled(live: Live) -> None:
    """Bounded: the node has decided on everything journaled so far."""
    target = live.journal.last_seq()

    async def caught_up() -> bool:
        return live.node.lag.position >= target

    await wait_for(caught_up, "decisions caught up", timeout_s=2.0)


def _async(pred: Any) -> Any:
    async def check() -> bool:
        return bool(pred())

    return check
