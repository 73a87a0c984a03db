"""Detection to console: from the POST of the report that confirms a threat track to
the alert arriving on a watch officer's WebSocket, through a real node (HTTP, SQLite
journal with fsync, pipeline on 0.1 s ticks, dispatch, WebSocket).

Each trial uses a fresh node (so every trial raises a new alert) on a loopback port.
Peer measured in the same run: a bare HTTP round trip to /healthz on the same node,
the floor any HTTP-based path pays.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from nacl.signing import SigningKey

from warnline.accounts import Accounts, Role, User
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.load import default_agreement
from warnline.api.server import serving
from warnline.domain import SystemClock
from warnline.ingest.signature import sign_request
from warnline.journal import SQLiteJournal
from warnline.node import Node, NodeSettings
from warnline.sim.stream_client import open_stream


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _body(rid: str, t: datetime, lon: float) -> bytes:
    report = {
        "report_id": rid,
        "sensor": "jor-radar-1",
        "sensor_track": "st1",
        "observed_at": t.isoformat(),
        "position": {"lat": 31.95, "lon": lon, "alt_m": 150.0},
        "velocity": {"east": -50.0, "north": 0.0},
        "accuracy_m": 200.0,
        "kind": "drone",
        "identity": "hostile",
        "confidence": 0.8,
    }
    return json.dumps([report]).encode()


def _sign(body: bytes, key: SigningKey) -> dict[str, str]:
    return sign_request(
        "POST", "/api/v1/reports", body, partner="JOR", key=key, created=datetime.now(UTC)
    )


async def _trial(tmp: Path, k: int) -> tuple[float, float]:
    agreement = default_agreement()
    accounts = Accounts(
        [
            User(
                username="jor-watch",
                partner="JOR",
                role=Role.WATCH,
                password_hash=Accounts.hash_password("pw"),
            )
        ]
    )
    journal = SQLiteJournal(tmp / f"trial{k}.db")
    node = Node(
        agreement=agreement,
        journal=journal,
        clock=SystemClock(),
        accounts=accounts,
        settings=NodeSettings(),
    )
    key = exercise_signing_key("JOR")
    try:
        async with serving(node, port=_port()) as base, httpx.AsyncClient(base_url=base) as http:
            token = (
                await http.post("/api/v1/session", json={"username": "jor-watch", "password": "pw"})
            ).json()["token"]
            async with open_stream(base, token) as ws:
                now = datetime.now(UTC)
                first = _body(f"a{k}", now - timedelta(seconds=2), 36.62)
                await http.post(
                    "/api/v1/reports",
                    content=first,
                    headers=_sign(first, key),
                )
                await asyncio.sleep(0.3)
                second = _body(f"b{k}", datetime.now(UTC), 36.6)
                t0 = time.perf_counter()
                r = await http.post(
                    "/api/v1/reports",
                    content=second,
                    headers=_sign(second, key),
                )
                assert r.status_code == 202, r.text
                while True:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    if msg["type"] == "alert":
                        break
                latency = time.perf_counter() - t0
                h0 = time.perf_counter()
                await http.get("/healthz")
                floor = time.perf_counter() - h0
    finally:
        journal.close()
    return latency * 1000, floor * 1000


def run(trials: int = 15) -> dict[str, Any]:
    async def all_trials() -> list[tuple[float, float]]:
        with tempfile.TemporaryDirectory() as d:
            return [await _trial(Path(d), k) for k in range(trials)]

    results = asyncio.run(all_trials())
    lat = sorted(r[0] for r in results)
    floor = sorted(r[1] for r in results)
    return {
        "trials": trials,
        "detection_to_console_p50_ms": round(statistics.median(lat), 1),
        "detection_to_console_max_ms": round(lat[-1], 1),
        "http_roundtrip_p50_ms": round(statistics.median(floor), 2),
        "ratio_p50_vs_http_roundtrip": round(statistics.median(lat) / statistics.median(floor), 1),
        "tick_s": NodeSettings().tick_s,
    }
