"""`warnline serve`: it signs every JSON answer and serves signed tree heads, and it
refuses, in one line naming the entry, to start on a journal that does not verify."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.factories import free_port, signed, wire_report
from tests.node.test_crash_recovery import start_node, wait_healthy
from warnline.accounts import Accounts
from warnline.agreement.load import load_agreement
from warnline.api.signing import HEADER, verify_hub_signature
from warnline.cli import main

pytestmark = pytest.mark.slow
PASSWORD = "pw-for-the-served-node"


def config(tmp_path: Path, port: int, extra: str = "") -> Path:
    cfg = tmp_path / "node.toml"
    cfg.write_text(
        f'[node]\nport = {port}\ndata = "data"\ntick_s = 0.25\n\n{extra}'
        f'[[users]]\nusername = "jor-watch"\npartner = "JOR"\nrole = "watch"\n'
        f'password_hash = "{Accounts.hash_password(PASSWORD)}"\n'
    )
    return cfg


def serve_briefly(cfg: Path) -> subprocess.CompletedProcess[str]:
    """Run `warnline serve` expecting it to refuse: it must exit on its own."""
    return subprocess.run(
        [sys.executable, "-m", "warnline.cli", "serve", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    port = free_port()
    cfg = config(tmp_path, port)
    log = tmp_path / "node.log"
    proc = start_node(cfg, log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc, log)
        yield base, cfg, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)


def test_serve_signs_every_answer_and_keeps_heads_a_partner_can_check(
    served: tuple[str, Path, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    base, cfg, proc = served
    hub_key = load_agreement().hub_public_key
    with httpx.Client(base_url=base) as c:
        login = c.post("/api/v1/session", json={"username": "jor-watch", "password": PASSWORD})
        auth = {"authorization": f"Bearer {login.json()['token']}"}
        now = datetime.now(UTC)
        body, headers = signed([wire_report("served-1", t=now)], at=now)
        accepted = c.post("/api/v1/reports", content=body, headers=headers)
        alerts = c.get("/api/v1/alerts", headers=auth)
        refused = httpx.get(f"{base}/api/v1/tracks")  # no session
        head = c.get("/api/v1/audit/head", headers=auth)
    for answer in (login, accepted, alerts, refused, head):
        assert verify_hub_signature(answer.content, answer.headers[HEADER], hub_key), answer.url
    assert not verify_hub_signature(alerts.content + b" ", alerts.headers[HEADER], hub_key)
    assert refused.status_code == 401 and accepted.status_code == 202
    kept = tmp_path / "head.json"
    kept.write_text(head.text)
    assert json.loads(head.text)["size"] >= 2
    db = cfg.parent / "data" / "journal.db"
    # The journal of the running node extends the kept head; after a stop, the node
    # starts again on it (its start-up check passes on its own journal).
    assert main(["audit", "verify", str(db), "--head", str(kept)]) == 0
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(10)
    log = tmp_path / "again.log"
    again = start_node(cfg, log)
    try:
        wait_healthy(base, again, log)
        # It started from the snapshot its clean stop took, and verifies the whole
        # journal beside the running node.
        assert "recovered from snapshot at seq" in log.read_text()
        for _ in range(200):  # bounded: the check of a few entries takes a second or two
            if "journal verified:" in log.read_text() or again.poll() is not None:
                break
            time.sleep(0.05)
        assert "journal verified:" in log.read_text()
    finally:
        os.killpg(again.pid, signal.SIGTERM)
        again.wait(10)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("""UPDATE entries SET payload='{"forged":true}' WHERE seq=2""", "journal entry 2: hash"),
        ("UPDATE positions SET position=99999", "beyond the end"),
        ("UPDATE entries SET payload='{not json' WHERE seq=1", "journal entry 1: payload"),
        ("DROP TABLE seal", "table 'seal' is missing"),
    ],
)
def test_serve_refuses_to_start_on_a_tampered_journal(tmp_path: Path, sql: str, named: str) -> None:
    port = free_port()
    cfg = config(tmp_path, port)
    log = tmp_path / "node.log"
    proc = start_node(cfg, log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, log)
        now = datetime.now(UTC)
        body, headers = signed([wire_report(f"r{i}", t=now) for i in (1, 2)], at=now)
        assert (
            httpx.post(
                f"http://127.0.0.1:{port}/api/v1/reports", content=body, headers=headers
            ).status_code
            == 202
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    db = tmp_path / "data" / "journal.db"
    with sqlite3.connect(db) as conn:
        conn.execute(sql)
    conn.close()
    out = serve_briefly(cfg)
    assert out.returncode == 1, out
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert lines[0].startswith("warnline serve: journal") and named in lines[0]
    # Refused at start (what the start folds) or stopped by the check of the whole
    # journal beside the running node: either way one line naming the entry.
    assert "refusing to start" in lines[0] or "refusing to run" in lines[0]


def test_serve_needs_a_hub_key_that_matches_the_agreement(tmp_path: Path) -> None:
    key = tmp_path / "hub.key"
    key.write_text("bm90IGEga2V5\n")
    out = serve_briefly(config(tmp_path, free_port(), '[hub]\nkey = "hub.key"\n\n'))
    assert out.returncode == 2 and out.stderr.strip().endswith("must hold base64 of a 32-byte seed")
    key.write_text("A" * 43 + "=\n")  # a valid key, but not the agreement's hub key
    out = serve_briefly(config(tmp_path, free_port(), '[hub]\nkey = "hub.key"\n\n'))
    assert out.returncode == 2 and "not the agreement's hub_public_key" in out.stderr


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_serve_with_its_picture_in_a_process_decides_stops_and_restarts(tmp_path: Path) -> None:
    """`node.picture_process`: reports are decided through the child, a SIGTERM to the
    node stops the child after the last snapshot, and the node restarts from it."""
    port = free_port()
    cfg = config(tmp_path, port, extra="picture_process = true\n\n")
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "node.log"
    proc = start_node(cfg, log)
    try:
        wait_healthy(base, proc, log)
        now = datetime.now(UTC)
        reports = [wire_report(f"pp-{i}", t=now) for i in range(3)]
        body, headers = signed(reports, at=now)
        assert (
            httpx.post(f"{base}/api/v1/reports", content=body, headers=headers).status_code == 202
        )
        for _ in range(200):  # bounded: a tick follows a submission within tens of ms
            if httpx.get(f"{base}/healthz").json().get("decided_reports", 0) >= 3:
                break
            time.sleep(0.05)
        assert httpx.get(f"{base}/healthz").json()["decided_reports"] >= 3
        children = _children(proc.pid)
        assert children, "the picture runs in a child of the node"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        left = [c for c in children if _alive(c)]
        assert not left, [Path(f"/proc/{c}/cmdline").read_bytes() for c in left]
        again = start_node(cfg, tmp_path / "again.log")
        try:
            wait_healthy(base, again, tmp_path / "again.log")
            assert "recovered from snapshot at seq" in (tmp_path / "again.log").read_text()
            assert httpx.get(f"{base}/healthz").json()["decided_reports"] >= 3
        finally:
            os.killpg(again.pid, signal.SIGTERM)
            again.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
