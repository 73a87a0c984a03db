"""The console channel: one picture for a partner's consoles is encoded once; in each
socket's outbox alerts go ahead of pictures, and only the newest picture waits."""

from __future__ import annotations

import asyncio
import json

import pytest

import warnline.channels.console as console_module
from warnline.channels import ConsoleChannel


class Recorder:
    def __init__(self) -> None:
        self.got: list[str] = []

    async def send_text(self, data: str) -> None:
        self.got.append(data)


async def settled(sockets: list[Recorder] | list[Gated], n: int) -> None:
    for _ in range(200):  # bounded: each outbox's writer task takes its queue
        if all(len(s.got) >= n for s in sockets):
            return
        await asyncio.sleep(0)
    raise AssertionError("outboxes did not drain")


async def test_send_many_encodes_once_and_reaches_every_socket_of_every_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encoded: list[object] = []
    real = console_module._encode

    def counting(message: dict[str, object]) -> str:
        encoded.append(message)
        return real(message)

    monkeypatch.setattr(console_module, "_encode", counting)
    channel = ConsoleChannel()
    sockets = [Recorder() for _ in range(3)]
    users = ["jor-watch", "jor-watch", "jor-cmd"]  # the watch officer has a second tab
    boxes = [channel.connect(u, s) for u, s in zip(users, sockets, strict=True)]
    picture = {"type": "picture", "tracks": [{"track_id": "T1"}]}
    took = await channel.send_many(["jor-watch", "jor-cmd", "nobody"], picture)
    await settled(sockets, 1)
    for u, s in zip(users, sockets, strict=True):
        channel.disconnect(u, s)
    assert all(b.closed.is_set() for b in boxes)
    assert took == 3 and len(encoded) == 1
    assert all(json.loads(s.got[0]) == picture for s in sockets)


class Gated:
    """A socket whose every send waits until the test lets it through."""

    def __init__(self) -> None:
        self.got: list[str] = []
        self.gate = asyncio.Event()
        self.sending = asyncio.Event()

    async def send_text(self, data: str) -> None:
        self.sending.set()
        await self.gate.wait()
        self.got.append(data)


def kinds(socket: Gated | Recorder) -> list[str]:
    return [f"{m['type']}:{m.get('n', '')}" for m in map(json.loads, socket.got)]


async def test_alerts_overtake_pictures_and_only_the_newest_picture_waits() -> None:
    channel = ConsoleChannel(max_outbox=4)
    socket = Gated()
    channel.connect("jor-watch", socket)
    await channel.send("jor-watch", {"type": "picture", "n": 1})
    await asyncio.wait_for(socket.sending.wait(), 5)  # picture 1 is on the wire
    for message in [
        {"type": "picture", "n": 2},
        {"type": "alert", "n": 1},
        {"type": "picture", "n": 3},
        {"type": "ack", "n": 1},
        {"type": "alert", "n": 2},
        {"type": "picture", "n": 4},
    ]:
        assert await channel.send("jor-watch", message) == 1
    assert channel.backlog() == 4  # three in the ordered lane, one picture
    socket.gate.set()
    await settled([socket], 5)
    channel.disconnect("jor-watch", socket)
    assert kinds(socket) == ["picture:1", "alert:1", "ack:1", "alert:2", "picture:4"]


async def test_pictures_never_fill_the_outbox_but_alerts_still_bound_it() -> None:
    channel = ConsoleChannel(max_outbox=3)
    socket = Gated()
    channel.connect("jor-watch", socket)
    await channel.send("jor-watch", {"type": "alert", "n": 0})
    await asyncio.wait_for(socket.sending.wait(), 5)
    for n in range(50):  # a console slower than the push: pictures replace each other
        assert await channel.send("jor-watch", {"type": "picture", "n": n}) == 1
    for n in range(1, 4):
        assert await channel.send("jor-watch", {"type": "alert", "n": n}) == 1
    assert channel.reachable("jor-watch") and channel.dropped == 0
    # One more alert than the lane holds: the console is dropped (and told why on its
    # return), never an alert silently skipped.
    assert await channel.send("jor-watch", {"type": "alert", "n": 4}) == 0
    assert not channel.reachable("jor-watch") and channel.dropped == 1
    assert "more than 3 messages waiting" in (channel.notice_for("jor-watch") or "")


async def test_the_greeting_keeps_its_order_picture_included() -> None:
    channel = ConsoleChannel()
    socket = Recorder()
    greeting = [{"type": "hello"}, {"type": "picture", "n": 0}, {"type": "assignment"}]
    channel.connect("jor-watch", socket, greeting=greeting)
    await channel.send("jor-watch", {"type": "alert", "n": 1})
    await settled([socket], 4)
    channel.disconnect("jor-watch", socket)
    assert kinds(socket) == ["hello:", "picture:0", "assignment:", "alert:1"]
