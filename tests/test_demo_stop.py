"""`warnline demo` and `warnline serve` stopped by SIGINT or SIGTERM at any moment: no
traceback, the summary so far (marked interrupted), exit 128 + signal, and no process of
the run left behind (the sipp phones included)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import T0, free_port, signed, wire_report
from tests.node.test_crash_recovery import start_node, wait_healthy
from tests.serve.test_serve import config
from warnline.accounts import Accounts
from warnline.agreement.model import Agreement
from warnline.api.app import create_app
from warnline.domain import ManualClock
from warnline.journal import SQLiteJournal
from warnline.node import Node

pytestmark = pytest.mark.slow
START_S = 120.0  # bounded wait for the demo to be running (accounts, peers, first alert)
STOP_S = 60.0  # bounded wait for the clean stop


ORPHAN_S = 3.0  # a child whose parent stopped at once ends within this (it polls its parent)


def session_processes(sid: int) -> dict[int, str]:
    """Every live process whose session is `sid`: pid -> command name (from /proc)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it ended while we looked
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # after the name: state, ppid, pgrp, session, ...; a zombie is not left running
        if int(fields[3]) == sid and fields[0] != "Z":
            found[int(entry.name)] = name
    return found


def alerts_in(db: Path) -> int:
    """Alerts the running node has journaled so far (0 while the journal is not there)."""
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
    try:
        row = conn.execute("SELECT COUNT(*) FROM entries WHERE kind='alert.issued'").fetchone()
    except sqlite3.Error:
        return 0  # not created yet
    finally:
        conn.close()
    return int(row[0])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A long demo in its own session, once it serves, has its three sipp phones (press,
    listen, decline) and an alert."""
    port = free_port()
    export = tmp_path / "export"
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    proc = subprocess.Popen(
        [sys.executable, "-m", "warnline.cli", "demo", "--duration", "600", "--speed", "5",
         "--no-console", "--port", str(port), "--export", str(export)],
        stdout=out.open("wb"),
        stderr=err.open("wb"),
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert proc.poll() is None, err.read_text()[-2000:]
            assert time.monotonic() < deadline, "the demo did not get going"
            sipps = [n for n in session_processes(proc.pid).values() if n == "sipp"]
            if len(sipps) == 3 and alerts_in(export / "journal" / "journal.db") > 0:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                        break
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        yield proc, tmp_path
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        for pid in session_processes(proc.pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_ends_the_demo_with_the_summary_so_far_and_nothing_left(
    demo: tuple[subprocess.Popen[bytes], Path], sig: signal.Signals
) -> None:
    proc, tmp = demo
    # SIGINT to the process group, as a terminal's Ctrl-C; SIGTERM to the process, as kill.
    if sig is signal.SIGINT:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    assert proc.wait(STOP_S) == 128 + sig
    stderr, stdout = (tmp / "stderr").read_text(), (tmp / "stdout").read_text()
    assert "Traceback" not in stderr, stderr[-3000:]
    assert f"{sig.name}: stopping" in stderr
    assert "Exercise summary" in stdout and "interrupted after " in stdout, stdout[-2000:]
    assert "of 600 s of raid" in stdout
    summary = json.loads((tmp / "export" / "summary.json").read_text())
    assert summary["interrupted"] is True
    assert 0 < summary["scenario"]["played_s"] < 600
    assert summary["alerts"] > 0 and summary["reports"] > 0
    assert session_processes(proc.pid) == {}
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)


def test_a_second_ctrl_c_stops_at_once_and_still_leaves_nothing(
    demo: tuple[subprocess.Popen[bytes], Path],
) -> None:
    proc, tmp = demo
    os.killpg(proc.pid, signal.SIGINT)
    # The second only once the first was taken (two pending SIGINTs would be one).
    for _ in range(int(STOP_S / 0.05)):
        if "SIGINT: stopping" in (tmp / "stderr").read_text() or proc.poll() is not None:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(STOP_S) == 130
    stderr = (tmp / "stderr").read_text()
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "again: stopped at once" in stderr
    # A child the stop could not reach (one being started at that instant) sees its parent
    # gone and ends by itself: bounded, nothing may stay.
    for _ in range(int(ORPHAN_S / 0.05)):
        if not session_processes(proc.pid):
            break
        time.sleep(0.05)
    assert session_processes(proc.pid) == {}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_on_a_signal_with_one_line_and_exit_0(
    tmp_path: Path, sig: signal.Signals
) -> None:
    port = free_port()
    log = tmp_path / "node.log"
    proc = start_node(config(tmp_path, port), log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, log)
        os.killpg(proc.pid, sig)
        assert proc.wait(STOP_S) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    text = log.read_text()
    assert "Traceback" not in text, text
    last = text.strip().splitlines()[-1]
    assert last.startswith(f"warnline serve: stopped ({sig.name}); journal at "), text
    assert last.endswith(" entries")


async def test_a_partner_gone_mid_request_gets_no_traceback_and_nothing_is_journaled(
    agreement: Agreement, tmp_path: Path
) -> None:
    """What a demo's partner, stopped mid-upload, does to the node: the body never ends."""
    journal = SQLiteJournal(tmp_path / "j.db")
    node = Node(agreement=agreement, journal=journal, clock=ManualClock(T0), accounts=Accounts([]))
    app = create_app(node, manage_node=False)
    body, headers = signed([wire_report("gone-1", t=T0)], at=T0)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/api/v1/reports", "raw_path": b"/api/v1/reports",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8800),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    parts = [{"type": "http.request", "body": body[:10], "more_body": True}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return parts.pop(0) if parts else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    try:
        await app(scope, receive, send)  # raised ClientDisconnect (a logged traceback) before
        assert journal.last_seq() == 0
    finally:
        journal.close()
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 400
