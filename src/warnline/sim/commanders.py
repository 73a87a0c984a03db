"""The exercise's commanders and coordination cell, for the lead-partner procedure.

A commander follows their console stream and answers lead (or consent) offers made to
their partner: accepts, declines, or stays silent (so the offer times out), each with a
seeded probability and a human delay, half through the console stream and half through
the HTTP API. The cell operator takes the lead of any incident escalated to it, by
override. They only ever see what release shaped for them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from warnline.domain import ScaledClock
from warnline.sim.actors import end_tasks, spawn_answer
from warnline.sim.stream_client import open_stream

log = logging.getLogger("warnline.sim")


@dataclass(frozen=True, kw_only=True)
class Temper:
    """How a commander answers offers: the rest of the probability is silence."""

    p_accept: float
    p_decline: float


@dataclass
class ResponseLog:
    """What the commanders and the cell did, to check the journal against."""

    answers: Counter[str] = field(default_factory=Counter)  # accept / decline / silent
    overrides: int = 0
    errors: int = 0
    offers_seen: set[tuple[str, int]] = field(default_factory=set)  # (incident, version)


async def _session(http: httpx.AsyncClient, username: str, password: str) -> str:
    resp = await http.post("/api/v1/session", json={"username": username, "password": password})
    resp.raise_for_status()
    return str(resp.json()["token"])


class Commander:
    def __init__(
        self,
        *,
        username: str,
        password: str,
        partner: str,
        base_url: str,
        clock: ScaledClock,
        temper: Temper,
        rng: np.random.Generator,
        log_: ResponseLog,
    ) -> None:
        self.username = username
        self.password = password
        self.partner = partner
        self.base_url = base_url
        self.clock = clock
        self.temper = temper
        self.rng = rng
        self.log = log_
        self._answered: set[tuple[str, int]] = set()
        self._received: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self.connected = asyncio.Event()  # signed in and following the stream

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10.0) as http:
            token = await _session(http, self.username, self.password)
            try:
                async with open_stream(self.base_url, token, max_size=None) as ws:
                    self.connected.set()
                    async for raw in ws:
                        msg = json.loads(raw)
                        if msg.get("type") == "assignment":
                            self._on_assignment(ws, http, token, msg["assignment"])
                        elif msg.get("type") == "alert":  # the console page confirms receipt
                            await self._receipt(ws, msg["alert"])
            finally:
                await end_tasks(self._tasks)

    async def _receipt(self, ws: Any, alert: dict[str, Any]) -> None:
        self._received[alert["version_key"]] += 1
        receipt = {"type": "received", "alert_id": alert["alert_id"], "version": alert["version"]}
        await ws.send(json.dumps(receipt | {"count": self._received[alert["version_key"]]}))

    def _on_assignment(
        self, ws: Any, http: httpx.AsyncClient, token: str, a: dict[str, Any]
    ) -> None:
        key = (a["incident_id"], int(a["version"]))
        if a["status"] != "offered" or a["offered_to"] != self.partner or key in self._answered:
            return
        self._answered.add(key)
        self.log.offers_seen.add(key)
        draw = float(self.rng.random())
        if draw < self.temper.p_accept:
            accept = True
        elif draw < self.temper.p_accept + self.temper.p_decline:
            accept = False
        else:
            self.log.answers["silent"] += 1
            return
        delay = float(self.rng.uniform(2.0, 12.0))
        via_api = bool(self.rng.random() < 0.5)
        spawn_answer(self._tasks, self._answer(ws, http, token, a, accept, delay, via_api))

    async def _answer(
        self,
        ws: Any,
        http: httpx.AsyncClient,
        token: str,
        a: dict[str, Any],
        accept: bool,
        delay: float,
        via_api: bool,
    ) -> None:
        await asyncio.sleep(self.clock.wall_seconds(delay))
        body = {"accept": accept, "version": a["version"]}
        if via_api:
            r = await http.post(
                f"/api/v1/incidents/{a['incident_id']}/lead",
                json=body,
                headers={"authorization": f"Bearer {token}"},
            )
            if r.status_code != 202:  # superseded meanwhile (deadline, override): expected
                self.log.errors += 1
                return
        else:
            await ws.send(json.dumps({"type": "lead", "incident_id": a["incident_id"], **body}))
        self.log.answers["accept" if accept else "decline"] += 1


class CellOperator:
    """Takes the lead of incidents escalated to the coordination cell, by override."""

    def __init__(
        self,
        *,
        username: str,
        password: str,
        cell: str,
        base_url: str,
        clock: ScaledClock,
        log_: ResponseLog,
        delay_s: float = 5.0,
    ) -> None:
        self.username = username
        self.password = password
        self.cell = cell
        self.base_url = base_url
        self.clock = clock
        self.log = log_
        self.delay_s = delay_s
        self._done: set[str] = set()
        self.connected = asyncio.Event()  # signed in and following the stream

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10.0) as http:
            token = await _session(http, self.username, self.password)
            async with open_stream(self.base_url, token, max_size=None) as ws:
                self.connected.set()
                async for raw in ws:
                    msg = json.loads(raw)
                    a = msg.get("assignment") if msg.get("type") == "assignment" else None
                    if a and a["status"] == "escalated" and a["incident_id"] not in self._done:
                        self._done.add(a["incident_id"])
                        await asyncio.sleep(self.clock.wall_seconds(self.delay_s))
                        r = await http.post(
                            f"/api/v1/incidents/{a['incident_id']}/override",
                            json={"lead": self.cell, "reason": "escalated: the cell leads"},
                            headers={"authorization": f"Bearer {token}"},
                        )
                        if r.status_code == 202:
                            self.log.overrides += 1
                        else:
                            self.log.errors += 1


async def declare_readiness(
    base_url: str, username: str, password: str, sector: str, status: str, ttr: float
) -> dict[str, Any]:
    """A commander updates their partner's readiness in a sector (PUT /readiness)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0) as http:
        token = await _session(http, username, password)
        r = await http.put(
            "/api/v1/readiness",
            json={"sector": sector, "status": status, "time_to_respond_s": ttr},
            headers={"authorization": f"Bearer {token}"},
        )
        r.raise_for_status()
        out: dict[str, Any] = r.json()
        return out


__all__ = ["CellOperator", "Commander", "ResponseLog", "Temper", "declare_readiness"]
