"""Correlation: many partners' reports of one object make one track, of two objects two."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from warnline.domain import ThreatKind, TrackState
from warnline.picture import Picture

PARTNERS = {"alpha": 80.0, "bravo": 150.0, "charlie": 250.0}


def straight(scene, rng, *, origin, velocity, tag, seconds=40.0, with_tracks=True, **kw):
    """Every partner reports the object every two seconds, with its own noise and phase."""
    reports = []
    for name, accuracy in PARTNERS.items():
        phase = rng.uniform(0.0, 2.0)
        for k in range(int(seconds / 2.0)):
            t = phase + 2.0 * k
            x = origin[0] + velocity[0] * t + rng.normal(0.0, accuracy)
            y = origin[1] + velocity[1] * t + rng.normal(0.0, accuracy)
            track = f"{name}-{tag}" if with_tracks else None
            reports.append(scene.report(name, x, y, t, accuracy=accuracy, sensor_track=track, **kw))
    return reports


def run(picture, scene, reports):
    for batch in scene.by_second(reports):
        picture.ingest(batch)
    return picture.tracks()


@pytest.mark.parametrize("with_tracks", [True, False])
def test_one_object_seen_by_three_partners_is_one_track(scene, with_tracks):
    rng = np.random.default_rng(7)
    reports = straight(
        scene,
        rng,
        origin=(0.0, 0.0),
        velocity=(50.0, 20.0),
        tag="7",
        with_tracks=with_tracks,
        kind=ThreatKind.DRONE,
    )
    (track,) = run(Picture(), scene, reports)
    assert track.partners == frozenset(PARTNERS)
    assert track.report_count == len(reports) == 60
    assert [c.report_count for c in track.contributors] == [20, 20, 20]
    assert track.state is TrackState.CONFIRMED
    assert track.kind is ThreatKind.DRONE
    last = max(r.observed_at for r in reports)
    assert track.updated_at == last
    t = (last - scene.t0).total_seconds()
    x, y = scene.xy(track.position.lat, track.position.lon)
    assert math.hypot(x - 50.0 * t, y - 20.0 * t) < 3 * max(track.sigma_m, 40.0)
    # The filter allows for a drone's manoeuvres, so on a straight line its velocity
    # error is a few m/s (about 4 m/s RMS over many seeds here).
    assert track.velocity.east == pytest.approx(50.0, abs=12.0)
    assert track.velocity.north == pytest.approx(20.0, abs=12.0)


def test_two_objects_30_km_apart_stay_two_tracks(scene):
    rng = np.random.default_rng(11)
    reports = straight(scene, rng, origin=(0.0, 0.0), velocity=(50.0, 0.0), tag="a")
    reports += straight(scene, rng, origin=(0.0, 30_000.0), velocity=(50.0, 0.0), tag="b")
    tracks = run(Picture(), scene, reports)
    assert len(tracks) == 2
    assert all(t.partners == frozenset(PARTNERS) for t in tracks)
    assert sorted(t.report_count for t in tracks) == [60, 60]
    norths = sorted(scene.xy(t.position.lat, t.position.lon)[1] for t in tracks)
    assert norths[0] == pytest.approx(0.0, abs=500.0)
    assert norths[1] == pytest.approx(30_000.0, abs=500.0)


def test_crossing_tracks_keep_their_headings(scene):
    """Two drones cross in an X; reports carry no sensor tracks, so only the filter and
    the assignment keep them apart."""
    rng = np.random.default_rng(3)
    reports = []
    for name, accuracy in (("alpha", 100.0), ("bravo", 100.0)):
        phase = rng.uniform(0.0, 2.0)
        for k in range(100):
            t = phase + 2.0 * k
            for north0, vn in ((-3000.0, 30.0), (3000.0, -30.0)):
                x = -4000.0 + 40.0 * t + rng.normal(0.0, accuracy)
                y = north0 + vn * t + rng.normal(0.0, accuracy)
                reports.append(scene.report(name, x, y, t, accuracy=accuracy))
    picture = Picture()
    batches = scene.by_second(reports)
    for batch in batches[:20]:
        picture.ingest(batch)
    early = {t.track_id: t.velocity.north for t in picture.tracks()}
    assert sorted(np.sign(v) for v in early.values()) == [-1.0, 1.0]
    for batch in batches[20:]:
        picture.ingest(batch)
    late = picture.tracks()
    assert len(late) == 2
    for track in late:
        assert track.velocity.north == pytest.approx(30.0 * np.sign(early[track.track_id]), abs=10)


def ballistic_track(scene, alt=60_000.0):
    picture = Picture()
    bm = ThreatKind.BALLISTIC_MISSILE
    picture.ingest([scene.report("alpha", 0.0, 0.0, 0.0, kind=bm, confidence=0.8, alt=alt)])
    picture.ingest([scene.report("bravo", 0.0, 0.0, 1.0, kind=bm, confidence=0.8, alt=alt)])
    (track,) = picture.tracks()
    return picture, track


@pytest.mark.parametrize("kind", [ThreatKind.DRONE, ThreatKind.UNKNOWN, ThreatKind.ROCKET])
def test_a_wrong_kind_guess_does_not_split_an_object(scene, kind):
    picture, ballistic = ballistic_track(scene)
    # 300 m off at the same altitude: whatever the kind says, it is the same object.
    changed = picture.ingest([scene.report("charlie", 300.0, 0.0, 2.0, kind=kind, alt=60_000.0)])
    assert [t.track_id for t in changed] == [ballistic.track_id]
    (track,) = picture.tracks()
    assert track.kind is ThreatKind.BALLISTIC_MISSILE  # two votes against one
    assert track.report_count == 3


def test_a_low_drone_under_a_high_missile_is_another_object(scene):
    """On the map they coincide; 60 km of altitude apart they are two objects."""
    picture, ballistic = ballistic_track(scene)
    changed = picture.ingest(
        [scene.report("charlie", 300.0, 0.0, 2.0, kind=ThreatKind.DRONE, alt=150.0)]
    )
    assert [t.track_id for t in changed] != [ballistic.track_id]
    assert len(picture.tracks()) == 2
    assert picture.get(ballistic.track_id).report_count == 2


def test_a_sensor_without_altitude_still_correlates_with_a_high_track(scene):
    picture, ballistic = ballistic_track(scene)
    report = replace(scene.report("charlie", 300.0, 0.0, 2.0, alt=0.0), altitude_measured=False)
    changed = picture.ingest([report])
    assert [t.track_id for t in changed] == [ballistic.track_id]
    assert picture.get(ballistic.track_id).position.alt_m > 50_000.0


def test_kinds_a_sensor_may_confuse_still_correlate(scene):
    picture = Picture()
    picture.ingest([scene.report("alpha", 0.0, 0.0, 0.0, kind=ThreatKind.DRONE, confidence=0.9)])
    changed = picture.ingest(
        [scene.report("bravo", 60.0, 0.0, 1.0, kind=ThreatKind.CRUISE_MISSILE, confidence=0.4)]
    )
    (track,) = picture.tracks()
    assert [t.track_id for t in changed] == [track.track_id]
    assert track.kind is ThreatKind.DRONE  # more confidence behind it


def test_sensor_track_continuity_beats_nearest_neighbour(scene):
    picture = Picture()
    still = {"velocity": (0.0, 0.0)}  # both tracks equally sharp: only distance decides
    first = picture.ingest(
        [
            scene.report("alpha", 0.0, 0.0, 0.0, accuracy=300.0, sensor_track="s1", **still),
            scene.report("alpha", 800.0, 0.0, 0.0, accuracy=300.0, sensor_track="s2", **still),
        ]
    )
    near_s1, near_s2 = (t.track_id for t in first)
    # Reported at 700 m: nearer the s2 track, but the sensor says it is s1.
    changed = picture.ingest([scene.report("alpha", 700.0, 0.0, 2.0, sensor_track="s1")])
    assert [t.track_id for t in changed] == [near_s1]
    assert len(picture.tracks()) == 2
    assert picture.get(near_s2).report_count == 1


def test_a_diffuse_ghost_does_not_steal_a_report_from_a_sharp_track(scene):
    """Association minimises the negative log-likelihood, not d²: a one-report track with
    no velocity has a gate kilometres wide, so a report sits at a smaller d² in it than in
    the sharp track it belongs to - and still goes to the sharp track."""
    picture = Picture()
    for t in (0.0, 2.0, 4.0):
        picture.ingest([scene.report("alpha", 0.0, 0.0, t, accuracy=50.0, velocity=(0.0, 0.0))])
    (sharp,) = picture.tracks()
    (ghost,) = picture.ingest([scene.report("bravo", 5000.0, 0.0, 4.0, accuracy=1000.0)])
    assert ghost.track_id != sharp.track_id
    # 200 m from the sharp track (d² about 11 there), 4.8 km from the ghost (d² about 5).
    picture.ingest([scene.report("charlie", 200.0, 0.0, 6.0, accuracy=50.0)])
    after = picture.get(sharp.track_id)
    assert after is not None
    assert "charlie" in after.partners
    assert {c.partner: c.report_count for c in after.contributors}["charlie"] == 1


def test_one_sensor_two_reports_in_a_batch_never_update_one_track(scene):
    picture = Picture()
    picture.ingest([scene.report("alpha", 0.0, 0.0, 0.0, accuracy=500.0)])
    changed = picture.ingest(
        [
            scene.report("bravo", 0.0, 0.0, 1.0, accuracy=500.0),
            scene.report("bravo", 300.0, 0.0, 1.2, accuracy=500.0),
        ]
    )
    assert len(changed) == 2
    assert sorted(t.report_count for t in picture.tracks()) == [1, 2]


def test_a_stray_report_leaves_no_duplicate_behind(scene):
    """A report far outside the gate starts a track of its own; when the partner's sensor
    track returns to the object, the stray track - fed by nothing else - is merged back
    and reported LOST, rather than flying on as a phantom at a kilometre a second."""
    picture = Picture()
    for t in range(10):
        picture.ingest(
            [
                scene.report("alpha", 0.0, 0.0, t + 0.0, sensor_track="a"),
                scene.report("bravo", 0.0, 0.0, t + 0.5, sensor_track="b"),
            ]
        )
    (main,) = picture.tracks()
    (stray,) = picture.ingest([scene.report("alpha", 1200.0, 0.0, 10.0, sensor_track="a")])
    assert stray.track_id != main.track_id
    said = []
    for t in range(11, 20):
        said += picture.ingest(
            [
                scene.report("alpha", 0.0, 0.0, t + 0.0, sensor_track="a"),
                scene.report("bravo", 0.0, 0.0, t + 0.5, sensor_track="b"),
            ]
        )
    assert [t.track_id for t in said if t.state is TrackState.LOST] == [stray.track_id]
    (track,) = picture.tracks()
    assert track.track_id == main.track_id
    assert track.report_count == 39
    assert [c.report_count for c in track.contributors] == [20, 19]


def test_two_objects_a_sensor_resolves_stay_two_however_close(scene):
    picture = Picture()
    rng = np.random.default_rng(1)
    for k in range(30):
        t = 2.0 * k
        picture.ingest(
            [
                scene.report("alpha", 50.0 * t + rng.normal(0, 100), y + rng.normal(0, 100), t)
                for y in (0.0, 150.0)
            ]
        )
    tracks = picture.tracks()
    assert len(tracks) == 2
    assert [t.report_count for t in tracks] == [30, 30]
