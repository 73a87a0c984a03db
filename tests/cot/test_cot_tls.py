"""The CoT listener with mutual TLS: the client certificate says which partner's
stream a TAK client gets, and a listener bound to a partner lets in only its own."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from tests.factories import free_port
from warnline.cot import CotServer
from warnline.pki import CertificateAuthority
from warnline.pki.tls import TlsSettings, server_context

PARTNERS = frozenset({"JOR", "ISR", "USA"})


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    ca = CertificateAuthority.init(d)
    ca.issue("hub", partner="USA", server=True)
    ca.issue("jor-tak", partner="JOR")
    ca.issue("isr-tak", partner="ISR")
    return d


def context(pki: Path) -> ssl.SSLContext:
    return server_context(TlsSettings(cert=pki / "hub.crt", key=pki / "hub.key", ca=pki / "ca.crt"))


Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]  # a dropped writer closes


async def connect(pki: Path, port: int, name: str | None) -> Conn:
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    if name is not None:
        ctx.load_cert_chain(pki / f"{name}.crt", pki / f"{name}.key")
    return await asyncio.open_connection("127.0.0.1", port, ssl=ctx)


async def greeted(conn: Conn) -> asyncio.StreamReader:
    """The reader, past the protocol offer every client gets first."""
    offer = await asyncio.wait_for(conn[0].readuntil(b"</event>"), 5)
    assert b'type="t-x-takp-v"' in offer
    return conn[0]


async def wait_clients(server: CotServer, n: int) -> None:
    for _ in range(200):
        if len(server.clients) == n:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(server.clients)} clients, not {n}")


async def test_the_certificate_names_the_partner_whose_stream_a_client_gets(pki: Path) -> None:
    server = CotServer(host="127.0.0.1", port=free_port(), partner=None, partners=PARTNERS,
                       tls=context(pki))  # fmt: skip
    port = await server.start()
    try:
        jor_conn, isr_conn = (
            await connect(pki, port, "jor-tak"),
            await connect(pki, port, "isr-tak"),
        )
        jor, isr = await greeted(jor_conn), await greeted(isr_conn)
        await wait_clients(server, 2)
        assert server.partners_online() == {"JOR", "ISR"}
        assert server.publish("JOR", b"<event uid='for-jor'/>") == 1
        assert server.publish("ISR", b"<event uid='for-isr'/>") == 1
        assert await asyncio.wait_for(jor.read(100), 5) == b"<event uid='for-jor'/>"
        assert await asyncio.wait_for(isr.read(100), 5) == b"<event uid='for-isr'/>"
        # No certificate: the handshake fails (TLS 1.3: the first read finds it closed).
        try:
            anonymous, _aw = await connect(pki, port, None)
            got = await asyncio.wait_for(anonymous.read(1), 5)
        except (ssl.SSLError, ConnectionError):
            got = b""
        assert got == b"" and server.partners_online() == {"JOR", "ISR"}
    finally:
        await server.stop()


async def test_a_partners_listener_refuses_another_partners_certificate(pki: Path) -> None:
    server = CotServer(host="127.0.0.1", port=free_port(), partner="ISR", partners=PARTNERS,
                       tls=context(pki))  # fmt: skip
    port = await server.start()
    try:
        jor, _jw = await connect(pki, port, "jor-tak")
        assert await asyncio.wait_for(jor.read(100), 5) == b""  # cut off at once
        assert server.counts["refused"] == 1 and not server.clients
    finally:
        await server.stop()


async def test_a_revoked_certificate_is_refused_after_the_listener_restarts(
    tmp_path: Path,
) -> None:
    ca = CertificateAuthority.init(tmp_path)
    ca.issue("hub", partner="USA", server=True)
    ca.issue("jor-tak", partner="JOR")
    ca.issue("isr-tak", partner="ISR")

    def with_crl() -> ssl.SSLContext:
        d = tmp_path
        tls = TlsSettings(cert=d / "hub.crt", key=d / "hub.key", ca=d / "ca.crt", crl=d / "crl.pem")
        return server_context(tls)

    server = CotServer(host="127.0.0.1", port=free_port(), partner=None, partners=PARTNERS,
                       tls=with_crl())  # fmt: skip
    port = await server.start()
    try:
        _jor, _jw = await connect(tmp_path, port, "jor-tak")
        await wait_clients(server, 1)
        ca.revoke("jor-tak")
        await server.restart(with_crl())
        assert not server.clients  # every client was cut off by the restart
        try:
            again, _aw = await connect(tmp_path, port, "jor-tak")
            got = await asyncio.wait_for(again.read(1), 5)
        except (ssl.SSLError, ConnectionError):
            got = b""
        assert got == b""  # revoked: no stream
        isr_conn = await connect(tmp_path, port, "isr-tak")
        isr = await greeted(isr_conn)
        await wait_clients(server, 1)
        assert server.partners_online() == {"ISR"}
        assert server.publish("ISR", b"<event uid='still'/>") == 1
        assert await asyncio.wait_for(isr.read(100), 5) == b"<event uid='still'/>"
    finally:
        await server.stop()
