"""`warnline bench warnings-dense`: the held-back raid's shape with four times the reports."""

from __future__ import annotations

from dataclasses import replace

from warnline.bench import BENCHMARKS, OPT_IN
from warnline.bench.warnings import DENSE_SHAPE, HELD_BACK_SHAPE


def test_the_dense_raid_is_the_held_back_shape_revisiting_four_times_as_often() -> None:
    assert DENSE_SHAPE.revisit_scale == 0.25
    assert replace(DENSE_SHAPE, revisit_scale=1.0) == HELD_BACK_SHAPE
    assert "warnings-dense" in BENCHMARKS and "warnings-dense" in OPT_IN
