"""mTLS on the API with the coalition CA: certificates issued, required, revoked, rotated."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.factories import T0, free_port
from warnline.accounts import Accounts
from warnline.agreement.model import Agreement
from warnline.api.server import serving
from warnline.domain import ManualClock
from warnline.errors import ConfigError
from warnline.journal import SQLiteJournal
from warnline.node import Node
from warnline.pki import CertificateAuthority
from warnline.pki.ca import partner_of
from warnline.pki.tls import TlsSettings


def client_ctx(ca_dir: Path, name: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca_dir / "ca.crt"))
    if name is not None:
        ctx.load_cert_chain(ca_dir / f"{name}.crt", ca_dir / f"{name}.key")
    return ctx


async def status(base: str, ctx: ssl.SSLContext) -> int | str:
    try:
        async with httpx.AsyncClient(verify=ctx) as c:
            return (await c.get(f"{base}/healthz")).status_code
    except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError) as exc:
        return type(exc).__name__


async def serve_and_probe(
    agreement: Agreement, tmp: Path, ca_dir: Path, probes: list[str | None]
) -> list[int | str]:
    journal = SQLiteJournal(tmp / f"j{free_port()}.db")
    node = Node(agreement=agreement, journal=journal, clock=ManualClock(T0), accounts=Accounts([]))
    tls = TlsSettings(
        cert=ca_dir / "hub.crt",
        key=ca_dir / "hub.key",
        ca=ca_dir / "ca.crt",
        crl=ca_dir / "crl.pem",
    )
    try:
        async with serving(node, port=free_port(), tls=tls) as base:
            assert base.startswith("https://127.0.0.1:")
            return [await status(base, client_ctx(ca_dir, p)) for p in probes]
    finally:
        journal.close()


async def test_client_certificate_required_and_revocation_enforced(
    agreement: Agreement, tmp_path: Path
) -> None:
    ca_dir = tmp_path / "pki"
    ca = CertificateAuthority.init(ca_dir)
    ca.issue("hub", partner="USA", server=True)
    ca.issue("jor-system", partner="JOR")
    ca.issue("isr-system", partner="ISR")
    assert partner_of((ca_dir / "jor-system.crt").read_bytes()) == "JOR"
    got = await serve_and_probe(agreement, tmp_path, ca_dir, ["jor-system", "isr-system", None])
    assert got == [200, 200, "ReadError"]  # no client certificate: the handshake is refused
    ca.revoke("jor-system")
    got = await serve_and_probe(agreement, tmp_path, ca_dir, ["jor-system", "isr-system"])
    assert got == ["ReadError", 200]
    # Rotation: a new certificate under the same name works; the old one stays revoked.
    old = (ca_dir / "jor-system.crt").read_bytes(), (ca_dir / "jor-system.key").read_bytes()
    ca.issue("jor-system", partner="JOR")
    (tmp_path / "old.crt").write_bytes(old[0])
    (tmp_path / "old.key").write_bytes(old[1])
    new_ok = await serve_and_probe(agreement, tmp_path, ca_dir, ["jor-system"])
    assert new_ok == [200]
    for f in ("crt", "key"):
        (ca_dir / f"jor-old.{f}").write_bytes((tmp_path / f"old.{f}").read_bytes())
    assert await serve_and_probe(agreement, tmp_path, ca_dir, ["jor-old"]) == ["ReadError"]


def test_ca_refuses_overwrite_and_double_issue(tmp_path: Path) -> None:
    ca = CertificateAuthority.init(tmp_path)
    with pytest.raises(ConfigError):
        CertificateAuthority.init(tmp_path)
    ca.issue("a", partner="JOR")
    with pytest.raises(ConfigError, match="already issued"):
        ca.issue("a", partner="JOR")
    with pytest.raises(ConfigError, match="no live certificate"):
        ca.revoke("b")
    with pytest.raises(ConfigError):
        ca.issue("bad name!", partner="JOR")


def test_pki_cli(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "warnline.cli", "pki", *args], capture_output=True, text=True
        )

    assert run("init", str(tmp_path)).returncode == 0
    assert run("issue", str(tmp_path), "hub", "--partner", "USA", "--server").returncode == 0
    assert run("issue", str(tmp_path), "jor", "--partner", "JOR").returncode == 0
    assert run("revoke", str(tmp_path), "jor").returncode == 0
    listing = run("list", str(tmp_path)).stdout
    assert "hub" in listing and "revoked" in listing
    again = run("init", str(tmp_path))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_serve_picks_up_a_revocation_without_restart(tmp_path: Path) -> None:
    """`warnline serve` with mTLS: a revoked client is refused within crl_check_s,
    while the node keeps running and other clients keep working."""
    import os
    import signal
    import time

    ca_dir = tmp_path / "pki"
    ca = CertificateAuthority.init(ca_dir)
    ca.issue("hub", partner="USA", server=True)
    ca.issue("jor-system", partner="JOR")
    ca.issue("isr-system", partner="ISR")
    port = free_port()
    cfg = tmp_path / "node.toml"
    cfg.write_text(
        f'[node]\nport = {port}\ndata = "data"\n\n'
        '[tls]\ncert = "pki/hub.crt"\nkey = "pki/hub.key"\nca = "pki/ca.crt"\n'
        'crl = "pki/crl.pem"\ncrl_check_s = 0.2\n'
    )
    log = tmp_path / "node.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "warnline.cli", "serve", "--config", str(cfg)],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"https://127.0.0.1:{port}"

    def get(name: str) -> int | str:
        try:
            return httpx.get(
                f"{base}/healthz", verify=client_ctx(ca_dir, name), timeout=2
            ).status_code
        except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError) as exc:
            return type(exc).__name__

    refused = {"ReadError", "RemoteProtocolError"}  # the TLS handshake was refused

    def wait_for(name: str, want: set[object]) -> object:
        got: object = None
        for _ in range(100):  # bounded: ~10 s
            assert proc.poll() is None, log.read_text()[-2000:]
            got = get(name)
            if got in want:
                return got
            time.sleep(0.1)
        return got

    try:
        assert wait_for("jor-system", {200}) == 200
        ca.revoke("jor-system")
        assert wait_for("jor-system", refused) in refused
        assert wait_for("isr-system", {200}) == 200
        assert get("jor-system") in refused  # and it stays refused
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    assert proc.returncode == 0, log.read_text()[-2000:]
