"""Deleter: which tracks time has made stale, and which to give up when the picture is full.

Age is measured from a track's latest report: a confirmed track coasts after
`coast_after_s` without one and is lost after `drop_after_s`. An unconfirmed track does not
coast: silent for `coast_after_s` it is lost. Coasting a one-report track is how a single
clutter plot used to become "take shelter, arrival 0 s" a quarter of a minute later.

A ballistic object or rocket that has gone silent is lost once its predicted altitude
under gravity is below the ground (and its altitude was measured well enough to say so):
it has landed, and a minute of coasting past impact would only hold alerts open and count
as a track of nothing.

When the picture holds more than `max_tracks` tracks, the ones heard from least
recently go first (then the oldest track id): a flood of clutter cannot grow memory
without bound, and the tracks partners are still reporting are the last to go.

Before that, each partner has a quota: at most `max_partner_tracks` tracks resting on
that partner's reports alone. A partner over it gives up its own stalest such tracks,
so one partner - hostile, broken or flooded with clutter, within its agreed report
rate - can neither fill the picture and push out the others' tracks nor make every
batch gate against tens of thousands of its objects. A track another partner also
reports counts against no quota: corroboration is what the cap must never cut.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from warnline.picture.models import FALLS, VERTICAL_ACCEL, FloatArray, IntArray
from warnline.picture.store import TrackStore

KNOWN_ALTITUDE_VAR = 5_000.0**2  # m²: altitude known well enough to call an impact
LANDED_AFTER_S = 2.0  # silent at least this long: a report at impact is not yet a landing


class Deleter:
    def __init__(
        self,
        *,
        coast_after_s: float,
        drop_after_s: float,
        max_tracks: int,
        max_partner_tracks: int | None = None,
    ) -> None:
        if not 0.0 < coast_after_s <= drop_after_s:
            raise ValueError("need 0 < coast_after_s <= drop_after_s")
        if max_tracks < 1:
            raise ValueError("max_tracks must be at least 1")
        if max_partner_tracks is not None and max_partner_tracks < 1:
            raise ValueError("max_partner_tracks must be at least 1")
        self.coast_after_s = coast_after_s
        self.drop_after_s = drop_after_s
        self.max_tracks = max_tracks
        self.max_partner_tracks = max_partner_tracks or max_tracks

    def stale(self, age: FloatArray, confirmed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(to coast, to drop) masks for tracks of the given ages in seconds."""
        quiet = age >= self.coast_after_s
        drop = (age >= self.drop_after_s) | (quiet & ~confirmed)
        return quiet & ~drop, drop

    @staticmethod
    def landed(store: TrackStore, slots: IntArray, age: FloatArray) -> np.ndarray:
        """Mask of `slots` (silent for `age` s) that are falling and now below ground."""
        kind = store.kind[slots]
        xv, pv = store.xv[slots], store.pv[slots]
        alt = xv[:, 0] + xv[:, 1] * age + 0.5 * VERTICAL_ACCEL[kind] * age * age
        known = pv[:, 0, 0] < KNOWN_ALTITUDE_VAR
        return np.asarray(FALLS[kind] & known & (age >= LANDED_AFTER_S) & (alt < 0.0))

    def over_quota(
        self, owner: Sequence[str | None], last_t: FloatArray, serial: IntArray
    ) -> IntArray:
        """Positions of the tracks to evict because their partner (`owner`: the one
        partner a track rests on, None when several report it) is over its quota."""
        mine: dict[str, list[int]] = {}
        for i, partner in enumerate(owner):
            if partner is not None:
                mine.setdefault(partner, []).append(i)
        out = [np.zeros(0, np.intp)]
        for partner in sorted(mine):
            idx = np.array(mine[partner], np.intp)
            excess = len(idx) - self.max_partner_tracks
            if excess > 0:
                out.append(idx[np.lexsort((serial[idx], last_t[idx]))[:excess]])
        return np.sort(np.concatenate(out))

    def overflow(self, last_t: FloatArray, serial: IntArray) -> IntArray:
        """Positions (into the given arrays) of the tracks to evict, if any."""
        excess = len(last_t) - self.max_tracks
        if excess <= 0:
            return np.zeros(0, np.intp)
        return np.lexsort((serial, last_t))[:excess]
