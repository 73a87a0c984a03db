"""TAK protocol v1 on a stream: the negotiation and the protobuf form of our events.

A TAK server offers the protocol when a client connects (`t-x-takp-v`, TakProtocolSupport
version 1); a client that wants it asks (`t-x-takp-q`, TakRequest version 1); the server
says yes (`t-x-takp-r`, TakResponse status true), still in XML, and from then on sends
that client TAK protocol v1 messages (0xBF, varint length, protobuf `TakMessage`). The
protobuf of an event is made by takproto from our own XML (its XML side uses
`xml.etree`, which is safe on what we wrote ourselves and never sees a sender's bytes).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from warnline.cot.encode import Cot

__all__ = ["asks_for_protocol", "protocol_response", "protocol_support", "to_stream_proto"]

_REQUEST = re.compile(rb'type=["\']t-x-takp-q["\']')
_VERSION_1 = re.compile(rb'<TakRequest\s+version=["\']1["\']')
END = b"</event>"


def _control(type_: str, body: str, now: datetime) -> bytes:
    return Cot(
        uid="warnline.protocol", type=type_, how="m-g", start=now,
        stale=now + timedelta(seconds=60), lat=0.0, lon=0.0,
        body=f"<TakControl>{body}</TakControl>",
    ).render(now)  # fmt: skip


def protocol_support(now: datetime) -> bytes:
    return _control("t-x-takp-v", '<TakProtocolSupport version="1"/>', now)


def protocol_response(now: datetime) -> bytes:
    return _control("t-x-takp-r", '<TakResponse status="true"/>', now)


def asks_for_protocol(event: bytes) -> bool:
    """A client's request to switch to TAK protocol v1 (the only version offered)."""
    return bool(_REQUEST.search(event) and _VERSION_1.search(event))


def to_stream_proto(events: bytes) -> bytes:
    """Our XML events (one after another) as TAK protocol v1 stream messages."""
    import takproto

    out = bytearray()
    for part in events.split(END):
        if part.strip():
            out += takproto.xml2proto((part + END).decode(), takproto.TAKProtoVer.STREAM)
    return bytes(out)
