"""The console channel: one picture for a partner's consoles is encoded once."""

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


async def settled(sockets: list[Recorder], n: int) -> None:
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
