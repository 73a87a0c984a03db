"""The CoT listener's fan-out: a client that stops reading misses frames and is cut off;
the others get every frame, unslowed."""

from __future__ import annotations

import asyncio
import socket

from tests.factories import free_port
from warnline.cot import CotServer


async def test_a_stuck_client_is_cut_off_and_the_others_get_everything() -> None:
    server = CotServer(host="127.0.0.1", port=free_port(), partner="JOR",
                       partners=frozenset({"JOR"}), max_buffer_bytes=64 * 1024,
                       max_behind_s=0.3)  # fmt: skip
    port = await server.start()
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(("127.0.0.1", port))  # never reads
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    got = 0

    async def read() -> None:
        nonlocal got
        while data := await reader.read(65536):
            got += len(data)

    reading = asyncio.create_task(read())
    try:
        for _ in range(200):
            if len(server.clients) == 2 and got:
                break
            await asyncio.sleep(0.01)
        offer = got  # the protocol offer every client gets on connecting
        frame = b"<event uid='x'>" + b"y" * 16_000 + b"</event>"
        sent = 0
        for _ in range(300):
            assert server.publish("JOR", frame) >= 1  # the reading client always takes it
            sent += len(frame)
            await asyncio.sleep(0.003)
        for _ in range(400):
            if got >= offer + sent:
                break
            await asyncio.sleep(0.01)
        assert got == offer + sent  # every frame, none dropped for the live client
        assert len(server.clients) == 1  # the stuck one is gone
    finally:
        reading.cancel()
        writer.close()
        stuck.close()
        await server.stop()
