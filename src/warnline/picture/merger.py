"""Merger: two tracks that turn out to be one object become one track.

Report-to-track association alone lets duplicates live for ever: a partner's report
that falls just outside the gate (three times in ten thousand at the default gate)
starts a new track, that partner's sensor-track continuity then feeds the new track,
and the object has two tracks until it lands. The same happens when a partner's
registration is off by a few hundred metres. So after each batch, every track the
batch touched is compared with its neighbours; two tracks merge when

* their positions agree in three dimensions: |Δp|² / (var_a + var_b) + Δalt² /
  (var_alt_a + var_alt_b) within the gate (see `hypothesiser.gate_threshold`), both
  predicted to the batch's latest time (the estimates share no report, so the variances
  add), and their ground velocities agree by the two-dimensional test, and
* no sensor sees them as two objects: none reported both in its latest batch, and
  none holds a live sensor track on each - two objects side by side that some sensor
  resolves stay two tracks, however close they fly.

Kinds do not enter: a wrong kind guess that started a second track of the "other" kind is
exactly what must merge back. The older track (lower id) survives, with the more precise
of the two kinematic states; pairs are taken best first, and a track merges at most once per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from warnline.picture.hypothesiser import DENSE_PAIRS, SAFETY, gate_threshold
from warnline.picture.models import FloatArray, IntArray
from warnline.picture.predictor import Predictor
from warnline.picture.proximity import near_pairs
from warnline.picture.store import TrackRecord, TrackStore

SeenApart = Callable[[TrackRecord, TrackRecord], bool]


@dataclass(frozen=True, kw_only=True, slots=True)
class Merge:
    keep: int
    drop: int


class Merger:
    def __init__(self, *, gate: float, predictor: Predictor) -> None:
        self.gate = gate
        self.threshold = gate_threshold(gate)
        self.predictor = predictor

    def merges(
        self, store: TrackStore, touched: IntArray, at_t: float, *, apart: SeenApart
    ) -> list[Merge]:
        """Pairs of live slots to merge, `touched` slots against all live ones; `apart`
        says whether some sensor holds the two for different objects."""
        live = store.live()
        if len(live) < 2 or len(touched) == 0:
            return []
        mine = np.searchsorted(live, touched)
        if len(mine) * len(live) <= DENSE_PAIRS:  # few pairs: all of them
            a = np.repeat(mine, len(live))
            b = np.tile(np.arange(len(live)), len(mine))
        else:  # the pairs near enough to pass, among the few columns gathered cheaply
            a, b = self._near_pairs(store, live, mine, at_t)
            used = np.unique(np.concatenate([a, b]))
            live, a, b = live[used], np.searchsorted(used, a), np.searchsorted(used, b)
        view = self.predictor.view(store, live)
        every = np.arange(len(live))
        dt = at_t - view.t
        px, py = view.position(every, dt)
        var = view.variance(every, dt)
        vvar = 0.5 * (view.pvxvx + view.pvyvy) + view.q * np.abs(dt)
        keep = a != b
        a, b = a[keep], b[keep]
        alt = view.altitude(every, dt)
        var_alt = view.altitude_variance(every, dt)
        d2 = ((px[a] - px[b]) ** 2 + (py[a] - py[b]) ** 2) / (var[a] + var[b])
        d2 = d2 + (alt[a] - alt[b]) ** 2 / (var_alt[a] + var_alt[b])
        dv2 = ((view.vx[a] - view.vx[b]) ** 2 + (view.vy[a] - view.vy[b]) ** 2) / (
            vvar[a] + vvar[b]
        )
        close = (d2 <= self.threshold) & (dv2 <= self.gate**2)
        cost = d2[close] + dv2[close]
        return self._choose(store, live[a[close]], live[b[close]], cost, apart)

    def _near_pairs(
        self, store: TrackStore, live: IntArray, mine: IntArray, at_t: float
    ) -> tuple[IntArray, IntArray]:
        """(a, b) positions in `live`, a among `mine`, of the pairs whose ground positions
        can pass the position test: |Δ| ≤ k·sqrt(var_a + var_b) ≤ k·(sqrt(var_a) + sqrt(var_b))."""
        px, py, var = self.predictor.ground(store, live, at_t)
        reach = float(np.sqrt(self.threshold)) * SAFETY * np.sqrt(var) + 1.0
        i, b = near_pairs(px[mine], py[mine], reach[mine], px, py, reach)
        return mine[i], b

    @staticmethod
    def _choose(
        store: TrackStore, a: IntArray, b: IntArray, cost: FloatArray, apart: SeenApart
    ) -> list[Merge]:
        if len(a) == 0:
            return []
        serial_a = np.array([store.record(int(s)).serial for s in a])
        serial_b = np.array([store.record(int(s)).serial for s in b])
        keep = np.where(serial_a < serial_b, a, b)
        drop = np.where(serial_a < serial_b, b, a)
        order = np.lexsort((np.maximum(serial_a, serial_b), np.minimum(serial_a, serial_b), cost))
        used: set[int] = set()
        chosen = []
        for k, d in zip(keep[order].tolist(), drop[order].tolist(), strict=True):
            if k in used or d in used:
                continue
            if apart(store.record(k), store.record(d)):
                continue
            used.update((k, d))
            chosen.append(Merge(keep=k, drop=d))
        return chosen
