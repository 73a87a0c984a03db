"""The baseline tracker: what a careful engineer writes in an afternoon, vectorised.

A constant-velocity Kalman filter per track in 3-D (plane x, y and altitude), global
nearest neighbour assignment in a 3-D chi-square gate, M-of-N confirmation and
deletion after a silence. Nothing else: no kinds, no identities, no velocities from the
reports, no merging, no out-of-sequence filtering. It is the yardstick the Warnline
picture must not fall behind on accuracy (GOSPA within 10 %).

- Each batch is processed one sensor at a time (`Measured.scans`), so a track gets at
  most one report per scan; confirmed tracks choose first, then tentative ones, and
  what is left starts tentative tracks (so a diffuse new track cannot take a report
  from an established one).
- A report older than its track is used all the same: the filter predicts backwards,
  with process noise for |dt| as Stone Soup's models do. Reports are at most a few
  seconds late, over which a constant-velocity track barely bends.
- M-of-N: a tentative track is confirmed by its `confirm_hits`-th report within
  `confirm_window_s` of its first; one that does not make it in time is dropped, so an
  isolated clutter report never shows. A confirmed track silent for `delete_after_s`
  is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree

from warnline.bench.assignment import FloatArray, IntArray, assign
from warnline.bench.measured import Measured, measure
from warnline.domain import Report
from warnline.domain.plane import RegionalPlane

GATE_CHI2_3D = 16.27
"""The 99.9 % point of chi-square with 3 degrees of freedom."""


class Baseline:
    def __init__(
        self,
        *,
        plane: RegionalPlane,
        q: float = 50.0,
        gate: float = GATE_CHI2_3D,
        confirm_hits: int = 3,
        confirm_window_s: float = 6.0,
        delete_after_s: float = 15.0,
        velocity_sigma: float = 1_000.0,
    ) -> None:
        self._plane, self._q, self._gate = plane, q, gate
        self._m, self._window, self._delete = confirm_hits, confirm_window_s, delete_after_s
        self._v_sigma = velocity_sigma
        self.x = np.empty((0, 6))  # x, y, z, vx, vy, vz
        self.p = np.empty((0, 6, 6))
        self.t = np.empty(0)  # time the state refers to
        self.last = np.empty(0)  # latest report time
        self.born = np.empty(0)
        self.hits = np.empty(0, np.intp)
        self.confirmed = np.empty(0, bool)

    def ingest(self, reports: Sequence[Report]) -> None:
        if not reports:
            return
        m = measure(self._plane, reports)
        for scan in m.scans():
            free = scan
            for stage in (True, False):
                slots = np.flatnonzero(self.confirmed == stage)
                used = self._associate(m, free, slots)
                free = free[~np.isin(free, used)]
            self._start(m, free)

    def expire(self, at_s: float) -> None:
        keep = np.where(
            self.confirmed, at_s - self.last <= self._delete, at_s - self.born <= self._window
        )
        for name in ("x", "p", "t", "last", "born", "hits", "confirmed"):
            setattr(self, name, getattr(self, name)[keep])

    def positions(self, at_s: float) -> FloatArray:
        """Confirmed tracks' positions, extrapolated to `at_s`."""
        c = self.confirmed
        return np.asarray(self.x[c, :3] + self.x[c, 3:] * (at_s - self.t[c])[:, None])

    # -- one scan ------------------------------------------------------------------------

    def _associate(self, m: Measured, reports: IntArray, slots: IntArray) -> IntArray:
        """Assign reports of one scan to the given tracks, update them; return the reports used."""
        if len(reports) == 0 or len(slots) == 0:
            return np.empty(0, np.intp)
        pair_s, pair_r = self._candidates(m, reports, slots)
        if len(pair_s) == 0:
            return np.empty(0, np.intp)
        x, p = self._predict(pair_s, m.t[pair_r] - self.t[pair_s])
        s = p[:, :3, :3] + np.einsum("ki,ij->kij", m.sigma[pair_r] ** 2, np.eye(3))
        e = m.z[pair_r] - x[:, :3]
        d2 = np.einsum("ki,ki->k", e, np.linalg.solve(s, e[:, :, None])[:, :, 0])
        inside = np.flatnonzero(d2 <= self._gate)
        slot, rep = assign(
            pair_s[inside],
            pair_r[inside],
            self._gate + 1.0 - d2[inside],
            n_rows=len(self.x),
            n_cols=len(m),
        )
        key = pair_s[inside] * len(m) + pair_r[inside]
        order = np.argsort(key)
        k = inside[order[np.searchsorted(key[order], slot * len(m) + rep)]]  # chosen pairs
        gain = p[k][:, :, :3] @ np.linalg.inv(s[k])
        self.x[slot] = x[k] + np.einsum("kij,kj->ki", gain, e[k])
        updated = p[k] - gain @ p[k][:, :3, :]
        self.p[slot] = 0.5 * (updated + np.transpose(updated, (0, 2, 1)))
        self.t[slot] = m.t[rep]
        self.last[slot] = np.maximum(self.last[slot], m.t[rep])
        self.hits[slot] += 1
        young = self.last[slot] - self.born[slot] <= self._window
        self.confirmed[slot] |= (self.hits[slot] >= self._m) & young
        return rep

    def _candidates(
        self, m: Measured, reports: IntArray, slots: IntArray
    ) -> tuple[IntArray, IntArray]:
        """(track, report) pairs that may be inside the gate: a k-d tree query around each
        track's position at the scan's middle, with a radius bounding its gate over the
        scan (|e|^2 <= gate * trace(S) holds inside the gate)."""
        t_r = m.t[reports]
        centre_t = 0.5 * (t_r.min() + t_r.max())
        dt_c = centre_t - self.t[slots]
        centre = self.x[slots, :3] + self.x[slots, 3:] * dt_c[:, None]
        dmax = np.maximum(np.abs(t_r.max() - self.t[slots]), np.abs(t_r.min() - self.t[slots]))
        p = self.p[slots]
        tr_pp = np.trace(p[:, :3, :3], axis1=1, axis2=2)
        tr_pv = np.abs(np.trace(p[:, :3, 3:], axis1=1, axis2=2))
        tr_vv = np.trace(p[:, 3:, 3:], axis1=1, axis2=2)
        r2 = float((m.sigma[reports] ** 2).sum(axis=1).max())
        tr_s = tr_pp + 2 * dmax * tr_pv + dmax**2 * tr_vv + self._q * dmax**3 + r2
        speed = np.linalg.norm(self.x[slots, 3:], axis=1)
        radius = np.sqrt(self._gate * tr_s) + speed * 0.5 * (t_r.max() - t_r.min()) + 1.0
        hits = cKDTree(m.z[reports]).query_ball_point(centre, radius)
        counts = np.array([len(h) for h in hits], np.intp)
        pair_s = np.repeat(slots, counts)
        flat = np.array([j for h in hits for j in h], np.intp)
        return pair_s, reports[flat] if len(flat) else flat

    def _predict(self, slots: IntArray, dt: FloatArray) -> tuple[FloatArray, FloatArray]:
        """States and covariances of `slots` moved by dt (which may be negative)."""
        k = len(slots)
        f = np.tile(np.eye(6), (k, 1, 1))
        f[:, :3, 3:] = dt[:, None, None] * np.eye(3)
        x = np.einsum("kij,kj->ki", f, self.x[slots])
        a = np.abs(dt)[:, None, None]
        q = np.zeros((k, 6, 6))
        q[:, :3, :3] = a**3 / 3 * np.eye(3)
        q[:, :3, 3:] = q[:, 3:, :3] = a**2 / 2 * np.eye(3)
        q[:, 3:, 3:] = a * np.eye(3)
        p = f @ self.p[slots] @ np.transpose(f, (0, 2, 1)) + self._q * q
        return x, p

    def _start(self, m: Measured, reports: IntArray) -> None:
        n = len(reports)
        if n == 0:
            return
        x = np.zeros((n, 6))
        x[:, :3] = m.z[reports]
        p = np.zeros((n, 6, 6))
        idx = np.arange(3)
        p[:, idx, idx] = m.sigma[reports] ** 2
        p[:, idx + 3, idx + 3] = self._v_sigma**2
        t = m.t[reports]
        self.x = np.concatenate([self.x, x])
        self.p = np.concatenate([self.p, p])
        self.t = np.concatenate([self.t, t])
        self.last = np.concatenate([self.last, t])
        self.born = np.concatenate([self.born, t])
        self.hits = np.concatenate([self.hits, np.ones(n, np.intp)])
        self.confirmed = np.concatenate([self.confirmed, np.full(n, self._m <= 1)])
