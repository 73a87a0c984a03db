"""`warnline bench cot`: CoT fan-out of a 300-track raid to 10, 100 and 500 TAK clients,
beside taky (an open-source TAK server) relaying the same stream (issue 14).

Both run in the same run on loopback, each in its own process, with the clients in a
third (`bench/cot_peer.py`: plain asyncio sockets that count and time events). Ours is
the node's fan-out, `CotServer.publish`: the events are encoded once and the same bytes
written to every client's transport. taky gets the same events from a TAK client
connected to it, and routes each to every other client, as a TAK server does.

For each server and number of clients, rates climb a ladder (events a second, each a
track update of the raid) until a step loses an event at any client or its p99 latency
(the event's `time`, stamped when sent, to its arrival) reaches 1 s; the figure is the
highest step held, with deliveries a second (rate x clients), the server process's CPU
seconds per second of stream and per delivery (from /proc: the machine is shared, so CPU
time is steadier than wall time). `ratio_vs_taky_at_500` is ours over taky's rate at 500.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from warnline.bench.ingest_load import percentiles

__all__ = ["run", "table"]

CLIENTS = (10, 100, 500)
RATES = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
TRIAL_S = 3.0
P99_LIMIT_S = 1.0
PEER = [sys.executable, "-m", "warnline.bench.cot_peer"]


def run(
    clients: tuple[int, ...] = CLIENTS,
    rates: tuple[int, ...] = RATES,
    trial_s: float = TRIAL_S,
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for server in ("warnline", "taky"):
        for n in clients:
            with _Server(server) as s:
                best: dict[str, Any] | None = None
                for i, rate in enumerate(rates):
                    trial = s.trial(f"{n}x{rate}x{i}", n, rate, trial_s)
                    print(f"  {server:8s} {n:4d} clients {rate:6d}/s: {_line(trial)}", flush=True)
                    if not trial["held"]:
                        break
                    best = trial
                rows.append(
                    {"server": server, "clients": n, "held_rate": best["rate"] if best else 0,
                     "deliveries_per_s": best["rate"] * n if best else 0,
                     "p99_ms": best["p99_ms"] if best else None,
                     "cpu_per_s": best["cpu_per_s"] if best else None,
                     "cpu_us_per_delivery": round(best["cpu_per_s"] / (best["rate"] * n) * 1e6, 3)
                     if best else None}
                )  # fmt: skip
    result: dict[str, Any] = {"table": rows, "trial_s": trial_s, "p99_limit_ms": P99_LIMIT_S * 1e3}
    at = max(clients)
    ours = next(r["held_rate"] for r in rows if r["server"] == "warnline" and r["clients"] == at)
    theirs = next(r["held_rate"] for r in rows if r["server"] == "taky" and r["clients"] == at)
    result[f"ratio_vs_taky_at_{at}"] = round(ours / theirs, 2) if theirs else None
    if at != 500:
        result["ratio_vs_taky_at_500"] = None
    print(table(result))
    return result


def table(result: dict[str, Any]) -> str:
    lines = ["server    clients  held rate/s  deliveries/s  p99 ms  server CPU s/s  µs/delivery"]
    for r in result["table"]:
        p99 = "-" if r["p99_ms"] is None else f"{r['p99_ms']:.0f}"
        cpu = "-" if r["cpu_per_s"] is None else f"{r['cpu_per_s']:.2f}"
        per = r.get("cpu_us_per_delivery")
        each = "-" if per is None else f"{per:.2f}"
        lines.append(
            f"{r['server']:8s}  {r['clients']:7d}  {r['held_rate']:11d}  "
            f"{r['deliveries_per_s']:12d}  {p99:>6s}  {cpu:>14s}  {each:>11s}"
        )
    lines.append(f"ratio vs taky at 500 clients: {result.get('ratio_vs_taky_at_500')}")
    return "\n".join(lines)


def _line(t: dict[str, Any]) -> str:
    return (f"lost {t['lost']}, p99 {t['p99_ms']:.0f} ms, CPU {t['cpu_per_s']:.2f} s/s"
            f"{'' if t['held'] else '  (not held)'}")  # fmt: skip


# taky ships a top-level package named `tests` that hides Warnline's own test helpers when
# both are installed together, so it lives in an environment of its own (`make` builds it).
TAKY_VENV = Path(__file__).resolve().parents[3] / ".venv-taky"


def taky_command() -> str:
    """The taky server to start: $WARNLINE_TAKY, the checkout's .venv-taky, or PATH."""
    for candidate in (os.environ.get("WARNLINE_TAKY"), str(TAKY_VENV / "bin" / "taky"),
                      shutil.which("taky")):  # fmt: skip
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("bench cot: taky is not installed (make bench builds .venv-taky)")


class _Server:
    """One server and, for taky, the TAK client that feeds it; the source of the stream."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.port = _free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="warnline-bench-cot-"))
        self._procs: list[subprocess.Popen[str]] = []

    def __enter__(self) -> _Server:
        if self.kind == "taky":
            conf = self._dir / "taky.conf"
            conf.write_text(
                f"[taky]\nbind_ip = 127.0.0.1\nroot_dir = {self._dir}\n"
                f"[cot_server]\nport = {self.port}\n[ssl]\nenabled = false\n"
            )
            self.server = self._spawn([taky_command(), "-c", str(conf), "-l", "error"], stdin=False)
            _wait_port(self.port)
            self.source = self._spawn([*PEER, "source", "taky", str(self.port)])
        else:
            self.source = self._spawn([*PEER, "source", "warnline", str(self.port)])
            self.server = self.source
        _expect(self.source.stdout, "listening")
        return self

    def __exit__(self, *exc: object) -> None:
        for p in reversed(self._procs):
            p.terminate()
        for p in self._procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _spawn(self, cmd: list[str], stdin: bool = True) -> subprocess.Popen[str]:
        p = subprocess.Popen(
            cmd, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env(),
        )  # fmt: skip
        self._procs.append(p)
        return p

    def trial(self, trial: str, n: int, rate: int, seconds: float) -> dict[str, Any]:
        clients = subprocess.Popen(
            [*PEER, "clients", str(self.port), str(n), trial], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env(),
        )  # fmt: skip
        try:
            _expect(clients.stdout, "connected")
            # Probe until every client has one: then each is registered with the server.
            deadline = time.monotonic() + 30
            while True:
                _say(self.source, f"probe {trial}")
                _expect(self.source.stdout, "ok")
                if _ready(clients, 0.3) or time.monotonic() > deadline:
                    break
            cpu0 = _cpu_s(self.server.pid)
            _say(self.source, f"trial {trial} {rate} {seconds}")
            sent = int(_expect(self.source.stdout, "done").split()[1])
            assert clients.stdin is not None and clients.stdout is not None
            clients.stdin.write(f"expect {sent}\n")
            clients.stdin.flush()
            got = json.loads(clients.stdout.readline())
            cpu = _cpu_s(self.server.pid) - cpu0
        finally:
            clients.kill()
            clients.wait()
        lost = sum(max(0, sent - c) for c in got["received"])
        lat = [x * 1e3 for x in got["latencies"]]
        p99 = percentiles(lat)["p99"] if lat else float("inf")
        return {
            "rate": rate, "clients": n, "sent": sent, "lost": lost, "p99_ms": p99,
            "cpu_per_s": cpu / seconds, "held": lost == 0 and p99 < P99_LIMIT_S * 1e3,
        }  # fmt: skip


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2])  # this tree's code in the children too
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _say(p: subprocess.Popen[str], line: str) -> None:
    assert p.stdin is not None
    p.stdin.write(line + "\n")
    p.stdin.flush()


def _expect(out: IO[str] | None, word: str) -> str:
    assert out is not None
    while True:
        line = out.readline()
        if not line:
            raise RuntimeError(f"bench cot: a peer ended before saying {word!r}")
        if line.startswith(word):
            return line


def _ready(clients: subprocess.Popen[str], wait_s: float) -> bool:
    assert clients.stdout is not None
    ready, _, _ = select.select([clients.stdout], [], [], wait_s)
    return bool(ready) and clients.stdout.readline().startswith("ready")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"bench cot: nothing listens on {port}")
