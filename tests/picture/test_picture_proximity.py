"""The prefilter never misses a pair the exact gate would accept, whether it tests every
pair or sweeps sorted columns."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warnline.picture import proximity
from warnline.picture.proximity import near_pairs


@pytest.mark.parametrize("brute", [proximity.BRUTE_PAIRS, 0], ids=["small", "sweep"])
@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_a=st.integers(0, 40), n_b=st.integers(0, 40))
def test_near_pairs_contains_every_pair_within_reach(brute, seed, n_a, n_b):
    with mock.patch.object(proximity, "BRUTE_PAIRS", brute):
        check_within_reach(seed, n_a, n_b)


def check_within_reach(seed: int, n_a: int, n_b: int) -> None:
    rng = np.random.default_rng(seed)
    ax, ay = rng.uniform(-5e4, 5e4, (2, n_a))
    bx, by = rng.uniform(-5e4, 5e4, (2, n_b))
    a_reach = rng.lognormal(7.0, 2.0, n_a)
    b_reach = rng.lognormal(7.0, 2.0, n_b)
    i, j = near_pairs(ax, ay, a_reach, bx, by, b_reach)
    found = set(zip(i.tolist(), j.tolist(), strict=True))
    assert len(found) == len(i)
    distance = np.hypot(ax[:, None] - bx[None, :], ay[:, None] - by[None, :])
    within = distance <= a_reach[:, None] + b_reach[None, :]
    expected = set(zip(*(k.tolist() for k in np.nonzero(within)), strict=True))
    assert expected <= found
