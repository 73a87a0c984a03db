"""Updater: Kalman update of tracks with their associated reports, all tracks at once.

A batch may hold several reports for one track (one per partner). They are applied in
time order, in rounds: round k gives every track its k-th report, so each round is one
vectorised update over many tracks and a track's own reports stay in sequence.

Delayed reports. A report older than the state it would update (a sensor with a slow
link, a partner whose batch arrived late) must not wind the filter back. It is used as
an out-of-sequence measurement of the current state, through the back-predicted
state: the measurement matrix becomes H·F(-Δ) and the process noise of the interval Δ
is added to the measurement noise. This is the usual one-lag approximation that
ignores the correlation between that noise and the current estimate error; it keeps
the track time where it was, moves the estimate by what the delayed report says about
the past, and is exact as Δ → 0. Beyond `max_lag_s` the approximation is no longer
worth trusting: such a report is still counted and credited to its partner, but it
does not move the track. Replaying a report in its proper place (rewinding and
re-filtering) was the alternative; it costs a history per track for a gain that only
matters for lags far longer than a partner's usual link delay.
"""

from __future__ import annotations

import numpy as np

from warnline.picture.measurements import ReportBatch
from warnline.picture.models import (
    MAX_SPEED_MS,
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


def kalman_step(
    x: FloatArray,
    p: FloatArray,
    dt: FloatArray,
    q: FloatArray,
    z: FloatArray,
    measured: FloatArray,
    r: FloatArray,
    ndim: int,
    accel: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Predict by max(dt, 0), then update with z measured at dt (≤ 0 means in the past).

    `measured` is 1 where a component of z was observed and 0 where it was not (a report
    without velocity); unobserved components get unit noise and a zero row in H, which
    makes their innovation, and their gain, exactly zero. `accel` (one dimension only) is
    a known constant acceleration, gravity for a falling object: it moves the prediction
    and the back-predicted measurement, not the covariance.
    """
    forward = np.maximum(dt, 0.0)
    back = np.minimum(dt, 0.0)
    f = transition(forward, ndim)
    x = np.einsum("nij,nj->ni", f, x)
    if accel is not None:
        x = x + gravity_offset(forward, accel)
    p = f @ p @ f.transpose(0, 2, 1) + process_noise(forward, q, ndim)
    h = measured[:, :, None] * transition(back, ndim)
    noise = measured[:, :, None] * process_noise(back, q, ndim) * measured[:, None, :]
    rr = noise + np.eye(2 * ndim)[None] * np.where(measured > 0, r, 1.0)[:, :, None]
    predicted = np.einsum("nij,nj->ni", h, x)
    if accel is not None:
        predicted = predicted + measured * gravity_offset(back, accel)
    y = z * measured - predicted
    ht = h.transpose(0, 2, 1)
    s = h @ p @ ht + rr
    k = p @ ht @ np.linalg.inv(s)
    x = x + np.einsum("nij,nj->ni", k, y)
    i_kh = np.eye(2 * ndim)[None] - k @ h
    p = i_kh @ p @ i_kh.transpose(0, 2, 1) + k @ rr @ k.transpose(0, 2, 1)
    return x, 0.5 * (p + p.transpose(0, 2, 1))


class Updater:
    def __init__(self, *, max_lag_s: float = 10.0) -> None:
        self.max_lag_s = max_lag_s

    def update(
        self, store: TrackStore, batch: ReportBatch, reports: IntArray, slots: IntArray
    ) -> None:
        """Apply each report to its track's filter, in time order per track."""
        if len(reports) == 0:
            return
        order = np.lexsort((reports, batch.t[reports], slots))
        reports, slots = reports[order], slots[order]
        start = np.r_[0, np.flatnonzero(np.diff(slots)) + 1]
        rank = np.arange(len(slots)) - np.repeat(start, np.diff(np.r_[start, len(slots)]))
        for k in range(int(rank.max()) + 1):
            now = rank == k
            self._round(store, batch, reports[now], slots[now])

    def _round(
        self, store: TrackStore, batch: ReportBatch, reports: IntArray, slots: IntArray
    ) -> None:
        dt = batch.t[reports] - store.t[slots]
        usable = dt >= -self.max_lag_s
        reports, slots, dt = reports[usable], slots[usable], dt[usable]
        if len(reports) == 0:
            return
        kind = store.kind[slots]
        v = batch.has_velocity[reports].astype(float)
        sv2 = batch.sigma_velocity[reports] ** 2
        s2 = batch.sigma[reports] ** 2
        z = np.column_stack(
            (batch.x[reports], batch.y[reports], batch.vx[reports], batch.vy[reports])
        )
        measured = np.column_stack((np.ones_like(v), np.ones_like(v), v, v))
        r = np.column_stack((s2, s2, sv2, sv2))
        store.xh[slots], store.ph[slots] = kalman_step(
            store.xh[slots], store.ph[slots], dt, Q_HORIZONTAL[kind], z, measured, r, 2
        )
        z = np.column_stack((batch.alt[reports], batch.vz[reports]))
        a = batch.has_altitude[reports].astype(float)
        measured = np.column_stack((a, v * a))
        r = np.column_stack((batch.sigma_alt[reports] ** 2, sv2))
        store.xv[slots], store.pv[slots] = kalman_step(
            store.xv[slots],
            store.pv[slots],
            dt,
            Q_VERTICAL[kind],
            z,
            measured,
            r,
            1,
            VERTICAL_ACCEL[kind],
        )
        store.t[slots] = np.maximum(store.t[slots], batch.t[reports])
        bound_speed(store, slots)


def bound_speed(store: TrackStore, slots: IntArray) -> None:
    """Keep ground speed physical: a filter that claims more than any threat can fly was
    pulled by a wrong association; scale its velocity back to the bound. Its covariance is
    left alone: widening it would widen the gate, and a wide gate is how clutter chains."""
    speed = np.hypot(store.xh[slots, 2], store.xh[slots, 3])
    over = speed > MAX_SPEED_MS
    if not over.any():
        return
    fast = slots[over]
    store.xh[fast, 2:] *= (MAX_SPEED_MS / speed[over])[:, None]
