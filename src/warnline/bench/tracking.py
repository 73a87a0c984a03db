"""The Warnline picture against the truth and against two peers, on the same data.

`compare` feeds the same batches, in the same arrival order and at the same times, to
three trackers one after the other: the Warnline picture (`ingest(batch)` then
`expire(at)`, as the pipeline does), the vectorised `baseline` and Stone Soup
(`stonesoup_runner`). After each batch, at every evaluation time (every `step_s` from
the first batch's time) each tracker's scored tracks are extrapolated along their own
velocity to that time and compared with the truth (see `metrics` for GOSPA, the
duplicate and the false track rate). Only the trackers' `ingest` is timed, conversion of
reports included; `reports_per_s` is reports ingested ÷ seconds spent in it.

Stone Soup runs at about a hundredth of the picture's speed, so it gets the first
`STONESOUP_WINDOW_S` seconds of the raid only (its `seconds` says how many it had): its
figures cover that window, and the other two also report their GOSPA over the same
window (`gospa_stonesoup_window`) so like is compared with like. Its rate from the
start of a raid flatters it (fewer tracks to gate against), which makes the ratio to
the picture's whole-run rate conservative.

`score_tracks` scores what a node itself produced, with the same definitions.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from typing import Protocol

import numpy as np

from warnline.bench.assignment import FloatArray
from warnline.bench.baseline import Baseline
from warnline.bench.metrics import Scorer, Truth, score_snapshots, track_xyz, truth_xyz
from warnline.domain import Report, Track
from warnline.domain.plane import RegionalPlane, regional_plane
from warnline.picture import Picture

STONESOUP_WINDOW_S = 12.0

__all__ = ["STONESOUP_WINDOW_S", "compare", "score_tracks"]


class _Tracker(Protocol):
    def ingest(self, reports: Sequence[Report]) -> None: ...

    def expire(self, at_s: float) -> None: ...

    def positions(self, at_s: float) -> FloatArray: ...


class _Warnline:
    """The picture behind the same three verbs as the peers."""

    def __init__(self, plane: RegionalPlane) -> None:
        self._plane = plane
        self._picture = Picture(plane=plane)

    def ingest(self, reports: Sequence[Report]) -> None:
        self._picture.ingest(reports)

    def expire(self, at_s: float) -> None:
        self._picture.expire(datetime.fromtimestamp(at_s, UTC))

    def positions(self, at_s: float) -> FloatArray:
        return track_xyz(self._plane, self._picture.tracks(), at_s)


class _StoneSoup:
    """Stone Soup's deleter runs inside its tracker step; expiry is a no-op here."""

    def __init__(self, plane: RegionalPlane, *, kd_tree: bool = True) -> None:
        try:
            from warnline.bench.stonesoup_runner import StoneSoupTracker
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise RuntimeError(
                "the tracking bench needs Stone Soup: pip install -e '.[dev]'"
            ) from error
        self._tracker = StoneSoupTracker(plane=plane, kd_tree=kd_tree)

    def ingest(self, reports: Sequence[Report]) -> None:
        self._tracker.ingest(reports)

    def expire(self, at_s: float) -> None:
        return None

    def positions(self, at_s: float) -> FloatArray:
        return self._tracker.positions(at_s)


def compare(
    *,
    batches: Sequence[Sequence[Report]],
    times: Sequence[float],
    truth: Callable[[float], Mapping[str, tuple[float, float, float]]],
    step_s: float = 1.0,
    stonesoup: bool = True,
) -> dict[str, dict[str, float]]:
    """Figures of the Warnline picture, the baseline and Stone Soup on the same raid
    (without Stone Soup when `stonesoup` is false: for raids too big for it)."""
    if len(batches) != len(times):
        raise ValueError("one arrival time per batch")
    if not batches:
        raise ValueError("no batches")
    if any(b < a for a, b in pairwise(times)):
        raise ValueError("batches must be in arrival order (times non-decreasing)")
    plane = regional_plane()
    window_end = float(times[0]) + STONESOUP_WINDOW_S
    gc.collect()
    gc.freeze()  # the pre-made raid is not the trackers' garbage: keep it out of their pauses
    try:
        warnline = _run(_Warnline(plane), plane, batches, times, truth, step_s, window_end)
        baseline = _run(Baseline(plane=plane), plane, batches, times, truth, step_s, window_end)
        out = {"warnline": warnline, "baseline": baseline}
        if stonesoup:
            n = int(np.searchsorted(np.asarray(times, float), window_end, side="right"))
            out["stonesoup"] = _run(
                _StoneSoup(plane), plane, batches[:n], times[:n], truth, step_s, window_end
            )
    finally:
        gc.unfreeze()
    return out


def score_tracks(
    *,
    truth: Callable[[float], Mapping[str, tuple[float, float, float]]],
    snapshots: Sequence[tuple[float, Sequence[Track]]],
) -> dict[str, float]:
    """The metrics of `compare` (no rate) for (time, tracks) snapshots a node produced:
    CONFIRMED and COASTING tracks, extrapolated to the snapshot time."""
    return score_snapshots(regional_plane(), truth, snapshots)


def _run(
    tracker: _Tracker,
    plane: RegionalPlane,
    batches: Sequence[Sequence[Report]],
    times: Sequence[float],
    truth: Truth,
    step_s: float,
    window_end: float,
) -> dict[str, float]:
    everything, window = Scorer(), Scorer()
    first, last = float(times[0]), float(times[-1])
    k = 0  # next evaluation: first + k * step_s
    spent: list[float] = []
    reports = 0
    for i, (batch, at) in enumerate(zip(batches, times, strict=True)):
        began = time.perf_counter()
        tracker.ingest(batch)
        spent.append(time.perf_counter() - began)
        reports += len(batch)
        tracker.expire(float(at))
        until = float(times[i + 1]) if i + 1 < len(times) else math.inf
        while (due := first + k * step_s) < until and due <= last + 1e-3:
            if due >= float(at):
                tracks, objects = tracker.positions(due), truth_xyz(plane, truth, due)
                everything.add(tracks, objects)
                if due <= window_end:
                    window.add(tracks, objects)
            k += 1
    figures = everything.summary()
    figures["gospa_stonesoup_window"] = window.summary()["gospa"]
    figures["reports"] = float(reports)
    total = sum(spent)
    figures["reports_per_s"] = reports / total if total > 0 else 0.0
    figures["batch_p50_ms"] = float(np.percentile(spent, 50)) * 1000.0
    figures["batch_p99_ms"] = float(np.percentile(spent, 99)) * 1000.0
    figures["seconds"] = last - first
    return figures
