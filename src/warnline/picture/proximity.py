"""Which points of one set come within reach of which points of another, fast.

A gate's reach is the sum of two uncertainties (the track's and the report's, or two
tracks'), so a single k-d tree query with one radius would have to assume the largest
uncertainty on one side for every pair: one watch officer's "somewhere within 20 km"
would make every track look at every report. Instead the second set is split into
classes of similar reach (within a factor of four), and each class is queried with
its own bound.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.spatial import cKDTree

from warnline.picture.models import FloatArray, IntArray

_CLASS_BASE = 4.0


def near_pairs(
    ax: FloatArray,
    ay: FloatArray,
    a_reach: FloatArray,
    bx: FloatArray,
    by: FloatArray,
    b_reach: FloatArray,
) -> tuple[IntArray, IntArray]:
    """Every (i, j) with |a_i - b_j| ≤ a_reach[i] + b_reach[j] (and some a little farther,
    which the caller's exact test removes)."""
    level = np.floor(np.log(np.maximum(b_reach, 1.0)) / np.log(_CLASS_BASE)).astype(np.intp)
    points = np.column_stack((ax, ay))
    found_a: list[IntArray] = []
    found_b: list[IntArray] = []
    for lv in np.unique(level).tolist():
        members = np.flatnonzero(level == lv)
        bound = _CLASS_BASE ** (lv + 1)
        tree = cKDTree(np.column_stack((bx[members], by[members])))
        found = tree.query_ball_point(points, a_reach + bound)
        counts = np.fromiter((len(f) for f in found), np.intp, len(found))
        local = np.fromiter(itertools.chain.from_iterable(found), np.intp, int(counts.sum()))
        found_a.append(np.repeat(np.arange(len(points)), counts))
        found_b.append(members[local])
    if not found_a:
        empty = np.zeros(0, np.intp)
        return empty, empty
    return np.concatenate(found_a), np.concatenate(found_b)
