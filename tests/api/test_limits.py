"""Connections are bounded in number and in time (issue 10, finding 2).

Real sockets against a real node on loopback; the clients run in threads because the
server shares this event loop. Outsiders come from other loopback addresses
(127.0.0.2, ...) where a test needs more than one source.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import T0, free_port
from warnline.accounts import Accounts
from warnline.agreement.model import Agreement
from warnline.api import limits as limits_module
from warnline.api.limits import ConnectionGate, ServerLimits
from warnline.api.server import serving
from warnline.domain import ManualClock
from warnline.journal import SQLiteJournal
from warnline.node import Node, NodeSettings

TIGHT = ServerLimits(
    max_connections=12,
    max_per_source=8,
    header_timeout_s=0.5,
    body_timeout_s=0.5,
    idle_timeout_s=1.0,
    max_header_bytes=4096,
    grace_s=0.2,
)


@pytest.fixture
async def base(agreement: Agreement, tmp_path: Path) -> AsyncIterator[str]:
    journal = SQLiteJournal(tmp_path / "journal.db")
    node = Node(
        agreement=agreement,
        journal=journal,
        clock=ManualClock(T0),
        accounts=Accounts([]),
        settings=NodeSettings(speed=10),
    )
    async with serving(node, port=free_port(), limits=TIGHT) as url:
        yield url
    journal.close()


def _addr(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def _connect(base: str, source: str = "127.0.0.1", send: bytes = b"") -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(5)
    s.connect(_addr(base))
    if send:
        s.sendall(send)
    return s


def _answer(s: socket.socket) -> bytes:
    """Everything until the peer closes (b"" if it closed without a word)."""
    out = b""
    for _ in range(1000):
        try:
            chunk = s.recv(65_536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    return out


async def _closed_within(s: socket.socket, seconds: float) -> bytes:
    s.settimeout(seconds)
    try:
        return await asyncio.to_thread(_answer, s)
    except TimeoutError:
        raise AssertionError(f"connection still open after {seconds} s") from None


async def test_idle_and_slow_heads_are_closed_at_the_head_deadline(base: str) -> None:
    idle = [await asyncio.to_thread(_connect, base) for _ in range(4)]
    partial = await asyncio.to_thread(
        _connect, base, send=b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1"
    )
    try:
        for s in [*idle, partial]:
            assert await _closed_within(s, 3.0) == b""
        async with httpx.AsyncClient(base_url=base) as c:
            assert (await c.get("/healthz")).status_code == 200
    finally:
        for s in [*idle, partial]:
            s.close()


async def test_a_slow_body_gets_408_and_is_closed(base: str) -> None:
    head = (
        b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n[{"
    )
    s = await asyncio.to_thread(_connect, base, send=head)
    try:
        answer = await _closed_within(s, 3.0)
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert b"application/problem+json" in answer and b"not complete within 0.5 s" in answer
    finally:
        s.close()


async def test_an_oversized_head_gets_431(base: str) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 8000 + b"\r\n\r\n"
    s = await asyncio.to_thread(_connect, base, send=head)
    try:
        answer = await _closed_within(s, 3.0)
        assert answer.startswith(b"HTTP/1.1 431 "), answer
    finally:
        s.close()


async def test_one_address_cannot_hold_more_than_its_share(base: str) -> None:
    held = [
        await asyncio.to_thread(_connect, base, "127.0.0.2") for _ in range(TIGHT.max_per_source)
    ]
    extra = await asyncio.to_thread(_connect, base, "127.0.0.2")
    try:
        answer = await _closed_within(extra, 2.0)
        assert answer.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1" in answer
        async with httpx.AsyncClient(base_url=base) as c:  # another address is served
            assert (await c.get("/healthz")).status_code == 200
    finally:
        for s in [*held, extra]:
            s.close()


async def test_at_the_cap_a_real_request_displaces_the_longest_idle_outsider(base: str) -> None:
    sources = [f"127.0.0.{3 + i % 3}" for i in range(TIGHT.max_connections)]
    idle = [await asyncio.to_thread(_connect, base, src) for src in sources]
    try:
        # None has had its grace yet: a newcomer is turned away, nobody displaced.
        fresh = await asyncio.to_thread(_connect, base, "127.0.0.6")
        assert (await _closed_within(fresh, 2.0)).startswith(b"HTTP/1.1 503 ")
        fresh.close()
        await asyncio.sleep(TIGHT.grace_s)  # the outsiders' grace runs out (time, not order)
        async with httpx.AsyncClient(base_url=base) as c:
            r = await c.get("/healthz")
            assert r.status_code == 200
        assert await _closed_within(idle[0], 2.0) == b""  # the oldest idle one made room
    finally:
        for s in idle:
            s.close()


class _Transport:
    def __init__(self) -> None:
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.aborted


def test_the_gate_refuses_when_every_connection_is_busy() -> None:
    gate = ConnectionGate(ServerLimits(max_connections=2, max_per_source=5))
    busy: list[Any] = [_Transport(), _Transport()]
    for i, t in enumerate(busy):
        assert gate.admit(t, ("10.0.0.1", 1000 + i), now=float(i))
        conn = gate.get(("10.0.0.1", 1000 + i))
        assert conn is not None
        conn.waiting_since = None  # each is in a request (or a console)
    assert not gate.admit(_Transport(), ("10.0.0.2", 1), now=5.0)
    assert gate.refused == 1 and not any(t.aborted for t in busy) and len(gate) == 2
    gate.release(("10.0.0.1", 1000))
    assert gate.admit(_Transport(), ("10.0.0.2", 1), now=6.0) and len(gate) == 2


def test_the_connection_cap_stays_under_the_open_file_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits_module.resource, "getrlimit", lambda _: (1024, 4096))
    assert ServerLimits(max_connections=5000).within_open_files().max_connections == 480
    assert ServerLimits(max_connections=100).within_open_files().max_connections == 100
    with pytest.raises(ValueError, match="header_timeout_s must be positive"):
        ServerLimits(header_timeout_s=0)
