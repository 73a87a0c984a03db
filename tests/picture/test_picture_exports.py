"""The picture stage exports exactly its stage object."""

from __future__ import annotations

import warnline.picture
from warnline.bench.picture import run


def test_public_names():
    assert warnline.picture.__all__ == ["Picture"]


def test_raid_of_300_meets_its_targets():
    """The figures docs/benchmarks.md quotes, with a wide margin on speed."""
    figures = run(n_objects=300, partners=6, seconds=60, seed=0)
    assert figures["reports_per_s"] >= 5_000
    assert abs(figures["tracks"] - 300) <= 30
