"""Predictor: where a track will be (or was) at another time.

Horizontally at constant velocity; vertically at constant climb, plus gravity for the
kinds that fall (see `models.FALLS`). Both halves carry their own white-noise
acceleration, so prediction widens the gate the longer a track goes unseen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from warnline.picture.models import (
    Q_HORIZONTAL,
    Q_VERTICAL,
    VERTICAL_ACCEL,
    FloatArray,
    IntArray,
    gravity_offset,
    process_noise,
    transition,
)
from warnline.picture.store import TrackStore


@dataclass(frozen=True, kw_only=True, slots=True)
class GatingView:
    """The state of some tracks, flattened to 1-D arrays for pairwise gating.

    Index i here is `slots[i]` in the store; copying a few columns once per batch is far
    cheaper than gathering whole covariance matrices once per candidate pair.
    """

    slots: IntArray
    x: FloatArray
    y: FloatArray
    vx: FloatArray
    vy: FloatArray
    pxx: FloatArray
    pyy: FloatArray
    pxvx: FloatArray
    pyvy: FloatArray
    pvxvx: FloatArray
    pvyvy: FloatArray
    q: FloatArray
    alt: FloatArray
    climb: FloatArray
    paa: FloatArray
    pac: FloatArray
    pcc: FloatArray
    qv: FloatArray
    accel: FloatArray
    t: FloatArray
    kind: IntArray

    def __len__(self) -> int:
        return len(self.slots)

    def position(self, i: IntArray, dt: FloatArray) -> tuple[FloatArray, FloatArray]:
        return self.x[i] + self.vx[i] * dt, self.y[i] + self.vy[i] * dt

    def variance(self, i: IntArray, dt: FloatArray) -> FloatArray:
        """Per-axis position variance (mean of x and y) after moving by `dt` seconds.

        Back-prediction (dt < 0) grows the variance as forward prediction does, which is
        what gating a delayed report needs. The function is convex in dt, so over an
        interval of times it is largest at one of the ends.
        """
        var_x = self.pxx[i] + 2.0 * dt * self.pxvx[i] + dt * dt * self.pvxvx[i]
        var_y = self.pyy[i] + 2.0 * dt * self.pyvy[i] + dt * dt * self.pvyvy[i]
        return np.asarray(0.5 * (var_x + var_y) + self.q[i] * np.abs(dt) ** 3 / 3.0)

    def altitude(self, i: IntArray, dt: FloatArray) -> FloatArray:
        return np.asarray(self.alt[i] + self.climb[i] * dt + 0.5 * self.accel[i] * dt * dt)

    def altitude_variance(self, i: IntArray, dt: FloatArray) -> FloatArray:
        var = self.paa[i] + 2.0 * dt * self.pac[i] + dt * dt * self.pcc[i]
        return np.asarray(var + self.qv[i] * np.abs(dt) ** 3 / 3.0)


class Predictor:
    """Prediction of stored tracks, horizontally and vertically."""

    def view(self, store: TrackStore, slots: IntArray) -> GatingView:
        xh = store.xh[slots]
        ph = store.ph[slots]
        xv = store.xv[slots]
        pv = store.pv[slots]
        kind = store.kind[slots]
        return GatingView(
            slots=slots,
            x=xh[:, 0],
            y=xh[:, 1],
            vx=xh[:, 2],
            vy=xh[:, 3],
            pxx=ph[:, 0, 0],
            pyy=ph[:, 1, 1],
            pxvx=ph[:, 0, 2],
            pyvy=ph[:, 1, 3],
            pvxvx=ph[:, 2, 2],
            pvyvy=ph[:, 3, 3],
            q=Q_HORIZONTAL[kind],
            alt=xv[:, 0],
            climb=xv[:, 1],
            paa=pv[:, 0, 0],
            pac=pv[:, 0, 1],
            pcc=pv[:, 1, 1],
            qv=Q_VERTICAL[kind],
            accel=VERTICAL_ACCEL[kind],
            t=store.t[slots],
            kind=kind,
        )

    def ground(
        self, store: TrackStore, slots: IntArray, t: float
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(x, y, per-axis variance) of `slots` at time `t`.

        Computed over the store's arrays as they lie (strided views, no gathered copy of
        states and covariances), for every slot up to the last of `slots`, then picked:
        the cheap pass that lets a batch look closely only at the tracks near it
        (`Hypothesiser.hypothesise`, `Merger.merges`). The arithmetic is
        `GatingView.position` and `GatingView.variance`, term for term.
        """
        end = int(slots[-1]) + 1 if len(slots) else 0
        xh, ph = store.xh[:end], store.ph[:end]
        dt = t - store.t[:end]
        var_x = ph[:, 0, 0] + 2.0 * dt * ph[:, 0, 2] + dt * dt * ph[:, 2, 2]
        var_y = ph[:, 1, 1] + 2.0 * dt * ph[:, 1, 3] + dt * dt * ph[:, 3, 3]
        var = 0.5 * (var_x + var_y) + Q_HORIZONTAL[store.kind[:end]] * np.abs(dt) ** 3 / 3.0
        x = xh[:, 0] + xh[:, 2] * dt
        y = xh[:, 1] + xh[:, 3] * dt
        return x[slots], y[slots], var[slots]

    def extrapolate(
        self, store: TrackStore, slots: IntArray, to_t: float
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Full state and covariance of `slots` at time `to_t` (for coasting tracks)."""
        dt = to_t - store.t[slots]
        kind = store.kind[slots]
        fh = transition(dt, 2)
        fv = transition(dt, 1)
        xh = np.einsum("nij,nj->ni", fh, store.xh[slots])
        xv = np.einsum("nij,nj->ni", fv, store.xv[slots]) + gravity_offset(dt, VERTICAL_ACCEL[kind])
        ph = fh @ store.ph[slots] @ fh.transpose(0, 2, 1) + process_noise(dt, Q_HORIZONTAL[kind], 2)
        pv = fv @ store.pv[slots] @ fv.transpose(0, 2, 1) + process_noise(dt, Q_VERTICAL[kind], 1)
        return xh, ph, xv, pv
