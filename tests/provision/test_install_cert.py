"""`warnline init --csr` and `warnline pki install`: a node that joins the coalition's CA
instead of making one. Its requests are issued by another CA (`warnline pki sign`), a
certificate that does not fit is refused in one line with nothing replaced, and the node
then serves with mutual TLS under the coalition CA (issue 11)."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from tests.factories import free_port
from tests.node.test_crash_recovery import start_node
from warnline.cli import main
from warnline.serve.config import load_config


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, (out.out + out.err).strip()


def refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code, text = run(args, capsys)
    assert code == 2 and len(text.splitlines()) == 1 and "Traceback" not in text, text
    return text


@pytest.mark.slow
def test_a_node_from_a_signing_request_serves_with_the_coalition_ca(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    node, coalition, other = tmp_path / "jor", tmp_path / "coalition", tmp_path / "other"
    code, out = run(["init", str(node), "--partner", "JOR", "--port", str(port), "--csr"], capsys)
    assert code == 0, out
    pki = node / "pki"
    assert f"signing request for the coalition CA: {pki / 'jor-node.csr'}" in out
    assert not (pki / "ca.key").exists() and not (pki / "jor-node.crt").exists()
    cfg = load_config(node / "node.toml")
    assert cfg.tls is not None and cfg.tls.cert == pki / "jor-node.crt" and cfg.tls.crl is None
    assert cfg.hub.cap_cert == pki / "jor-cap.crt"
    self_signed = x509.load_pem_x509_certificate(cfg.hub.cap_cert.read_bytes())
    assert self_signed.issuer == self_signed.subject  # CAP is signed from the first start
    request = x509.load_pem_x509_csr((pki / "jor-node.csr").read_bytes())
    names = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in {str(n) for n in names.get_values_for_type(x509.IPAddress)}

    # serve waits for the certificate, and says how to install it
    message = refused(["serve", "--config", str(node / "node.toml")], capsys)
    assert "tls.cert: no such file" in message and "warnline pki install" in message

    for ca in (coalition, other):
        assert run(["pki", "init", str(ca)], capsys)[0] == 0
    sign = ["pki", "sign", str(coalition), str(pki / "jor-node.csr")]
    assert run([*sign, "--server"], capsys)[0] == 0
    assert run(["pki", "sign", str(other), str(pki / "jor-node.csr"), "--server"], capsys)[0] == 0
    assert run(["pki", "issue", str(coalition), "jor-eng", "--partner", "JOR"], capsys)[0] == 0
    issued, ca_cert = coalition / "jor-node.crt", coalition / "ca.crt"
    install = ["pki", "install", str(node)]

    assert "--ca: needed" in refused([*install, str(issued)], capsys)
    message = refused([*install, str(other / "jor-node.crt"), "--ca", str(ca_cert)], capsys)
    assert "was not issued by the CA" in message
    message = refused([*install, str(coalition / "jor-eng.crt"), "--ca", str(ca_cert)], capsys)
    assert "certifies a key this node did not ask a certificate for" in message
    message = refused([*install, str(ca_cert), "--ca", str(ca_cert)], capsys)
    assert "certifies a key this node did not ask" in message
    assert not (pki / "jor-node.crt").exists() and not (pki / "ca.crt").exists()

    code, out = run([*install, str(issued), "--ca", str(ca_cert)], capsys)
    assert code == 0 and f"installed {pki / 'jor-node.crt'}" in out, out
    assert (pki / "jor-node.crt").read_bytes() == issued.read_bytes()
    assert (pki / "ca.crt").read_bytes() == ca_cert.read_bytes()
    # the coalition CA may also issue the CAP certificate; a client certificate for the
    # server's request is refused (clients could not check the node)
    assert (
        run(["pki", "sign", str(coalition), str(pki / "jor-cap.csr"), "--signing"], capsys)[0] == 0
    )
    assert run([*install, str(coalition / "jor-cap.crt")], capsys)[0] == 0
    assert (pki / "jor-cap.crt").read_bytes() == (coalition / "jor-cap.crt").read_bytes()

    log = tmp_path / "node.log"
    proc = start_node(node / "node.toml", log)
    base = f"https://127.0.0.1:{port}"
    engineer = ssl.create_default_context(cafile=str(ca_cert))
    engineer.load_cert_chain(coalition / "jor-eng.crt", coalition / "jor-eng.key")
    try:
        health = wait_tls_healthy(base, engineer, proc, log)
        with httpx.Client(verify=engineer) as c:
            served = c.get(f"{base}/api/v1/cap/certificate").content
        stranger = ssl.create_default_context(cafile=str(ca_cert))  # no client certificate
        with pytest.raises(httpx.HTTPError), httpx.Client(verify=stranger) as c:
            c.get(f"{base}/healthz")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
    assert health == "ok" and served == (coalition / "jor-cap.crt").read_bytes()
    assert f"listening on https://127.0.0.1:{port} (mutual TLS)" in log.read_text()


def test_a_client_certificate_for_the_server_request_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node, coalition = tmp_path / "jor", tmp_path / "coalition"
    assert run(["init", str(node), "--partner", "JOR", "--csr"], capsys)[0] == 0
    assert run(["pki", "init", str(coalition)], capsys)[0] == 0
    assert run(["pki", "sign", str(coalition), str(node / "pki" / "jor-node.csr")], capsys)[0] == 0
    install = ["pki", "install", str(node), str(coalition / "jor-node.crt")]
    message = refused([*install, "--ca", str(coalition / "ca.crt")], capsys)
    assert "is not a server certificate (no serverAuth use)" in message
    assert not (node / "pki" / "jor-node.crt").exists()


def test_init_with_csr_refuses_a_pki_folder_with_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "jor-node.key").write_text("an operator's key\n")
    message = refused(["init", str(tmp_path), "--partner", "JOR", "--csr"], capsys)
    assert "not empty; refusing to overwrite keys" in message
    assert (tmp_path / "pki" / "jor-node.key").read_text() == "an operator's key\n"
    assert not (tmp_path / "node.toml").exists()


def wait_tls_healthy(
    base: str, ctx: ssl.SSLContext, proc: subprocess.Popen[bytes], log: Path
) -> str:
    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError(f"node exited: {log.read_text()[-2000:]}")
        try:
            status = httpx.get(f"{base}/healthz", verify=ctx, timeout=0.5).json()["status"]
            if status == "ok":
                return str(status)
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"node not healthy: {log.read_text()[-2000:]}")
