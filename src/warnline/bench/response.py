"""The lead-partner procedure's cost, through a real node and in process.

End to end (fresh node per trial, loopback, SQLite journal with fsync): from the POST of
the report that confirms a hostile drone to the lead offer on the commander's WebSocket;
then from the commander's accept (POST /incidents/{id}/lead) to the lead record on that
WebSocket. Peer measured in the same trial on the same node: the watch officer's alert
acknowledgement (POST /alerts/{id}/ack) to the ack on the officer's WebSocket, the same
journal → fold → push path that any operator action takes.

In process: one `LeadProcedure.evaluate` tick with N confirmed incidents being ranked
(every one offered at once), and a steady tick with every offer open.
"""

from __future__ import annotations

import asyncio
import json
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
from warnline.bench.latency import _body, _port
from warnline.domain import (
    Alert,
    AlertStatus,
    Incident,
    MsgType,
    Position,
    Severity,
    SystemClock,
    ThreatKind,
    Urgency,
)
from warnline.ingest.signature import sign_request
from warnline.journal import SQLiteJournal
from warnline.node import Node, NodeSettings
from warnline.response import LeadProcedure
from warnline.sim.stream_client import open_stream


async def _until(ws: Any, pred: Any) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if pred(msg):
            return msg


def _is_offer(m: dict[str, Any]) -> bool:
    return bool(m["type"] == "assignment" and m["assignment"]["status"] == "offered")


def _is_lead(m: dict[str, Any]) -> bool:
    return bool(m["type"] == "assignment" and m["assignment"]["status"] == "lead")


def _sign(body: bytes, key: SigningKey) -> dict[str, str]:
    return sign_request(
        "POST", "/api/v1/reports", body, partner="JOR", key=key, created=datetime.now(UTC)
    )


async def _trial(tmp: Path, k: int) -> tuple[float, float, float]:
    pw = Accounts.hash_password("pw")
    accounts = Accounts(
        [
            User(username="jor-watch", partner="JOR", role=Role.WATCH, password_hash=pw),
            User(username="jor-cmd", partner="JOR", role=Role.COMMANDER, password_hash=pw),
        ]
    )
    journal = SQLiteJournal(tmp / f"trial{k}.db")
    node = Node(
        agreement=default_agreement(), journal=journal, clock=SystemClock(),
        accounts=accounts, settings=NodeSettings(),
    )  # fmt: skip
    key = exercise_signing_key("JOR")
    try:
        async with serving(node, port=_port()) as base, httpx.AsyncClient(base_url=base) as http:
            tokens = {}
            for user in ("jor-watch", "jor-cmd"):
                r = await http.post("/api/v1/session", json={"username": user, "password": "pw"})
                tokens[user] = r.json()["token"]
            async with (
                open_stream(base, tokens["jor-watch"]) as watch,
                open_stream(base, tokens["jor-cmd"]) as cmd,
            ):
                now = datetime.now(UTC)
                first = _body(f"a{k}", now - timedelta(seconds=2), 36.62)
                await http.post("/api/v1/reports", content=first,
                                headers=_sign(first, key))  # fmt: skip
                await asyncio.sleep(0.3)
                second = _body(f"b{k}", datetime.now(UTC), 36.6)
                t0 = time.perf_counter()
                await http.post("/api/v1/reports", content=second,
                                headers=_sign(second, key))  # fmt: skip
                offer = (await _until(cmd, _is_offer))["assignment"]
                to_offer = time.perf_counter() - t0
                alert = (await _until(watch, lambda m: m["type"] == "alert"))["alert"]
                auth = {"authorization": f"Bearer {tokens['jor-cmd']}"}
                t1 = time.perf_counter()
                r = await http.post(f"/api/v1/incidents/{offer['incident_id']}/lead",
                                    json={"accept": True}, headers=auth)  # fmt: skip
                assert r.status_code == 202, r.text
                await _until(cmd, _is_lead)
                to_lead = time.perf_counter() - t1
                auth = {"authorization": f"Bearer {tokens['jor-watch']}"}
                t2 = time.perf_counter()
                await http.post(f"/api/v1/alerts/{alert['alert_id']}/ack", json={}, headers=auth)
                await _until(watch, lambda m: m["type"] == "ack")
                to_ack = time.perf_counter() - t2
    finally:
        journal.close()
    return to_offer * 1000, to_lead * 1000, to_ack * 1000


def _in_process(n: int) -> dict[str, float]:
    agreement = default_agreement()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    areas = [a for a in agreement.areas if not a.geometry.is_empty]
    incidents, alerts, positions = [], {}, {}
    for i in range(n):
        inc = f"I{i:05d}"
        incidents.append(Incident(incident_id=inc, opened_at=t0, updated_at=t0,
                                  track_ids=(f"T{i}",), confirmed_hostile=True))  # fmt: skip
        for j in range(3):
            area = areas[(i * 7 + j * 13) % len(areas)]
            tta = 120.0 + 60 * j
            alerts[f"A-{inc}-{area.area_id}"] = Alert(
                alert_id=f"A-{inc}-{area.area_id}", version=1, incident_id=inc,
                area_id=area.area_id, area_name=area.name, partner=area.partner,
                msg_type=MsgType.ALERT, status=AlertStatus.EXERCISE, sent_at=t0,
                severity=Severity.SEVERE, urgency=Urgency.IMMEDIATE, time_to_arrival_s=tta,
                expected_at=t0 + timedelta(seconds=tta), kinds={ThreatKind.DRONE: 1},
                headline="h", reason="r",
            )  # fmt: skip
        c = area.geometry.representative_point()
        positions[inc] = Position(lat=c.y, lon=c.x)
    proc = LeadProcedure(agreement=agreement)
    s0 = time.perf_counter()
    offers = proc.evaluate(incidents, alerts, t0, positions)
    confirm = time.perf_counter() - s0
    s1 = time.perf_counter()
    proc.evaluate(incidents, alerts, t0 + timedelta(seconds=1), positions)
    steady = time.perf_counter() - s1
    return {
        "incidents": n,
        "records": len(offers),
        "confirmation_tick_ms": round(confirm * 1000, 2),
        "per_incident_ranking_us": round(confirm / n * 1e6, 1),
        "steady_tick_ms": round(steady * 1000, 2),
    }


def run(trials: int = 10) -> dict[str, Any]:
    async def all_trials() -> list[tuple[float, float, float]]:
        with tempfile.TemporaryDirectory() as d:
            return [await _trial(Path(d), k) for k in range(trials)]

    results = asyncio.run(all_trials())
    offer = statistics.median(r[0] for r in results)
    lead = statistics.median(r[1] for r in results)
    ack = statistics.median(r[2] for r in results)
    return {
        "trials": trials,
        "confirmation_to_offer_on_console_p50_ms": round(offer, 1),
        "accept_to_lead_on_console_p50_ms": round(lead, 1),
        "accept_to_lead_max_ms": round(max(r[1] for r in results), 1),
        "peer_ack_to_ack_on_console_p50_ms": round(ack, 1),
        "ratio_accept_vs_ack": round(lead / ack, 2),
        "in_process": [_in_process(n) for n in (10, 100, 300)],
    }
