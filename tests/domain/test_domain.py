"""Domain types: validation at construction, clocks, and lossless JSON round trips."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.factories import T0, make_report, make_track
from warnline.domain import (
    Attribution,
    ManualClock,
    Position,
    Releasability,
    Report,
    ScaledClock,
    Track,
    Velocity,
)
from warnline.domain.codec import from_json, to_json


@pytest.mark.parametrize(("lat", "lon"), [(91, 0), (0, 181), (float("nan"), 0)])
def test_position_refuses_impossible_coordinates(lat: float, lon: float) -> None:
    with pytest.raises(ValueError):
        Position(lat=lat, lon=lon)


def test_velocity_heading_and_speed() -> None:
    v = Velocity(east=30.0, north=-40.0)
    assert v.ground_speed == 50.0 and round(v.heading_deg) == 143


def test_releasability_is_canonical() -> None:
    r = Releasability(release_to=("USA", "ISR", "USA"), attribution=Attribution.ANONYMOUS)
    assert r.release_to == ("ISR", "USA") and r.releases_to("ISR") and not r.releases_to("JOR")
    assert Releasability().releases_to("ANY")


def test_report_and_track_round_trip_through_json() -> None:
    rep = make_report()
    assert from_json(Report, to_json(rep)) == rep
    tr = make_track(
        contributors=(("JOR", Releasability()), ("SAU", Releasability(release_to=("USA",))))
    )
    assert from_json(Track, to_json(tr)) == tr


def test_manual_clock_moves_only_when_told() -> None:
    c = ManualClock(T0)
    assert c.now() == T0
    assert c.advance(2.5) == T0 + timedelta(seconds=2.5)
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 1, 1))


def test_scaled_clock_runs_faster() -> None:
    c = ScaledClock(T0, speed=100.0)
    assert c.wall_seconds(50.0) == 0.5
    assert c.now() >= T0
    with pytest.raises(ValueError):
        ScaledClock(T0, speed=0)


def test_a_held_scaled_clock_stands_at_its_start_until_it_goes() -> None:
    c = ScaledClock(T0, speed=1e9, running=False)
    assert c.now() == T0 and c.now() == T0
    c.go()
    later = c.now()
    assert later > T0
    c.go()  # idempotent: time does not restart
    assert c.now() >= later
