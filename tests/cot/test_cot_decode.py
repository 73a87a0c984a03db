"""Incoming CoT, XML and TAK protocol v1, and hostile input refused field by field."""

from __future__ import annotations

import math

import pytest
import takproto

from warnline.cot.decode import from_proto, from_xml, to_report
from warnline.cot.stream import Message, StreamReader
from warnline.errors import SchemaError

T = "2026-11-25T12:00:00.250Z"


SLOPED = '<track course="90" speed="200" slope="30"/>'


def event(*, uid: str = "ISR-T7", type_: str = "a-h-A-W-M", hae: str = "1200",
          track: str = SLOPED, extra: str = "") -> bytes:  # fmt: skip
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><event version="2.0" uid="{uid}" '
        f'type="{type_}" how="m-g" time="{T}" start="{T}" stale="{T}">'
        f'<point lat="31.5" lon="35.1" hae="{hae}" ce="80" le="20"/><detail>{track}'
        f'<link uid="ISR-radar-2" relation="p-p" type="a-f-G-E-S"/>{extra}</detail></event>'
    ).encode()


def test_an_xml_event_becomes_a_report() -> None:
    r = to_report(from_xml(event(extra='<__warnline confidence="0.9"/>')), partner="ISR")
    assert r.report_id == "ISR-T7:1795608000250" and r.sensor_track == "ISR-T7"
    assert r.sensor == "ISR-radar-2" and r.partner == "ISR" and r.source_format == "cot"
    assert r.kind.value == "cruise_missile" and r.identity.value == "hostile"
    assert (r.position.lat, r.position.lon, r.position.alt_m) == (31.5, 35.1, 1200.0)
    assert r.accuracy_m == 80.0 and r.confidence == 0.9 and r.altitude_measured
    assert r.velocity is not None
    assert math.isclose(r.velocity.east, 200 * math.cos(math.radians(30)), abs_tol=1e-6)
    assert math.isclose(r.velocity.up, 100.0, abs_tol=1e-6) and abs(r.velocity.north) < 1e-6


def test_unknown_altitude_is_a_two_dimensional_report() -> None:
    r = to_report(from_xml(event(hae="9999999.0", track="")), partner="ISR")
    assert not r.altitude_measured and r.position.alt_m == 0.0 and r.velocity is None


def test_the_same_event_as_tak_protocol_v1_reads_the_same() -> None:
    xml = event(track='<track course="90" speed="200"/>')
    framed = bytes(takproto.xml2proto(xml.decode(), takproto.TAKProtoVer.STREAM))
    (msg,) = StreamReader(max_bytes=65536).feed(framed)
    assert isinstance(msg, Message) and msg.proto
    a, b = to_report(from_xml(xml), partner="ISR"), to_report(from_proto(msg.data), partner="ISR")
    assert a == b


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
         b'"&lol;&lol;&lol;">]><event uid="a">&lol2;</event>', "event", "DTD"),
        (b'<!DOCTYPE e SYSTEM "file:///etc/passwd"><event uid="a">&xxe;</event>', "event", "DTD"),
        (b"<event uid='a' type='a-h-A'", "event", "well-formed"),
        (b"<cap><event/></cap>", "event", "not a CoT event"),
        (event(uid="bad uid!"), "event.uid", "1-100"),
        (event().replace(b'lat="31.5"', b'lat="91"'), "event.point.lat", "outside"),
        (event().replace(b'ce="80"', b'ce="NaN"'), "event.point.ce", "outside"),
        (event().replace(T.encode(), b"yesterday", 1), "event.time", "W3C"),
        (event().replace(b'how="m-g"', b'how="x"'), "event.how", "how"),
        (event(track='<track course="400" speed="1"/>'), "event.detail.track.course", "outside"),
        (b"<event>" + b"x" * 70_000 + b"</event>", "event", "larger than"),
    ],
)  # fmt: skip
def test_hostile_or_malformed_xml_is_refused_naming_the_field(
    body: bytes, field: str, says: str
) -> None:
    with pytest.raises(SchemaError) as err:
        from_xml(body)
    assert err.value.field == field and says in str(err.value)


def test_a_ground_unit_is_not_a_report() -> None:
    with pytest.raises(SchemaError, match="not an air track") as err:
        to_report(from_xml(event(type_="a-f-G-U-C")), partner="ISR")
    assert err.value.field == "event.type"


def test_a_broken_protobuf_is_refused() -> None:
    with pytest.raises(SchemaError) as err:
        from_proto(b"\xff\xff\xff\x07garbage")
    assert err.value.field is not None and err.value.field.startswith("takmessage")


def test_the_stream_splits_mixed_framing_and_skips_oversize_messages() -> None:
    reader = StreamReader(max_bytes=1000)
    xml = event(track="")
    proto = bytes(takproto.xml2proto(xml.decode(), takproto.TAKProtoVer.STREAM))
    huge_proto = b"\xbf" + bytes([0x80 | (5000 & 0x7F), 5000 >> 7]) + b"z" * 5000
    stream = xml + b"\n" + proto + huge_proto + b"<event>" + b"y" * 3000 + xml
    got = []
    for i in range(0, len(stream), 37):  # in pieces, as TCP delivers it
        got += reader.feed(stream[i : i + 37])
    kinds = [(type(m).__name__, m.proto) for m in got]
    assert kinds == [
        ("Message", False), ("Message", True), ("Oversize", True), ("Oversize", False),
        ("Message", False),
    ]  # fmt: skip
    assert got[-1] == Message(data=xml, proto=False)


def test_a_protobuf_time_beyond_the_calendar_is_refused() -> None:
    from takproto.proto import TakMessage

    msg = TakMessage()
    msg.cotEvent.type, msg.cotEvent.uid, msg.cotEvent.how = "a-h-A", "T", "m-g"
    msg.cotEvent.sendTime = 2**62  # year ~146 million
    with pytest.raises(SchemaError) as err:
        from_proto(msg.SerializeToString())
    assert err.value.field == "event.time"
