"""A batch of reports as plane measurements: one array per quantity, in a canonical order.

The batch is sorted by (observation time, partner, sensor, report id) so that what the
picture decides does not depend on the order in which a batch's reports arrived, only
on what they say; replaying the journal therefore gives the same tracks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from warnline.domain import Report
from warnline.domain.plane import RegionalPlane
from warnline.picture.frame import to_plane
from warnline.picture.fusion import THREAT_RANK, effective_identity
from warnline.picture.models import KIND_CODE, FloatArray, IntArray

MIN_SIGMA_M = 1.0
"""A report claiming better than a metre is treated as a metre (keeps S invertible)."""

UNMEASURED_ALT_SIGMA_M = 1e6
"""Altitude accuracy given to a report whose sensor does not measure altitude: so large
that the altitude term drops out of gating and the update leaves altitude alone."""

VELOCITY_SIGMA_FLOOR = 10.0
VELOCITY_SIGMA_FRACTION = 0.05
"""Reports carry no velocity accuracy; assume 10 m/s or 5% of the speed, whichever
is larger - about what a sensor's own tracker gives after a few plots."""


def seconds(when: datetime) -> float:
    """Seconds since the Unix epoch; a naive time is taken to be UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportBatch:
    """Measurements of one ingest batch; index i everywhere is `reports[i]`."""

    reports: tuple[Report, ...]
    t: FloatArray
    x: FloatArray
    y: FloatArray
    alt: FloatArray
    vx: FloatArray
    vy: FloatArray
    vz: FloatArray
    has_velocity: np.ndarray
    has_altitude: np.ndarray
    sigma: FloatArray
    sigma_alt: FloatArray
    sigma_velocity: FloatArray
    kind: IntArray
    confidence: FloatArray
    identity: IntArray  # threat rank of the effective identity (see `fusion`)
    sensor: IntArray
    sensors: tuple[tuple[str, str], ...]

    def __len__(self) -> int:
        return len(self.reports)


def make_batch(plane: RegionalPlane, reports: Sequence[Report]) -> ReportBatch:
    n = len(reports)
    when = [seconds(r.observed_at) for r in reports]  # once per report: the sort key and t
    order = sorted(
        range(n),
        key=lambda i: (when[i], reports[i].partner, reports[i].sensor, reports[i].report_id),
    )
    ordered = tuple(reports[i] for i in order)
    t = np.asarray(when, dtype=float)[np.asarray(order, np.intp)]
    lon = np.fromiter((r.position.lon for r in ordered), float, n)
    lat = np.fromiter((r.position.lat for r in ordered), float, n)
    alt = np.fromiter((r.position.alt_m for r in ordered), float, n)
    accuracy = np.fromiter((r.accuracy_m for r in ordered), float, n)
    accuracy = np.where(np.isfinite(accuracy), np.maximum(accuracy, MIN_SIGMA_M), 1e4)
    has_velocity = np.fromiter((r.velocity is not None for r in ordered), bool, n)
    has_altitude = np.fromiter((r.altitude_measured for r in ordered), bool, n)
    east = np.zeros(n)
    north = np.zeros(n)
    up = np.zeros(n)
    for i, r in enumerate(ordered):
        if r.velocity is not None:
            east[i], north[i], up[i] = r.velocity.east, r.velocity.north, r.velocity.up
    x, y, axes = to_plane(plane, lon, lat)
    vx, vy = axes.enu_to_plane(east, north)
    speed = np.sqrt(east**2 + north**2 + up**2)
    confidence = np.fromiter((r.confidence for r in ordered), float, n)
    identity = np.fromiter((THREAT_RANK[effective_identity(r)] for r in ordered), np.intp, n)
    keys = [(r.partner, r.sensor) for r in ordered]
    sensors = tuple(sorted(set(keys)))
    code = {key: i for i, key in enumerate(sensors)}
    return ReportBatch(
        reports=ordered,
        t=t,
        x=x,
        y=y,
        alt=alt,
        vx=vx,
        vy=vy,
        vz=up,
        has_velocity=has_velocity,
        has_altitude=has_altitude,
        sigma=accuracy * axes.scale,
        sigma_alt=np.where(has_altitude, accuracy, UNMEASURED_ALT_SIGMA_M),
        sigma_velocity=np.maximum(VELOCITY_SIGMA_FLOOR, VELOCITY_SIGMA_FRACTION * speed),
        kind=np.fromiter((KIND_CODE[r.kind] for r in ordered), np.intp, n),
        confidence=confidence,
        identity=identity,
        sensor=np.fromiter((code[k] for k in keys), np.intp, n),
        sensors=sensors,
    )
