"""The web console channel: JSON messages over each signed-in user's WebSockets.

A user may have several tabs open; a delivery goes to all of them, and the page
answers each alert with a receipt, which is what marks the delivery delivered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from warnline.errors import ChannelError


class Socket(Protocol):
    async def send_text(self, data: str) -> None: ...


class ConsoleChannel:
    name = "console"

    def __init__(self) -> None:
        self._sockets: dict[str, list[Socket]] = {}

    def connect(self, user: str, socket: Socket) -> None:
        self._sockets.setdefault(user, []).append(socket)

    def disconnect(self, user: str, socket: Socket) -> None:
        socks = self._sockets.get(user, [])
        if socket in socks:
            socks.remove(socket)
        if not socks:
            self._sockets.pop(user, None)

    def reachable(self, recipient: str) -> bool:
        return bool(self._sockets.get(recipient))

    def online(self) -> Iterable[str]:
        return sorted(self._sockets)

    async def deliver(self, recipient: str, message: dict[str, Any]) -> None:
        sent = await self.send(recipient, message)
        if not sent:
            raise ChannelError(self.name, f"{recipient} has no open console")

    async def send(self, user: str, message: dict[str, Any]) -> int:
        """Send to every open socket of `user`; return how many took it."""
        data = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
        ok = 0
        for sock in list(self._sockets.get(user, [])):
            try:
                await sock.send_text(data)
                ok += 1
            except Exception:
                self.disconnect(user, sock)
        return ok
