"""kill -9 of a running node: nothing acknowledged is lost, no alert is raised twice,
and the decisions after restart are the ones a clean replay of the journal gives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.factories import free_port, signed, wire_report
from tests.test_pipeline import make_pipeline
from warnline.accounts import Accounts
from warnline.agreement.model import Agreement
from warnline.journal import SQLiteJournal
from warnline.pipeline import Pipeline

pytestmark = pytest.mark.slow


def start_node(cfg: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "warnline.cli", "serve", "--config", str(cfg)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError(f"node exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=0.5).json()["status"] == "ok":
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"node not healthy: {log.read_text()[-2000:]}")


class Raid:
    """Three drones close together flying west towards Amman (30 km out), reported by JOR."""

    def __init__(self) -> None:
        self.start = datetime.now(UTC)
        self.n = 0
        self.acked: set[str] = set()

    def batch(self) -> list[dict[str, object]]:
        now = datetime.now(UTC)
        dt = (now - self.start).total_seconds()
        out = []
        for k in range(3):
            self.n += 1
            lon = 36.25 - (50.0 * dt) / (111_320.0 * 0.848)
            out.append(
                wire_report(
                    f"r{self.n}",
                    t=now,
                    sensor_track=f"st{k}",
                    position={"lat": 31.95 + 0.02 * k, "lon": lon, "alt_m": 150.0},
                )
            )
        return out

    def send(self, client: httpx.Client, base: str) -> None:
        payload = self.batch()
        body, headers = signed(payload, at=datetime.now(UTC))  # the served node's clock
        try:
            r = client.post(f"{base}/api/v1/reports", content=body, headers=headers, timeout=2.0)
        except httpx.HTTPError:
            return  # not acknowledged: the sender would retry; it is not counted as sent
        if r.status_code == 202:
            self.acked.update(r.json()["reports"])


def test_kill_9_loses_nothing_and_raises_no_alert_twice(
    agreement: Agreement, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cfg = tmp_path / "node.toml"
    cfg.write_text(
        f'[node]\nport = {port}\ndata = "data"\ntick_s = 0.25\n\n'
        f'[[users]]\nusername = "jor-watch"\npartner = "JOR"\nrole = "watch"\n'
        f'password_hash = "{Accounts.hash_password("pw")}"\n'
    )
    log = tmp_path / "node.log"
    raid = Raid()
    proc = start_node(cfg, log)
    try:
        wait_healthy(base, proc, log)
        with httpx.Client() as client:
            deadline = time.monotonic() + 4.0
            while time.monotonic() < deadline:
                raid.send(client, base)
                time.sleep(0.04)
            before_kill = len(raid.acked)
            os.killpg(proc.pid, signal.SIGKILL)  # mid-stream, no warning
            proc.wait(10)
            raid.send(client, base)  # refused: nobody listens
            proc = start_node(cfg, log)
            wait_healthy(base, proc, log)
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline:
                raid.send(client, base)
                time.sleep(0.04)
            time.sleep(1.5)  # let the pipeline catch up with the last ticks
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
    assert before_kill > 100 and len(raid.acked) > before_kill

    journal = SQLiteJournal(tmp_path / "data" / "journal.db")
    try:
        entries = journal.read()
        stored_reports = {
            f"{e.event.payload['report']['partner']}/{e.event.payload['report']['report_id']}"
            for e in entries
            if e.event.kind == "report.received"
        }
        assert raid.acked - stored_reports == set(), "an acknowledged report was lost"
        alerts = [e.event.payload for e in entries if e.event.kind == "alert.issued"]
        raised = [(a["area_id"]) for a in alerts if a["msg_type"] == "Alert"]
        assert "JOR-amman" in raised
        assert len(raised) == len(set(raised)), f"an area was alerted twice: {sorted(raised)}"
        # A clean replay of the inputs gives exactly the decisions the node stored.
        position = journal.position(Pipeline.FOLLOWER)
        stored = {
            e.event.event_id: e.event.payload
            for e in entries
            if e.event.kind in ("alert.issued", "incident.updated", "assignment.made")
        }
        replayed = {}
        pipeline = make_pipeline(agreement)
        for e in entries:
            for d in pipeline.process([e]):
                if e.seq <= position:
                    replayed[d.event_id] = d.payload
        assert replayed and replayed.keys() <= stored.keys()
        assert all(stored[k] == v for k, v in replayed.items())
    finally:
        journal.close()
