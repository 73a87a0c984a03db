"""Initiator: new tracks from the reports no existing track accepted.

When a raid appears, every partner reports every object in the same batch; one new
track per report would give each object as many tracks as it has observers. So the
unaccepted reports are taken one sensor at a time (in a fixed order): the first
sensor's reports each start a track, the next sensor's reports are first associated
with the tracks just started - the same gate, the same one-report-per-sensor rule -
and only what is left starts more. The result does not depend on arrival order.

A new track's velocity comes from its report when it carries one; otherwise it is zero
with a spread wide enough for the fastest thing of the report's kind - or of a ballistic
object, when the report puts it higher than anything else flies (the kind a sensor
guesses may be wrong; the altitude it measures is not a guess).
"""

from __future__ import annotations

import numpy as np

from warnline.domain import ThreatKind
from warnline.picture.associator import Associator
from warnline.picture.hypothesiser import Hypothesiser
from warnline.picture.measurements import ReportBatch
from warnline.picture.models import CLIMB_SIGMA, HIGH_ALTITUDE_M, KIND_CODE, SPEED_SIGMA, IntArray
from warnline.picture.store import TrackStore

_BALLISTIC = KIND_CODE[ThreatKind.BALLISTIC_MISSILE]


class Initiator:
    def __init__(self, *, hypothesiser: Hypothesiser, associator: Associator) -> None:
        self.hypothesiser = hypothesiser
        self.associator = associator

    def initiate(
        self, store: TrackStore, batch: ReportBatch, pending: IntArray, target: IntArray
    ) -> tuple[IntArray, IntArray]:
        """Start tracks for `pending` reports; set `target[i]` to the slot each report went to.

        Returns the seed reports and their new slots, in creation order.
        """
        seeds: list[IntArray] = []
        born: list[IntArray] = []
        for code in np.unique(batch.sensor[pending]):
            group = pending[batch.sensor[pending] == code]
            if born:
                newborn = np.concatenate(born)
                hypotheses = self.hypothesiser.hypothesise(store, batch, group, newborn)
                reports, slots = self.associator.associate(
                    hypotheses, batch.sensor, len(batch.sensors)
                )
                target[reports] = slots
                group = group[target[group] < 0]
            if len(group) == 0:
                continue
            slots = np.fromiter((store.allocate() for _ in group), np.intp, len(group))
            self.seed(store, batch, group, slots)
            target[group] = slots
            seeds.append(group)
            born.append(slots)
        if not seeds:
            empty = np.zeros(0, np.intp)
            return empty, empty
        return np.concatenate(seeds), np.concatenate(born)

    @staticmethod
    def seed(store: TrackStore, batch: ReportBatch, reports: IntArray, slots: IntArray) -> None:
        """Filter state of new tracks from one report each."""
        n = len(reports)
        kind = batch.kind[reports]
        has_v = batch.has_velocity[reports]
        high = batch.has_altitude[reports] & (batch.alt[reports] > HIGH_ALTITUDE_M)
        prior = np.where(high, _BALLISTIC, kind)
        speed_prior = np.maximum(SPEED_SIGMA[prior], SPEED_SIGMA[kind])
        climb_prior = np.maximum(CLIMB_SIGMA[prior], CLIMB_SIGMA[kind])
        speed_sigma = np.where(has_v, batch.sigma_velocity[reports], speed_prior)
        climb_sigma = np.where(
            has_v & batch.has_altitude[reports], batch.sigma_velocity[reports], climb_prior
        )
        s2 = batch.sigma[reports] ** 2
        store.xh[slots] = np.column_stack(
            (batch.x[reports], batch.y[reports], batch.vx[reports], batch.vy[reports])
        )
        ph = np.zeros((n, 4, 4))
        ph[:, 0, 0] = ph[:, 1, 1] = s2
        ph[:, 2, 2] = ph[:, 3, 3] = speed_sigma**2
        store.ph[slots] = ph
        store.xv[slots] = np.column_stack((batch.alt[reports], batch.vz[reports]))
        pv = np.zeros((n, 2, 2))
        pv[:, 0, 0] = batch.sigma_alt[reports] ** 2
        pv[:, 1, 1] = climb_sigma**2
        store.pv[slots] = pv
        store.t[slots] = batch.t[reports]
        store.kind[slots] = kind
