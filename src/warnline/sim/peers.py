"""Loopback peers the exercise's duty officers and partner systems are reached through:
a webhook receiver (a partner's system) and an SMTP sink (a mail relay).

Real protocol servers on 127.0.0.1, used by the tests and by `warnline demo`; nothing in
a production path imports this package.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from warnline.channels.webhook import SIGNATURE_HEADER, verify


def loopback_port() -> int:
    """A port free on 127.0.0.1 now (for servers that cannot bind port 0 themselves)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class WebhookReceiver:
    """A partner system's HTTP endpoint: verifies the hub signature, answers 204; answers
    503 to the next `fail_next` requests (a system briefly down) and 401 to a bad one."""

    public_key: str
    signed: bool = True  # False: a notification gateway taking unsigned JSON
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    fail_next: int = 0
    requests: int = 0
    _server: asyncio.Server | None = None
    port: int = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server = await asyncio.start_server(self._handle, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return f"http://{host}:{self.port}/warnline"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, ValueError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status = self._answer(body, headers)
                writer.write(f"HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n".encode())
                await writer.drain()
        writer.close()

    def _answer(self, body: bytes, headers: dict[str, str]) -> str:
        self.requests += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            return "503 Service Unavailable"
        sig = headers.get(SIGNATURE_HEADER.lower(), "")
        if self.signed and not verify(body, sig, self.public_key, now=time.time()):
            self.rejected += 1
            return "401 Unauthorized"
        self.received.append(json.loads(body))
        return "204 No Content"


class _Sink:
    def __init__(self, store: list[EmailMessage]) -> None:
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode()
        msg = message_from_bytes(data, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.store.append(msg)
        return "250 OK"


class SmtpSink:
    """A mail relay that keeps every message (aiosmtpd, in its own thread)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._controller: Controller | None = None
        self.port = 0

    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self.port = port or loopback_port()
        self._controller = Controller(_Sink(self.messages), hostname=host, port=self.port)
        self._controller.start()
        return self.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
