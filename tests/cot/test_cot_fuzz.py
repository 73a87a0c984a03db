"""Bounded fuzzing of CoT input: whatever the bytes, the stream reader splits without
raising and within its bound, and an event is a report or a SchemaError naming a field."""

from __future__ import annotations

import takproto
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cot.test_cot_decode import event
from warnline.cot.decode import from_proto, from_xml, to_report
from warnline.cot.stream import Message, StreamReader
from warnline.errors import SchemaError

VALID = event()
PROTO = bytes(takproto.xml2proto(VALID.decode(), takproto.TAKProtoVer.STREAM))


def _decode(m: Message) -> None:
    try:
        r = to_report(from_proto(m.data) if m.proto else from_xml(m.data), partner="ISR")
    except SchemaError as exc:
        assert exc.field, exc
        return
    assert r.partner == "ISR" and r.source_format == "cot"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=600), max_size=8))
def test_random_chunks_never_break_the_stream(chunks: list[bytes]) -> None:
    reader = StreamReader(max_bytes=1024)
    for chunk in [*chunks, VALID]:
        for m in reader.feed(chunk):
            if isinstance(m, Message):
                assert len(m.data) <= 1024
                _decode(m)
        assert len(reader._buf) <= 1024 + 600 + len(VALID)  # bounded


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.binary(min_size=1, max_size=20))
def test_a_mutated_xml_event_is_a_report_or_a_named_refusal(at: int, junk: bytes) -> None:
    _decode(Message(data=VALID[:at] + junk + VALID[at + len(junk) :], proto=False))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, len(PROTO) - 1), st.binary(min_size=1, max_size=8))
def test_a_mutated_protobuf_is_a_report_or_a_named_refusal(at: int, junk: bytes) -> None:
    data = PROTO[:at] + junk + PROTO[at + len(junk) :]
    for m in StreamReader(max_bytes=4096).feed(data):
        if isinstance(m, Message):
            _decode(m)
