"""Bounded fuzzing of the CAP input parser: whatever the bytes, the answer is reports or
a SchemaError naming a field, never another exception (which would be a 500)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ingest.test_cap_adapter import cap_body
from warnline.errors import SchemaError
from warnline.ingest.cap_adapter import parse_cap

VALID = cap_body()


def _parse(body: bytes) -> None:
    try:
        reports = parse_cap(body, partner="JOR")
    except SchemaError as exc:
        assert exc.field, exc
        return
    assert reports and all(r.source_format == "cap" for r in reports)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_random_bytes(body: bytes) -> None:
    _parse(body)


@settings(max_examples=400, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=len(VALID)),
    length=st.integers(min_value=0, max_value=40),
    junk=st.binary(max_size=40) | st.sampled_from([b"<", b"&", b"]]>", b"<!--", b"\x00", b"&#0;"]),
)
def test_mutated_valid_message(start: int, length: int, junk: bytes) -> None:
    _parse(VALID[:start] + junk + VALID[start + length :])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_parameter_value(value: str) -> None:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").encode("utf-8", "surrogatepass")
    for name in (b"kind", b"identity", b"velocity", b"altitude", b"confidence", b"observedAt"):
        marker = b"<valueName>warnline:" + name + b"</valueName>"
        i = VALID.index(marker) + len(marker)
        j = VALID.index(b"</value>", i)
        k = VALID.index(b"<value>", i) + len(b"<value>")
        _parse(VALID[:k] + escaped + VALID[j:])
