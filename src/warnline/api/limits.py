"""Bounds on what a connection may hold: how many, from where, and for how long.

uvicorn counts connections but accepts every one, and gives a fresh connection no time
limit until its first request, so idle sockets pile up until the process runs out of
file descriptors and every request fails. Here every accepted connection passes a gate:

- at most `max_connections` in all (kept well under the open-file limit) and
  `max_per_source` from one address; over the total, a new connection takes the place of
  the one that has waited longest without sending a request head (an idle outsider),
  if that one has had `grace_s` to send it; otherwise the newcomer is turned away (503,
  closed at once), so a storm of new connections cannot push out a client whose first
  request is on its way;
- the listen backlog, which is also how many connections the event loop accepts in one
  go, is a quarter of `max_connections`: a burst cannot open more descriptors than
  that before the gate sees them;
- a request head must be complete within `header_timeout_s` of the connection opening
  or of the previous response, and no larger than `max_header_bytes` (431);
- a body must be complete within `body_timeout_s` of its head (408);
- a keep-alive connection that says nothing for `idle_timeout_s` is closed (uvicorn).

WebSockets (the console) count towards the totals and are closed by their own ping
time-out and by the console channel's send deadline.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import resource
from dataclasses import dataclass, replace
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.server import ServerProtocol

from warnline.api.deflate import DeflateCache, SharedDeflateFactory

log = logging.getLogger("warnline.api.limits")
FD_RESERVE = 64  # descriptors kept for the journal, peers and logs


@dataclass(frozen=True, kw_only=True)
class ServerLimits:
    max_connections: int = 500
    max_per_source: int = 64
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    idle_timeout_s: float = 5.0
    max_header_bytes: int = 16 * 1024
    ws_ping_s: float = 20.0  # a console that answers no ping for this long is closed
    grace_s: float = 1.0  # a connection this young is never displaced

    def __post_init__(self) -> None:
        for name in ("max_connections", "max_per_source", "max_header_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in (
            "header_timeout_s",
            "body_timeout_s",
            "idle_timeout_s",
            "ws_ping_s",
            "grace_s",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")

    def within_open_files(self) -> ServerLimits:
        """These limits with `max_connections` cut to half the soft open-file limit
        (less a reserve): a flood of sockets meets our refusal, not EMFILE."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self
        cap = max(1, min(self.max_connections, (soft - FD_RESERVE) // 2))
        return self if cap == self.max_connections else replace(self, max_connections=cap)


class Connection:
    """One accepted connection as the gate sees it."""

    __slots__ = ("peer", "source", "transport", "waiting_since")

    def __init__(self, transport: asyncio.BaseTransport, peer: tuple[str, int], now: float):
        self.transport = transport
        self.peer = peer
        self.source = peer[0]
        self.waiting_since: float | None = now  # waiting for a request head since


class ConnectionGate:
    """Admits or refuses connections; counts what it did (for the soak benchmark)."""

    def __init__(self, limits: ServerLimits) -> None:
        self.limits = limits
        self._open: dict[tuple[str, int], Connection] = {}
        self._per_source: dict[str, int] = {}
        # (waiting since, order, peer) of connections waiting for a request head; stale
        # entries are skipped when met: finding the longest-idle is O(log n), not a scan
        # of every connection on each admission at the cap (a socket flood's cost).
        self._idle: list[tuple[float, int, tuple[str, int]]] = []
        self._order = itertools.count()
        self._pruned_at = float("-inf")
        self.refused = 0
        self.evicted = 0
        self.timed_out = 0

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, transport: asyncio.BaseTransport, peer: tuple[str, int], now: float) -> bool:
        if self._per_source.get(peer[0], 0) >= self.limits.max_per_source:
            self._prune(now)
        if self._per_source.get(peer[0], 0) >= self.limits.max_per_source:
            self.refused += 1
            log.warning(
                "refused a connection: more than %d from one address", self.limits.max_per_source
            )
            return False
        if len(self._open) >= self.limits.max_connections:
            self._prune(now)
        if len(self._open) >= self.limits.max_connections and not self._evict_idle(now):
            self.refused += 1
            log.warning("refused a connection: %d open, none idle", len(self._open))
            return False
        self._open[peer] = Connection(transport, peer, now)
        self._per_source[peer[0]] = self._per_source.get(peer[0], 0) + 1
        self.waiting(peer, now)
        return True

    def waiting(self, peer: tuple[str, int] | None, since: float | None) -> None:
        """The connection waits for a request head since `since` (None: it is busy)."""
        conn = self.get(peer)
        if conn is None or peer is None:
            return
        conn.waiting_since = since
        if since is not None:
            heapq.heappush(self._idle, (since, next(self._order), peer))
            if len(self._idle) > 4 * len(self._open) + 64:  # compact the stale entries
                self._idle = [
                    (c.waiting_since, next(self._order), p)
                    for p, c in self._open.items()
                    if c.waiting_since is not None
                ]
                heapq.heapify(self._idle)

    def release(self, peer: tuple[str, int] | None) -> None:
        conn = self._open.pop(peer, None) if peer is not None else None
        if conn is not None:
            left = self._per_source[conn.source] - 1
            if left:
                self._per_source[conn.source] = left
            else:
                del self._per_source[conn.source]

    def get(self, peer: tuple[str, int] | None) -> Connection | None:
        return self._open.get(peer) if peer is not None else None

    def abort(self, peer: tuple[str, int] | None) -> bool:
        """Cut a connection at once, unsent bytes and all (a stuck console)."""
        conn = self.get(peer)
        if conn is None:
            return False
        conn.transport.abort()  # type: ignore[attr-defined]
        self.release(peer)
        return True

    def _evict_idle(self, now: float) -> bool:
        before = now - self.limits.grace_s
        while self._idle:
            since, _, peer = self._idle[0]
            conn = self._open.get(peer)
            if conn is None or conn.waiting_since != since:
                heapq.heappop(self._idle)  # closed, or busy, or waiting since later
                continue
            if since > before:
                return False
            heapq.heappop(self._idle)
            self.evicted += 1
            conn.transport.abort()  # type: ignore[attr-defined]
            self.release(peer)
            return True
        return False

    def _prune(self, now: float) -> None:
        """Forget connections whose transport closed without telling us; a scan of all,
        so at most once a second (`admit` calls it only at a cap)."""
        if now - self._pruned_at < 1.0:
            return
        self._pruned_at = now
        for peer in [p for p, c in self._open.items() if c.transport.is_closing()]:
            self.release(peer)


class GuardedConfig(uvicorn.Config):
    """uvicorn's config carrying our gate to the protocols it builds."""

    def __init__(self, app: Any, *, limits: ServerLimits, **kwargs: Any) -> None:
        limits = limits.within_open_files()
        super().__init__(
            app,
            http=GuardedHttp,
            ws=GuardedWebSocket,
            timeout_keep_alive=max(1, round(limits.idle_timeout_s)),
            ws_ping_interval=limits.ws_ping_s,
            ws_ping_timeout=limits.ws_ping_s,
            backlog=max(16, min(2048, limits.max_connections // 4)),
            **kwargs,
        )
        self.limits = limits
        self.gate = ConnectionGate(limits)
        # uvicorn's memLevel; level 1: a picture in 10 ms rather than 16 (level 6), about
        # a tenth larger, once per partner and push on the loop the decisions share.
        self.deflate = DeflateCache(settings={"memLevel": 5, "level": 1})


def _gate(config: uvicorn.Config) -> ConnectionGate:
    if not isinstance(config, GuardedConfig):
        raise TypeError("the guarded protocols need a GuardedConfig")
    return config.gate


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's HTTP protocol with the gate, head and body deadlines and a head size cap."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._gate = _gate(config)
        self._limits = self._gate.limits
        self._deadline: asyncio.TimerHandle | None = None
        self._head_bytes: int | None = 0  # bytes of a request head so far; None: in a body
        self._refused = False  # answered and closing: read nothing more

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        peer = self.client or ("?", 0)
        if not self._gate.admit(transport, peer, self.loop.time()):
            self._refuse(503, "the node is at its connection limit; retry shortly")
            return
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        self._gate.release(self.client)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._head_bytes is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still no complete head (a chunk that completes one may carry body bytes too).
        if self._head_bytes is not None and self._head_bytes > self._limits.max_header_bytes:
            self._refuse_head()

    def _refuse_head(self) -> None:
        self._refuse(431, f"request head larger than {self._limits.max_header_bytes} bytes")

    def handle_websocket_upgrade(self) -> None:
        self._cancel()
        self._mark(None)
        super().handle_websocket_upgrade()

    def on_headers_complete(self) -> None:
        self._cancel()
        head = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        if head > self._limits.max_header_bytes:
            self._refuse_head()
            return
        self._head_bytes = None
        self._mark(None)
        super().on_headers_complete()
        if not (self.parser.should_upgrade() and self._should_upgrade()):
            self._deadline = self.loop.call_later(self._limits.body_timeout_s, self._body_late)

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._cancel()
        super().on_message_complete()
        if self.cycle is not None and self.cycle.response_complete:
            self._await_head()  # answered before the body ended (e.g. 413)
            return
        # The answer must be taken within the same time: a client that never reads a
        # response would otherwise hold its connection for good.
        self._deadline = self.loop.call_later(self._limits.body_timeout_s, self._answer_late)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head()

    def _await_head(self) -> None:
        self._cancel()
        self._head_bytes = 0
        self._mark(self.loop.time())
        self._deadline = self.loop.call_later(self._limits.header_timeout_s, self._head_late)

    def _mark(self, waiting_since: float | None) -> None:
        self._gate.waiting(self.client, waiting_since)

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_late(self) -> None:
        self._deadline = None
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a response is still being written: the next head waits for it
        self._gate.timed_out += 1
        log.warning(
            "closed a connection: no request head within %gs", self._limits.header_timeout_s
        )
        self.transport.abort()

    def _body_late(self) -> None:
        self._deadline = None
        self._gate.timed_out += 1
        log.warning(
            "closed a connection: body not complete within %gs", self._limits.body_timeout_s
        )
        if self.cycle is not None and not self.cycle.response_started:
            # The handler is still waiting for the body; once the connection is gone it
            # sees a disconnect, and its own answer goes nowhere.
            self._refuse(408, f"request body not complete within {self._limits.body_timeout_s:g} s")
        else:
            self.transport.abort()

    def _answer_late(self) -> None:
        self._deadline = None
        self._timed_out("answer not taken within %g s", self._limits.body_timeout_s)
        self.transport.abort()

    def _timed_out(self, why: str, seconds: float) -> None:
        self._gate.timed_out += 1
        log.warning("closed a connection: " + why, seconds)

    def _refuse(self, status: int, detail: str) -> None:
        """Answer with a problem document and close; nothing more is read."""
        self._cancel()
        self._refused = True
        titles = {408: "Request Timeout", 431: "Request Header Fields Too Large"}
        title = titles.get(status, "Service Unavailable")
        body = json.dumps(
            {"type": "about:blank", "title": title, "status": status, "detail": detail}
        )
        head = (
            f"HTTP/1.1 {status} {title}\r\ncontent-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n"
            + ("retry-after: 1\r\n" if status == 503 else "")
            + "\r\n"
        )
        self.transport.write(head.encode() + body.encode())
        self.transport.close()


class GuardedWebSocket(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, giving its place at the gate back when it ends, and
    compressing a large message once for all sockets (`api/deflate.py`)."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        if isinstance(config, GuardedConfig) and config.ws_per_message_deflate:
            # uvicorn's window (2^12), the compression shared (`api/deflate.py`).
            factory = SharedDeflateFactory(
                config.deflate, server_max_window_bits=12, client_max_window_bits=12
            )
            self.conn = ServerProtocol(
                extensions=[factory],
                max_size=config.ws_max_size,
                logger=logging.getLogger("uvicorn.error"),
            )

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        config = self.config
        if isinstance(config, GuardedConfig):
            config.gate.release(self.client)
