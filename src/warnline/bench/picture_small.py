"""Small submissions: what a batch of one report costs beside many live tracks.

A partner's system that posts each plot as it comes sends batches of one. Such a batch
must cost about the same whether the picture holds 200 tracks or 2,000: work in
proportion to every live track would make a quiet partner's trickle as dear as a raid.
The picture is filled with `live` tracks (objects 20 km apart on a grid, two partners
seeing each), then each batch is one report of one of them - alternately one that
continues its sensor track and one with no sensor-track number, which is gated against
the picture - and only `ingest` is timed.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import numpy as np

from warnline.bench.picture import START
from warnline.domain import Identity, Position, Report, ThreatKind
from warnline.domain.plane import RegionalPlane, regional_plane
from warnline.picture import Picture

SPACING_M = 20_000.0
TARGET_RATIO = 2.0


def plot(
    plane: RegionalPlane, x: float, y: float, t: float, *, partner: str, ident: str, track: bool
) -> Report:
    lon, lat = plane.to_lonlat(np.array([x]), np.array([y]))
    return Report(
        report_id=ident,
        partner=partner,
        sensor="radar",
        observed_at=START + timedelta(seconds=t),
        position=Position(lat=float(lat[0]), lon=float(lon[0]), alt_m=1_000.0),
        accuracy_m=100.0,
        kind=ThreatKind.DRONE,
        identity=Identity.HOSTILE,
        confidence=0.8,
        sensor_track=ident.split("-")[0] if track else None,
    )


def filled(plane: RegionalPlane, live: int) -> tuple[Picture, np.ndarray, np.ndarray]:
    side = int(np.ceil(np.sqrt(live)))
    k = np.arange(live)
    x = (k % side - side / 2) * SPACING_M
    y = (k // side - side / 2) * SPACING_M
    picture = Picture(plane=plane)
    for t, partner in ((0.0, "P0"), (1.0, "P1")):
        picture.ingest(
            [
                plot(plane, x[i], y[i], t, partner=partner, ident=f"{i}-{partner}", track=True)
                for i in range(live)
            ]
        )
    return picture, x, y


def per_batch_ms(live: tuple[int, ...], *, batches: int = 300, seed: int = 0) -> list[float]:
    """Median milliseconds of `ingest` for a batch of one report, for pictures holding
    each number of `live` tracks; the pictures take their batches in turn, so that a
    machine whose load changes slows them alike."""
    plane = regional_plane()
    pictures = [filled(plane, n) for n in live]
    for n, (picture, _, _) in zip(live, pictures, strict=True):
        if len(picture.tracks()) != n:
            raise RuntimeError(f"expected {n} tracks, the picture holds {len(picture.tracks())}")
    rng = np.random.default_rng(seed)
    spent: list[list[float]] = [[] for _ in live]
    for b in range(batches):
        for k, (n, (picture, x, y)) in enumerate(zip(live, pictures, strict=True)):
            i = int(rng.integers(n))
            report = plot(
                plane,
                float(x[i] + rng.normal(0.0, 100.0)),
                float(y[i] + rng.normal(0.0, 100.0)),
                2.0 + 0.01 * b,
                partner="P0",
                ident=f"{i}-s{b}",
                track=b % 2 == 0,
            )
            began = time.perf_counter()
            picture.ingest([report])
            spent[k].append(time.perf_counter() - began)
    return [float(np.median(s) * 1000.0) for s in spent]


def small_batches(live: tuple[int, int] = (200, 2000), batches: int = 300) -> dict[str, Any]:
    """Time per one-report batch at two picture sizes, and their ratio (target ≤ 2)."""
    few, many = per_batch_ms(live, batches=batches)
    ratio = many / few
    return {
        "live_tracks": list(live),
        "batch_ms": [few, many],
        "ratio": ratio,
        "target": f"<= {TARGET_RATIO:g}",
        "met": ratio <= TARGET_RATIO,
    }
