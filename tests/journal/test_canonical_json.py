"""canonical_json's fast way writes exactly the bytes of its documented form."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warnline.journal import canonical_json


def documented(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=3000, deadline=None)
@given(values)
def test_the_same_bytes_as_json_dumps(obj: Any) -> None:
    try:
        expected = documented(obj)
    except UnicodeEncodeError:  # a lone surrogate: refused either way
        with pytest.raises(UnicodeEncodeError):
            canonical_json(obj)
        return
    assert canonical_json(obj) == expected


@pytest.mark.parametrize(
    "obj",
    [1e16, 1e-05, 2.5e-7, -0.0, math.inf, -math.inf, 10**40, {"b": 1, "a": [0.1, 1e22]},
     {"id": "1e5", "x": 0.00001}, {"nan": math.nan}],
)  # fmt: skip
def test_exponents_and_non_finite_numbers(obj: Any) -> None:
    assert canonical_json(obj) == documented(obj)


def test_what_json_refuses_is_still_refused() -> None:
    from datetime import UTC, datetime

    with pytest.raises(TypeError):
        canonical_json({"at": datetime(2026, 1, 1, tzinfo=UTC)})
    with pytest.raises(TypeError):
        canonical_json({1: "a", "b": 2})
