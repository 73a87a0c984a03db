"""permessage-deflate compressed once for all sockets: the frames are what each client's
own decoder reads back, a large message is compressed once however many sockets send it,
and a served node's stream negotiates it with real clients."""

from __future__ import annotations

import asyncio
import json

import httpx
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)
from websockets.frames import Frame, Opcode

from tests.api.conftest import Live
from warnline.api.deflate import SHARE_FROM_BYTES, DeflateCache, SharedDeflateFactory
from warnline.sim.stream_client import open_stream


def negotiate(cache: DeflateCache) -> tuple[PerMessageDeflate, PerMessageDeflate]:
    """A server side and a client side agreed the way a handshake agrees them."""
    client = ClientPerMessageDeflateFactory(client_max_window_bits=True)
    server = SharedDeflateFactory(cache, server_max_window_bits=12, client_max_window_bits=12)
    answer, server_side = server.process_request_params(client.get_request_params(), [])
    return server_side, client.process_response_params(answer, [])


def test_a_large_message_is_compressed_once_and_every_client_reads_it() -> None:
    cache = DeflateCache(settings={"memLevel": 5})
    picture = json.dumps(
        {"type": "picture", "tracks": [{"track_id": f"T{i:06d}"} for i in range(900)]}
    )
    data = picture.encode()
    assert len(data) > SHARE_FROM_BYTES
    pairs = [negotiate(cache) for _ in range(5)]
    for server_side, client_side in pairs:
        assert server_side.local_no_context_takeover  # the server asked for it
        for _ in range(2):  # the same socket twice: no context carried over either
            wire = server_side.encode(Frame(Opcode.TEXT, data))
            assert wire.rsv1 and len(wire.data) < len(data) // 4
            assert client_side.decode(wire).data == data
    assert (cache.compressed, cache.shared) == (1, 9)
    small = b'{"type": "ack"}'
    server_side, client_side = pairs[0]
    assert client_side.decode(server_side.encode(Frame(Opcode.TEXT, small))).data == small
    assert cache.compressed == 1  # a small message is compressed by the socket itself


async def test_served_stream_consoles_read_a_shared_picture(live: Live) -> None:
    async with httpx.AsyncClient() as client:
        tokens = [
            (await live.token(client, u))["authorization"][7:] for u in ("jor-watch", "jor-cmd")
        ]
    big = {"type": "picture", "at": "x", "tracks": [{"track_id": f"T{i:06d}"} for i in range(900)]}
    async with open_stream(live.base, tokens[0]) as a, open_stream(live.base, tokens[1]) as b:
        for ws in (a, b):
            deflate = ws.protocol.extensions[0]
            assert isinstance(deflate, PerMessageDeflate) and deflate.remote_no_context_takeover
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "hello"
        assert await live.node.console.send_many(["jor-watch", "jor-cmd"], big) == 2
        for ws in (a, b):
            for _ in range(20):  # bounded: the greeting first, then the shared picture
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if msg["type"] == "picture" and msg["at"] == "x":
                    break
            assert msg == big
