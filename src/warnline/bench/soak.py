"""`warnline bench soak`: a raid while a console is stuck, outsiders hold idle sockets
and one partner floods, all at once, against `warnline serve` in its own process.

- the node runs as `warnline serve` (SQLite journal, system clock, loopback) with an
  open-file limit of 1,024, as on the probed machine;
- a raid: drones fly at five partners' defended areas, each reported by its partner
  every second; watch consoles of those partners and of the cell read the stream and
  answer each alert with a receipt, as the page does;
- one console (an observer) completes the WebSocket handshake on a 4 KiB receive
  buffer and never reads;
- 1,000 idle sockets from 20 loopback addresses, reopened 2 s after the node closes
  one;
- one partner (BHR) reports 25,000 distinct objects, each every `revisit_s`, within
  its agreed rate.

Printed: the other consoles' alert latency (issue time to arrival, p50/p99; p99 must
stay under 1 s), the decisions' lag and the event loop's as /healthz reported them,
how the node treated the idle sockets, the flood and the stuck console.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import websockets

from warnline.accounts import Accounts
from warnline.agreement.load import default_agreement
from warnline.bench.signed import post_reports
from warnline.sim.stream_client import open_stream, open_stuck_console

PASSWORD = "soak"
RAID = ("JOR", "ISR", "SAU", "EGY", "ARE")  # partners whose areas the drones fly at
WATCHERS = [f"{p.lower()}-watch" for p in RAID] + ["usa-watch"]
NODE_OPEN_FILES = 1024
M_PER_DEG = 111_320.0


@dataclass
class Figures:
    alert_ms: list[float] = field(default_factory=list)
    versions: dict[str, set[tuple[str, int]]] = field(default_factory=dict)
    health: list[dict[str, Any]] = field(default_factory=list)
    health_ms: list[float] = field(default_factory=list)
    raid_post_ms: list[float] = field(default_factory=list)
    flood: dict[str, int] = field(default_factory=dict)
    raid: dict[str, int] = field(default_factory=dict)
    idle_open: list[int] = field(default_factory=list)
    idle_closed: int = 0
    idle_refused: int = 0
    idle_failed: int = 0
    console_reconnects: int = 0


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _raise_open_files(need: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need if hard == resource.RLIM_INFINITY else min(need, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _node_limit() -> None:  # in the node's process, before exec
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (NODE_OPEN_FILES, hard))


def _config(d: Path, port: int) -> Path:
    users = [("jor-observer", "JOR", "observer"), ("usa-watch", "USA", "cell")]
    users += [(f"{p.lower()}-watch", p, "watch") for p in RAID]
    pw = Accounts.hash_password(PASSWORD)
    text = f'[node]\nhost = "127.0.0.1"\nport = {port}\ndata = "data"\n\n'
    for name, partner, role in users:
        text += (
            f'[[users]]\nusername = "{name}"\npartner = "{partner}"\nrole = "{role}"\n'
            f'password_hash = "{pw}"\n\n'
        )
    path = d / "node.toml"
    path.write_text(text)
    return path


def _report(rid: str, track: str, lat: float, lon: float, **over: Any) -> dict[str, Any]:
    body = {
        "report_id": rid,
        "sensor": "radar-1",
        "sensor_track": track,
        "observed_at": datetime.now(UTC).isoformat(),
        "position": {"lat": lat, "lon": lon, "alt_m": 150.0},
        "accuracy_m": 200.0,
        "kind": "drone",
        "identity": "hostile",
        "confidence": 0.8,
    }
    return body | over


async def _post(http: httpx.AsyncClient, partner: str, reports: list[dict[str, Any]]) -> str:
    """The answer's status, or the name of the transport error (a partner would retry)."""
    body = json.dumps(reports).encode()
    try:
        r = await post_reports(http, partner, body)
    except httpx.HTTPError as exc:
        return type(exc).__name__
    return str(r.status_code)


async def _raid(http: httpx.AsyncClient, stop: asyncio.Event, fig: Figures, gap_s: float) -> None:
    """One drone per raid partner, launched `gap_s` apart, each reported every second
    from 25 km east of its partner's first defended area, flying west at 60 m/s."""
    agreement = default_agreement()
    drones: list[tuple[str, float, float, float]] = []  # partner, lat, lon at launch, launch
    start = time.monotonic()
    for n in range(100_000):
        if stop.is_set():
            return
        now = time.monotonic() - start
        if len(drones) < len(RAID) and now >= len(drones) * gap_s:
            partner = RAID[len(drones)]
            c = agreement.partners[partner].defended_areas[0].geometry.centroid
            drones.append((partner, c.y, c.x + 25_000.0 / (M_PER_DEG * 0.85), now))
        for k, (partner, lat, lon0, launched) in enumerate(drones):
            lon = lon0 - 60.0 * (now - launched) / (M_PER_DEG * 0.85)
            rep = _report(
                f"raid-{k}-{n}", f"drone-{k}", lat, lon, velocity={"east": -60.0, "north": 0.0}
            )
            t0 = time.perf_counter()
            status = await _post(http, partner, [rep])
            fig.raid_post_ms.append((time.perf_counter() - t0) * 1000)
            fig.raid[status] = fig.raid.get(status, 0) + 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, start + n + 1 - time.monotonic()))


async def _flood(
    http: httpx.AsyncClient, stop: asyncio.Event, fig: Figures, objects: int, revisit_s: float
) -> None:
    """BHR: `objects` distinct objects over the sea, each reported every `revisit_s`."""
    rng = random.Random(7)
    spots = [(rng.uniform(14.0, 20.0), rng.uniform(56.0, 62.0)) for _ in range(objects)]
    batch = 500
    per_s = objects / revisit_s
    start, sent = time.monotonic(), 0
    for n in range(10_000_000):
        if stop.is_set():
            return
        first = (n * batch) % objects
        reports = [
            _report(
                f"flood-{n}-{i}",
                f"o{(first + i) % objects}",
                *spots[(first + i) % objects],
                kind="unknown",
                identity="unknown",
                confidence=0.5,
            )
            for i in range(batch)
        ]
        status = await _post(http, "BHR", reports)
        fig.flood[status] = fig.flood.get(status, 0) + 1
        sent += batch
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, start + sent / per_s - time.monotonic()))


async def _idle(host: str, port: int, source: str, stop: asyncio.Event, fig: Figures) -> None:
    """One outsider's socket: opened, never used, reopened 2 s after the node closes it."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
        except OSError:
            fig.idle_failed += 1
        else:
            fig.idle_open[0] += 1
            got = b""
            with contextlib.suppress(OSError):
                while chunk := await _until(reader.read(4096), stop):
                    got += chunk
            fig.idle_open[0] -= 1
            writer.close()
            if stop.is_set():
                return
            fig.idle_closed += 1
            fig.idle_refused += got.startswith(b"HTTP/1.1 503")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 2.0)


async def _until(read: Any, stop: asyncio.Event) -> Any:
    """What `read` gives, or None once the run stops."""
    task = asyncio.ensure_future(read)
    halt = asyncio.ensure_future(stop.wait())
    await asyncio.wait([task, halt], return_when=asyncio.FIRST_COMPLETED)
    halt.cancel()
    if task.done():
        return task.result()
    task.cancel()
    return None


async def _console(
    base: str, token: str, user: str, stop: asyncio.Event, fig: Figures, ready: asyncio.Event
) -> None:
    """A watch console as the page behaves: reads, answers each alert with a receipt,
    and reconnects (at most 20 times, 1 s apart) when its connection is lost."""
    seen = fig.versions.setdefault(user, set())
    for _ in range(20):
        with contextlib.suppress(OSError, websockets.WebSocketException):
            async with open_stream(base, token, max_size=None) as ws:
                while not stop.is_set():
                    raw = await _until(ws.recv(), stop)
                    if raw is None:
                        return
                    ready.set()
                    await _on_message(ws, json.loads(raw), seen, fig)
        fig.console_reconnects += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
        if stop.is_set():
            return


async def _on_message(
    ws: Any, msg: dict[str, Any], seen: set[tuple[str, int]], fig: Figures
) -> None:
    if msg["type"] != "alert":
        return
    arrived = datetime.now(UTC)
    a = msg["alert"]
    key = (a["alert_id"], a["version"])
    if key not in seen:
        seen.add(key)
        sent = datetime.fromisoformat(a["sent_at"])
        fig.alert_ms.append((arrived - sent).total_seconds() * 1000)
    receipt = {"type": "received", "alert_id": a["alert_id"], "version": a["version"]}
    await ws.send(json.dumps(receipt))


def _was_cut(s: socket.socket) -> bool:
    """Read what is left; True if the node closed or reset the connection."""
    s.settimeout(2)
    try:
        for _ in range(100_000):
            if not s.recv(65_536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return False


async def _health(http: httpx.AsyncClient, stop: asyncio.Event, fig: Figures) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        with contextlib.suppress(httpx.HTTPError):
            fig.health.append((await http.get("/healthz", timeout=10)).json())
            fig.health_ms.append((time.perf_counter() - t0) * 1000)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


def _pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    v = sorted(values)
    return {
        "n": len(v),
        "p50": round(statistics.median(v), 1),
        "p99": round(v[min(len(v) - 1, int(0.99 * len(v)))], 1),
        "max": round(v[-1], 1),
    }


async def _soak(
    duration_s: float, idle: int, objects: int, revisit_s: float, keep_log: Path | None = None
) -> dict[str, Any]:
    limit = _raise_open_files(idle + 1024)
    fig = Figures(idle_open=[0])
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        port = _port()
        log_path = d / "node.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "warnline.cli", "serve", "--config", str(_config(d, port))],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_node_limit,
            )
            try:
                result = await _drive(
                    f"http://127.0.0.1:{port}", duration_s, idle, objects, revisit_s, fig
                )
            finally:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(10)
                if proc.poll() is None:
                    proc.kill()
        lines = log_path.read_text(errors="replace").splitlines()
        if keep_log is not None:
            keep_log.write_text("\n".join(lines) + "\n")
    lag = [h.get("decision_lag_s", 0.0) for h in fig.health]
    reasons = sorted({r.split(",")[0] for h in fig.health for r in h.get("reasons", [])})
    alert = _pct(fig.alert_ms)
    return result | {
        "duration_s": duration_s,
        "bench_open_file_limit": limit,
        "node_open_file_limit": NODE_OPEN_FILES,
        "other_consoles": len(WATCHERS),
        "alert_latency_ms": alert,
        "alert_p99_under_1s": alert.get("p99", 0.0) < 1000.0 and alert["n"] > 0,
        "decision_lag_s_max": round(max(lag, default=0.0), 3),
        "decision_lag_entries_max": max(
            (h.get("decision_lag_entries", 0) for h in fig.health), default=0
        ),
        "event_loop_lag_s_max": round(
            max((h.get("event_loop_lag_s", 0.0) for h in fig.health), default=0.0), 3
        ),
        "healthz_ms": _pct(fig.health_ms),
        "healthz_degraded_share": round(
            sum(h.get("status") == "degraded" for h in fig.health) / max(1, len(fig.health)), 3
        ),
        "degraded_reasons": reasons,
        "raid_post_ms": _pct(fig.raid_post_ms),
        "raid_answers": fig.raid,
        "flood": {
            "objects": objects,
            "revisit_s": revisit_s,
            "reports_per_s": round(objects / revisit_s),
            "answers": fig.flood,
        },
        "idle": {
            "sockets": idle,
            "held_open_p50": int(statistics.median(fig.idle_open[1:] or [0])),
            "held_open_max": max(fig.idle_open[1:], default=0),
            "closed_by_node": fig.idle_closed,
            "refused_503": fig.idle_refused,
            "connect_failed": fig.idle_failed,
        },
        "node_log_lines": len(lines),
        "node_too_many_open_files": sum("Too many open files" in line for line in lines),
    }


async def _drive(
    base: str, duration_s: float, idle: int, objects: int, revisit_s: float, fig: Figures
) -> dict[str, Any]:
    host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(600):  # bounded: 60 s for the node to come up
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/healthz")).json()["status"] == "ok":
                    break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("the node did not come up")
        tokens = {}
        for user in [*WATCHERS, "jor-observer"]:
            r = await http.post("/api/v1/session", json={"username": user, "password": PASSWORD})
            tokens[user] = r.raise_for_status().json()["token"]
    stop = asyncio.Event()
    stuck = await asyncio.to_thread(
        open_stuck_console, host, port, tokens["jor-observer"], timeout_s=10
    )
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in range(3)]
    ready = [asyncio.Event() for _ in WATCHERS]
    tasks = [
        asyncio.create_task(_console(base, tokens[u], u, stop, fig, ready[i]))
        for i, u in enumerate(WATCHERS)
    ]
    # The consoles of an operations centre are signed in before trouble starts.
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 30)
    tasks += [
        asyncio.create_task(_idle(host, port, f"127.0.0.{2 + i % 20}", stop, fig))
        for i in range(idle)
    ]
    tasks += [
        asyncio.create_task(_raid(clients[0], stop, fig, gap_s=duration_s / (len(RAID) + 2))),
        asyncio.create_task(_flood(clients[1], stop, fig, objects, revisit_s)),
        asyncio.create_task(_health(clients[2], stop, fig)),
    ]
    end = time.monotonic() + duration_s
    while time.monotonic() < end:
        await asyncio.sleep(1.0)
        fig.idle_open.append(fig.idle_open[0])
        if any(t.done() and t.exception() for t in tasks):
            break
    stop.set()
    settled = datetime.now(UTC) - timedelta(seconds=3)  # later versions may be in flight
    await asyncio.gather(*tasks, return_exceptions=True)
    errors = [repr(t.exception()) for t in tasks if not t.cancelled() and t.exception()]
    missed = 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for user in WATCHERS:
            r = await http.get(
                "/api/v1/alerts",
                params={"since": 0, "limit": 5000},
                headers={"authorization": f"Bearer {tokens[user]}"},
            )
            stored = {
                (a["alert_id"], a["version"])
                for a in r.json()["alerts"]
                if datetime.fromisoformat(a["sent_at"]) < settled
            }
            missed += len(stored - fig.versions.get(user, set()))
        issued = len({v for user in WATCHERS for v in fig.versions.get(user, set())})
    for c in clients:
        await c.aclose()
    cut = await asyncio.to_thread(_was_cut, stuck)
    stuck.close()
    return {
        "alert_versions_seen": issued,
        "alert_versions_missed": missed,
        "stuck_console_cut_by_node": cut,
        "console_reconnects": fig.console_reconnects,
        "errors": errors[:5],
    }


def run(
    duration_s: float = 60.0, idle: int = 1000, objects: int = 25_000, revisit_s: float = 10.0
) -> dict[str, Any]:
    started = time.monotonic()
    figures = asyncio.run(_soak(duration_s, idle, objects, revisit_s))
    return figures | {"wall_s": round(time.monotonic() - started, 1)}


__all__ = ["run"]
