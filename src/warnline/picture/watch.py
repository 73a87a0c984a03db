"""Sensor watch: what the picture learns about each partner's sensor from its reports alone.

A drone or cruise missile that strikes simply stops being reported. Waiting out the drop
age (a minute) kept a track of nothing coasting on past the impact point, holding alerts
open and counting as a false track. Silence alone cannot tell a strike from a coverage
gap, but the sensors that were reporting the object can, when they are still reporting
other things: a sensor that has scanned several times since it last saw the object, and
whose coverage holds where the object would now be, has looked and not found it.

For each (partner, sensor) the watch keeps these, all learned from reports:

- when it last reported anything (`heard`, observation time);
- its revisit: the median interval between two successive reports of one of its own
  sensor tracks (missed detections lengthen some intervals; the median ignores them);
- its coverage: the cells (`cell_m` square, in altitude bands) where it has reported
  anything, false plots included. Altitude matters: a radar sees a low drone only within
  its horizon, an early-warning radar nothing below its floor, so a band is covered only
  where something at that altitude was seen;
- how many reports its latest observation times held (what its last scan was made of).

From these it answers, for a track a sensor last reported at some time: which whole
scans has the sensor made and reported from since (`scan_times`; the latest scan does
not count, its reports may still be on their way), and how likely was it to miss, in every
one of them, an object that was at given points then, one per scan (`unseen_chance`:
(1 - p_detect) for each scan whose point its coverage holds (`covers`), p_detect learned
from how many scans the intervals span). Which points those are - where the track would
be now, or where it would have been at each scan - is the caller's choice (see
`silence`). A sensor heard from no more since (`abstains`: an outage, or nothing left to
report) says nothing either way, unless its last scan held that one report alone (`alone`:
it fell silent with the object). An object flown out of a sensor's sight lies where it has
reported nothing at that altitude, so those scans do not count and the track coasts on as
before; `silence.verdict` weighs it all.

State is bounded: at most `max_sensors` sensors and `max_cells` cells over all of them;
past either, nothing more is learned (a track in unknown coverage just coasts, as before).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from warnline.picture.measurements import ReportBatch
from warnline.picture.models import FloatArray

SensorKey = tuple[str, str]
"""(partner, sensor)."""

ALT_BANDS_M = (300.0, 1_000.0, 3_000.0, 10_000.0, 20_000.0)
"""Band edges: below 300 m (drones, cruise missiles), then up to the early-warning floor."""

REVISIT_SAMPLES = 32
LATEST_TIMES = 64  # observation times kept per sensor, to tell what its last scan held
MIN_REVISIT_SAMPLES = 5  # fewer intervals than this: the revisit is not known yet
MIN_P_DETECT = 0.5  # a sensor is never credited with finding less (nor more) than this
MAX_P_DETECT = 0.95
_AXIS_BITS = 24
_BAND_BITS = 3
_AXIS_MASK = (1 << _AXIS_BITS) - 1

IntArray64 = NDArray[np.int64]


class SensorWatch:
    """Per (partner, sensor): when heard, revisit and detection rate, coverage cells."""

    def __init__(
        self,
        *,
        cell_m: float = 10_000.0,
        max_sensors: int = 1024,
        max_cells: int = 262_144,
    ) -> None:
        if not cell_m > 0.0:
            raise ValueError("cell_m must be positive")
        self.cell_m = cell_m
        self.max_sensors = max_sensors
        self.max_cells = max_cells
        self._heard: dict[SensorKey, float] = {}
        self._intervals: dict[SensorKey, deque[float]] = {}
        self._revisit: dict[SensorKey, Revisit | None] = {}
        self._stale: set[SensorKey] = set()  # revisit to recompute: new intervals since
        self._cells: dict[SensorKey, set[int]] = {}
        self._latest: dict[SensorKey, deque[tuple[float, int]]] = {}  # (time, reports)
        self._cell_count = 0

    # -- learning ------------------------------------------------------------------------

    def observe(self, batch: ReportBatch) -> None:
        """Learn when each sensor of the batch was heard and where it reported."""
        last = np.full(len(batch.sensors), -math.inf)
        np.maximum.at(last, batch.sensor, batch.t)
        known = [self._known(sensor) for sensor in batch.sensors]
        for sensor, t, ok in zip(batch.sensors, last.tolist(), known, strict=True):
            if ok:
                self._heard[sensor] = max(self._heard[sensor], t)
        times, counts = np.unique(
            np.column_stack([batch.sensor, batch.t]), axis=0, return_counts=True
        )
        for (code, t), n in zip(times.tolist(), counts.tolist(), strict=True):
            if known[int(code)]:
                self._latest[batch.sensors[int(code)]].append((t, n))
        measured = np.flatnonzero(batch.has_altitude)
        if len(measured) == 0 or self._cell_count >= self.max_cells:
            return
        cells = _cells(batch.x[measured], batch.y[measured], batch.alt[measured], self.cell_m)
        codes = batch.sensor[measured]
        order = np.lexsort((cells, codes))
        codes, cells = codes[order], cells[order]
        first = np.ones(len(cells), dtype=bool)
        first[1:] = (codes[1:] != codes[:-1]) | (cells[1:] != cells[:-1])
        codes, cells = codes[first], cells[first]
        bounds = np.searchsorted(codes, np.arange(len(batch.sensors) + 1))
        for code, sensor in enumerate(batch.sensors):
            lo, hi = int(bounds[code]), int(bounds[code + 1])
            if not known[code] or lo == hi:
                continue
            mine = self._cells[sensor]
            before = len(mine)
            room = self.max_cells - self._cell_count
            mine.update(cells[lo:hi].tolist()[:room])
            self._cell_count += len(mine) - before

    def interval(self, sensor: SensorKey, seconds: float) -> None:
        """Learn one interval between successive reports of one of `sensor`'s tracks."""
        samples = self._intervals.get(sensor)
        if samples is not None and seconds > 0.0:
            samples.append(seconds)
            self._stale.add(sensor)

    def _known(self, sensor: SensorKey) -> bool:
        if sensor in self._heard:
            return True
        if len(self._heard) >= self.max_sensors:
            return False
        self._heard[sensor] = -math.inf
        self._intervals[sensor] = deque(maxlen=REVISIT_SAMPLES)
        self._revisit[sensor] = None
        self._cells[sensor] = set()
        self._latest[sensor] = deque(maxlen=LATEST_TIMES)
        return True

    # -- judging -------------------------------------------------------------------------

    def revisit(self, sensor: SensorKey) -> Revisit | None:
        """The sensor's learned revisit, None while it is not known."""
        if sensor in self._stale:
            self._stale.discard(sensor)
            self._revisit[sensor] = _revisit(self._intervals[sensor])
        return self._revisit.get(sensor)

    def abstains(self, sensor: SensorKey, since_t: float) -> bool:
        """Has `sensor` reported nothing at all from any scan after `since_t`? Then it
        says nothing about an object it reported then: it may have lost everything."""
        revisit = self.revisit(sensor)
        if revisit is None:
            return False
        return self._heard[sensor] < since_t + 0.5 * revisit.period_s

    def alone(self, sensor: SensorKey) -> bool:
        """Did `sensor`'s last scan (its reports within one revisit of the latest) hold
        a single report? Then, fallen silent, it fell silent with the one object it was
        reporting; a sensor that stopped reporting many objects at once has an outage."""
        revisit = self.revisit(sensor)
        if revisit is None:
            return False
        since = self._heard[sensor] - revisit.period_s
        return sum(n for t, n in self._latest[sensor] if t > since) <= 1

    def silent(self, sensor: SensorKey, at_t: float, quiet_s: float) -> bool:
        """Has `sensor` reported nothing at all for `quiet_s` before `at_t`? Then the
        scans it made before it fell silent are all it will say for now."""
        return self._heard.get(sensor, -math.inf) < at_t - quiet_s

    def missed_scans(self, sensor: SensorKey, since_t: float) -> int:
        """Whole scans `sensor` has made, and reported from, since `since_t` without
        reporting the object. The latest scan does not count: its reports may still be
        on their way."""
        revisit = self.revisit(sensor)
        if revisit is None:
            return 0
        return max(0, math.floor((self._heard[sensor] - since_t) / revisit.period_s) - 1)

    def scan_times(self, sensor: SensorKey, since_t: float) -> FloatArray:
        """When `sensor` made the `missed_scans` since `since_t` (a report at `since_t`
        came from a scan then; the next ones follow one revisit apart)."""
        revisit = self.revisit(sensor)
        n = self.missed_scans(sensor, since_t)
        if revisit is None or n == 0:
            return np.zeros(0)
        return np.asarray(since_t + revisit.period_s * np.arange(1, n + 1, dtype=float))

    def covers(self, sensor: SensorKey, *, x: float, y: float, alt: float) -> bool:
        """Has `sensor` ever reported anything in the cell and altitude band of this point?"""
        cells = self._cells.get(sensor)
        return cells is not None and _cell(x, y, alt, self.cell_m) in cells

    def looked(self, sensor: SensorKey, *, x: FloatArray, y: FloatArray, alt: FloatArray) -> int:
        """How many of these points (one per scan) lie where `sensor` has reported
        anything, in the cell and altitude band: the scans that looked there."""
        cells = self._cells.get(sensor)
        if not cells or len(x) == 0:
            return 0
        keys = _cells(
            np.asarray(x, float), np.asarray(y, float), np.asarray(alt, float), self.cell_m
        )
        return sum(1 for key in keys.tolist() if key in cells)

    def unseen_chance(
        self, sensor: SensorKey, *, x: FloatArray, y: FloatArray, alt: FloatArray
    ) -> float:
        """How likely `sensor` was to miss, in every one of its scans, an object that was
        at these points then (one point per scan, see `scan_times`); a scan whose point
        its coverage does not hold says nothing (1.0 for all: revisit not known, or no
        coverage known anywhere there)."""
        revisit = self.revisit(sensor)
        if revisit is None:
            return 1.0
        return float((1.0 - revisit.p_detect) ** self.looked(sensor, x=x, y=y, alt=alt))


@dataclass(frozen=True, kw_only=True, slots=True)
class Revisit:
    """How often a sensor re-reports an object it holds, and how often it finds it then."""

    period_s: float
    p_detect: float


def _revisit(samples: deque[float]) -> Revisit | None:
    """The median interval is the period (a missed detection doubles an interval, and is
    rarer than a hit); each interval spans about interval/period scans, one of them a hit."""
    if len(samples) < MIN_REVISIT_SAMPLES:
        return None
    intervals = np.asarray(samples)
    period = float(np.median(intervals))
    scans = float(np.maximum(1.0, np.round(intervals / period)).sum())
    return Revisit(
        period_s=period, p_detect=min(MAX_P_DETECT, max(MIN_P_DETECT, len(samples) / scans))
    )


def _cell(x: float, y: float, alt: float, size: float) -> int:
    """The cell key of one point (see `_cells`)."""
    ix = math.floor(x / size) & _AXIS_MASK
    iy = math.floor(y / size) & _AXIS_MASK
    band = int(np.searchsorted(ALT_BANDS_M, alt))
    return (ix << (_AXIS_BITS + _BAND_BITS)) | (iy << _BAND_BITS) | band


def _cells(x: FloatArray, y: FloatArray, alt: FloatArray, size: float) -> IntArray64:
    """Cell keys: x and y cell numbers (wrapped to 24 bits each) and the altitude band."""
    ix = np.floor(x / size).astype(np.int64) & _AXIS_MASK
    iy = np.floor(y / size).astype(np.int64) & _AXIS_MASK
    band = np.searchsorted(ALT_BANDS_M, alt).astype(np.int64)
    return np.asarray((ix << (_AXIS_BITS + _BAND_BITS)) | (iy << _BAND_BITS) | band)
