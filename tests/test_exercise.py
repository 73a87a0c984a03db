"""`warnline demo` end to end, as a newcomer runs it: the exercise, its summary, and
every exported artefact checked by an independent oracle."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from tests.factories import free_port

pytestmark = pytest.mark.slow

CONTRACT_KEYS = {
    "reports",
    "reports_by_format",
    "tracks",
    "incidents",
    "alerts",
    "deliveries",
    "acknowledgements",
    "assignments",
    "unassigned",
    "lost",
    "duplicates",
}


@pytest.fixture(scope="module")
def exercise(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "warnline.cli",
            "demo",
            "--duration",
            "240",
            "--speed",
            "12",
            "--seed",
            "3",
            "--no-console",
            "--port",
            str(free_port()),
            "--export",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    return proc, out


def test_demo_exits_cleanly_and_prints_summary(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    proc, _ = exercise
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Exercise summary" in proc.stdout
    assert "jor-watch" in proc.stdout  # accounts printed at start


def test_summary_holds_the_contract_keys_and_sound_figures(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = exercise
    s = json.loads((out / "summary.json").read_text())
    assert s.keys() >= CONTRACT_KEYS
    assert s["reports"] > 500 and s["reports_by_format"] == {"json": s["reports"]}
    assert s["tracks"] > 5 and s["incidents"] >= 1 and s["alerts"] >= 1
    assert s["deliveries"]["console"] >= s["alerts"]
    assert sum(s["acknowledgements"].values()) >= 1 and set(s["acknowledgements"]) <= {
        "console",
        "api",
        "sms",
        "voice",
    }
    assert s["assignments"] >= 1
    assert s["lost"] == 0 and s["duplicates"] == 0 and s["unassigned"] == 0
    assert s["rejected_submissions"] == 0


def test_every_channel_reached_real_peers_and_escalated(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """Duty officers are reached by e-mail, SMS, voice, webhook and Apprise through the
    loopback peers; some acknowledge by SMS reply or keypad 1; EGY's system is down."""
    _, out = exercise
    s = json.loads((out / "summary.json").read_text())
    for channel in ("console", "webhook", "email", "sms", "voice", "apprise"):
        assert s["deliveries"].get(channel, 0) >= 1, channel
    assert s["acknowledgements"].get("sms", 0) >= 1 and s["acknowledgements"].get("voice", 0) >= 1
    assert s["escalations"] >= 1 and s["duplicates"] == 0 and s["roster_takeovers"] == 1
    assert any(d.startswith("webhook ") for d in s["dead_channels"])  # the partner system down
    assert "sms" not in s["dead_channels"] and "voice" not in s["dead_channels"]
    peers = s["peers"]
    # What the peers received matches what the journal says was handed over, once each.
    assert peers["emails_received"] == s["deliveries"]["email"]
    assert peers["sms_submitted"] >= s["deliveries"]["sms"] and peers["sms_receipts"] >= 1
    assert peers["sms_ack_replies"] >= s["acknowledgements"]["sms"]
    assert (
        peers["webhooks_received"] == s["deliveries"]["webhook"] and peers["webhooks_rejected"] == 0
    )
    assert peers["gateway_notifications"] == s["deliveries"]["apprise"]
    handoff = s["handoff_ms"]  # decision to hand-off, measured in the run
    assert {"email", "sms", "voice", "webhook"} <= set(handoff)
    assert all(0 < h["p50"] <= h["p99"] for h in handoff.values())


def test_accounts_written_at_start(exercise: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = exercise
    accounts = json.loads((out / "accounts.json").read_text())["accounts"]
    names = sorted(a["username"] for a in accounts)
    assert names == sorted(
        f"{c}-watch" for c in ("usa", "isr", "sau", "qat", "egy", "are", "bhr", "jor")
    )
    assert len({a["password"] for a in accounts}) == 8 and all(
        len(a["password"]) >= 12 for a in accounts
    )


def test_every_cap_message_is_valid_cap_1_2(
    exercise: tuple[subprocess.CompletedProcess[str], Path], cap_schema: etree.XMLSchema
) -> None:
    _, out = exercise
    files = sorted((out / "cap").glob("*.xml"))
    s = json.loads((out / "summary.json").read_text())
    assert len(files) == s["cap_messages"] == sum(s["alert_messages"].values())
    for f in files:
        doc = etree.parse(str(f))
        assert cap_schema.validate(doc), f"{f.name}: {cap_schema.error_log.last_error}"


def test_exported_journal_and_audit_record_verify(
    exercise: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path
) -> None:
    _, out = exercise
    assert (out / "journal" / "journal.db").stat().st_size > 0
    ok = subprocess.run(
        [sys.executable, "-m", "warnline.cli", "audit", "verify", str(out / "audit")],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    # A changed entry is caught and named.
    bad = tmp_path / "audit"
    bad.mkdir()
    for f in (out / "audit").iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    lines = (bad / "entries.jsonl").read_text().splitlines()
    lines[9] = lines[9].replace('"kind":"', '"kind":"x', 1)
    (bad / "entries.jsonl").write_text("\n".join(lines) + "\n")
    res = subprocess.run(
        [sys.executable, "-m", "warnline.cli", "audit", "verify", str(bad)],
        capture_output=True,
        text=True,
    )
    assert res.returncode != 0 and "entry 10" in res.stderr
