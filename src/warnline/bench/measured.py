"""Partners' reports as 3-D plane measurements, for the peer trackers of the bench.

The peers (the baseline and Stone Soup) are given exactly what the Warnline picture is
given - the reports of one batch - and turn them into measurements here, inside their
timed section, so that all three pay for projecting positions.

They use positions only: a report's velocity, kind and identity are left aside, as a
plain kinematic tracker would. A report whose altitude was not measured (a 2-D radar)
gets a vague altitude instead of a false one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from warnline.bench.assignment import FloatArray, IntArray
from warnline.domain import Report
from warnline.domain.plane import RegionalPlane


def unix_seconds(when: datetime) -> float:
    """Unix seconds; a naive time is UTC, as everywhere in Warnline."""
    return (when if when.tzinfo is not None else when.replace(tzinfo=UTC)).timestamp()


UNMEASURED_ALTITUDE_SIGMA_M = 20_000.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Measured:
    """One batch, sorted by observation time; index i everywhere is the i-th report."""

    t: FloatArray  # Unix seconds
    z: FloatArray  # (m, 3): plane x, y, altitude
    sigma: FloatArray  # (m, 3) standard deviations
    sensor: IntArray  # index into `sensors`
    sensors: tuple[tuple[str, str], ...]

    def __len__(self) -> int:
        return len(self.t)

    def scans(self) -> list[IntArray]:
        """The batch as one scan per sensor, each in time order, scans by first report.

        A sensor reports an object at most once in a scan, which a one-detection-per-track
        assignment needs; several sensors' reports of one object in the same scan would
        otherwise leave all but one to start tracks of their own.
        """
        out: list[IntArray] = []
        for s in range(len(self.sensors)):
            idx = np.flatnonzero(self.sensor == s)
            if len(idx):
                out.append(idx)
        out.sort(key=lambda idx: float(self.t[idx[0]]))
        return out


def measure(plane: RegionalPlane, reports: Sequence[Report]) -> Measured:
    order = sorted(range(len(reports)), key=lambda i: reports[i].observed_at)
    ordered = [reports[i] for i in order]
    lon = np.array([r.position.lon for r in ordered], float)
    lat = np.array([r.position.lat for r in ordered], float)
    x, y = plane.to_xy(lon, lat)
    alt = np.array([r.position.alt_m for r in ordered], float)
    accuracy = np.array([max(r.accuracy_m, 1.0) for r in ordered], float)
    measured_alt = np.array([getattr(r, "altitude_measured", True) for r in ordered], bool)
    sigma = np.column_stack(
        [accuracy, accuracy, np.where(measured_alt, accuracy, UNMEASURED_ALTITUDE_SIGMA_M)]
    )
    keys: dict[tuple[str, str], int] = {}
    sensor = np.array([keys.setdefault((r.partner, r.sensor), len(keys)) for r in ordered], np.intp)
    return Measured(
        t=np.array([unix_seconds(r.observed_at) for r in ordered], float),
        z=np.column_stack([x, y, alt]) if ordered else np.empty((0, 3)),
        sigma=sigma if ordered else np.empty((0, 3)),
        sensor=sensor,
        sensors=tuple(keys),
    )
