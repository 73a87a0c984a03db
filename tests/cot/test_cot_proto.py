"""TAK protocol v1 out: offered on connect, switched to on request, then protobuf for
that client alone while the others stay on XML."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from takproto.proto import TakMessage

from tests.cot.test_cot_frames import track
from tests.factories import T0, free_port
from warnline.cot import CotServer, PictureFrames
from warnline.cot.stream import Message, StreamReader

REQUEST = (
    b'<event version="2.0" uid="ANDROID-1" type="t-x-takp-q" how="m-g" '
    b'time="2026-11-25T12:00:00Z" start="2026-11-25T12:00:00Z" stale="2026-11-25T12:01:00Z">'
    b'<point lat="0" lon="0" hae="0" ce="999999" le="999999"/><detail><TakControl>'
    b'<TakRequest version="1"/></TakControl></detail></event>'
)


async def read_until(reader: asyncio.StreamReader, needle: bytes) -> bytes:
    got = b""
    while needle not in got:
        got += await asyncio.wait_for(reader.read(65536), 5)
    return got


async def test_a_client_that_asks_gets_protobuf_and_the_others_xml() -> None:
    server = CotServer(host="127.0.0.1", port=free_port(), partner="JOR",
                       partners=frozenset({"JOR"}))  # fmt: skip
    port = await server.start()
    try:
        tak_r, tak_w = await asyncio.open_connection("127.0.0.1", port)
        xml_r, _xml_w = await asyncio.open_connection("127.0.0.1", port)
        assert b'type="t-x-takp-v"' in await read_until(tak_r, b"</event>")
        assert b"TakProtocolSupport" in await read_until(xml_r, b"</event>")
        tak_w.write(REQUEST)
        await tak_w.drain()
        assert b'<TakResponse status="true"/>' in await read_until(tak_r, b"</event>")
        for _ in range(100):
            if any(c.proto for c in server.clients):
                break
            await asyncio.sleep(0.02)
        frame = PictureFrames().frame({"tracks": [track("T7")]}, [], T0 + timedelta(seconds=1))
        assert server.publish("JOR", frame.data) == 2
        assert b'uid="warnline.track.T7"' in await read_until(xml_r, b"</event>")
        got: list[Message] = []
        stream = StreamReader(max_bytes=65536)
        while not got:
            got = [m for m in stream.feed(await asyncio.wait_for(tak_r.read(65536), 5))
                   if isinstance(m, Message)]  # fmt: skip
        assert got[0].proto
        ev = TakMessage()
        ev.ParseFromString(got[0].data)
        assert ev.cotEvent.uid == "warnline.track.T7" and ev.cotEvent.type == "a-h-A-W-M-S-S"
        assert ev.cotEvent.detail.track.course == 270.0
        assert "__warnline" in ev.cotEvent.detail.xmlDetail  # the rest of the detail kept
    finally:
        await server.stop()
