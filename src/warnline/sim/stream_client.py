"""How a client opens the console stream: connect, then send the bearer token as the
first message (never in the URL). The exercise's officers, the benchmarks and the
tests all connect through this."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

STREAM_PATH = "/api/v1/stream"


async def connect_stream(base_url: str, token: str, **connect: Any) -> ClientConnection:
    """The stream of the user behind `token` (the caller closes it); the node's first
    answer is `hello`, or an `error` and a close if the token is not accepted."""
    url = base_url.replace("http", "ws", 1) + STREAM_PATH
    ws = await websockets.connect(url, **connect)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    return ws


@asynccontextmanager
async def open_stream(base_url: str, token: str, **connect: Any) -> AsyncIterator[ClientConnection]:
    ws = await connect_stream(base_url, token, **connect)
    try:
        yield ws
    finally:
        await ws.close()


def _auth_frame(token: str) -> bytes:
    """The auth message as one masked WebSocket text frame (RFC 6455: a client masks),
    for a raw socket that stands for a console which, once in, never reads."""
    payload = json.dumps({"type": "auth", "token": token}).encode()
    mask = os.urandom(4)
    size = len(payload)
    head = bytes([0x81, 0x80 | size]) if size < 126 else bytes([0x81, 0xFE, *size.to_bytes(2)])
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def open_stuck_console(host: str, port: int, token: str, *, timeout_s: float) -> socket.socket:
    """A console that signs in and then never reads: the WebSocket handshake and the
    auth message on a raw socket with a 4 KiB receive buffer, so what the node sends
    soon fills it (the soak benchmark and the stuck-console test)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(timeout_s)
    s.connect((host, port))
    s.sendall(
        (
            f"GET {STREAM_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 4096:
        chunk = s.recv(1)
        if not chunk:
            raise ConnectionError("the stream closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(f"the stuck console was not let in: {head[:40]!r}")
    s.sendall(_auth_frame(token))
    return s
