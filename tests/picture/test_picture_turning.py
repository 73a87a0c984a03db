"""A track that keeps turning the same way is declared turning; a straight one never is."""

from __future__ import annotations

import math

import numpy as np
import pytest

from warnline.picture import Picture
from warnline.picture.turning import turn_rate


def fly(scene, picture, rng, *, radius=None, speed=60.0, seconds=400):
    track = None
    for k in range(int(seconds / 2)):
        t = 2.0 * k
        if radius is None:
            x, y, vx, vy = speed * t, 0.0, speed, 0.0
        else:
            w = speed / radius
            x, y = radius * math.sin(w * t), radius * math.cos(w * t)
            vx, vy = speed * math.cos(w * t), -speed * math.sin(w * t)
        noise = rng.normal(0.0, 100.0, 2)
        velocity = (vx + rng.normal(0.0, 3.0), vy + rng.normal(0.0, 3.0))
        (track,) = picture.ingest(
            [
                scene.report(
                    "alpha", x + noise[0], y + noise[1], t, velocity=velocity, sensor_track="a"
                )
            ]
        )
    return track


def test_a_circling_object_is_declared_turning(scene):
    track = fly(scene, Picture(), np.random.default_rng(1), radius=6_000.0)
    expected = math.degrees(60.0 / 6_000.0)  # 0.57 degrees per second, clockwise
    assert abs(track.turn_rate_dps) > 0.5 * expected
    assert track.turn_rate_dps > 0  # x = r sin, y = r cos: clockwise seen from above


def test_a_straight_flier_is_never_declared_turning(scene):
    rng = np.random.default_rng(2)
    picture = Picture()
    for _ in range(1):
        track = fly(scene, picture, rng, radius=None)
    assert track.turn_rate_dps == 0.0


def test_turn_rate_needs_both_halves_to_agree():
    # A single 90 degree waypoint turn late in the window: one half straight.
    log = [(0.0, 0.0), (60.0, 0.0), (100.0, 0.0), (120.0, math.radians(90.0))]
    assert turn_rate(log, heading_sigma_rad=0.01) == 0.0
    steady = [(10.0 * k, math.radians(3.0 * k)) for k in range(13)]
    assert turn_rate(steady, heading_sigma_rad=0.01) == pytest.approx(math.radians(3.0) / 10.0)


def test_a_fast_circler_keeps_its_turn_through_every_heading():
    # 2 degrees a second, a circle every three minutes: the 300 s log holds more than
    # a whole circle, and its end-point headings (or its halves') alias.
    for start in range(0, 360, 30):
        log = [(10.0 * k, math.radians(start + 20.0 * k)) for k in range(31)]
        assert turn_rate(log, heading_sigma_rad=0.02) == pytest.approx(math.radians(2.0))


def test_a_loiterer_is_proven_turning_within_forty_seconds(scene):
    # A decoy circling 10 km at 145 m/s (0.8 degrees a second): its course has swept
    # some 30 degrees in 40 s, and the turn is declared by then, before its heading
    # has pointed at the next area around it (was 60 s of log at least).
    track = fly(
        scene, Picture(), np.random.default_rng(3), radius=10_000.0, speed=145.0, seconds=42
    )
    assert track.turn_rate_dps > 0.4


def test_no_straight_flier_is_declared_turning_at_any_moment(scene):
    # Twenty straight flights of five minutes, every snapshot: a turn declared on a
    # straight threat would bend its path away from its target.
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        picture = Picture()
        for k in range(150):
            t = 2.0 * k
            noise = rng.normal(0.0, 100.0, 2)
            velocity = (60.0 + rng.normal(0.0, 3.0), rng.normal(0.0, 3.0))
            (track,) = picture.ingest(
                [scene.report("alpha", 60.0 * t + noise[0], noise[1], t, velocity=velocity,
                              sensor_track="a")]
            )  # fmt: skip
            assert track.turn_rate_dps == 0.0, (seed, t)
