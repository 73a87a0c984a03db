"""Delayed reports: counted and credited, never winding a track back in time."""

from __future__ import annotations

import numpy as np
import pytest

from warnline.picture import Picture


def east_mover(scene, until: float):
    """An object moving east at 100 m/s, reported by two partners each second."""
    picture = Picture()
    rng = np.random.default_rng(5)
    for t in np.arange(0.0, until + 0.01, 1.0):
        picture.ingest(
            [
                scene.report(
                    p,
                    100.0 * t + rng.normal(0, 50),
                    rng.normal(0, 50),
                    float(t) + dt,
                    accuracy=50.0,
                    sensor_track="x",
                )
                for p, dt in (("alpha", 0.0), ("bravo", 0.5))
            ]
        )
    (track,) = picture.tracks()
    return picture, track


def east_of(scene, track):
    return scene.xy(track.position.lat, track.position.lon)[0]


@pytest.mark.parametrize("lag", [6.0, 30.0])
def test_delayed_report_does_not_move_track_backwards(scene, lag):
    picture, before = east_mover(scene, until=20.0)
    assert before.updated_at == scene.at(20.5)
    observed = 20.5 - lag
    late = scene.report("charlie", 100.0 * observed, 0.0, observed, accuracy=50.0)
    (after,) = picture.ingest([late])
    assert after.track_id == before.track_id
    assert after.updated_at == before.updated_at
    assert east_of(scene, after) == pytest.approx(east_of(scene, before), abs=30.0)
    assert east_of(scene, after) == pytest.approx(2050.0, abs=150.0)
    assert after.report_count == before.report_count + 1
    charlie = next(c for c in after.contributors if c.partner == "charlie")
    assert charlie.last_report_at == scene.at(observed)
    assert charlie.report_count == 1


def test_delayed_report_does_not_overwrite_a_contributors_latest(scene):
    picture, before = east_mover(scene, until=10.0)
    alpha = next(c for c in before.contributors if c.partner == "alpha")
    late = scene.report("alpha", 500.0, 0.0, 5.2, accuracy=50.0, sensor_track="x")
    (after,) = picture.ingest([late])
    alpha_after = next(c for c in after.contributors if c.partner == "alpha")
    assert alpha_after.last_report_at == alpha.last_report_at
    assert alpha_after.last_position == alpha.last_position
    assert alpha_after.report_count == alpha.report_count + 1


def test_reports_within_a_batch_are_used_in_time_order(scene):
    """The same reports in a different order inside their batch give the same tracks."""
    reports = [
        scene.report("alpha", 0.0, 0.0, 0.0, sensor_track="a"),
        scene.report("bravo", 40.0, 0.0, 0.4, sensor_track="b"),
        scene.report("alpha", 100.0, 0.0, 1.0, sensor_track="a"),
        scene.report("bravo", 150.0, 0.0, 1.6, sensor_track="b"),
    ]
    forward = Picture().ingest(reports)
    backward = Picture().ingest(list(reversed(reports)))
    assert forward == backward
    assert forward[0].updated_at == scene.at(1.6)
