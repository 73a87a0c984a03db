"""`warnline demo` end to end, as a newcomer runs it: the exercise, its summary, and
every exported artefact checked by an independent oracle."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from tests.factories import free_port
from tests.sim.test_raid_score import KEYS
from warnline.agreement.load import load_agreement
from warnline.alerting.cap_sign import exercise_cap_signer, verify_cap
from warnline.journal import SQLiteJournal
from warnline.journal.kinds import Kind
from warnline.journal.payloads import Received, payload
from warnline.serve.config import load_config

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
            "6",
            "--seed",
            "3",
            "--no-console",
            "--port",
            str(free_port()),
            "--export",
            str(out),
            "--cot",
            "JOR",
            "--cot-port",
            str(free_port()),
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
    assert s["reports"] > 500
    assert set(s["reports_by_format"]) == {"json", "cap", "manual", "asterix", "cot"}
    assert sum(s["reports_by_format"].values()) == s["reports"]
    assert s["tracks"] > 5 and s["incidents"] >= 1 and s["alerts"] >= 1
    assert s["deliveries"]["console"] >= s["alerts"]
    assert s["acknowledgements"].get("api-signed", 0) >= 1  # SAU's system, Ed25519-signed
    assert sum(s["acknowledgements"].values()) >= 1 and set(s["acknowledgements"]) <= {
        "console",
        "api",
        "api-signed",
        "sms",
        "voice",
    }
    assert s["assignments"] >= 1
    assert s["lost"] == 0 and s["duplicates"] == 0 and s["unassigned"] == 0
    assert s["rejected_submissions"] == 0


def test_jordans_sensors_speak_asterix_to_the_served_node(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """JOR's CAT062 tracks and CAT048 plots go over UDP on loopback to the node's
    listener (from the config `warnline serve` reads) and every one sent is journaled."""
    proc, out = exercise
    assert "asterix.JOR" in proc.stdout and "asterix-out.ISR" in proc.stdout
    s = json.loads((out / "summary.json").read_text())
    a = s["asterix"]
    (listener,) = [h for h in a["listeners"] if h["channel"].startswith("asterix udp")]
    assert listener["partners"] == ["JOR"] and listener["channel"].startswith("asterix udp://")
    assert a["sent_reports"] > 50 and a["sent_datagrams"] >= 10
    assert listener["reports"] == a["sent_reports"] == s["reports_by_format"]["asterix"]
    assert listener["refused"] == {}
    cfg = load_config(out / "node.toml")
    assert [(c.partner, c.protocol) for c in cfg.asterix] == [("JOR", "udp")]
    journal = SQLiteJournal(out / "journal" / "journal.db", archive=cfg.archive)
    try:
        reports = [
            payload(e.event, Received).report
            for e in journal.iter_all()
            if e.event.kind == Kind.REPORT
        ]
        sensors = {r.sensor for r in reports if r.source_format == "asterix"}
    finally:
        journal.close()
    assert sensors == {"jor-radar-1", "jor-radar-2"}
    # ISR's air-defence centre took its released picture as CAT062 ([[asterix_out]]).
    got = a["out_received"]
    (sent,) = [h for h in a["listeners"] if h["channel"].startswith("asterix-out")]
    assert got["partner"] == "ISR" and sent["partners"] == ["ISR"]
    assert got["datagrams"] == sent["datagrams"] > 10 and got["records"] == sent["records"]
    assert got["tracks"] >= 5 and got["faults"] == {} and got["ended"] == sent["ended"] >= 1
    assert [(c.partner, c.sac, c.sic) for c in cfg.asterix_out] == [("ISR", 250, 1)]


def test_a_tak_client_read_jors_released_picture_and_ares_system_spoke_cot(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = exercise
    s = json.loads((out / "summary.json").read_text())
    cot = s["cot"]
    assert cot["partner"] == "JOR" and cot["client"]["unparsed"] == 0
    assert cot["client"]["tracks"] >= 3 and cot["client"]["deletions"] >= 1
    assert cot["client"]["alerts"] >= 1 and cot["client"]["shapes"] >= 1
    assert cot["outside_release"] == 0 and cot["alerts_not_the_partners"] == 0
    assert cot["in"]["sent"] > 50 and cot["in"]["journaled"] == cot["in"]["sent"]
    # An entity expansion and a ground unit on each connection: refused, the stream going on.
    assert cot["in"]["refused"] == cot["server"]["received"]["refused"] >= 2
    assert s["reports_by_format"]["cot"] == cot["in"]["journaled"]


def test_manual_entries_in_the_exercise(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """A watch officer's report by hand; a coalition-wide manual alert drafted, refused to
    its own drafter, approved by the cell, issued and ended by hand: counted from the
    journal, and kept out of the warnings score (it rests on no track)."""
    _, out = exercise
    s = json.loads((out / "summary.json").read_text())
    m = s["manual"]
    assert m["errors"] == []
    assert (m["reports"], m["alerts_drafted"], m["refused_self_approval"]) == (1, 1, 1)
    assert (m["approved"], m["issued"], m["ended"]) == (1, 1, 1)
    assert m["in_warnings_score"] is False and s["reports_by_format"]["manual"] == 1
    journal = SQLiteJournal(out / "journal" / "journal.db")
    try:
        kinds = [e.event.kind for e in journal.iter_all()]
        issued = [e.event.payload for e in journal.iter_all() if e.event.kind == "manual.issued"]
        manual_alerts = [
            e.event.payload
            for e in journal.iter_all()
            if e.event.kind == "alert.issued"
            and e.event.payload["alert_id"] in issued[0]["alert_ids"]
        ]
    finally:
        journal.close()
    assert (
        kinds.index("manual.drafted")
        < kinds.index("manual.approved")
        < kinds.index("manual.issued")
        < kinds.index("manual.ended")
    )
    assert issued[0]["approved_by"] == "usa-watch"
    assert [a["area_id"] for a in manual_alerts] == [m["area"], m["area"]]
    assert [a["msg_type"] for a in manual_alerts] == ["Alert", "Cancel"]


WARNING_KEYS = KEYS  # the warnings score's keys, as the raid test checks them


def test_summary_scores_the_warnings_on_ground_truth_and_ends_with_a_verdict(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    proc, out = exercise
    w = json.loads((out / "summary.json").read_text())["warnings"]
    assert w.keys() >= WARNING_KEYS
    assert w["entries"] >= 1 and 0 <= w["missed_warnings"] <= w["entries"]
    assert proc.stdout.rstrip().splitlines()[-1].startswith("Verdict: ")


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
    assert "EGY webhook" in s["dead_channels"]  # the partner system down, named as people do
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
    codes = ("usa", "isr", "sau", "qat", "egy", "are", "bhr", "jor")
    assert names == sorted([f"{c}-watch" for c in codes] + [f"{c}-cmd" for c in codes])
    assert {a["role"] for a in accounts if a["username"].endswith("-cmd")} == {"commander"}
    assert len({a["password"] for a in accounts}) == 16 and all(
        len(a["password"]) >= 12 for a in accounts
    )


def test_the_exercise_node_is_built_from_a_served_nodes_config(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """The exercise writes the config a partner would and `warnline serve` reads: its
    person channels point at the loopback peers, its users are the accounts above, and
    its secret sits in a private file, not in the config."""
    proc, out = exercise
    assert f"Node: {out / 'node.toml'}" in proc.stdout
    cfg = load_config(out / "node.toml")
    assert set(cfg.channels) >= {"email", "sms", "webhook", "apprise"}
    assert cfg.host == "127.0.0.1" and cfg.data == out / "journal"
    accounts = json.loads((out / "accounts.json").read_text())["accounts"]
    assert sorted(u.username for u in cfg.users) == sorted(a["username"] for a in accounts)
    secret = out / "secrets" / "smpp"
    assert secret.stat().st_mode & 0o077 == 0
    assert secret.read_text().strip() not in (out / "node.toml").read_text()


def test_lead_partner_procedure_in_the_exercise(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """Commanders accept, decline or stay silent; the journal shows every confirmed
    hostile incident led or escalated within the agreed time, one lead at a time, each
    step explained by its rule; the summary counts what the journal holds."""
    proc, out = exercise
    s = json.loads((out / "summary.json").read_text())
    for key in ("offers", "accepted", "declined", "timed_out", "handovers", "overrides",
                "escalated", "consent_requests", "readiness_declarations"):  # fmt: skip
        assert isinstance(s[key], int), key
    assert s["offers"] >= 1 and s["accepted"] >= 1 and s["timed_out"] >= 1
    assert s["readiness_declarations"] == 1
    assert s["commanders"]["offers_seen"] >= s["offers"] // 2
    # Offers also reach commanders away from the console by phone (decision 56).
    phone = s["offer_deliveries"]
    assert phone.get("sms", 0) + phone.get("voice", 0) >= 1
    assert set(s["offers_answered"]) <= {"console", "api", "sms", "voice"}
    assert sum(s["offers_answered"].values()) <= s["commander_answers"]
    assert s["peers"]["sms_offer_replies"] >= s["offers_answered"].get("sms", 0)
    assert "offers" in proc.stdout and "timed_out" in proc.stdout
    journal = SQLiteJournal(out / "journal" / "journal.db")
    try:
        entries = list(journal.iter_all())
    finally:
        journal.close()
    confirmed: dict[str, datetime] = {}
    steps: dict[str, list[dict[str, object]]] = {}
    for e in entries:
        p = e.event.payload
        if e.event.kind == "incident.updated" and p["confirmed_hostile"]:
            confirmed.setdefault(p["incident_id"], e.event.at)
        elif e.event.kind == "assignment.made":
            steps.setdefault(p["incident_id"], []).append(p)
            assert f"{p['rule']} rule" in p["explanation"]
    limit = load_agreement().response.decide_within_s
    assert confirmed and set(confirmed) <= set(steps)
    for inc, at in confirmed.items():
        recs = steps[inc]
        assert [r["version"] for r in recs] == list(range(1, len(recs) + 1))
        first = next(r for r in recs if r["status"] in ("lead", "escalated"))
        waited = (datetime.fromisoformat(str(first["decided_at"])) - at).total_seconds()
        assert waited <= limit + 1.0, (inc, waited)
        assert all((r["status"] == "lead") == (r["lead"] is not None) or r["status"] == "offered"
                   for r in recs)  # fmt: skip


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


def test_every_cap_message_is_signed_by_the_hub(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """Checked as a partner would: with the certificate alone, not the summary's word."""
    _, out = exercise
    cert = (out / "cap-signing-certificate.pem").read_bytes()
    files = sorted((out / "cap").glob("*.xml"))
    s = json.loads((out / "summary.json").read_text())
    assert s["cap_signed"] == len(files) > 0
    for f in files:
        verify_cap(f.read_bytes(), cert)
    # The certificate holds the exercise hub's key, which any partner can recompute.
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert x509.load_pem_x509_certificate(cert).public_key().public_bytes(*spki) == (
        exercise_cap_signer().key.public_key().public_bytes(*spki)
    )


def test_alert_stages_and_lifecycle_in_the_exported_messages(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = exercise
    s = json.loads((out / "summary.json").read_text())
    stages = s["alert_stages"]
    assert sum(stages.values()) == sum(s["alert_messages"].values())
    assert (
        stages["alert"] >= 1
        and stages["all_clear"] + stages["cancel"] == s["alert_messages"]["Cancel"]
    )
    ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
    territories = {p.territory.name for p in load_agreement().partners.values()}
    chains: dict[str, list[tuple[int, str, str, list[str]]]] = {}
    for f in (out / "cap").glob("*.xml"):
        doc = etree.parse(str(f))
        params = dict(
            zip(
                doc.xpath("//c:info[1]/c:parameter/c:valueName/text()", namespaces=ns),
                doc.xpath("//c:info[1]/c:parameter/c:value/text()", namespaces=ns),
                strict=True,
            )
        )
        assert doc.findtext("c:status", namespaces=ns) == "Exercise"
        assert all(
            h.startswith("EXERCISE") for h in doc.xpath("//c:info/c:headline/text()", namespaces=ns)
        )
        assert "timeToShelter" in params and doc.xpath("//c:area/c:polygon", namespaces=ns)
        # A circle only where it stands for the area (a defended area), never a territory's.
        territory = doc.findtext("c:info/c:area/c:areaDesc", namespaces=ns) in territories
        assert bool(doc.xpath("//c:area/c:circle", namespaces=ns)) != territory
        refs = (doc.findtext("c:references", namespaces=ns) or "").split()
        chains.setdefault(params["warnlineAlertId"], []).append(
            (
                int(params["warnlineVersion"]),
                params["alertStage"],
                doc.findtext("c:identifier", namespaces=ns) or "",
                [r.split(",")[1] for r in refs],
            )
        )
    for alert_id, chain in chains.items():
        chain.sort()
        assert [v for v, *_ in chain] == list(range(1, len(chain) + 1)), alert_id
        sheltered = False
        for n, (_, stage, _, refs) in enumerate(chain):
            assert refs == [ident for _, _, ident, _ in chain[:n]], alert_id
            if stage in ("update", "all_clear"):
                assert sheltered, f"{alert_id}: {stage} without a prior alert"
            sheltered = sheltered or stage in ("alert", "update")
        assert chain[-1][1] in ("all_clear", "cancel"), f"{alert_id} never ended"


def test_partners_civil_defence_cap_inputs_and_feeds(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = exercise
    s = json.loads((out / "summary.json").read_text())
    assert s["cap_inputs"] >= 10 and s["reports_by_format"]["cap"] > s["cap_inputs"]
    cert = (out / "cap-signing-certificate.pem").read_bytes()
    assert sorted(s["cap_feeds"]) == sorted(
        ["USA", "ISR", "SAU", "QAT", "EGY", "ARE", "BHR", "JOR"]
    )
    for partner, n in s["cap_feeds"].items():
        feed = etree.parse(str(out / "feeds" / f"{partner}.atom"))
        alerts = feed.findall(".//{urn:oasis:names:tc:emergency:cap:1.2}alert")
        assert len(alerts) == n
        for a in alerts:
            addresses = a.findtext("{urn:oasis:names:tc:emergency:cap:1.2}addresses")
            assert partner == "USA" or addresses == partner  # as released to it
            verify_cap(etree.tostring(a), cert)


def test_exported_journal_and_audit_record_verify(
    exercise: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path
) -> None:
    _, out = exercise
    assert (out / "journal" / "journal.db").stat().st_size > 0
    # The exercise's node archives in small segments: the journal starts at them, and
    # journal.db with its archive verifies from entry 1 (and so did the export above).
    journal = json.loads((out / "summary.json").read_text())["journal"]
    assert journal["archived_segments"] >= 1
    assert journal["archived_entries"] == 2000 * journal["archived_segments"]
    assert (
        len(list((out / "journal" / "archive").glob("segment-*.jsonl.gz")))
        == (journal["archived_segments"])
    )
    db = subprocess.run(
        [
            sys.executable,
            "-m",
            "warnline.cli",
            "audit",
            "verify",
            str(out / "journal" / "journal.db"),
        ],
        capture_output=True,
        text=True,
    )
    assert db.returncode == 0 and f"{journal['entries']} entries" in db.stdout, db.stderr
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


def test_an_incident_timeline_is_proved_as_the_cell_and_a_partner(
    exercise: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = exercise
    tl = json.loads((out / "summary.json").read_text())["incident_timeline"]
    assert tl["incidents"] >= 1 and len(tl["viewers"]) == 2, tl
    assert tl["failed"] == 0 and tl["verified"] > tl["steps"] > 0, tl  # last records too
    cell = tl["viewers"].pop("USA")
    (partner,) = tl["viewers"].values()
    assert cell["kind.reports"] >= 1 and cell["kind.alert"] >= 1 and cell["kind.delivery"] >= 1
    assert cell["disclosed"] == cell["checked"]  # the cell receives every entry
    assert partner["steps"] <= cell["steps"] and partner["kind.alert"] >= 1
    assert all(v["failures"] == [] for v in (cell, partner))
