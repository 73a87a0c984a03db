"""Snapshots: the immutable `Track` each record shows the rest of Warnline.

A snapshot is made when a track changes (in `ingest`, or when `expire` makes it coast)
and handed out until the next change, so `tracks()` and `get()` cost no arithmetic and
always agree with what was last returned.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np

from warnline.domain import Position, Track, Velocity
from warnline.domain.plane import RegionalPlane
from warnline.picture.frame import to_geodetic
from warnline.picture.fusion import fuse
from warnline.picture.measurements import seconds
from warnline.picture.models import KIND_CODE
from warnline.picture.predictor import Predictor
from warnline.picture.store import TrackRecord, TrackStore
from warnline.picture.turning import log_course, turn_rate

KNOWN_SPEED_SIGMA = 100.0  # m/s: below this spread a track's speed is evidence about its kind


def freeze(
    store: TrackStore,
    plane: RegionalPlane,
    predictor: Predictor,
    records: list[TrackRecord],
    *,
    at: datetime | None,
) -> None:
    """Make each record's snapshot from its filter, extrapolated to `at` if given.

    `sigma_m` is the one-sigma horizontal error per axis (RMS of east and north), in
    ground metres. The fused kind is also written back to the store here, where the
    next batch's gating and process noise read it.
    """
    if not records:
        return
    slots = np.array([r.slot for r in records], np.intp)
    if at is None:
        xh, ph, xv = store.xh[slots], store.ph[slots], store.xv[slots]
    else:
        xh, ph, xv, _ = predictor.extrapolate(store, slots, seconds(at))
    lon, lat, axes = to_geodetic(plane, xh[:, 0], xh[:, 1])
    east, north = axes.plane_to_enu(xh[:, 2], xh[:, 3])
    sigma = np.sqrt(0.5 * (ph[:, 0, 0] + ph[:, 1, 1])) / axes.scale
    # The motion vetoes implausible kinds only once it is known (not on a first report).
    speed = np.hypot(xh[:, 2], xh[:, 3]) / axes.scale
    velocity_sigma = np.sqrt(0.5 * (ph[:, 2, 2] + ph[:, 3, 3])) / axes.scale
    t_state = store.t[slots]
    speed_known = velocity_sigma < KNOWN_SPEED_SIGMA
    altitude = np.nan_to_num(xv[:, 0])
    fused = fuse(
        store.tallies,
        [r.attributes for r in records],
        speed=speed,
        alt_m=altitude,
        speed_known=speed_known,
    )
    rows = zip(
        records,
        fused,
        speed.tolist(),
        velocity_sigma.tolist(),
        t_state.tolist(),
        xh[:, 2].tolist(),
        xh[:, 3].tolist(),
        lon.tolist(),
        lat.tolist(),
        altitude.tolist(),
        east.tolist(),
        north.tolist(),
        np.nan_to_num(xv[:, 1]).tolist(),
        sigma.tolist(),
        strict=True,
    )
    for record, said, sp, vs, ts, pvx, pvy, lo, la, alt, ve, vn, vu, sg in rows:
        kind, identity, confidence, contributors = said
        if at is None:  # measured, not extrapolated: a point of the course log
            log_course(record.courses, ts, pvx, pvy)
        omega = turn_rate(record.courses, math.atan2(vs, max(sp, 1e-9)))
        store.kind[record.slot] = KIND_CODE[kind]
        record.snapshot = Track(
            track_id=record.track_id,
            state=record.state,
            updated_at=record.updated_at if at is None else at,
            first_seen=record.first_seen,
            position=Position(lat=la, lon=lo, alt_m=alt),
            velocity=Velocity(east=ve, north=vn, up=vu),
            sigma_m=sg,
            kind=kind,
            identity=identity,
            confidence=confidence,
            contributors=contributors,
            report_count=record.attributes.report_count,
            velocity_sigma_ms=vs,
            turn_rate_dps=math.degrees(omega),
        )
