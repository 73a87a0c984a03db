"""ASTERIX listeners of a served node (`[[asterix]]` in its config; decision 76).

    [[asterix]]
    partner = "JOR"          # whose sensors send here: the partner of every datagram
    protocol = "udp"         # or "tcp": blocks back to back, each framed by its own LEN
    host = "127.0.0.1"
    port = 8600              # 0: any free port (tests; /api/v1/channels shows it)

One listener per partner sensor network. UDP has no authentication at all: whoever can
reach the port speaks as the partner, so off loopback a UDP listener belongs on the
partner's own link (a dedicated line or VPN into this host), never on a shared network;
the node says so when it starts. A TCP listener off loopback takes the node's [tls]:
mutual TLS with the coalition CA, and a client whose certificate names another partner
is refused. What comes in is decoded in the partner's agreed editions
(`warnline.ingest.asterix`) and goes through the node's commands like any report;
nothing a sender does (garbage, truncated or huge blocks, unknown SAC/SIC, a flood)
stops the listener or the node: it is counted by reason and logged at most once per
reason and partner every ten seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warnline.agreement.model import Agreement
from warnline.errors import ConfigError
from warnline.ingest.asterix import AsterixDecoder, Decoded, iter_frames, library
from warnline.node import Node
from warnline.pki.ca import partner_of
from warnline.pki.tls import TlsSettings
from warnline.serve.asterix_out import AsterixOutConfig, Sender
from warnline.serve.text import did_you_mean

log = logging.getLogger("warnline.asterix")
KEYS = ("partner", "protocol", "host", "port")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
QUEUE = 1024  # datagrams waiting for the decoder; past this they are dropped and counted
RCVBUF = 4 * 1024 * 1024
LOG_EVERY_S = 10.0
READ = 65_536
MAX_CONNECTIONS = 64  # per TCP listener: a partner's sensor network, not the public


@dataclass(frozen=True, kw_only=True)
class AsterixListenerConfig:
    partner: str
    protocol: str  # "udp" or "tcp"
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK


def parse_asterix(
    raw: Any, path: Path, *, tls: TlsSettings | None
) -> tuple[AsterixListenerConfig, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ConfigError(f"{path}: asterix: must be an array of tables ([[asterix]])")
    out = []
    seen: dict[tuple[str, str, int], int] = {}
    for i, t in enumerate(raw):
        where = f"{path}: asterix[{i}]"
        for key in sorted(set(t) - set(KEYS)):
            raise ConfigError(f"{where}: unknown key {key}{did_you_mean(key, KEYS)}")
        partner = t.get("partner")
        if not isinstance(partner, str) or len(partner) != 3 or not partner.isupper():
            raise ConfigError(f"{where}.partner {partner!r}: must be a partner code (e.g. JOR)")
        protocol = t.get("protocol", "udp")
        if protocol not in ("udp", "tcp"):
            raise ConfigError(f"{where}.protocol {protocol!r}: must be udp or tcp")
        host = t.get("host", "127.0.0.1")
        if not isinstance(host, str) or not host:
            raise ConfigError(f"{where}.host {host!r}: must be a non-empty string")
        port = t.get("port")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < 65536:
            raise ConfigError(f"{where}.port {port!r}: must be a whole number from 0 to 65535")
        if protocol == "tcp" and host not in LOOPBACK and tls is None:
            raise ConfigError(
                f"{where}.host {host!r} is not loopback: a TCP listener there needs the "
                "node's [tls] (mutual TLS with the coalition CA names the partner)"
            )
        if port and (protocol, host, port) in seen:
            other = seen[protocol, host, port]
            raise ConfigError(f"{where}.port {port}: also asterix[{other}]'s")
        seen[protocol, host, port] = i
        out.append(AsterixListenerConfig(partner=partner, protocol=protocol, host=host, port=port))
    return tuple(out)


def check_partners(
    listeners: tuple[AsterixListenerConfig, ...], agreement: Agreement, path: Path
) -> None:
    """Each listener's partner exists and has agreed its ASTERIX (editions, sensors)."""
    for i, cfg in enumerate(listeners):
        p = agreement.partners.get(cfg.partner)
        if p is None:
            raise ConfigError(f"{path}: asterix[{i}].partner: unknown partner {cfg.partner}")
        if p.asterix is None:
            raise ConfigError(
                f"{path}: asterix[{i}].partner: {cfg.partner} has no [partners.asterix] in "
                "the agreement (editions and SAC/SIC of its sensors)"
            )


def probe(listeners: tuple[AsterixListenerConfig, ...], path: Path) -> None:
    """A ConfigError naming the listener whose port cannot be bound (in use, or an address
    this machine does not have), before the node starts."""
    for i, cfg in enumerate(listeners):
        if not cfg.port:
            continue
        family = socket.AF_INET6 if ":" in cfg.host else socket.AF_INET
        kind = socket.SOCK_DGRAM if cfg.protocol == "udp" else socket.SOCK_STREAM
        with socket.socket(family, kind) as s:
            if kind == socket.SOCK_STREAM:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((cfg.host, cfg.port))
            except OSError as exc:
                why = "in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
                raise ConfigError(
                    f"{path}: asterix[{i}].port {cfg.port} ({cfg.protocol}) on {cfg.host}: {why}"
                ) from None


def describe(cfg: AsterixListenerConfig) -> str:
    line = f"asterix {cfg.protocol}://{cfg.host}:{cfg.port} for {cfg.partner}"
    if cfg.protocol == "udp" and not cfg.loopback:
        line += " (UDP is unauthenticated: only on the partner's own link)"
    elif cfg.protocol == "tcp" and not cfg.loopback:
        line += " (mutual TLS: the certificate must name the partner)"
    return line


class Listener:
    """One [[asterix]] listener: its socket, its decoder, its counts."""

    def __init__(self, cfg: AsterixListenerConfig, node: Node, tls: TlsSettings | None) -> None:
        self.cfg = cfg
        self.node = node
        self.tls = tls
        settings = node.agreement.partners[cfg.partner].asterix
        assert settings is not None  # check_partners
        self.settings = settings
        self.decoder: AsterixDecoder | None = None
        self.port = cfg.port
        self.up = False
        self.datagrams = 0  # datagrams, or blocks of a stream
        self.bytes = 0
        self.reports = 0  # journaled
        self.refused: Counter[str] = Counter()
        self.last_error: str | None = None
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE)
        self._tasks: list[asyncio.Task[None]] = []
        self._transport: asyncio.DatagramTransport | None = None
        self._server: asyncio.Server | None = None
        self._logged: dict[str, float] = {}
        self.connections = 0  # TCP connections open now
        self.max_connections = MAX_CONNECTIONS

    @property
    def name(self) -> str:
        return f"asterix {self.cfg.protocol}://{self.cfg.host}:{self.port}"

    async def start(self) -> None:
        # The decoder's library takes a second or two to import: off the loop.
        self.decoder = await asyncio.to_thread(AsterixDecoder, self.cfg.partner, self.settings)
        loop = asyncio.get_running_loop()
        if self.cfg.protocol == "udp":
            sock = socket.socket(
                socket.AF_INET6 if ":" in self.cfg.host else socket.AF_INET, socket.SOCK_DGRAM
            )
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
            sock.bind((self.cfg.host, self.cfg.port))
            transport, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(self), sock=sock)
            self._transport = transport
            self.port = sock.getsockname()[1]
        else:
            ctx = None if self.cfg.loopback and self.tls is None else server_context(self.tls)
            self._server = await asyncio.start_server(
                self._stream, self.cfg.host, self.cfg.port, ssl=ctx, limit=READ
            )
            self.port = self._server.sockets[0].getsockname()[1]
        self._tasks.append(asyncio.create_task(self._work()))
        self.up = True

    async def stop(self) -> None:
        self.up = False
        if self._transport is not None:
            self._transport.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def take(self, data: bytes) -> None:
        """One datagram (or block of a stream), queued for the decoder."""
        self.datagrams += 1
        self.bytes += len(data)
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            self.count("overflow", "the decoder is behind: datagram dropped")

    async def _work(self) -> None:
        assert self.decoder is not None
        decoder = self.decoder
        while True:
            data = await self._queue.get()
            try:
                decoded = await asyncio.to_thread(decoder.decode, data, now=self.node.clock.now())
                await self._submit(decoded)
            except Exception as exc:  # the listener outlives any one datagram
                self.count("internal", f"{type(exc).__name__}: {exc}")

    async def _submit(self, decoded: Decoded) -> None:
        for reason, n in decoded.faults.items():
            self.count(reason, decoded.first.get(reason, ""), n)
        if not decoded.reports:
            return
        refused = await self.node.commands.submit_asterix(decoded.reports)
        self.reports += len(decoded.reports) - len(refused)
        for exc in refused:
            self.count(exc.type_slug, str(exc))

    def count(self, reason: str, detail: str, n: int = 1) -> None:
        self.refused[reason] += n
        if reason == "skipped":
            return
        self.last_error = f"{reason}: {detail}"
        now = time.monotonic()
        if now - self._logged.get(reason, -LOG_EVERY_S) >= LOG_EVERY_S:
            self._logged[reason] = now
            log.warning(
                "ASTERIX from %s refused (%s): %s; %d so far",
                self.cfg.partner, reason, detail, self.refused[reason],
            )  # fmt: skip

    async def _stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.connections >= self.max_connections:  # each may hold a block's buffer
            self.count("connections", f"more than {self.max_connections} open: closed at accept")
            writer.close()
            return
        self.connections += 1
        try:
            if not self._peer_allowed(writer):
                return
            buffer = bytearray()
            while chunk := await reader.read(READ):
                buffer += chunk
                try:
                    for frame in iter_frames(buffer):
                        self.take(frame)
                except ValueError as exc:  # a stream out of step cannot be resynchronised
                    self.count("bad_length", f"{exc}; connection closed")
                    return
        except (ConnectionError, ssl.SSLError) as exc:
            self.count("connection", f"{type(exc).__name__}: {exc}")
        finally:
            self.connections -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _peer_allowed(self, writer: asyncio.StreamWriter) -> bool:
        ssl_object = writer.get_extra_info("ssl_object")
        if ssl_object is None:
            return True  # loopback without TLS: the listener's partner
        der = ssl_object.getpeercert(binary_form=True)
        named = partner_of(ssl.DER_cert_to_PEM_cert(der).encode()) if der else None
        if named != self.cfg.partner:
            self.count("certificate", f"client certificate names {named}, not {self.cfg.partner}")
            return False
        return True

    def health(self) -> dict[str, Any]:
        return {
            "channel": self.name,
            "label": f"ASTERIX from {self.cfg.partner}",
            "partners": [self.cfg.partner],
            "status": "ok" if self.up else "down",
            "datagrams": self.datagrams,
            "bytes": self.bytes,
            "reports": self.reports,
            "refused": dict(sorted(self.refused.items())),
            "last_error": self.last_error,
        }


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, listener: Listener) -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.listener.take(data)

    def error_received(self, exc: Exception) -> None:
        self.listener.count("socket", str(exc))


def server_context(tls: TlsSettings | None) -> ssl.SSLContext:
    """Mutual TLS with the coalition CA (a client certificate required; the CRL when
    given), as the node's HTTP listener has."""
    if tls is None:
        raise ConfigError("a TCP ASTERIX listener off loopback needs [tls]")
    tls.check()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(tls.cert), str(tls.key))
    ctx.load_verify_locations(cafile=str(tls.ca))
    ctx.verify_mode = ssl.CERT_REQUIRED
    if tls.crl is not None:
        ctx.load_verify_locations(cafile=str(tls.crl))
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    return ctx


class Listeners:
    """Every [[asterix]] listener of a node: started after the node, stopped before it."""

    def __init__(
        self,
        configs: tuple[AsterixListenerConfig, ...],
        node: Node,
        tls: TlsSettings | None,
        *,
        outs: tuple[AsterixOutConfig, ...] = (),
    ) -> None:
        self.all = [Listener(c, node, tls) for c in configs]
        self.senders = [Sender(c, node) for c in outs]  # ASTERIX out (serve/asterix_out.py)
        node.views.feed_health = self.health

    def health(self) -> list[dict[str, Any]]:
        return [listener.health() for listener in self.all] + [s.health() for s in self.senders]

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Listeners]:
        if self.all or self.senders:
            await asyncio.to_thread(library)  # the codec's import, off the loop
        started: list[Listener | Sender] = []
        try:
            both: list[Listener | Sender] = [*self.all, *self.senders]
            for one in both:
                await one.start()
                started.append(one)
            yield self
        finally:
            for one in reversed(started):
                await one.stop()


__all__ = [
    "AsterixListenerConfig",
    "Listener",
    "Listeners",
    "check_partners",
    "describe",
    "parse_asterix",
    "probe",
    "server_context",
]
