"""A served node's ASTERIX listeners over real sockets on 127.0.0.1 (decision 76): UDP
datagrams and TCP blocks become the listener's partner's reports in the journal;
garbage is counted and the listener goes on; over TLS the certificate names the partner."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.factories import T0, free_port
from warnline.accounts import Accounts, Role, User
from warnline.domain import ManualClock, Position, Report, Velocity
from warnline.errors import ConfigError
from warnline.journal.kinds import Kind
from warnline.journal.payloads import Received, payload
from warnline.pki import CertificateAuthority
from warnline.serve.builder import Built, build
from warnline.serve.config import load_config
from warnline.sim.asterix import Encoder, UdpSender, blocks
from warnline.sim.served import write_node_config

USERS = [
    User(username="usa-cell", partner="USA", role=Role.CELL,
         password_hash=Accounts.hash_password("pw-usa")),
]  # fmt: skip


def _build(tmp_path: Path, listeners: list[dict[str, object]], tls: str = "") -> Built:
    path = write_node_config(
        tmp_path, host="127.0.0.1", port=free_port(), agreement=None, tick_s=0.1,
        users=USERS, channels={}, secrets={}, asterix=listeners,
    )  # fmt: skip
    if tls:
        path.write_text(path.read_text() + tls)
    return build(load_config(path), path, clock=ManualClock(T0))


def datagrams(built: Built, n: int, first: int = 0) -> tuple[list[bytes], set[str]]:
    settings = built.agreement.partners["JOR"].asterix
    assert settings is not None
    enc = Encoder(settings)
    records, keys = [], set()
    for i in range(first, first + n):
        r = Report(
            report_id=f"s{i}", partner="JOR", sensor="jor-radar-1" if i % 2 else "jor-radar-2",
            sensor_track=f"t{i}", observed_at=T0,
            position=Position(lat=31.0 + i / 1000, lon=35.5, alt_m=3000.0),
            velocity=Velocity(east=200.0, north=0.0), accuracy_m=300.0,
        )  # fmt: skip
        rec = enc.record(r)
        assert rec is not None
        records.append((rec[0], rec[1]))
        keys.add(rec[2])
    return blocks(settings, records), keys


async def until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


def journaled(built: Built) -> dict[str, Report]:
    out = {}
    for entry in built.journal.iter_all():
        if entry.event.kind == Kind.REPORT:
            r = payload(entry.event, Received).report
            out[r.key] = r
    return out


async def test_udp_datagrams_become_the_partners_reports(tmp_path: Path) -> None:
    built = _build(tmp_path, [{"partner": "JOR", "protocol": "udp", "host": "127.0.0.1",
                               "port": 0}])  # fmt: skip
    try:
        async with built.serving() as base:
            (listener,) = built.asterix.all
            assert listener.up and listener.port > 0
            sender = UdpSender("127.0.0.1", listener.port)
            good, keys = datagrams(built, 20)
            sender.send([b"\x3e\x00\x01garbage", *good, b"\xff" * 3000, b""])
            await until(lambda: listener.reports == 20 and listener.datagrams == 3 + len(good))
            more, more_keys = datagrams(built, 4, first=100)
            sender.send(more)  # the listener is still there after the garbage
            await until(lambda: listener.reports == 24)
            sender.close()
            await until(lambda: (keys | more_keys) <= set(journaled(built)))
            health = listener.health()
            assert health["refused"]["bad_length"] == 1 and health["status"] == "ok"
            assert sum(health["refused"].values()) >= 2
            async with httpx.AsyncClient(base_url=base) as http:
                hz = (await http.get("/healthz")).json()
            assert hz["asterix_listeners"] == {"count": 1, "up": 1}
            assert "JOR" not in str(hz)  # who sends is the cell's to know
        assert not listener.up
        one = journaled(built)[next(iter(keys))]
        assert one.source_format == "asterix" and one.releasability is not None  # the default
    finally:
        built.journal.close()


async def test_a_resent_datagram_is_one_report_and_stale_ones_are_counted(tmp_path: Path) -> None:
    built = _build(tmp_path, [{"partner": "JOR", "protocol": "udp", "port": 0}])
    try:
        async with built.serving():
            (listener,) = built.asterix.all
            good, keys = datagrams(built, 3)
            sender = UdpSender("127.0.0.1", listener.port)
            sender.send(good + good)
            await until(lambda: listener.datagrams == 2 * len(good) and listener.reports == 6)
            assert isinstance(built.node.clock, ManualClock)
            built.node.clock.advance(3600)  # an hour later the same bytes are an hour old
            sender.send(good)
            await until(lambda: listener.refused.get("stale-report", 0) == 3)
            sender.close()
        assert {k for k, r in journaled(built).items() if r.source_format == "asterix"} == keys
    finally:
        built.journal.close()


async def test_tcp_blocks_framed_by_their_length(tmp_path: Path) -> None:
    built = _build(tmp_path, [{"partner": "JOR", "protocol": "tcp", "port": 0}])
    try:
        async with built.serving():
            (listener,) = built.asterix.all
            good, keys = datagrams(built, 10)
            stream = b"".join(good)
            _, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            for i in range(0, len(stream), 5):  # blocks cut across writes
                writer.write(stream[i : i + 5])
                await writer.drain()
            await until(lambda: listener.reports == 10)
            reader, writer2 = await asyncio.open_connection("127.0.0.1", listener.port)
            writer2.write(b"\x3e\x00\x01")  # out of step: the stream is closed
            await writer2.drain()
            assert await asyncio.wait_for(reader.read(), 10) == b""
            more, _ = datagrams(built, 2, first=50)
            writer.write(b"".join(more))  # the first connection still works
            await writer.drain()
            await until(lambda: listener.reports == 12)
            writer.close()
            assert listener.refused["bad_length"] == 1
        assert keys <= set(journaled(built))
    finally:
        built.journal.close()


async def test_tcp_connections_past_the_cap_are_closed_at_accept(tmp_path: Path) -> None:
    built = _build(tmp_path, [{"partner": "JOR", "protocol": "tcp", "port": 0}])
    try:
        async with built.serving():
            (listener,) = built.asterix.all
            listener.max_connections = 2
            held = [await asyncio.open_connection("127.0.0.1", listener.port) for _ in range(2)]
            await until(lambda: listener.connections == 2)
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            assert await asyncio.wait_for(reader.read(), 10) == b""  # closed at accept
            assert listener.refused["connections"] == 1
            good, _ = datagrams(built, 2)
            held[0][1].write(b"".join(good))  # the connections within the cap still work
            await held[0][1].drain()
            await until(lambda: listener.reports == 2)
            for _, w in [*held, (reader, writer)]:
                w.close()
            await until(lambda: listener.connections == 0)
    finally:
        built.journal.close()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    ca = CertificateAuthority.init(tmp_path_factory.mktemp("ca"))
    ca.issue("hub", partner="USA", server=True)
    ca.issue("jor-radar", partner="JOR")
    ca.issue("isr-radar", partner="ISR")
    return ca


async def test_over_tls_the_certificate_must_name_the_partner(
    tmp_path: Path, ca: CertificateAuthority
) -> None:
    d = ca.dir
    tls = f'\n[tls]\ncert = "{d}/hub.crt"\nkey = "{d}/hub.key"\nca = "{d}/ca.crt"\n'
    built = _build(tmp_path, [{"partner": "JOR", "protocol": "tcp", "port": 0}], tls=tls)
    try:
        async with built.serving():
            (listener,) = built.asterix.all
            good, _ = datagrams(built, 4)
            for name, expected in (("isr-radar", 0), ("jor-radar", 4)):
                ctx = ssl.create_default_context(cafile=str(d / "ca.crt"))
                ctx.load_cert_chain(d / f"{name}.crt", d / f"{name}.key")
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", listener.port, ssl=ctx, server_hostname="127.0.0.1"
                )
                writer.write(b"".join(good))
                await writer.drain()
                if expected == 0:
                    assert await asyncio.wait_for(reader.read(), 10) == b""
                    assert listener.refused["certificate"] == 1
                else:
                    await until(lambda: listener.reports == 4)
                writer.close()
            assert "names ISR, not JOR" in str(listener.last_error) or listener.reports == 4
    finally:
        built.journal.close()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"partner": "JOR", "port": 1, "protcol": "udp"}, "unknown key protcol (did you mean"),
        ({"partner": "JOR", "port": 1, "protocol": "sctp"}, "protocol 'sctp': must be udp or tcp"),
        ({"partner": "jor", "port": 1}, "partner 'jor': must be a partner code"),
        ({"partner": "JOR", "port": 70000}, "port 70000: must be a whole number from 0"),
        ({"partner": "JOR"}, "port None: must be a whole number"),
        (
            {"partner": "JOR", "protocol": "tcp", "host": "0.0.0.0", "port": 1},
            "is not loopback: a TCP listener there needs the node's [tls]",
        ),
    ],
)
def test_a_bad_listener_is_refused_naming_its_field(
    tmp_path: Path, table: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        _build(tmp_path, [table])
    assert message in str(refused.value) and "asterix[0]" in str(refused.value)


def test_a_busy_asterix_port_is_refused_before_the_journal_is_opened(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"asterix\[0\].port {port} \(udp\) on 127.0.0.1"):
            _build(tmp_path, [{"partner": "JOR", "port": port}])
    assert not (tmp_path / "journal" / "journal.db").exists()


def test_a_listener_for_a_partner_without_asterix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ISR has no \[partners.asterix\]"):
        _build(tmp_path, [{"partner": "ISR", "port": 0}])
    with pytest.raises(ConfigError, match="unknown partner XYZ"):
        _build(tmp_path, [{"partner": "XYZ", "port": 0}])
