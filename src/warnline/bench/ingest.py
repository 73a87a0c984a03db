"""`warnline bench ingest`: the served node's hot path against a plain peer, same run.

- the node runs as `warnline serve` runs it (its own process, a config as `init`
  would write for the exercise agreement, SQLite journal with the hub's seal, system
  clock, 127.0.0.1 on a free port): HTTP, RFC 9421 signature, schema and checks,
  fsync'd journal, then picture, assess, incidents, alerting and response;
- the peer (`bench/ingest_peer.py`) runs beside it on the same server settings and does
  only what any ingest must: the same signature check, the standard JSON parser, the
  same journal;
- the load comes from another process (`bench/ingest_load.py`, pre-signed requests on
  keep-alive connections): batches of 500 and of 100 and one report per request, each
  for `duration_s` against the node and then the peer, closed loop.

The node's reports/s counts a report once its decisions are journaled: after a phase
the bench waits until `/healthz` says the decisions rest on every accepted report, and
divides by the time from the first send to then (a node that accepts fast and decides
late is not fast). Report-to-decision latency is measured at ~2,000 reports/s (batches
of 10 every 5 ms, one request at a time): from a probe's send until `/healthz`'s
`decided_reports` covers every report accepted up to the probe's 202 (an upper bound:
it includes the poll's own round trip). `/healthz` is polled every 50 ms in every
node phase; its p99 is the worst phase's. The node phases then run once more on a
fresh node with `[node] picture_process = true` (decision 82), under `picture_process`
in the JSON: not in the verdicts, which judge the default.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import Any

from warnline.accounts import Accounts
from warnline.bench.ingest_load import Phase

__all__ = ["TARGETS", "run", "table"]

MODES = (("batch500", 500, 8), ("batch100", 100, 16), ("single", 0, 32))
ASSUMED = {500: 40_000.0, 100: 40_000.0, 0: 4_000.0}  # reports/s observation times assume
LATENCY_RATE = 2_000.0
LATENCY_LANES = 2  # one connection alone falls behind the pace when a 202 takes > 5 ms
TARGETS = {
    "batch_reports_per_s": 20_000.0,  # batches of >= 100, worst of the two sizes
    "single_reports_per_s": 2_000.0,
    "decision_p99_ms": 50.0,  # at ~2,000 reports/s
    "peer_ratio": 0.7,  # worst of the three modes
    "healthz_p99_ms": 20.0,  # worst node phase
}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(d: Path, port: int, *, picture_process: bool = False) -> Path:
    pw = Accounts.hash_password("bench-ingest")
    path = d / "node.toml"
    path.write_text(
        f'[node]\nhost = "127.0.0.1"\nport = {port}\ndata = "data"\n'
        f"picture_process = {str(picture_process).lower()}\n\n"
        f'[[users]]\nusername = "usa-watch"\npartner = "USA"\nrole = "cell"\n'
        f'password_hash = "{pw}"\n'
    )
    return path


def _health(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
        body: dict[str, Any] = json.loads(r.read())
    return body


def _wait_up(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    for _ in range(600):  # bounded: 60 s
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError, ValueError):
            if _health(port).get("status") == "ok":
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up on port {port}")


def _load(phase: Phase) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "warnline.bench.ingest_load", json.dumps(asdict(phase))],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def _caught_up(port: int, reports: int, timeout_s: float = 30.0) -> tuple[float, int]:
    """Wait (at most `timeout_s`: the bench stays bounded) until the node's decisions
    rest on `reports` reports; the wall time then and how many they rest on."""
    deadline = time.time() + timeout_s
    while True:
        decided = int(_health(port).get("decided_reports", 0))
        if decided >= reports or time.time() >= deadline:
            return time.time(), decided
        time.sleep(0.02)


def run(*, duration_s: float = 5.0, scale: float = 1.0) -> dict[str, Any]:
    """Both servers, the three modes on each, the latency phase; figures and verdicts.
    `scale` shrinks the request budgets (the test runs at a tiny size)."""
    with tempfile.TemporaryDirectory(prefix="warnline-ingest-") as tmp:
        d = Path(tmp)
        node_port, peer_port = _port(), _port()
        (d / "peer").mkdir()
        with (d / "node.log").open("wb") as log:
            node = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "warnline.cli",
                    "serve",
                    "--config",
                    str(_config(d, node_port)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            peer = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "warnline.bench.ingest_peer",
                    str(peer_port),
                    str(d / "peer"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_up(node_port, node, "the node")
                _wait_up(peer_port, peer, "the peer")
                out = _drive(node_port, peer_port, duration_s, scale)
            finally:
                _stop(node, peer)
            # The same node phases with the picture in a child process (decision 82),
            # on a fresh node of its own: configuration, so measured beside the default.
            far_dir, far_port = d / "picture-process", _port()
            far_dir.mkdir()
            far = subprocess.Popen(
                [sys.executable, "-m", "warnline.cli", "serve", "--config",
                 str(_config(far_dir, far_port, picture_process=True))],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                _wait_up(far_port, far, "the node with its picture in a process")
                out["picture_process"] = _drive(far_port, None, duration_s, scale)["node"]
            finally:
                _stop(far)
        out["node_log_tail"] = (d / "node.log").read_text(errors="replace").splitlines()[-5:]
    out["verdicts"] = verdicts(out)
    print(table(out))
    return out


def _stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(20)
        if proc.poll() is None:
            proc.kill()


def _drive(
    node_port: int, peer_port: int | None, duration_s: float, scale: float
) -> dict[str, Any]:
    out: dict[str, Any] = {"duration_s": duration_s, "node": {}, "peer": {}}
    decided = expected = 0
    for name, batch, conns in MODES:
        rate = ASSUMED[batch]
        budget = max(conns * max(1, batch), int(rate * duration_s * 1.25 * scale))
        for who, port in (("node", node_port), ("peer", peer_port)):
            if port is None:
                continue
            phase = Phase(
                port=port, name=f"{who}-{name}", batch=batch, connections=conns,
                duration_s=duration_s, budget=budget, assumed_rate=rate,
            )  # fmt: skip
            fig = _load(phase)
            if who == "node":
                before, expected = decided, expected + fig["accepted"]
                done, decided = _caught_up(node_port, expected)
                span = max(fig["elapsed_s"], done - fig["sent_from"])
                fig["decided_s"] = round(span, 3)
                fig["decided_reports_per_s"] = round((decided - before) / span, 1)
                fig["undecided_after_30s"] = expected - decided
            out[who][name] = fig
    latency = Phase(
        port=node_port, name="node-latency", batch=10, connections=8,
        duration_s=max(duration_s, 2.0), budget=int(LATENCY_RATE * max(duration_s, 2.0) * 1.2),
        assumed_rate=LATENCY_RATE, rate=LATENCY_RATE, lanes=LATENCY_LANES,
    )  # fmt: skip
    out["node"]["latency"] = _load(latency)
    return out


def verdicts(out: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the figure measured and PASS or FAIL."""
    node, peer = out["node"], out["peer"]
    ratios = {
        m: node[m]["decided_reports_per_s"] / max(1e-9, peer[m]["reports_per_s"])
        for m, _, _ in MODES
    }
    healthz = max(node[m]["healthz_ms"].get("p99", 0.0) for m in (*ratios, "latency"))
    latency = node["latency"]
    rows = [
        ("batch_reports_per_s", "node reports/s, batches of 100 and 500 (worse)",
         min(node["batch500"]["decided_reports_per_s"], node["batch100"]["decided_reports_per_s"]),
         ">="),
        ("single_reports_per_s", "node reports/s, one report per request",
         node["single"]["decided_reports_per_s"], ">="),
        ("decision_p99_ms",
         f"report-to-decision p99 at {latency['reports_per_s']:.0f} reports/s (ms)",
         latency["decision_ms"].get("p99", float("inf")), "<"),
        ("peer_ratio", "node / plain peer, worst mode", min(ratios.values()), ">="),
        ("healthz_p99_ms", "/healthz p99 under load, worst phase (ms)", healthz, "<"),
    ]  # fmt: skip
    out["peer_ratios"] = {m: round(r, 3) for m, r in ratios.items()}
    result = []
    for key, label, value, op in rows:
        target = TARGETS[key]
        ok = value >= target if op == ">=" else value < target
        result.append(
            {"figure": key, "label": label, "value": round(value, 3), "target": f"{op} {target:g}",
             "pass": bool(ok)}
        )  # fmt: skip
    return result


def table(out: dict[str, Any]) -> str:
    node, peer = out["node"], out["peer"]
    lines = [
        "mode      node acc/s  node decided/s  peer acc/s  ratio  node 202 p99 ms  healthz p99"
    ]
    for m, _, _ in MODES:
        n, p = node[m], peer[m]
        lines.append(
            f"{m:<9} {n['reports_per_s']:>10,.0f} {n['decided_reports_per_s']:>15,.0f} "
            f"{p['reports_per_s']:>11,.0f} {out['peer_ratios'][m]:>6.2f} "
            f"{n['post_ms'].get('p99', 0):>16} {n['healthz_ms'].get('p99', 0):>11}"
        )
    lines.append("")
    lines.append(f"{'figure':<62} {'value':>10}  {'target':<10} verdict")
    for v in out["verdicts"]:
        verdict = "PASS" if v["pass"] else "FAIL"
        lines.append(f"{v['label']:<62} {v['value']:>10,.1f}  {v['target']:<10} {verdict}")
    far = out.get("picture_process")
    if far:
        lines.append("")
        lines.append("[node] picture_process = true (decision 82), same phases on a fresh node:")
        for m, _, _ in MODES:
            n = far[m]
            lines.append(
                f"{m:<9} {n['reports_per_s']:>10,.0f} {n['decided_reports_per_s']:>15,.0f} "
                f"{'':>11} {'':>6} {n['post_ms'].get('p99', 0):>16} "
                f"{n['healthz_ms'].get('p99', 0):>11}"
            )
        lat = far["latency"]
        p99, health = lat["decision_ms"].get("p99", float("nan")), lat["healthz_ms"].get("p99", 0)
        lines.append(
            f"report-to-decision p99 {p99} ms at {lat['reports_per_s']:.0f} reports/s; "
            f"/healthz p99 {health} ms"
        )
    return "\n".join(lines)
