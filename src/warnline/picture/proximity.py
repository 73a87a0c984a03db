"""Which points of one set come within reach of which points of another, fast.

A gate's reach is the sum of two uncertainties (the track's and the report's, or two
tracks'), so a search with one radius would have to assume the largest uncertainty on
one side for every pair: one watch officer's "somewhere within 20 km" would make every
track look at every report. Instead the second set is split into classes of similar
reach (within a factor of four), and each class is searched with its own bound.

The search is a sweep, not a tree: each class is sorted once along the axis it spreads
most on, every point of the first set takes the window of that order its reach allows
(two binary searches), and only the points inside the window are tested on the other
axis. Sorting costs a few microseconds per thousand points, where building a k-d tree
over thousands of tracks for a batch of ten reports cost more than the rest of the
batch's gating; and nothing is returned through per-point Python lists.
"""

from __future__ import annotations

import numpy as np

from warnline.picture.models import FloatArray, IntArray

_CLASS_BASE = 4.0
BRUTE_PAIRS = 16_384
"""Up to this many pairs, testing every one beats sorting (a report or two beside
thousands of tracks)."""


def near_pairs(
    ax: FloatArray,
    ay: FloatArray,
    a_reach: FloatArray,
    bx: FloatArray,
    by: FloatArray,
    b_reach: FloatArray,
) -> tuple[IntArray, IntArray]:
    """Every (i, j) with |a_i - b_j| ≤ a_reach[i] + b_reach[j] (and some a little farther,
    which the caller's exact test removes), each pair once. The work is the sort of `b`
    and in proportion to the pairs found in the windows, so query with the smaller set
    as `a`."""
    empty = np.zeros(0, np.intp)
    if len(ax) == 0 or len(bx) == 0:
        return empty, empty
    if len(ax) * len(bx) <= BRUTE_PAIRS:
        reach = a_reach[:, None] + b_reach[None, :]
        near = (np.abs(ax[:, None] - bx[None, :]) <= reach) & (
            np.abs(ay[:, None] - by[None, :]) <= reach
        )
        i, j = np.nonzero(near)
        return i.astype(np.intp), j.astype(np.intp)
    level = np.floor(np.log(np.maximum(b_reach, 1.0)) / np.log(_CLASS_BASE)).astype(np.intp)
    found_a: list[IntArray] = [empty]
    found_b: list[IntArray] = [empty]
    for lv in np.unique(level).tolist():
        members = np.flatnonzero(level == lv)
        bound = _CLASS_BASE ** (lv + 1)
        i, j = _sweep(ax, ay, a_reach + bound, bx[members], by[members])
        found_a.append(i)
        found_b.append(members[j])
    return np.concatenate(found_a), np.concatenate(found_b)


def _sweep(
    ax: FloatArray, ay: FloatArray, reach: FloatArray, bx: FloatArray, by: FloatArray
) -> tuple[IntArray, IntArray]:
    """(i, j) with b_j inside the square of half-side reach[i] around a_i."""
    if np.ptp(by) > np.ptp(bx):  # sweep along the wider axis: narrower windows
        ax, ay, bx, by = ay, ax, by, bx
    order = np.argsort(bx, kind="stable")
    sorted_x = bx[order]
    lo = np.searchsorted(sorted_x, ax - reach, side="left")
    hi = np.searchsorted(sorted_x, ax + reach, side="right")
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        empty = np.zeros(0, np.intp)
        return empty, empty
    i = np.repeat(np.arange(len(ax)), counts)
    starts = np.cumsum(counts) - counts
    j = order[np.repeat(lo, counts) + (np.arange(total) - np.repeat(starts, counts))]
    keep = np.abs(ay[i] - by[j]) <= reach[i]
    return i[keep], j[keep]
