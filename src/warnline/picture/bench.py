"""Benchmark of the picture stage on a synthetic raid.

Objects (60% drones, 25% cruise missiles, 15% ballistic missiles) fly straight lines
across a 1,200 km square of the region. Every partner reports every object about every
two seconds, with its own accuracy (50-400 m, doubled on ballistic missiles), its own
link delay (0-1.5 s, so reports arrive out of order) and its own habits: even-numbered
partners give velocities, partner P1 gives no sensor-track numbers, one report in five
leaves the kind unknown. Reports are fed to `Picture.ingest` in batches of one second
of arrivals, as the pipeline does, with `expire` after each; only `ingest` is timed.

    python -m warnline.picture.bench --objects 300
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from warnline.domain import Identity, Position, Report, ThreatKind, Velocity
from warnline.domain.plane import regional_plane
from warnline.picture.frame import local_axes
from warnline.picture.picture import Picture

START = datetime(2025, 1, 1, tzinfo=UTC)
_KINDS = (ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE, ThreatKind.BALLISTIC_MISSILE)
_SHARE = (0.6, 0.25, 0.15)
_SPEED = ((40.0, 60.0), (220.0, 260.0), (1500.0, 2500.0))
_ALTITUDE = ((500.0, 3000.0), (50.0, 300.0), (60_000.0, 120_000.0))
_REGION_HALF_WIDTH_M = 600_000.0
_PERIOD_S = 2.0


def raid_reports(n_objects: int, partners: int, seconds: int, seed: int) -> list[list[Report]]:
    """One list of reports per second of arrival."""
    rng = np.random.default_rng(seed)
    plane = regional_plane()
    kind = rng.choice(len(_KINDS), size=n_objects, p=_SHARE)
    speed = np.array([rng.uniform(*_SPEED[k]) for k in kind])
    heading = rng.uniform(0.0, 2 * np.pi, n_objects)
    x0 = rng.uniform(-_REGION_HALF_WIDTH_M, _REGION_HALF_WIDTH_M, n_objects)
    y0 = rng.uniform(-_REGION_HALF_WIDTH_M, _REGION_HALF_WIDTH_M, n_objects)
    alt = np.array([rng.uniform(*_ALTITUDE[k]) for k in kind])
    vx, vy = speed * np.sin(heading), speed * np.cos(heading)
    accuracy = rng.uniform(50.0, 400.0, partners)
    delay = np.r_[0.0, rng.uniform(0.0, 1.5, partners - 1)]
    batches: list[list[Report]] = [[] for _ in range(seconds)]
    for p in range(partners):
        phase = rng.uniform(0.0, _PERIOD_S, n_objects)
        sigma = accuracy[p] * np.where(kind == 2, 2.0, 1.0)
        for k in range(int(seconds / _PERIOD_S) + 1):
            t = phase + k * _PERIOD_S + rng.uniform(-0.2, 0.2, n_objects)
            arrival = t + delay[p]
            x = x0 + vx * t + rng.normal(0.0, 1.0, n_objects) * sigma
            y = y0 + vy * t + rng.normal(0.0, 1.0, n_objects) * sigma
            z = alt + rng.normal(0.0, 1.0, n_objects) * sigma
            lon, lat = plane.to_lonlat(x, y)
            east, north = local_axes(plane, lon, lat, x, y).plane_to_enu(vx, vy)
            east = east + rng.normal(0.0, 5.0, n_objects)
            north = north + rng.normal(0.0, 5.0, n_objects)
            told_kind = rng.uniform(size=n_objects) < 0.8
            seen = np.flatnonzero((t >= 0.0) & (arrival < seconds))
            for i in seen.tolist():
                report = Report(
                    report_id=f"{i}-{k}",
                    partner=f"P{p}",
                    sensor="radar",
                    observed_at=START + timedelta(seconds=float(t[i])),
                    position=Position(lat=float(lat[i]), lon=float(lon[i]), alt_m=float(z[i])),
                    accuracy_m=float(sigma[i]),
                    kind=_KINDS[kind[i]] if told_kind[i] else ThreatKind.UNKNOWN,
                    identity=Identity.HOSTILE,
                    confidence=0.7,
                    velocity=(
                        Velocity(east=float(east[i]), north=float(north[i])) if p % 2 == 0 else None
                    ),
                    sensor_track=None if p == 1 else str(i),
                )
                batches[int(arrival[i])].append(report)
    return batches


def run(
    n_objects: int = 300, partners: int = 6, seconds: int = 60, seed: int = 0
) -> dict[str, float]:
    batches = raid_reports(n_objects, partners, seconds, seed)
    picture = Picture(plane=regional_plane())
    spent: list[float] = []
    # The pre-made raid is millions of objects that a real feed would never hold at once;
    # left to the cyclic collector they add full-heap pauses that are not the stage's.
    gc.collect()
    gc.freeze()
    try:
        for second, batch in enumerate(batches):
            began = time.perf_counter()
            picture.ingest(batch)
            spent.append(time.perf_counter() - began)
            picture.expire(START + timedelta(seconds=second + 1))
    finally:
        gc.unfreeze()
    n_reports = sum(len(b) for b in batches)
    ms = np.array(spent) * 1000.0
    return {
        "reports": float(n_reports),
        "reports_per_s": n_reports / sum(spent),
        "batch_p50_ms": float(np.percentile(ms, 50)),
        "batch_p99_ms": float(np.percentile(ms, 99)),
        "tracks": float(len(picture.tracks())),
        "objects": float(n_objects),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=300)
    parser.add_argument("--partners", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(run(args.objects, args.partners, args.seconds, args.seed), indent=2))


if __name__ == "__main__":
    main()
