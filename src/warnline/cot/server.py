"""A CoT listener: TAK clients connect over TCP (mutual TLS off loopback), receive
their partner's released picture, and may send CoT events that become its reports.

Fan-out never waits on a client: `publish` writes the same bytes to each connection's
transport and returns. A client whose unsent bytes exceed `max_buffer_bytes` misses
frames (`dropped`; the next refresh brings it up to date), and one that stays that far
behind for `max_behind_s` is cut off (`transport.abort()`, no close handshake to wait
on). Like PyTAK, network I/O stays here and message logic elsewhere: the listener
hands complete messages to `inbound` and writes back whatever it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from warnline.cot.proto import (
    asks_for_protocol,
    protocol_response,
    protocol_support,
    to_stream_proto,
)
from warnline.cot.stream import Message, Oversize, StreamReader
from warnline.pki.tls import peer_partner

__all__ = ["CotClient", "CotServer", "Inbound"]

log = logging.getLogger("warnline.cot")

MAX_BUFFER_BYTES = 4 * 1024 * 1024  # unsent bytes one client may hold before it misses frames
MAX_BEHIND_S = 10.0  # wall seconds a client may miss frames before it is cut off
READ_BYTES = 64 * 1024

# What a listener does with the messages one client sent: the replies to send back.
Inbound = Callable[["CotClient", list[Message | Oversize]], Awaitable[list[bytes]]]


@dataclass(eq=False)
class CotClient:
    partner: str
    peer: str
    transport: asyncio.WriteTransport
    sent_bytes: int = 0
    dropped: int = 0
    behind_since: float | None = None
    closed: bool = False
    proto: bool = False  # switched to TAK protocol v1 (warnline.cot.proto)
    refusals: set[str] = field(default_factory=set)  # reasons already told this client

    def offer(self, data: bytes, *, max_buffer: int, max_behind_s: float) -> bool:
        """Write `data` unless the client is too far behind; False: not written."""
        if self.closed:
            return False
        if self.transport.get_write_buffer_size() > max_buffer:
            now = time.monotonic()
            self.dropped += 1
            if self.behind_since is None:
                self.behind_since = now
            elif now - self.behind_since > max_behind_s:
                log.warning("CoT client %s (%s) cut off: not reading", self.peer, self.partner)
                self.close(abort=True)
            return False
        self.behind_since = None
        self.transport.write(data)
        self.sent_bytes += len(data)
        return True

    def close(self, *, abort: bool = False) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                (self.transport.abort if abort else self.transport.close)()


class CotServer:
    """One listener. `partner`: whose picture a plain-TCP client gets and whose reports
    it sends; with `tls`, each client's certificate names its partner (and when
    `partner` is also given, only that partner's certificates are let in)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        partner: str | None,
        partners: frozenset[str],
        tls: ssl.SSLContext | None = None,
        inbound: Inbound | None = None,
        on_connect: Callable[[CotClient], None] | None = None,
        max_buffer_bytes: int = MAX_BUFFER_BYTES,
        max_behind_s: float = MAX_BEHIND_S,
        max_event_bytes: int = 64 * 1024,
    ) -> None:
        if tls is None and partner is None:
            raise ValueError("a plain TCP listener must name its partner")
        self.host, self.port = host, port
        self.partner = partner
        self.partners = partners
        self.tls = tls
        self.inbound = inbound
        self.on_connect = on_connect
        self.max_buffer_bytes = max_buffer_bytes
        self.max_behind_s = max_behind_s
        self.max_event_bytes = max_event_bytes
        self.clients: set[CotClient] = set()
        self.counts: Counter[str] = Counter()  # connections, refused, messages, ...
        self._server: asyncio.Server | None = None
        self._conns: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def start(self) -> int:
        """Listen; the port bound (useful with port 0)."""
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, ssl=self.tls, limit=READ_BYTES
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for c in list(self.clients):
            c.close(abort=True)
        for writer in self._conns.values():
            writer.transport.abort()  # each handler then ends by itself (no cancel to log)
        if self._conns:
            _, stuck = await asyncio.wait(list(self._conns), timeout=2.0)
            for t in stuck:
                t.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None

    async def restart(self, tls: ssl.SSLContext | None) -> None:
        """Listen anew with a fresh TLS context (the CA's revocation list changed: a live
        OpenSSL context does not reliably drop the old one, as on the HTTP listener). Every
        client is cut off; TAK clients reconnect, and a revoked certificate no longer can."""
        await self.stop()
        self.tls = tls
        self._conns = {}
        await self.start()

    def partners_online(self) -> set[str]:
        return {c.partner for c in self.clients}

    def publish(self, partner: str, data: bytes) -> int:
        """Write `data` (XML events) to every client of `partner`, as protobuf to those
        that asked for TAK protocol v1 (converted once for all of them); how many took it."""
        n = 0
        proto: bytes | None = None
        for c in list(self.clients):
            if c.partner == partner:
                if c.proto and proto is None:
                    proto = to_stream_proto(data)
                out = proto if c.proto and proto is not None else data
                if c.offer(out, max_buffer=self.max_buffer_bytes, max_behind_s=self.max_behind_s):
                    n += 1
            if c.closed:
                self.clients.discard(c)
        return n

    def send(self, client: CotClient, data: bytes) -> None:
        """Write XML events to one client, in the encoding it asked for."""
        out = to_stream_proto(data) if client.proto else data
        client.offer(out, max_buffer=self.max_buffer_bytes, max_behind_s=self.max_behind_s)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns[task] = writer
        peer = str(writer.get_extra_info("peername"))
        try:
            partner = self._partner_of(writer)
            if partner is None:
                self.counts["refused"] += 1
                writer.transport.abort()
                return
            client = CotClient(partner=partner, peer=peer, transport=writer.transport)
            self.clients.add(client)
            self.counts["connections"] += 1
            self.send(client, protocol_support(datetime.now(UTC)))
            if self.on_connect is not None:
                self.on_connect(client)
            await self._read(reader, client)
            # The client closed its sending side (a read-only TAK client may): it still
            # reads until the connection goes.
            await writer.wait_closed()
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            self._conns.pop(task, None)
            for c in [c for c in self.clients if c.transport is writer.transport]:
                self.clients.discard(c)
                c.close()

    def _partner_of(self, writer: asyncio.StreamWriter) -> str | None:
        if self.tls is None:
            return self.partner
        named = peer_partner(writer.get_extra_info("peercert"))
        if named is None or named not in self.partners:
            log.warning("CoT client refused: certificate names no coalition partner")
            return None
        if self.partner is not None and named != self.partner:
            log.warning("CoT client of %s refused on %s's listener", named, self.partner)
            return None
        return named

    def _negotiated(self, client: CotClient, m: Message | Oversize) -> bool:
        """A request for TAK protocol v1: answered in XML, then protobuf from here on."""
        if not isinstance(m, Message) or m.proto or not asks_for_protocol(m.data):
            return False
        self.send(client, protocol_response(datetime.now(UTC)))
        client.proto = True
        self.counts["protobuf_clients"] += 1
        return True

    async def _read(self, reader: asyncio.StreamReader, client: CotClient) -> None:
        stream = StreamReader(max_bytes=self.max_event_bytes)
        while not client.closed:
            data = await reader.read(READ_BYTES)
            if not data:
                return
            messages = [m for m in stream.feed(data) if not self._negotiated(client, m)]
            if not messages:
                continue
            self.counts["messages"] += len(messages)
            if self.inbound is None:
                continue
            for reply in await self.inbound(client, messages):
                self.send(client, reply)
