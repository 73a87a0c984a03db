"""Lifecycle: tentative -> confirmed -> coasting -> lost, driven by explicit times only."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from warnline.domain import Identity, Releasability, ThreatKind, TrackState, Velocity
from warnline.domain.report import Attribution
from warnline.picture import Picture


def test_confirm_coast_return_and_lose(scene):
    picture = Picture(coast_after_s=15.0, drop_after_s=60.0)
    (first,) = picture.ingest([scene.report("alpha", 0.0, 0.0, 0.0, velocity=(100.0, 0.0))])
    assert first.track_id == "T000001"
    assert first.state is TrackState.TENTATIVE
    (second,) = picture.ingest([scene.report("bravo", 100.0, 0.0, 1.0, velocity=(100.0, 0.0))])
    assert second.state is TrackState.TENTATIVE
    (third,) = picture.ingest([scene.report("alpha", 100.0, 0.0, 1.0, velocity=(100.0, 0.0))])
    assert third.state is TrackState.CONFIRMED
    assert third.first_seen == scene.at(0.0)
    assert third.updated_at == scene.at(1.0)
    second = third

    assert picture.expire(scene.at(15.9)) == []  # 14.9 s of silence
    (coasting,) = picture.expire(scene.at(16.0))
    assert coasting.state is TrackState.COASTING
    assert coasting.updated_at == scene.at(16.0)
    x, _ = scene.xy(coasting.position.lat, coasting.position.lon)
    assert x == pytest.approx(1600.0, abs=150.0)  # extrapolated, not where it was heard
    assert coasting.sigma_m > second.sigma_m
    assert picture.expire(scene.at(20.0)) == []  # already coasting: no change to report
    assert picture.get("T000001") == coasting

    (back,) = picture.ingest([scene.report("alpha", 2500.0, 0.0, 25.0)])
    assert back.state is TrackState.CONFIRMED
    assert back.report_count == 4

    assert [t.state for t in picture.expire(scene.at(40.0))] == [TrackState.COASTING]
    (lost,) = picture.expire(scene.at(85.0))
    assert lost.state is TrackState.LOST
    assert lost.track_id == "T000001"
    assert picture.tracks() == []
    assert picture.get("T000001") is None
    assert picture.expire(scene.at(200.0)) == []


def test_straight_to_lost_when_expire_comes_late(scene):
    picture = Picture()
    picture.ingest([scene.report("alpha", 0.0, 0.0, 0.0)])
    assert [t.state for t in picture.expire(scene.at(61.0))] == [TrackState.LOST]


def test_one_sensor_confirms_by_repeating_itself_over_time(scene):
    picture = Picture()
    states = [
        picture.ingest([scene.report("alpha", 0.0, 0.0, t)])[0].state for t in (0.0, 1.0, 2.0)
    ]
    assert states == [TrackState.TENTATIVE, TrackState.TENTATIVE, TrackState.CONFIRMED]


def test_plots_scattered_in_a_wide_gate_do_not_confirm(scene):
    """Clutter: each plot falls inside the gate of a track with no velocity yet (kilometres
    wide), but never where the earlier ones say an object would be. Four such plots are
    four reports, and no evidence."""
    picture = Picture()
    plots = [(0.0, 0.0, 0.0), (3000.0, -2000.0, 1.5), (-1500.0, 2500.0, 3.0), (4000.0, 3000.0, 4.5)]
    for x, y, t in plots:
        picture.ingest([scene.report("alpha", x, y, t, accuracy=300.0)])
    assert all(t.state is TrackState.TENTATIVE for t in picture.tracks())
    assert sum(t.report_count for t in picture.tracks()) == 4


def test_three_reports_that_fit_confirm_from_any_sensors(scene):
    picture = Picture()
    picture.ingest([scene.report("alpha", 0.0, 0.0, 0.0)])
    picture.ingest([scene.report("alpha", 0.0, 0.0, 0.5, sensor="radar-2")])
    (track,) = picture.ingest([scene.report("bravo", 0.0, 0.0, 1.0)])
    assert track.state is TrackState.CONFIRMED


def test_a_tentative_track_never_coasts(scene):
    picture = Picture(coast_after_s=15.0, drop_after_s=60.0)
    picture.ingest([scene.report("alpha", 0.0, 0.0, 0.0)])
    assert picture.expire(scene.at(14.0)) == []
    (lost,) = picture.expire(scene.at(15.0))
    assert lost.state is TrackState.LOST
    assert picture.tracks() == []


def test_ids_in_creation_order_and_never_reused(scene):
    picture = Picture()
    far = [scene.report("alpha", 50_000.0 * i, 0.0, 0.0) for i in range(3)]
    assert [t.track_id for t in picture.ingest(far)] == ["T000001", "T000002", "T000003"]
    picture.expire(scene.at(100.0))
    (new,) = picture.ingest([scene.report("alpha", 0.0, 0.0, 101.0)])
    assert new.track_id == "T000004"


def test_full_picture_gives_up_the_stalest_track(scene):
    picture = Picture(max_tracks=2)
    picture.ingest([scene.report("alpha", 0.0, 0.0, 0.0)])
    picture.ingest([scene.report("alpha", 50_000.0, 0.0, 1.0)])
    out = picture.ingest([scene.report("alpha", 100_000.0, 0.0, 2.0)])
    assert [(t.track_id, t.state) for t in out] == [
        ("T000001", TrackState.LOST),
        ("T000003", TrackState.TENTATIVE),
    ]
    assert [t.track_id for t in picture.tracks()] == ["T000002", "T000003"]


def test_attributes_are_fused(scene):
    picture = Picture()
    secret = Releasability(release_to=frozenset({"bravo"}), attribution=Attribution.ANONYMOUS)
    r1 = scene.report(
        "alpha", 0.0, 0.0, 0.0, kind=ThreatKind.DRONE, identity=Identity.SUSPECT, confidence=0.5
    )
    r2 = scene.report(
        "bravo",
        10.0,
        0.0,
        0.5,
        kind=ThreatKind.UNKNOWN,
        identity=Identity.HOSTILE,
        confidence=0.4,  # too unsure to call it hostile
        sensor="eo",
    )
    r2 = replace(r2, releasability=secret)
    (track,) = picture.ingest([r1, r2])
    assert track.kind is ThreatKind.DRONE
    assert track.identity is Identity.SUSPECT
    assert track.confidence == pytest.approx(1 - 0.5 * 0.6)
    assert [(c.partner, c.sensor, c.report_count) for c in track.contributors] == [
        ("alpha", "radar", 1),
        ("bravo", "eo", 1),
    ]
    assert track.contributors[0].releasability == Releasability()
    assert track.contributors[1].releasability == secret
    assert track.contributors[1].last_position == r2.position
    r3 = scene.report("charlie", 0.0, 0.0, 1.0, identity=Identity.HOSTILE, confidence=0.9)
    (track,) = picture.ingest([r3])
    assert track.identity is Identity.HOSTILE
    assert track.confidence == pytest.approx(1 - 0.5 * 0.6 * 0.1)
    assert math.isclose(sum(c.report_count for c in track.contributors), track.report_count)


def test_confidence_is_capped(scene):
    picture = Picture()
    reports = [scene.report(p, 0.0, 0.0, 0.1 * i, confidence=1.0) for i, p in enumerate("abc")]
    (track,) = picture.ingest(reports)
    assert track.confidence == 0.99


def test_a_silent_falling_missile_is_lost_when_it_reaches_the_ground(scene):
    """Last heard at 3.5 km, falling at 1 km/s: on the ground about three seconds later.
    It is lost then, not after a minute of coasting past its impact."""
    picture = Picture(coast_after_s=15.0, drop_after_s=60.0)
    for k in range(4):
        t = 0.5 * k
        alt = 5_000.0 - 1_000.0 * t - 0.5 * 9.81 * t * t
        report = scene.report("alpha", 2000.0 * t, 0.0, t, alt=alt, accuracy=50.0,
                              kind=ThreatKind.BALLISTIC_MISSILE)  # fmt: skip
        falling = Velocity(east=2000.0, north=0.0, up=-1_000.0 - 9.81 * t)
        (track,) = picture.ingest([replace(report, velocity=falling)])
    assert track.state is TrackState.CONFIRMED
    assert picture.expire(scene.at(2.0)) == []  # still in the air
    (lost,) = picture.expire(scene.at(8.0))
    assert lost.state is TrackState.LOST


def test_a_silent_drone_still_coasts(scene):
    picture = Picture(coast_after_s=15.0, drop_after_s=60.0)
    for k in range(4):
        picture.ingest([scene.report("alpha", 50.0 * k, 0.0, float(k), alt=150.0,
                                     kind=ThreatKind.DRONE, accuracy=50.0)])  # fmt: skip
    (coasting,) = picture.expire(scene.at(20.0))
    assert coasting.state is TrackState.COASTING


def test_what_ended_without_landing_is_told_apart(scene):
    """`faded` names the confirmed tracks the last expiry ended that did not land: the
    pipeline may hold their warnings. A landing, and an unconfirmed track, are not."""
    picture = Picture(coast_after_s=15.0, drop_after_s=60.0)
    for k in range(4):
        picture.ingest([scene.report("alpha", 50.0 * k, 0.0, float(k), alt=150.0,
                                     kind=ThreatKind.DRONE, accuracy=50.0)])  # fmt: skip
    picture.ingest([scene.report("bravo", 90_000.0, 0.0, 3.0)])  # one plot: tentative
    for k in range(4):
        t = 0.5 * k
        alt = 5_000.0 - 1_000.0 * t - 0.5 * 9.81 * t * t
        report = scene.report("gamma", 40_000.0 + 2000.0 * t, 0.0, t, alt=alt, accuracy=50.0,
                              kind=ThreatKind.BALLISTIC_MISSILE)  # fmt: skip
        falling = Velocity(east=2000.0, north=0.0, up=-1_000.0 - 9.81 * t)
        picture.ingest([replace(report, velocity=falling)])
    drone, plot, missile = (t.track_id for t in picture.tracks())
    ended = {t.track_id for t in picture.expire(scene.at(20.0)) if t.state is TrackState.LOST}
    assert ended == {plot, missile}  # the plot never confirmed; the missile landed
    assert picture.faded() == frozenset()
    (lost,) = picture.expire(scene.at(70.0))
    assert lost.track_id == drone and picture.faded() == {drone}
    assert picture.expire(scene.at(80.0)) == [] and picture.faded() == frozenset()
