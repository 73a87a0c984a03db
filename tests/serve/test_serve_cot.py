"""`warnline serve` with a [[cot]] listener: a partner's TAK client sends its tracks as CoT
and reads back its released picture on the same connection."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.factories import free_port
from tests.node.test_crash_recovery import start_node, wait_healthy
from tests.serve.test_serve import config
from warnline.cot.encode import cot_time

pytestmark = pytest.mark.slow


def drone(t: datetime, lon: float) -> bytes:
    at = cot_time(t)
    return (
        f'<event version="2.0" uid="JOR-T9" type="a-h-A-M-F-Q" how="m-g" time="{at}" '
        f'start="{at}" stale="{cot_time(t + timedelta(seconds=30))}"><point lat="31.95" '
        f'lon="{lon:.5f}" hae="150" ce="100" le="30"/><detail><track course="270" speed="50"/>'
        '<link uid="JOR-radar-1" relation="p-p" type="a-f-G-E-S"/></detail></event>'
    ).encode()


def test_a_tak_client_reports_in_and_reads_its_picture_back(tmp_path: Path) -> None:
    port, cot = free_port(), free_port()
    cfg = config(tmp_path, port, extra=f'[[cot]]\nport = {cot}\npartner = "JOR"\n'
                 "reports = true\npush_s = 0.2\n\n")  # fmt: skip
    log = tmp_path / "node.log"
    proc = start_node(cfg, log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, log)
        assert f"CoT on 127.0.0.1:{cot} (TCP): picture out and reports in for JOR" in (
            log.read_text())  # fmt: skip
        with socket.create_connection(("127.0.0.1", cot), timeout=10) as s:
            s.settimeout(0.2)
            got = b""
            for i in range(40):  # a report every 0.5 s until the picture shows the track
                s.sendall(drone(datetime.now(UTC), 36.3 - 0.0005 * i))
                deadline = time.monotonic() + 0.5
                while time.monotonic() < deadline:
                    with contextlib.suppress(TimeoutError):
                        got += s.recv(65536)
                if b'type="a-h-A-M-F-Q"' in got and b"warnline.track." in got:
                    break
            assert b'uid="warnline.track.' in got, log.read_text()[-2000:]
            assert b"Warnline refused" not in got
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
