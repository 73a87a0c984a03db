"""`warnline bench console`: decision to page during a 300-object raid (issue 12).

- the node runs as `warnline serve` runs it (its own process, a config with users, the
  default agreement, SQLite journal, system clock, 127.0.0.1 on a free port);
- the raid is the sim's (`sim.scenario` and `sim.feed`: ballistic and cruise missiles,
  drones, decoys and airliners, seen by every partner's sensors with their noise,
  delay, clutter and misses), `objects` of them; the bench plays `raid_s` seconds of it
  from scenario second `offset_s` (most objects airborne) in real time, each partner's
  reports signed and POSTed once a second to `/api/v1/reports`; the feed is computed
  before the node starts, so only the sending runs during the raid;
- consoles: one real Chromium page (headless, Debian's chromium through Playwright)
  signed in as the coordination cell at `/`, which is pushed every partner's alerts;
  `consoles` lightweight stream clients (watch officers spread over the partners, in
  their own process: `bench/console_watch.py`), each answering alerts with a receipt
  as the page does.

Measured per alert version: from its decision (`sent_at`, the node's system clock)
to the frame's arrival in the page (a listener the bench adds to the page's WebSocket
before the page's own, `Date.now()`; the same machine's clock) and at each stream
client. Per picture push: each track's `updated_at` (its last report's observation
time, so a sensor's delay is in it) to arrival, and the picture's `at` to arrival.
The page's own message handler and animation-frame callbacks are timed; the CPU seconds
the node and the stream consoles' process used over the raid are read from /proc.

Peer, same run, after the raid: a plain `websockets` server (`bench/console_peer.py`)
broadcasts frames of the sizes the page received, on the raid's schedule compressed to
`peer_s`, to the page and as many stream clients: the floor of a WebSocket push here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx

from warnline.accounts import Accounts
from warnline.agreement.load import default_agreement
from warnline.bench.ingest_load import percentiles
from warnline.bench.signed import post_reports
from warnline.domain import ThreatKind
from warnline.sim.actors import wire
from warnline.sim.feed import Observation, SensorFeed
from warnline.sim.scenario import build_scenario

__all__ = ["TARGET_P99_MS", "run", "table"]

TARGET_P99_MS = 1000.0  # issue 12: decision to page, p99
PASSWORD = "bench-console"
PAGE_USER = "usa-watch"  # the coordination cell: every partner's alerts reach its page
FEED_GRACE_S = 10.0  # a node that falls behind: the feed stops this long after the raid
DRAIN_S = 5.0  # after the raid: versions decided at its end still reach the consoles
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Added before the page's scripts: one more listener on every WebSocket the page opens,
# registered before the page sets `onmessage`, so it sees each frame as it arrives.
PAGE_HOOK = r"""
(() => {
  const Native = window.WebSocket;
  const b = window.__bench = { alerts: [], pictures: [], peer: [], handled: [] };
  const native = Object.getOwnPropertyDescriptor(Native.prototype, "onmessage");
  // The page's animation-frame callbacks, timed too: it draws pictures there.
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (fn) => raf((ts) => {
    const t = performance.now();
    fn(ts);
    b.handled.push(["frame", performance.now() - t]);
  });
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      // The page's own handler, timed: how long the page's script takes per message.
      Object.defineProperty(this, "onmessage", {
        set(fn) {
          native.set.call(this, (m) => {
            const t = performance.now();
            fn(m);
            const kind = /^\{"type": ?"([a-z.]+)"/.exec(m.data.slice(0, 30));
            b.handled.push([kind ? kind[1] : "", performance.now() - t]);
          });
        },
        get() { return native.get.call(this); },
      });
      this.addEventListener("message", (m) => {
        const now = Date.now();
        let msg;
        try { msg = JSON.parse(m.data); } catch { return; }
        if (msg.type === "alert") {
          const a = msg.alert;
          b.alerts.push([a.alert_id, a.version, a.sent_at, now, m.data.length]);
        } else if (msg.type === "picture") {
          b.pictures.push([msg.at, now, m.data.length, msg.tracks.map((t) => t.updated_at)]);
        } else if (msg.peer_sent !== undefined) {
          b.peer.push([msg.kind, msg.peer_sent, now]);
        }
      });
    }
  };
})();
"""


@dataclass
class Raid:
    """The raid's reports, ready to send: (second of the raid, partner, observations)."""

    batches: list[tuple[int, str, list[Observation]]]
    start: datetime  # the scenario's start: scenario second `offset_s` is the raid's first
    objects: int
    airborne: int  # objects in the air at the raid's first second
    sensors: int
    partners: list[str]
    reports: int
    prepare_s: float


def build_raid(*, objects: int, raid_s: float, offset_s: float, seed: int) -> Raid:
    """The seeded scenario with `objects` objects and its feed from `offset_s` for
    `raid_s`, bucketed into one batch per partner per second (delivery time)."""
    t0 = time.monotonic()
    decoys, airliners = max(1, objects // 30), 3  # build_scenario adds 3 airliners
    threats = max(3, objects - decoys - airliners)
    ballistic, cruise = max(1, threats * 15 // 100), max(1, threats * 28 // 100)
    mix = {
        ThreatKind.BALLISTIC_MISSILE: ballistic,
        ThreatKind.CRUISE_MISSILE: cruise,
        ThreatKind.DRONE: threats - ballistic - cruise,
    }
    scenario = build_scenario(
        default_agreement(),
        start=datetime.now(UTC),
        duration_s=max(300.0, offset_s + raid_s + 60.0),
        seed=seed,
        mix=mix,
        decoys=decoys,
    )
    feed = SensorFeed(scenario, seed=seed)
    feed.until(offset_s)  # before the raid's window: the node starts with it in the air
    by: dict[tuple[int, str], list[Observation]] = defaultdict(list)
    reports = 0
    for o in feed.until(offset_s + raid_s):
        k = int(o.deliver_s - offset_s) + 1
        if o.deliver_s < offset_s or k > raid_s:
            continue
        by[(k, o.report.partner)].append(o)
        reports += 1
    return Raid(
        batches=[(k, p, obs) for (k, p), obs in sorted(by.items())],
        start=scenario.start,
        objects=len(scenario.threats),
        airborne=len(scenario.truth(offset_s)),
        sensors=len(scenario.sensors),
        partners=sorted({s.partner for s in scenario.sensors}),
        reports=reports,
        prepare_s=round(time.monotonic() - t0, 1),
    )


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def watchers(partners: list[str], consoles: int) -> list[tuple[str, str]]:
    """`consoles` watch officers spread round-robin over the partners: (user, partner)."""
    return [
        (f"{partners[i % len(partners)].lower()}-watch-{i:02d}", partners[i % len(partners)])
        for i in range(consoles)
    ]


def _config(d: Path, port: int, users: list[tuple[str, str]]) -> Path:
    pw = Accounts.hash_password(PASSWORD)
    text = f'[node]\nhost = "127.0.0.1"\nport = {port}\ndata = "data"\n\n'
    for name, partner, role in [(PAGE_USER, "USA", "cell"), *((u, p, "watch") for u, p in users)]:
        text += (
            f'[[users]]\nusername = "{name}"\npartner = "{partner}"\nrole = "{role}"\n'
            f'password_hash = "{pw}"\n\n'
        )
    path = d / "node.toml"
    path.write_text(text)
    return path


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


async def _post(http: httpx.AsyncClient, partner: str, obs: list[Observation], shift: Any) -> int:
    """One partner's batch, its observation times moved onto the wall clock."""
    moved = [
        dataclasses.replace(
            o, report=dataclasses.replace(o.report, observed_at=o.report.observed_at + shift)
        )
        for o in obs
    ]
    body = json.dumps({"reports": [wire(o) for o in moved]}).encode()
    try:
        r = await post_reports(http, partner, body)
    except httpx.HTTPError:
        return 0
    return r.status_code


async def _feed(
    http: httpx.AsyncClient, raid: Raid, offset_s: float, t_start: float, raid_s: float
) -> dict[str, Any]:
    """Each partner's batches at their second of the raid. A partner whose last answer
    came late sends everything due by now in one request (as `sim.actors` does); what is
    not sent within `FEED_GRACE_S` of the raid's end is left unsent (counted), so the
    bench stays bounded when the node falls behind."""
    shift = datetime.fromtimestamp(t_start, UTC) - (raid.start + timedelta(seconds=offset_s))
    queue = sorted(raid.batches, key=lambda b: b[0])
    answers: dict[str, int] = {}
    late_s: list[float] = []
    sent = 0
    while queue and time.time() < t_start + raid_s + FEED_GRACE_S:
        k = queue[0][0]
        await asyncio.sleep(max(0.0, t_start + k - time.time()))
        now_k = time.time() - t_start
        late_s.append(now_k - k)
        due = [b for b in queue if b[0] <= now_k]
        queue = queue[len(due) :]
        by_partner: dict[str, list[Observation]] = defaultdict(list)
        for _, partner, obs in due:
            by_partner[partner].extend(obs)
        codes = await asyncio.gather(*(_post(http, p, o, shift) for p, o in by_partner.items()))
        for c in codes:
            answers[str(c)] = answers.get(str(c), 0) + 1
        sent += sum(len(o) for o in by_partner.values())
    return {
        "answers": answers,
        "reports_sent": sent,
        "reports_unsent": raid.reports - sent,
        "send_late_ms": percentiles([x * 1000 for x in late_s]),
    }


async def _health(http: httpx.AsyncClient, stop: asyncio.Event, out: list[dict[str, Any]]) -> None:
    while not stop.is_set():
        with contextlib.suppress(httpx.HTTPError, ValueError):
            out.append((await http.get("/healthz", timeout=10)).json())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def _child(args: dict[str, Any], log: IO[bytes]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "warnline.bench.console_watch", json.dumps(args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )


async def _line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return (await asyncio.to_thread(proc.stdout.readline)).strip()


async def _sign_in(page: Any, base: str) -> None:
    from playwright.async_api import expect

    await page.goto(f"{base}/")
    await page.get_by_label("Username", exact=True).fill(PAGE_USER)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#link")).to_have_text("online", timeout=30_000)


def _page_figures(b: dict[str, Any]) -> dict[str, Any]:
    alerts = b["alerts"]
    first: dict[tuple[str, int], float] = {}
    for alert_id, version, sent_at, now_ms, _ in alerts:
        key = (alert_id, int(version))
        if key not in first:
            first[key] = now_ms - _unix(sent_at) * 1000
    ages: list[float] = []
    transit: list[float] = []
    for at, now_ms, _, updated in b["pictures"]:
        transit.append(now_ms - _unix(at) * 1000)
        ages.extend(now_ms - _unix(u) * 1000 for u in updated)
    handled: dict[str, list[float]] = defaultdict(list)
    for kind, ms in b["handled"]:
        handled[kind].append(ms)
    return {
        "page_handler_ms": {k: percentiles(v) for k, v in sorted(handled.items())},
        "alert_versions_seen": len(first),
        "alert_frames": len(alerts),
        "alert_ms": percentiles(list(first.values())),
        "alert_bytes": percentiles([float(a[4]) for a in alerts]),
        "pictures": len(b["pictures"]),
        "picture_tracks_max": max((len(p[3]) for p in b["pictures"]), default=0),
        "picture_bytes": percentiles([float(p[2]) for p in b["pictures"]]),
        "picture_age_ms": percentiles(ages),
        "picture_transit_ms": percentiles(transit),
    }


def schedule(b: dict[str, Any], span_s: float) -> list[list[Any]]:
    """The page's frames (alerts and pictures, by arrival), compressed to `span_s`."""
    frames = [(a[3], "alert", a[4]) for a in b["alerts"]]
    frames += [(p[1], "picture", p[2]) for p in b["pictures"]]
    frames.sort()
    if not frames:
        return []
    t0, t1 = frames[0][0], frames[-1][0]
    k = min(1.0, span_s * 1000 / max(1.0, t1 - t0))
    return [[round((t - t0) / 1000 * k, 4), kind, size] for t, kind, size in frames]


async def _issued(http: httpx.AsyncClient, token: str, before: float) -> set[tuple[str, int]]:
    """Every alert version released to the cell and decided before `before` (Unix s)."""
    out: set[tuple[str, int]] = set()
    since = 0
    for _ in range(1000):  # bounded: 1,000 pages
        r = await http.get(
            "/api/v1/alerts",
            params={"since": since, "limit": 500},
            headers={"authorization": f"Bearer {token}"},
        )
        page = r.raise_for_status().json()
        out |= {
            (a["alert_id"], int(a["version"]))
            for a in page["alerts"]
            if _unix(a["sent_at"]) < before
        }
        if len(page["alerts"]) < 500:
            break
        since = page["next"]
    return out


async def _peer(
    d: Path, page: Any, b: dict[str, Any], consoles: int, peer_s: float, log: IO[bytes]
) -> dict[str, Any]:
    """The same frames broadcast by a bare `websockets` server to the page and to
    `consoles` stream clients."""
    port = _port()
    plan = schedule(b, peer_s)
    (d / "schedule.json").write_text(json.dumps(plan))
    args = {"port": port, "clients": consoles + 1, "schedule_file": str(d / "schedule.json")}
    peer = subprocess.Popen(
        [sys.executable, "-m", "warnline.bench.console_peer", json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        if await _line(peer) != "listening":
            raise RuntimeError("the peer did not start")
        await page.evaluate(f"window.__peer = new WebSocket('ws://127.0.0.1:{port}/')")
        watch = _child({"mode": "peer", "url": f"ws://127.0.0.1:{port}/", "clients": consoles}, log)
        await _line(watch)  # ready
        await asyncio.to_thread(peer.wait, 60 + peer_s)
        out = json.loads(await _line(watch))
        watch.wait(10)
    finally:
        if peer.poll() is None:
            peer.kill()
    now = await page.evaluate("window.__bench.peer")
    by: dict[str, list[float]] = {"alert": [], "picture": []}
    for kind, sent, arrived in now:
        by[kind].append(arrived - sent * 1000)
    return {
        "frames": len(plan),
        "span_s": round(plan[-1][0], 1) if plan else 0.0,
        "page_alert_ms": percentiles(by["alert"]),
        "page_picture_ms": percentiles(by["picture"]),
        "consoles_alert_ms": out["peer_alert_ms"],
        "consoles_picture_ms": out["peer_picture_ms"],
    }


def cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far, from /proc (Linux), or None:
    on a loaded machine the node's CPU per raid second compares where wall time wanders."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_figures(before: list[float | None], after: list[float | None], wall_s: float) -> Any:
    out: dict[str, Any] = {"window_s": round(wall_s, 1)}
    for name, b, a in zip(("node", "stream_consoles"), before, after, strict=True):
        if b is not None and a is not None:
            out[f"{name}_s"] = round(a - b, 1)
            out[f"{name}_cores"] = round((a - b) / max(wall_s, 1e-9), 2)
    return out


def chromium_path() -> str:
    """Debian's chromium (as the console tests use), or WARNLINE_CHROMIUM."""
    path = os.environ.get("WARNLINE_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise RuntimeError("chromium not found: run `make setup` or set WARNLINE_CHROMIUM")
    return path


async def _bench(
    d: Path, raid: Raid, *, raid_s: float, offset_s: float, consoles: int, peer_s: float
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    port = _port()
    base = f"http://127.0.0.1:{port}"
    users = watchers([p for p in raid.partners if p != "USA"] or raid.partners, consoles)
    log = (d / "node.log").open("wb")
    node = subprocess.Popen(
        [sys.executable, "-m", "warnline.cli", "serve", "--config", str(_config(d, port, users))],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    watch: subprocess.Popen[str] | None = None
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for _ in range(600):  # bounded: 60 s for the node to come up
                if node.poll() is not None:
                    raise RuntimeError(f"the node exited with {node.returncode}")
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    if (await http.get("/healthz")).json().get("status") == "ok":
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the node did not come up")
            tokens: dict[str, str] = {}
            for user in [PAGE_USER, *(u for u, _ in users)]:
                r = await http.post(
                    "/api/v1/session", json={"username": user, "password": PASSWORD}
                )
                tokens[user] = r.raise_for_status().json()["token"]
            watch = _child(
                {"mode": "node", "base": base, "tokens": {u: tokens[u] for u, _ in users}}, log
            )
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
                )
                context = await browser.new_context(
                    viewport={"width": 1280, "height": 900},
                    bypass_csp=True,  # the peer phase opens a socket to another port
                )
                await context.add_init_script(PAGE_HOOK)
                page = await context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                await _sign_in(page, base)
                if await _line(watch) != "ready":
                    raise RuntimeError("the stream consoles did not all sign in")
                health: list[dict[str, Any]] = []
                stop = asyncio.Event()
                polling = asyncio.create_task(_health(http, stop, health))
                t_start = time.time() + 1.0
                cpu_before = [cpu_s(node.pid), cpu_s(watch.pid)]
                fed = await _feed(http, raid, offset_s, t_start, raid_s)
                await asyncio.sleep(max(DRAIN_S, t_start + raid_s + DRAIN_S - time.time()))
                cpu = _cpu_figures(
                    cpu_before, [cpu_s(node.pid), cpu_s(watch.pid)], time.time() - t_start + 1.0
                )
                stop.set()
                await polling
                settled = time.time() - 3.0  # later versions may still be on their way
                b: dict[str, Any] = await asyncio.wait_for(page.evaluate("window.__bench"), 120)
                assert watch.stdin is not None
                watch.stdin.write("stop\n")
                watch.stdin.flush()
                seen = json.loads(await asyncio.wait_for(_line(watch), 120))
                watch.wait(10)
                issued = await _issued(http, tokens[PAGE_USER], settled)
                shown = {(a[0], int(a[1])) for a in b["alerts"]}
                out: dict[str, Any] = {
                    "feed": fed,
                    "page": _page_figures(b)
                    | {
                        "alert_versions_issued": len(issued),
                        "alert_versions_missed": len(issued - shown),
                        "page_errors": errors[:5],
                    },
                    "consoles": seen,
                    "cpu": cpu,
                    "healthz": {
                        "decision_lag_s_max": max(
                            (h.get("decision_lag_s", 0.0) for h in health), default=0.0
                        ),
                        "event_loop_lag_s_max": max(
                            (h.get("event_loop_lag_s", 0.0) for h in health), default=0.0
                        ),
                        "degraded_share": round(
                            sum(h.get("status") != "ok" for h in health) / max(1, len(health)), 3
                        ),
                    },
                }
                out["peer"] = await _peer(d, page, b, consoles, peer_s, log)
                await browser.close()
    finally:
        for proc in (watch, node):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(20)
                if proc.poll() is None:
                    proc.kill()
        log.close()
    return out


def run(
    *,
    objects: int = 300,
    raid_s: float = 90.0,
    offset_s: float = 90.0,
    consoles: int = 50,
    peer_s: float = 30.0,
    seed: int = 12,
) -> dict[str, Any]:
    """Build the raid, play it through a served node to the page and `consoles` stream
    clients, then the peer; figures and verdicts, printed as a table."""
    started = time.monotonic()
    raid = build_raid(objects=objects, raid_s=raid_s, offset_s=offset_s, seed=seed)
    with tempfile.TemporaryDirectory(prefix="warnline-console-") as tmp:
        d = Path(tmp)
        try:
            out = asyncio.run(
                _bench(d, raid, raid_s=raid_s, offset_s=offset_s, consoles=consoles, peer_s=peer_s)
            )
        finally:
            tail = (d / "node.log").read_text(errors="replace").splitlines()[-5:]
    out = {
        "raid": {
            "objects": raid.objects,
            "airborne_at_start": raid.airborne,
            "sensors": raid.sensors,
            "partners": raid.partners,
            "reports": raid.reports,
            "raid_s": raid_s,
            "offset_s": offset_s,
            "seed": seed,
            "prepare_s": raid.prepare_s,
        },
        "stream_consoles": consoles,
        "picture_push_s": 1.0,
        **out,
        "node_log_tail": tail,
        "wall_s": round(time.monotonic() - started, 1),
    }
    out["verdicts"] = verdicts(out)
    print(table(out))
    return out


def verdicts(out: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the figure measured and PASS or FAIL."""
    page, cons = out["page"], out["consoles"]
    rows = [
        ("page_alert_p99_ms", "decision to page (Chromium), alert versions, p99 (ms)",
         page["alert_ms"].get("p99", float("inf")), "<", TARGET_P99_MS),
        ("consoles_alert_p99_ms", "decision to stream consoles, alert versions, p99 (ms)",
         cons["alert_ms"].get("p99", float("inf")), "<", TARGET_P99_MS),
        ("page_missed", "alert versions issued to the cell, not on the page",
         float(page["alert_versions_missed"]), "=", 0.0),
    ]  # fmt: skip
    result = []
    for key, label, value, op, target in rows:
        ok = value < target if op == "<" else value == target
        result.append(
            {"figure": key, "label": label, "value": round(value, 1), "target": f"{op} {target:g}",
             "pass": bool(ok)}
        )  # fmt: skip
    return result


def _row(name: str, p: dict[str, float]) -> str:
    if not p.get("n"):
        return f"{name:<52} {0:>8} {'-':>9} {'-':>9} {'-':>9}"
    return f"{name:<52} {int(p['n']):>8,} {p['p50']:>9,.0f} {p['p99']:>9,.0f} {p['max']:>9,.0f}"


def table(out: dict[str, Any]) -> str:
    page, cons, peer, raid = out["page"], out["consoles"], out["peer"], out["raid"]
    lines = [
        f"raid: {raid['objects']} objects ({raid['airborne_at_start']} airborne), "
        f"{raid['sensors']} sensors of {len(raid['partners'])} partners, {raid['reports']:,} "
        f"reports in {raid['raid_s']:g} s; 1 page + {out['stream_consoles']} stream consoles",
        f"feed: {out['feed']['reports_sent']:,} reports sent, {out['feed']['reports_unsent']:,} "
        f"not sent (node behind), answers {out['feed']['answers']}, sends late p99 "
        f"{out['feed']['send_late_ms'].get('p99', 0):,.0f} ms; /healthz decision lag max "
        f"{out['healthz']['decision_lag_s_max']:.1f} s, event loop lag max "
        f"{out['healthz']['event_loop_lag_s_max']:.1f} s",
        f"CPU during the raid and drain ({out['cpu']['window_s']:g} s): node "
        f"{out['cpu'].get('node_s', '-')} s ({out['cpu'].get('node_cores', '-')} cores), "
        f"stream consoles {out['cpu'].get('stream_consoles_s', '-')} s",
        f"alert versions: {page['alert_versions_issued']} issued to the cell, "
        f"{page['alert_versions_seen']} on the page, {page['alert_versions_missed']} missed; "
        f"{cons['alert_versions_seen']} (console, version) pairs on the stream consoles",
        "",
        f"{'ms':<52} {'count':>8} {'p50':>9} {'p99':>9} {'max':>9}",
        _row("decision -> page, alert version", page["alert_ms"]),
        _row("decision -> stream consoles, alert version", cons["alert_ms"]),
        _row("picture: track updated_at -> page", page["picture_age_ms"]),
        _row("picture: track updated_at -> stream consoles", cons["picture_age_ms"]),
        _row("picture: picture at -> page", page["picture_transit_ms"]),
        _row("picture: picture at -> stream consoles", cons["picture_transit_ms"]),
        _row(
            "page's own handler (script), per picture", page["page_handler_ms"].get("picture", {})
        ),
        _row("page's own handler (script), per alert", page["page_handler_ms"].get("alert", {})),
        _row(
            "page's own script per animation frame (drawing)",
            page["page_handler_ms"].get("frame", {}),
        ),
        _row("peer (websockets broadcast) -> page, alert sizes", peer["page_alert_ms"]),
        _row("peer -> stream consoles, alert sizes", peer["consoles_alert_ms"]),
        _row("peer -> page, picture sizes", peer["page_picture_ms"]),
        _row("peer -> stream consoles, picture sizes", peer["consoles_picture_ms"]),
        "",
        f"{'figure':<62} {'value':>10}  {'target':<10} verdict",
    ]
    for v in out["verdicts"]:
        verdict = "PASS" if v["pass"] else "FAIL"
        lines.append(f"{v['label']:<62} {v['value']:>10,.1f}  {v['target']:<10} {verdict}")
    return "\n".join(lines)
