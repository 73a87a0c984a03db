"""The web console channel: JSON messages over each signed-in user's WebSockets.

A user may have several tabs open; a delivery goes to all of them, and the page
answers each alert with a receipt, which is what marks the delivery delivered.

Deciding never waits on delivering: `send` only puts the message in each socket's own
bounded outbox and returns. One writer task per socket sends from there, each send
within `send_deadline_s`. A socket whose outbox is full or whose send misses the
deadline (a console that stopped reading: its TCP window is full) is dropped - its
connection aborted, never awaited - and the user is told why when they reconnect
(`notice_for`). The alerts it missed stay pending in the dispatcher and go out again
once the user is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import msgspec

from warnline.errors import ChannelError

log = logging.getLogger("warnline.channels.console")

MAX_OUTBOX = 256  # messages waiting for one socket before it counts as stuck
SEND_DEADLINE_S = 5.0  # one message must be taken by the socket within this


class Socket(Protocol):
    async def send_text(self, data: str) -> None: ...


class Outbox:
    """One socket's bounded queue and the task that writes it out, in two lanes.

    Everything but a pushed picture (alerts, acknowledgements, offers, notices, the
    greeting) waits in one ordered, bounded lane and always goes first; the pushed
    picture waits in a single slot behind it, a newer one replacing the one not yet
    sent (a picture is a snapshot). So an alert never waits behind a picture - only
    behind the one frame being written - no alert version is dropped for a picture,
    and a slow but live console is not dropped for pictures it would never need."""

    def __init__(
        self,
        socket: Socket,
        *,
        limit: int,
        deadline_s: float,
        on_drop: Callable[[Outbox, str], None],
        abort: Callable[[], object] | None,
    ) -> None:
        self.socket = socket
        self.limit = limit
        self.deadline_s = deadline_s
        self._on_drop = on_drop
        self._abort = abort
        self._queue: deque[str] = deque()
        self._picture: str | None = None
        self._ready = asyncio.Event()
        self.closed = asyncio.Event()
        self._task = asyncio.create_task(self._write(), name="console-outbox")

    def put(self, kind: str, data: str, *, ordered: bool = False) -> bool:
        """Queue one message; False (and the socket dropped) when it cannot keep up.
        A `picture` takes the picture slot unless `ordered` (the greeting's picture
        keeps its place before what follows it)."""
        if self.closed.is_set():
            return False
        if kind == "picture" and not ordered:
            self._picture = data
            self._ready.set()
            return True
        if len(self._queue) >= self.limit:
            self.drop(f"more than {self.limit} messages waiting: the console stopped reading")
            return False
        self._queue.append(data)
        self._ready.set()
        return True

    def __len__(self) -> int:
        return len(self._queue) + (self._picture is not None)

    def _next(self) -> str | None:
        if self._queue:
            return self._queue.popleft()
        data, self._picture = self._picture, None
        return data

    async def _write(self) -> None:
        while not self.closed.is_set():
            await self._ready.wait()
            self._ready.clear()
            while not self.closed.is_set() and (data := self._next()) is not None:
                try:
                    await asyncio.wait_for(self.socket.send_text(data), self.deadline_s)
                except TimeoutError:
                    self.drop(f"a message was not taken within {self.deadline_s:g} s")
                    return
                except Exception:  # the socket closed under us: nothing to tell
                    self.drop("")
                    return

    def close(self) -> None:
        """Stop writing (the socket was closed by its own side)."""
        self.closed.set()
        self._queue.clear()
        self._picture = None
        self._ready.set()
        if self._task is not asyncio.current_task():
            self._task.cancel()

    def drop(self, reason: str) -> None:
        """Stop writing, abort the connection (a close frame would wait on the full
        window too), and let the channel forget this socket."""
        if self.closed.is_set():
            return
        self.close()
        if self._abort is not None:
            with contextlib.suppress(Exception):
                self._abort()
        self._on_drop(self, reason)


class ConsoleChannel:
    name = "console"

    def __init__(
        self, *, max_outbox: int = MAX_OUTBOX, send_deadline_s: float = SEND_DEADLINE_S
    ) -> None:
        self.max_outbox = max_outbox
        self.send_deadline_s = send_deadline_s
        self._outboxes: dict[str, list[Outbox]] = {}
        self._notices: dict[str, str] = {}  # user -> why their last console was dropped
        self.dropped = 0

    def connect(
        self,
        user: str,
        socket: Socket,
        *,
        greeting: Iterable[dict[str, Any]] = (),
        abort: Callable[[], object] | None = None,
    ) -> Outbox:
        """Register a socket; `greeting` goes out first, then a notice if the user's last
        console was dropped, then whatever the node sends. `abort` cuts the connection
        without waiting on the peer."""
        box = Outbox(
            socket,
            limit=self.max_outbox,
            deadline_s=self.send_deadline_s,
            on_drop=lambda b, reason: self._dropped(user, b, reason),
            abort=abort,
        )
        for message in greeting:
            box.put(str(message.get("type", "")), _encode(message), ordered=True)
        notice = self._notices.pop(user, None)
        if notice is not None:
            box.put("notice", _encode({"type": "notice", "code": "dropped", "detail": notice}))
        self._outboxes.setdefault(user, []).append(box)
        return box

    def disconnect(self, user: str, socket: Socket) -> None:
        for box in list(self._outboxes.get(user, [])):
            if box.socket is socket:
                self._forget(user, box)
                box.close()

    def _dropped(self, user: str, box: Outbox, reason: str) -> None:
        self._forget(user, box)
        if reason:
            self.dropped += 1
            self._notices[user] = f"your console was disconnected: {reason}"
            log.warning("console of %s dropped: %s", user, reason)

    def _forget(self, user: str, box: Outbox) -> None:
        boxes = self._outboxes.get(user, [])
        if box in boxes:
            boxes.remove(box)
        if not boxes:
            self._outboxes.pop(user, None)

    def notice_for(self, user: str) -> str | None:
        """Why `user`'s last console was dropped, until they reconnect."""
        return self._notices.get(user)

    def reachable(self, recipient: str) -> bool:
        return bool(self._outboxes.get(recipient))

    def online(self) -> Iterable[str]:
        return sorted(self._outboxes)

    def backlog(self) -> int:
        """Messages waiting in all outboxes."""
        return sum(len(b) for boxes in self._outboxes.values() for b in boxes)

    async def deliver(self, recipient: str, message: dict[str, Any]) -> None:
        sent = await self.send(recipient, message)
        if not sent:
            raise ChannelError(self.name, f"{recipient} has no open console")

    async def send(self, user: str, message: dict[str, Any]) -> int:
        """Queue for every open socket of `user`; return how many took it. Never waits
        on a socket."""
        return await self.send_many([user], message)

    async def send_many(self, users: Iterable[str], message: dict[str, Any]) -> int:
        """`send` of one message to several users, encoded once: a partner's consoles
        share its picture, hundreds of kilobytes for a raid of 300 tracks, and encoding
        it per console was most of the picture push (`warnline bench console`)."""
        data = _encode(message)
        kind = str(message.get("type", ""))
        return sum(
            box.put(kind, data) for user in users for box in list(self._outboxes.get(user, []))
        )


def _encode(message: dict[str, Any]) -> str:
    # msgspec: the same compact JSON as json.dumps, about 20 times faster on a picture
    # (22 ms against 1 ms for 300 tracks here), and on the event loop the decisions share.
    return msgspec.json.encode(message).decode()
