"""The load generator of `warnline bench ingest`, run in a process of its own.

It must not share the server's core or its event loop, and it must cost the server
nothing it would not cost a partner: every request is signed before the timed part
starts (a signature takes ~150 us here, as much as the node's whole per-report
budget), and the timed part writes pre-built bytes on keep-alive connections and
reads the answers with a minimal HTTP/1.1 reader (an HTTP library would need more CPU
than the server it measures on this 2-core machine).

A phase is one JSON object on argv[1]; the figures come back as one JSON line on
stdout. `run_phase` is also called in-process by the test at a tiny size.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.ingest.signature import sign_request

PARTNERS = ("USA", "ISR", "SAU", "QAT", "EGY", "ARE", "BHR", "JOR")
TARGET = "/api/v1/reports"
M_PER_DEG = 111_320.0


@dataclass(frozen=True, kw_only=True)
class Phase:
    """What one load phase sends: `batch` reports per request (0: one report as a bare
    object) on `connections` keep-alive connections for `duration_s`, at most `budget`
    reports; `rate` > 0 sends the connections' requests interleaved, in their order, on
    `lanes` connections at that many reports/s in all and probes the report-to-decision
    latency every `probe_every` requests."""

    port: int
    name: str
    batch: int
    connections: int
    duration_s: float
    budget: int
    objects: int = 1000
    assumed_rate: float = 40_000.0  # reports/s the observation times are spread for
    rate: float = 0.0
    probe_every: int = 10
    lanes: int = 1
    health_every_s: float = 0.05
    seed: int = 11


@dataclass
class Result:
    statuses: dict[int, int] = field(default_factory=dict)
    accepted: int = 0
    requests: int = 0
    post_ms: list[float] = field(default_factory=list)
    health_ms: list[float] = field(default_factory=list)
    decision_ms: list[float] = field(default_factory=list)


class Connection:
    """One keep-alive HTTP/1.1 connection; answers must carry a content-length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


def get(path: str, port: int) -> bytes:
    return f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n\r\n".encode()


def post(body: bytes, partner: str, port: int, created: datetime) -> bytes:
    headers = sign_request(
        "POST", TARGET, body, partner=partner, key=exercise_signing_key(partner), created=created
    )
    lines = [f"POST {TARGET} HTTP/1.1", f"host: 127.0.0.1:{port}"]
    lines += ["content-type: application/json", f"content-length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def build(phase: Phase) -> list[list[bytes]]:
    """The signed requests of each connection, in sending order.

    A raid of `objects` objects flying at 60 m/s over the sea south-east of the
    coalition (no partner's area: the picture and the assessor do their work, no
    alert is raised); connection c is sensor `bench-c` of partner c mod 8 and looks
    at the objects in turn. Observation times advance as if `assumed_rate` reports/s
    were sent, so they never run ahead of the node's clock when it is slower (the
    reports then arrive late, as a catching-up partner's do: within the 300 s window).
    """
    rng = random.Random(phase.seed)
    start = datetime.now(UTC)
    spots = [
        (rng.uniform(14.0, 19.0), rng.uniform(57.0, 62.0), rng.uniform(0, 2 * math.pi))
        for _ in range(phase.objects)
    ]
    per_request = max(1, phase.batch)
    per_conn = max(1, phase.budget // (per_request * phase.connections))
    out: list[list[bytes]] = []
    for c in range(phase.connections):
        partner = PARTNERS[c % len(PARTNERS)]
        cursor = c * phase.objects // phase.connections
        requests = []
        for k in range(per_conn):
            reports = []
            for j in range(per_request):
                n = (k * per_request + j) * phase.connections + c  # global send order
                at = start + timedelta(seconds=n / phase.assumed_rate)
                lat, lon, heading = spots[(cursor + k * per_request + j) % phase.objects]
                moved = 60.0 * (at - start).total_seconds()
                reports.append(
                    {
                        "report_id": f"{phase.name}-{c}-{k}-{j}",
                        "sensor": f"bench-{c}",
                        "observed_at": at.isoformat(),
                        "position": {
                            "lat": lat
                            + moved * math.sin(heading) / M_PER_DEG
                            + rng.gauss(0, 100) / M_PER_DEG,
                            "lon": lon
                            + moved * math.cos(heading) / (M_PER_DEG * 0.95)
                            + rng.gauss(0, 100) / M_PER_DEG,
                            "alt_m": 150.0,
                        },
                        "velocity": {
                            "east": 60.0 * math.cos(heading),
                            "north": 60.0 * math.sin(heading),
                        },
                        "accuracy_m": 200.0,
                        "kind": "drone",
                        "confidence": 0.7,
                    }
                )
            body = json.dumps(reports[0] if phase.batch == 0 else reports).encode()
            requests.append(post(body, partner, phase.port, datetime.now(UTC)))
        out.append(requests)
    return out


async def _health(phase: Phase, stop: asyncio.Event, result: Result) -> None:
    conn = await Connection.open(phase.port)
    raw = get("/healthz", phase.port)
    try:
        while not stop.is_set():
            t0 = time.perf_counter()
            await conn.send(raw)
            result.health_ms.append((time.perf_counter() - t0) * 1000)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), phase.health_every_s)
    finally:
        conn.close()


async def _closed_loop(phase: Phase, requests: list[bytes], end: float, result: Result) -> None:
    conn = await Connection.open(phase.port)
    try:
        for raw in requests:
            if time.perf_counter() >= end:
                return
            t0 = time.perf_counter()
            status, body = await conn.send(raw)
            result.post_ms.append((time.perf_counter() - t0) * 1000)
            _count(result, status, body)
    finally:
        conn.close()


def _count(result: Result, status: int, body: bytes) -> None:
    result.requests += 1
    result.statuses[status] = result.statuses.get(status, 0) + 1
    if status == 202:
        result.accepted += int(json.loads(body)["accepted"])


async def decided_reports(conn: Connection, port: int) -> int:
    """How many reports the node's decisions rest on (its `/healthz`)."""
    _, body = await conn.send(get("/healthz", port))
    return int(json.loads(body).get("decided_reports", -1))


async def _paced(phase: Phase, requests: list[bytes], end: float, result: Result) -> None:
    """`lanes` connections at `rate` reports/s in all, request k on lane k mod lanes at
    its due time, each lane one request at a time: one connection alone cannot keep the
    pace when a request takes longer than the gap between two. A probe is decided once
    `/healthz` says the decisions rest on as many reports as had been accepted when its
    202 arrived plus every report then still in flight on the other lanes (the pipeline
    folds the journal in order, and those may have been journaled before it). Measured
    from the probe's send: an upper bound."""
    watch = await Connection.open(phase.port)
    lanes = [await Connection.open(phase.port) for _ in range(phase.lanes)]
    base = await decided_reports(watch, phase.port)
    pending: list[tuple[float, int]] = []  # (sent at, reports the decisions must rest on)
    in_flight = [0] * len(lanes)  # reports sent and not yet answered, per lane
    wake = asyncio.Event()

    async def watcher() -> None:
        while True:
            await wake.wait()
            while pending:
                seen = await decided_reports(watch, phase.port) - base
                now = time.perf_counter()
                while pending and seen >= pending[0][1]:
                    result.decision_ms.append((now - pending.pop(0)[0]) * 1000)
                await asyncio.sleep(0.002)
            wake.clear()

    gap = max(1, phase.batch) / phase.rate
    first = time.perf_counter()

    async def lane(n: int) -> None:
        conn = lanes[n]
        for k in range(n, len(requests), len(lanes)):
            due = first + k * gap
            if due >= end or time.perf_counter() >= end:
                return
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            t0 = time.perf_counter()
            in_flight[n] = max(1, phase.batch)
            status, body = await conn.send(requests[k])
            in_flight[n] = 0
            result.post_ms.append((time.perf_counter() - t0) * 1000)
            _count(result, status, body)
            if status == 202 and k % phase.probe_every == 0:
                pending.append((t0, result.accepted + sum(in_flight)))
                wake.set()

    task = asyncio.create_task(watcher())
    try:
        await asyncio.gather(*(lane(n) for n in range(len(lanes))))
        deadline = time.perf_counter() + 10.0
        while pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        for conn in lanes:
            conn.close()
        watch.close()


async def run_phase(phase: Phase) -> dict[str, Any]:
    """Build, then send for `duration_s`; the figures of the phase."""
    per_conn = await asyncio.to_thread(build, phase)
    result = Result()
    stop = asyncio.Event()
    health = asyncio.create_task(_health(phase, stop, result))
    sent_from = time.time()
    started = time.perf_counter()
    end = started + phase.duration_s
    if phase.rate > 0:  # the connections' requests interleaved, in global send order
        merged = [r for row in itertools.zip_longest(*per_conn) for r in row if r is not None]
        await _paced(phase, merged, end, result)
    else:
        await asyncio.gather(*(_closed_loop(phase, reqs, end, result) for reqs in per_conn))
    elapsed = time.perf_counter() - started
    stop.set()
    await health
    return {
        "name": phase.name,
        "batch": phase.batch,
        "connections": phase.connections,
        "elapsed_s": round(elapsed, 3),
        "sent_from": sent_from,
        "requests": result.requests,
        "accepted": result.accepted,
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "reports_per_s": round(result.accepted / elapsed, 1),
        "budget_exhausted": result.requests >= sum(len(r) for r in per_conn),
        "post_ms": percentiles(result.post_ms),
        "healthz_ms": percentiles(result.health_ms),
        "decision_ms": percentiles(result.decision_ms),
    }


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    v = sorted(values)
    return {
        "n": len(v),
        "p50": round(v[len(v) // 2], 2),
        "p99": round(v[min(len(v) - 1, math.ceil(0.99 * len(v)) - 1)], 2),
        "max": round(v[-1], 2),
    }


def main() -> None:
    phase = Phase(**json.loads(sys.argv[1]))
    print(json.dumps(asyncio.run(run_phase(phase))), flush=True)


if __name__ == "__main__":
    main()
