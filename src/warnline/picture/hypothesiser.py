"""Hypothesiser: which report may be which track, and how well it fits.

The fit is the normalised distance in three dimensions: d² = |Δ ground position|² /
(track position variance + report accuracy²) per horizontal axis, plus Δaltitude² /
(track altitude variance + report altitude accuracy²), so that for a consistent filter
d² follows a chi-square law with three degrees of freedom. A pair is a hypothesis when d²
is inside the gate; `gate` is given in standard deviations of the two-dimensional law
(gate 4: a true report is refused about three times in ten thousand) and turned into the
three-dimensional threshold of the same probability. Altitude matters: a low drone and a
ballistic missile crossing on the map are 50 km apart. A report from a sensor that does
not measure altitude carries an enormous altitude variance, which takes that term out.

Association does not minimise d² alone but the negative log-likelihood of the pair,
d² + ln det S (+ a kind term, see `models.KIND_MISS_COST`): with d² alone a diffuse ghost
track, whose gate covers everything, would steal reports from the sharp track of the
object they belong to. Kinds never forbid a pair: a wrong kind guess must not split an
object into two tracks.

Every hypothesis is computed exactly, but not every pair is: unless the batch is tiny
beside the picture, a cheap pass over a few columns of the tracks' state (`proximity`)
finds the pairs whose report can possibly fall inside the track's gate at some time of
the batch, and only the tracks in those pairs are gathered and fitted. A batch of ten
reports beside thousands of tracks thus fits the dozen tracks near it, not all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtr, gammaincinv

from warnline.picture.measurements import ReportBatch
from warnline.picture.models import AGREES, KIND_MISS_COST, UNKNOWN_CODE, FloatArray, IntArray
from warnline.picture.predictor import GatingView, Predictor
from warnline.picture.proximity import near_pairs
from warnline.picture.store import TrackStore

DENSE_PAIRS = 1_024
"""Up to this many report-track pairs, fitting all of them beats looking for the near
ones first."""

SAFETY = 1.0 + 1e-9
"""A cheap pass keeps what is within its test by this factor: it may keep too much,
which the exact test removes, and never too little."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Hypotheses:
    """Candidate (report, track slot) pairs with their d² and association cost (the
    negative log-likelihood up to a constant), sorted by slot then report."""

    report: IntArray
    slot: IntArray
    d2: FloatArray
    cost: FloatArray

    def __len__(self) -> int:
        return len(self.report)

    def select(self, keep: np.ndarray) -> Hypotheses:
        return Hypotheses(
            report=self.report[keep], slot=self.slot[keep], d2=self.d2[keep], cost=self.cost[keep]
        )


def _empty() -> Hypotheses:
    none = np.zeros(0, np.float64)
    return Hypotheses(report=np.zeros(0, np.intp), slot=np.zeros(0, np.intp), d2=none, cost=none)


LOG_2PI = float(np.log(2.0 * np.pi))
CLUTTER_HEIGHT_M = 10_000.0
"""The altitude span false plots are spread over: it turns a density per m³ into one per
m² for reports without altitude, so 2-D and 3-D sensors weigh alike."""


def gate_threshold(gate: float) -> float:
    """The chi-square (3 dof) threshold refusing as many true reports as `gate` standard
    deviations do in two dimensions. Written as scipy.stats' chi2 computes it (cdf with
    2 dof, then the inverse with 3), from scipy.special: importing scipy.stats took a
    second of a served node's start-up."""
    return float(2.0 * gammaincinv(1.5, chdtr(2, gate * gate)))


class Hypothesiser:
    def __init__(self, *, gate: float, predictor: Predictor) -> None:
        self.gate = gate
        self.threshold = gate_threshold(gate)
        self.predictor = predictor

    def distance(
        self, view: GatingView, batch: ReportBatch, reports: IntArray, index: IntArray
    ) -> FloatArray:
        """d² of each report against the track at the same position of `index` (into view)."""
        return self.fit(view, batch, reports, index)[0]

    @staticmethod
    def _residuals(
        view: GatingView, batch: ReportBatch, reports: IntArray, index: IntArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, np.ndarray]:
        """(horizontal d², per-axis variance, vertical d², altitude variance, kind miss) of
        each report against the track at the same position of `index`."""
        dt = batch.t[reports] - view.t[index]
        px, py = view.position(index, dt)
        var = view.variance(index, dt) + batch.sigma[reports] ** 2
        dx = batch.x[reports] - px
        dy = batch.y[reports] - py
        var_alt = view.altitude_variance(index, dt) + batch.sigma_alt[reports] ** 2
        dz = batch.alt[reports] - view.altitude(index, dt)
        kind_r, kind_t = batch.kind[reports], view.kind[index]
        miss = ~AGREES[kind_r, kind_t] & (kind_t != UNKNOWN_CODE)
        return (dx * dx + dy * dy) / var, var, dz * dz / var_alt, var_alt, miss

    def fit(
        self, view: GatingView, batch: ReportBatch, reports: IntArray, index: IntArray
    ) -> tuple[FloatArray, FloatArray]:
        """(d², cost) of each report against the track at the same position of `index`."""
        h2, var, v2, var_alt, miss = self._residuals(view, batch, reports, index)
        d2 = h2 + v2
        cost = d2 + 2.0 * np.log(var) + np.log(var_alt) + KIND_MISS_COST * miss
        return np.asarray(d2), np.asarray(cost)

    def evidence(
        self,
        view: GatingView,
        batch: ReportBatch,
        reports: IntArray,
        index: IntArray,
        *,
        clutter_density: float,
    ) -> FloatArray:
        """Log-likelihood ratio that each report came from its track rather than from
        clutter: ln N(z; ẑ, S) - ln β, β the density of false plots per m³ (per m² for a
        report without altitude, whose altitude term is left out). A report that lands in a
        narrow gate is strong evidence; one in a gate tens of kilometres wide is none,
        however central - which is what keeps clutter from chaining into a track."""
        h2, var, v2, var_alt, miss = self._residuals(view, batch, reports, index)
        horizontal = -0.5 * (h2 + 2.0 * np.log(var) + 2.0 * LOG_2PI)
        vertical = -0.5 * (v2 + np.log(var_alt) + LOG_2PI)
        log_beta = np.log(clutter_density)
        with_alt = horizontal + vertical - log_beta
        without_alt = horizontal - (log_beta + np.log(CLUTTER_HEIGHT_M))
        llr = np.where(batch.has_altitude[reports], with_alt, without_alt)
        return np.asarray(llr - 0.5 * KIND_MISS_COST * miss)

    def hypothesise(
        self, store: TrackStore, batch: ReportBatch, reports: IntArray, slots: IntArray
    ) -> Hypotheses:
        """Gated, kind-compatible pairs between `reports` and the tracks in `slots`."""
        if len(reports) == 0 or len(slots) == 0:
            return _empty()
        if len(reports) * len(slots) <= DENSE_PAIRS:
            view = self.predictor.view(store, slots)
            ri = np.tile(reports, len(slots))
            ti = np.repeat(np.arange(len(slots)), len(reports))
        else:
            ri, near = self._near_pairs(store, batch, reports, slots)
            used = np.unique(near)
            view = self.predictor.view(store, slots[used])
            ti = np.searchsorted(used, near)
        d2, cost = self.fit(view, batch, ri, ti)
        inside = d2 <= self.threshold
        ri, ti, d2, cost = ri[inside], ti[inside], d2[inside], cost[inside]
        order = np.lexsort((ri, ti))
        return Hypotheses(
            report=ri[order], slot=view.slots[ti[order]], d2=d2[order], cost=cost[order]
        )

    def _near_pairs(
        self, store: TrackStore, batch: ReportBatch, reports: IntArray, slots: IntArray
    ) -> tuple[IntArray, IntArray]:
        """(report, position in `slots`) of every pair whose report may lie in the track's
        gate at its own time. A pair is inside only if its horizontal term alone is
        within the threshold: |Δ| ≤ k·sqrt(var + s²) ≤ k·(sqrt(var) + s), with s the
        report's accuracy and k = sqrt(threshold).
        The track's reach is centred on its position at mid-batch and covers the largest
        variance it has at any time of the batch (the variance is convex in time, so an
        end of the span) plus the distance it flies in half the span."""
        t = batch.t[reports]
        t_lo, t_hi = float(t.min()), float(t.max())
        x_lo, y_lo, var_lo = self.predictor.ground(store, slots, t_lo)
        if t_hi > t_lo:
            x_hi, y_hi, var_hi = self.predictor.ground(store, slots, t_hi)
        else:  # one time (one report, or one scan): one pass
            x_hi, y_hi, var_hi = x_lo, y_lo, var_lo
        cx, cy = 0.5 * (x_lo + x_hi), 0.5 * (y_lo + y_hi)
        k = float(np.sqrt(self.threshold)) * SAFETY
        drift = 0.5 * np.hypot(x_hi - x_lo, y_hi - y_lo)
        track_reach = k * np.sqrt(np.maximum(var_lo, var_hi)) + drift + 1.0
        rx, ry, report_reach = batch.x[reports], batch.y[reports], k * batch.sigma[reports]
        if len(reports) <= len(slots):
            local, near = near_pairs(rx, ry, report_reach, cx, cy, track_reach)
        else:
            near, local = near_pairs(cx, cy, track_reach, rx, ry, report_reach)
        return reports[local], near
