"""The writer's hash (payload encoded once) is the documented chain hash, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from warnline.journal import GENESIS_HASH, Event, canonical_json, chain_hash
from warnline.journal.base import chain_hash_of

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
texts = st.text().filter(lambda t: not any(0xD800 <= ord(c) <= 0xDFFF for c in t))


@given(
    event_id=texts,
    kind=texts,
    seconds=st.integers(min_value=0, max_value=10**9),
    payload=st.dictionaries(texts, json_values, max_size=6),
    seq=st.integers(min_value=1, max_value=2**62),
)
def test_chain_hash_of_equals_chain_hash(
    event_id: str, kind: str, seconds: int, payload: dict[str, object], seq: int
) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds, microseconds=seconds % 7)
    ev = Event(event_id=event_id, kind=kind, at=at, payload=payload)
    try:
        body = canonical_json(payload)
    except UnicodeEncodeError:  # a lone surrogate: no journal can store it either way
        return
    assert chain_hash_of(GENESIS_HASH, seq, ev, body) == chain_hash(GENESIS_HASH, seq, ev)
