"""Benchmark of the picture stage on a synthetic raid that keeps its ground truth.

Objects (60% drones, 25% cruise missiles, 15% ballistic missiles) fly straight lines
across a 1,200 km square of the region; ballistic ones are in mid-course, 60-120 km up
and climbing or falling under gravity. Every partner reports every object about every
two seconds, with its own accuracy (50-400 m, doubled on ballistic missiles), its own
link delay (0-1.5 s, so reports arrive out of order) and its own habits: even-numbered
partners give velocities, partner P1 gives no sensor-track numbers, one report in five
leaves the kind unknown. On top of that, as real partners send it: `clutter` (a share
of all reports, default 1 %) is reports of nothing, anywhere, each a sensor track of
its own, labelled like the real ones; `wrong_kind` (default 15 %) of the kinds given are
another kind. Reports are fed to `Picture.ingest` in batches of one second of arrivals,
as the pipeline does, with `expire` after each; only `ingest` is timed.

    python -m warnline.bench.picture                 # 320 objects, 7 sensors, 3 trackers
    python -m warnline.bench.picture --objects 3000 --seconds 30 --throughput-only
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from warnline.bench.metrics import Scorer, track_xyz, truth_xyz
from warnline.domain import Identity, Position, Report, ThreatKind, Velocity
from warnline.domain.plane import RegionalPlane, regional_plane
from warnline.picture import Picture

START = datetime(2025, 1, 1, tzinfo=UTC)
GRAVITY = 9.80665
_KINDS = (ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE, ThreatKind.BALLISTIC_MISSILE)
_GUESSES = (*_KINDS, ThreatKind.AIRCRAFT)
_SHARE = (0.6, 0.25, 0.15)
_SPEED = ((40.0, 60.0), (220.0, 260.0), (1500.0, 2500.0))
_ALTITUDE = ((500.0, 3000.0), (50.0, 300.0), (60_000.0, 120_000.0))
_REGION_HALF_WIDTH_M = 600_000.0
_PERIOD_S = 2.0
_CLUTTER_TOP_M = 20_000.0

Truth = Callable[[float], dict[str, tuple[float, float, float]]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Raid:
    """Batches in arrival order, the time each is processed (Unix s), and the truth."""

    batches: list[list[Report]]
    times: list[float]
    truth: Truth
    objects: int
    clutter_reports: int


@dataclass(frozen=True, kw_only=True, slots=True)
class _Motion:
    x0: np.ndarray
    y0: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    alt: np.ndarray
    climb: np.ndarray
    ballistic: np.ndarray

    def z(self, t: np.ndarray) -> np.ndarray:
        fall = np.where(self.ballistic, 0.5 * GRAVITY * t * t, 0.0)
        return np.asarray(self.alt + self.climb * t - fall)

    def vz(self, t: np.ndarray) -> np.ndarray:
        return np.asarray(self.climb - np.where(self.ballistic, GRAVITY * t, 0.0))


def raid(
    n_objects: int,
    partners: int,
    seconds: int,
    seed: int,
    *,
    clutter: float = 0.01,
    wrong_kind: float = 0.15,
) -> Raid:
    rng = np.random.default_rng(seed)
    aux = np.random.default_rng([seed, 1])  # what was added later draws from its own stream
    plane = regional_plane()
    kind = rng.choice(len(_KINDS), size=n_objects, p=_SHARE)
    speed = np.array([rng.uniform(*_SPEED[k]) for k in kind])
    heading = rng.uniform(0.0, 2 * np.pi, n_objects)
    ballistic = kind == 2
    motion = _Motion(
        x0=rng.uniform(-_REGION_HALF_WIDTH_M, _REGION_HALF_WIDTH_M, n_objects),
        y0=rng.uniform(-_REGION_HALF_WIDTH_M, _REGION_HALF_WIDTH_M, n_objects),
        alt=np.array([rng.uniform(*_ALTITUDE[k]) for k in kind]),
        vx=speed * np.sin(heading),
        vy=speed * np.cos(heading),
        climb=np.where(ballistic, aux.uniform(-200.0, 600.0, n_objects), 0.0),
        ballistic=ballistic,
    )
    accuracy = rng.uniform(50.0, 400.0, partners)
    delay = np.r_[0.0, rng.uniform(0.0, 1.5, partners - 1)]
    batches: list[list[Report]] = [[] for _ in range(seconds)]
    n_clutter = 0
    for p in range(partners):
        phase = rng.uniform(0.0, _PERIOD_S, n_objects)
        sigma = accuracy[p] * np.where(ballistic, 2.0, 1.0)
        real = 0
        for k in range(int(seconds / _PERIOD_S) + 1):
            t = phase + k * _PERIOD_S + rng.uniform(-0.2, 0.2, n_objects)
            arrival = t + delay[p]
            x = motion.x0 + motion.vx * t + rng.normal(0.0, 1.0, n_objects) * sigma
            y = motion.y0 + motion.vy * t + rng.normal(0.0, 1.0, n_objects) * sigma
            z_true = motion.z(t)
            z = z_true + rng.normal(0.0, 1.0, n_objects) * sigma
            lon, lat = plane.to_lonlat(x, y)
            east, north = _enu_velocity(plane, x, y, motion.vx, motion.vy)
            east = east + rng.normal(0.0, 5.0, n_objects)
            north = north + rng.normal(0.0, 5.0, n_objects)
            up = motion.vz(t)
            told_kind = rng.uniform(size=n_objects) < 0.8
            wrong = aux.uniform(size=n_objects) < wrong_kind
            other = (kind + aux.integers(1, len(_GUESSES), n_objects)) % len(_GUESSES)
            guess = np.where(wrong, other, kind)
            seen = np.flatnonzero((t >= 0.0) & (arrival < seconds) & (z_true >= 0.0))
            real += len(seen)
            for i in seen.tolist():
                report = Report(
                    report_id=f"{i}-{k}",
                    partner=f"P{p}",
                    sensor="radar",
                    observed_at=START + timedelta(seconds=float(t[i])),
                    position=Position(lat=float(lat[i]), lon=float(lon[i]), alt_m=float(z[i])),
                    accuracy_m=float(sigma[i]),
                    kind=_GUESSES[guess[i]] if told_kind[i] else ThreatKind.UNKNOWN,
                    identity=Identity.HOSTILE,
                    confidence=0.7,
                    velocity=(
                        Velocity(east=float(east[i]), north=float(north[i]), up=float(up[i]))
                        if p % 2 == 0
                        else None
                    ),
                    sensor_track=None if p == 1 else str(i),
                )
                batches[int(arrival[i])].append(report)
        n_clutter += _add_clutter(
            batches, aux, plane, p, float(accuracy[p]), float(delay[p]), real, clutter
        )
    start_s = START.timestamp()
    return Raid(
        batches=batches,
        times=[start_s + i + 1.0 for i in range(seconds)],
        truth=_truth(plane, motion, start_s),
        objects=n_objects,
        clutter_reports=n_clutter,
    )


def _add_clutter(
    batches: list[list[Report]],
    aux: np.random.Generator,
    plane: RegionalPlane,
    p: int,
    accuracy: float,
    delay: float,
    real: int,
    share: float,
) -> int:
    """Reports of nothing from partner p: `share` of all its reports, at random times
    and places, each with a sensor track of its own, labelled like real reports."""
    seconds = len(batches)
    n = int(aux.poisson(share / (1.0 - share) * real)) if 0.0 < share < 1.0 else 0
    t = aux.uniform(0.0, seconds, n)
    x = aux.uniform(-_REGION_HALF_WIDTH_M, _REGION_HALF_WIDTH_M, n)
    y = aux.uniform(-_REGION_HALF_WIDTH_M, _REGION_HALF_WIDTH_M, n)
    alt = aux.uniform(0.0, _CLUTTER_TOP_M, n)
    lon, lat = plane.to_lonlat(x, y)
    guess = aux.integers(0, len(_GUESSES) + 1, n)  # the last: unknown
    speed, course = aux.uniform(0.0, 300.0, n), aux.uniform(0.0, 2 * np.pi, n)
    kept = 0
    for j in np.flatnonzero(t + delay < seconds).tolist():
        batches[int(t[j] + delay)].append(
            Report(
                report_id=f"c{j}",
                partner=f"P{p}",
                sensor="radar",
                observed_at=START + timedelta(seconds=float(t[j])),
                position=Position(lat=float(lat[j]), lon=float(lon[j]), alt_m=float(alt[j])),
                accuracy_m=accuracy,
                kind=_GUESSES[guess[j]] if guess[j] < len(_GUESSES) else ThreatKind.UNKNOWN,
                identity=Identity.HOSTILE,
                confidence=0.7,
                velocity=(
                    Velocity(
                        east=float(speed[j] * np.sin(course[j])),
                        north=float(speed[j] * np.cos(course[j])),
                    )
                    if p % 2 == 0
                    else None
                ),
                sensor_track=None if p == 1 else f"c{j}",
            )
        )
        kept += 1
    return kept


def _enu_velocity(
    plane: RegionalPlane, x: np.ndarray, y: np.ndarray, vx: np.ndarray, vy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Plane velocities as ground east/north m/s: the plane point one second on, back on
    the ellipsoid (the plane's scale and meridian convergence are measured, not assumed)."""
    lon, lat = plane.to_lonlat(x, y)
    lon2, lat2 = plane.to_lonlat(x + vx, y + vy)
    a, e2 = 6378137.0, 6.69437999014e-3
    phi = np.radians(lat)
    w = 1.0 - e2 * np.sin(phi) ** 2
    north = np.radians(lat2 - lat) * a * (1.0 - e2) / w**1.5
    east = np.radians(lon2 - lon) * a / np.sqrt(w) * np.cos(phi)
    return east, north


def _truth(plane: RegionalPlane, motion: _Motion, start_s: float) -> Truth:
    def truth(at_s: float) -> dict[str, tuple[float, float, float]]:
        s = np.full(len(motion.x0), at_s - start_s)
        z = motion.z(s)
        alive = np.flatnonzero((s >= 0.0) & (z >= 0.0))
        lon, lat = plane.to_lonlat(motion.x0 + motion.vx * s, motion.y0 + motion.vy * s)
        return {f"O{i}": (float(lat[i]), float(lon[i]), float(z[i])) for i in alive.tolist()}

    return truth


def raid_reports(
    n_objects: int,
    partners: int,
    seconds: int,
    seed: int,
    *,
    clutter: float = 0.0,
    wrong_kind: float = 0.0,
) -> list[list[Report]]:
    """One list of reports per second of arrival (clean by default, as tests expect)."""
    return raid(n_objects, partners, seconds, seed, clutter=clutter, wrong_kind=wrong_kind).batches


def run(
    n_objects: int = 300,
    partners: int = 6,
    seconds: int = 60,
    seed: int = 0,
    *,
    clutter: float = 0.0,
    wrong_kind: float = 0.0,
    score: bool = False,
) -> dict[str, float]:
    """Throughput of the picture alone; with `score`, also its GOSPA and track rates."""
    r = raid(n_objects, partners, seconds, seed, clutter=clutter, wrong_kind=wrong_kind)
    plane = regional_plane()
    picture = Picture(plane=plane)
    scorer = Scorer()
    spent: list[float] = []
    # The pre-made raid is millions of objects that a real feed would never hold at once;
    # left to the cyclic collector they add full-heap pauses that are not the stage's.
    gc.collect()
    gc.freeze()
    try:
        for batch, at in zip(r.batches, r.times, strict=True):
            began = time.perf_counter()
            picture.ingest(batch)
            spent.append(time.perf_counter() - began)
            picture.expire(datetime.fromtimestamp(at, UTC))
            if score:
                tracks = picture.tracks()
                scorer.add(track_xyz(plane, tracks, at), truth_xyz(plane, r.truth, at))
    finally:
        gc.unfreeze()
    n_reports = sum(len(b) for b in r.batches)
    ms = np.array(spent) * 1000.0
    figures = {
        "reports": float(n_reports),
        "reports_per_s": n_reports / sum(spent),
        "batch_p50_ms": float(np.percentile(ms, 50)),
        "batch_p99_ms": float(np.percentile(ms, 99)),
        "tracks": float(len(picture.tracks())),
        "objects": float(n_objects),
    }
    if score:
        figures |= {f"warnline_{k}": v for k, v in scorer.summary().items()}
    return figures


def main() -> None:
    from warnline.bench.picture_figures import figures, table, throughput

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--objects", type=int, default=320)
    parser.add_argument("--partners", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clutter", type=float, default=0.01)
    parser.add_argument("--wrong-kind", type=float, default=0.15)
    parser.add_argument(
        "--throughput-only", action="store_true", help="the picture alone, scored, no peers"
    )
    args = parser.parse_args()
    shape: dict[str, Any] = {
        "n_objects": args.objects,
        "partners": args.partners,
        "seconds": args.seconds,
        "seed": args.seed,
        "clutter": args.clutter,
        "wrong_kind": args.wrong_kind,
    }
    if args.throughput_only:
        print(json.dumps(throughput(**shape), indent=2))
        return
    result = figures(**shape, with_large=False)
    print(table(result))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
