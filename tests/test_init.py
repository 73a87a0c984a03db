"""`warnline init`: a node directory `warnline serve` starts from as is, whose admin signs
in with the password printed once; an existing node or an unknown partner is refused."""

from __future__ import annotations

import base64
import os
import signal
import stat
import time
import tomllib
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from lxml import etree

from tests.factories import free_port
from tests.node.test_crash_recovery import Raid, start_node, wait_healthy
from warnline.agreement.load import load_agreement
from warnline.alerting.cap_sign import exercise_cap_signer, verify_cap
from warnline.cli import main
from warnline.errors import ConfigError, SignatureError
from warnline.pki import CertificateAuthority
from warnline.pki.ca import partner_of
from warnline.serve.config import load_config
from warnline.serve.keys import hub_signing_key

CAP_NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
DEFAULT_AGREEMENT = Path(__file__).parents[1] / "src/warnline/agreement/data/default.toml"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def printed(out: str, prefix: str) -> str:
    """The value after the last ': ' of the one printed line starting with `prefix`."""
    (line,) = [ln for ln in out.splitlines() if ln.startswith(prefix)]
    return line.rsplit(": ", 1)[1].split()[0]


@pytest.mark.slow
def test_init_writes_a_node_that_serves_and_its_admin_signs_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    node_dir = tmp_path / "jor"
    assert main(["init", str(node_dir), "--partner", "JOR", "--port", str(port)]) == 0
    out = capsys.readouterr().out
    password = printed(out, "admin user jor-admin, password")
    cfg_path = node_dir / "node.toml"
    text = cfg_path.read_text()
    assert password not in text and "$argon2id$" in text
    assert mode(cfg_path) == 0o600 and mode(node_dir / "pki" / "ca.key") == 0o600
    assert not (node_dir / "hub.key").exists()  # the exercise: the public exercise hub key
    cfg = load_config(cfg_path)
    assert (cfg.host, cfg.port, cfg.tls, cfg.hub.key) == ("127.0.0.1", port, None, None)
    assert [(u.username, u.partner, u.role.value) for u in cfg.users] == [
        ("jor-admin", "JOR", "admin")
    ]
    hub_signing_key(cfg.hub, load_agreement(cfg.agreement), cfg_path)  # serve's own check passes
    assert cfg.retention.enabled and cfg.archive == node_dir / "data" / "archive"

    log = tmp_path / "node.log"
    proc = start_node(cfg_path, log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc, log)
        with httpx.Client(base_url=base) as c:
            login = c.post("/api/v1/session", json={"username": "jor-admin", "password": password})
            auth = {"authorization": f"Bearer {login.json()['token']}"}
            who = c.get("/api/v1/me", headers=auth)
            # after the good one: a failure delays the next try of this name from here
            wrong = c.post("/api/v1/session", json={"username": "jor-admin", "password": "x"})
            served_cert = c.get("/api/v1/cap/certificate").content
            cap, feed = served_cap(c, base, auth)
        assert wrong.status_code == 401
        assert login.status_code == 200, login.text
        assert who.json()["role"] == "admin" and who.json()["partner"] == "JOR"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
    assert f"listening on http://127.0.0.1:{port}" in log.read_text()
    assert "retention: segments of 10000 entries into " in log.read_text()
    # CAP is signed with the key init wrote, whose certificate the node serves; the
    # exercise CAP key (what an exercise node signed with before) does not verify it.
    assert cfg.hub.cap_cert == node_dir / "pki" / "jor-cap.crt"
    configured = cfg.hub.cap_cert.read_bytes()
    assert served_cert == configured
    assert (
        x509.load_pem_x509_certificate(configured).issuer
        == CertificateAuthority(node_dir / "pki").cert.subject
    )
    for message in (cap, *feed):
        verify_cap(message, configured)
        with pytest.raises(SignatureError):
            verify_cap(message, exercise_cap_signer().certificate_pem)
    assert "CAP signed with " + str(cfg.hub.cap_cert) in log.read_text()


def served_cap(c: httpx.Client, base: str, auth: dict[str, str]) -> tuple[bytes, list[bytes]]:
    """A raid towards Amman until JOR has an alert; its CAP and JOR's feed entries."""
    raid = Raid()
    deadline = time.monotonic() + 40.0
    alerts: list[dict[str, object]] = []
    while not alerts and time.monotonic() < deadline:
        raid.send(c, base)
        alerts = c.get("/api/v1/alerts", headers=auth).json()
        time.sleep(0.1)  # the raid's report rate, not an ordering wait
    assert alerts, "no alert for JOR"
    cap = c.get(f"/api/v1/alerts/{alerts[0]['alert_id']}/cap", headers=auth)
    feed = c.get("/api/v1/feeds/JOR/cap.atom", headers=auth)
    assert cap.status_code == 200 and feed.status_code == 200
    entries = etree.fromstring(feed.content).findall(f".//{CAP_NS}alert")
    assert entries
    return cap.content, [etree.tostring(e) for e in entries]


def test_init_for_a_real_agreement_off_loopback_writes_tls_and_a_hub_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agreement = tmp_path / "coalition.toml"
    agreement.write_text(
        DEFAULT_AGREEMENT.read_text().replace("exercise = true", "exercise = false", 1)
    )
    node_dir = tmp_path / "jor"
    args = ["init", str(node_dir), "--partner", "JOR", "--host", "192.0.2.10"]
    assert main([*args, "--agreement", str(agreement)]) == 0
    out = capsys.readouterr().out
    assert "it must be the agreement's hub_public_key" in out
    public = printed(out, "hub public key")
    hub_key = node_dir / "hub.key"
    assert mode(hub_key) == 0o600
    assert len(base64.b64decode(hub_key.read_text().strip(), validate=True)) == 32

    cfg_path = node_dir / "node.toml"
    cfg = load_config(cfg_path)
    assert cfg.tls is not None and cfg.tls.crl is not None
    cfg.tls.check()  # every file it names exists
    assert cfg.agreement == agreement.resolve() and cfg.hub.key == hub_key
    server = x509.load_pem_x509_certificate(cfg.tls.cert.read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "192.0.2.10" in {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    assert partner_of((node_dir / "pki" / "jor-admin.crt").read_bytes()) == "JOR"
    assert (cfg.hub.cap_key, cfg.hub.cap_cert) == (
        node_dir / "pki" / "jor-cap.key",
        node_dir / "pki" / "jor-cap.crt",
    )
    assert mode(node_dir / "pki" / "jor-cap.key") == 0o600
    assert partner_of(cfg.hub.cap_cert.read_bytes()) == "JOR"

    # serve refuses the key until the agreement names its public half, then takes it
    with pytest.raises(ConfigError, match="not the agreement's hub_public_key"):
        hub_signing_key(cfg.hub, load_agreement(cfg.agreement), cfg_path)
    old = tomllib.loads(agreement.read_text())["coalition"]["hub_public_key"]
    agreement.write_text(agreement.read_text().replace(old, public, 1))
    key = hub_signing_key(cfg.hub, load_agreement(cfg.agreement), cfg_path)
    assert base64.b64encode(bytes(key.verify_key)).decode() == public


def test_init_refuses_a_directory_that_has_a_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "node.toml").write_text("[node]\n")
    assert main(["init", str(tmp_path), "--partner", "JOR"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "node.toml: already exists" in err[0]
    assert (tmp_path / "node.toml").read_text() == "[node]\n"
    assert not (tmp_path / "pki").exists()


def test_init_refuses_a_partner_not_in_the_agreement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "xxx"), "--partner", "XXX"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--partner 'XXX': not a partner of the agreement" in err[0]
    assert not (tmp_path / "xxx").exists()
