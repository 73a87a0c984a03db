"""Tracks that end: what each sensor's revisit, detection rate and coverage say of silence."""

from __future__ import annotations

from dataclasses import replace

import pytest

from warnline.domain import ThreatKind, TrackState
from warnline.picture import Picture
from warnline.picture.measurements import make_batch
from warnline.picture.watch import LATEST_TIMES, SensorWatch

REVISIT_S = 2.0


def scan(scene, t, objects, *, sensor="radar", partner="alpha"):
    """One scan of `sensor` at t: a report of each (name, x, y, alt, vx) in `objects`."""
    return [
        scene.report(
            partner,
            x + vx * t,
            y,
            t,
            sensor=sensor,
            sensor_track=f"{sensor}:{name}",
            velocity=(vx, 0.0),
            alt=alt,
        )
        for name, x, y, alt, vx in objects
    ]


def watched(scene, picture, until, objects, *, sensor="radar"):
    """Scans every REVISIT_S from 0 to `until` (inclusive), expiring as the node does."""
    t = 0.0
    while t <= until + 1e-9:
        picture.ingest(scan(scene, t, objects, sensor=sensor))
        picture.expire(scene.at(t))
        t += REVISIT_S


def states_by(scene, picture, times, then_scan):
    """Track states after each time: `then_scan` reports what the sensor still sees."""
    out = {}
    for t in times:
        picture.ingest(scan(scene, t, then_scan))
        picture.expire(scene.at(t))
        out[t] = {tr.track_id: tr.state for tr in picture.tracks()}
    return out


DRONE = ("drone", 5_000.0, 5_000.0, 150.0, 10.0)  # mid-cell, slow: struck where it was seen
OTHER = ("other", 5_000.0, 25_000.0, 150.0, 0.0)  # what the sensor keeps reporting


def test_a_track_that_strikes_ends_within_a_few_scans(scene):
    picture = Picture()
    watched(scene, picture, 30.0, [DRONE, OTHER])
    assert [t.state for t in picture.tracks()] == [TrackState.CONFIRMED] * 2
    drone = picture.tracks()[0].track_id
    after = states_by(scene, picture, [32.0, 34.0, 36.0, 38.0, 40.0], [OTHER])
    assert after[34.0][drone] is TrackState.CONFIRMED  # two scans missed: could be chance
    assert drone not in after[40.0]  # gone 10 s after its last report, not a minute
    assert len(after[40.0]) == 1


def test_the_lost_track_is_returned_once_as_lost(scene):
    picture = Picture()
    watched(scene, picture, 30.0, [DRONE, OTHER])
    drone = picture.tracks()[0].track_id
    changed = []
    faded = []
    for t in (32.0, 34.0, 36.0, 38.0, 40.0, 42.0):
        picture.ingest(scan(scene, t, [OTHER]))
        changed += picture.expire(scene.at(t))
        faded += picture.faded()
    assert [(t.track_id, t.state) for t in changed] == [(drone, TrackState.LOST)]
    assert faded == [drone]  # looked for and missed: a strike or out of view, not a landing


def test_a_track_leaving_coverage_keeps_coasting(scene):
    """Last seen at the edge of where the sensor ever reported anything, flying out: the
    sensor goes on reporting other things but has never looked where the object now is."""
    picture = Picture()
    leaving = ("leaving", 3_000.0, 5_000.0, 150.0, 200.0)  # at 9.0 km by t = 30 s
    watched(scene, picture, 30.0, [leaving, OTHER])
    track = picture.tracks()[0].track_id
    after = states_by(scene, picture, [40.0, 46.0, 60.0, 88.0], [OTHER])
    assert after[40.0][track] is TrackState.CONFIRMED
    assert after[46.0][track] is TrackState.COASTING
    assert after[88.0][track] is TrackState.COASTING  # the drop age still rules


def test_a_sensor_fallen_silent_says_nothing(scene):
    """An outage (or nothing else to see) is no evidence the object ended: it coasts."""
    picture = Picture()
    watched(scene, picture, 30.0, [DRONE, OTHER])
    assert picture.expire(scene.at(40.0)) == []
    assert {t.state for t in picture.expire(scene.at(46.0))} == {TrackState.COASTING}
    assert [t.state for t in picture.expire(scene.at(91.0))] == [TrackState.LOST] * 2


def test_every_sensor_that_saw_it_must_have_missed_it_twice(scene):
    """A second sensor that saw the object too, with a slower revisit, must also have
    scanned twice without it: the fast one alone would have ended the track at 38 s."""
    picture = Picture()
    far = ("far", 5_000.0, 45_000.0, 150.0, 0.0)
    for step in range(31):
        t = 2.0 * step
        drone = [DRONE] if t <= 30.0 else []
        reports = scan(scene, t, [*drone, OTHER])
        if step % 3 == 0:  # the slow sensor scans every 6 s
            reports += scan(scene, t, [*drone, far], sensor="slow")
        picture.ingest(reports)
        picture.expire(scene.at(t))
        if t == 30.0:
            track = picture.tracks()[0].track_id
        if t == 46.0:
            assert picture.get(track).state is TrackState.COASTING
    assert picture.get(track) is None  # gone once the slow one missed it twice (at 48 s)


def test_a_sensor_without_track_numbers_keeps_the_track_coasting(scene):
    """Reports without sensor tracks teach no revisit: such a sensor cannot say."""
    picture = Picture()
    t = 0.0
    while t <= 30.0:
        plain = scene.report("bravo", 5_000.0 + 10.0 * t, 5_000.0, t, sensor="plain", alt=150.0)
        picture.ingest([*scan(scene, t, [DRONE, OTHER]), plain])
        picture.expire(scene.at(t))
        t += REVISIT_S
    drone = picture.tracks()[0].track_id
    after = states_by(scene, picture, [34.0, 40.0, 46.0, 50.0], [OTHER])
    assert after[46.0][drone] is TrackState.COASTING


def test_revisit_is_the_median_interval_and_misses_lower_the_detection_rate():
    watch = SensorWatch()
    sensor = ("alpha", "radar")
    assert watch.revisit(sensor) is None
    watch._known(sensor)
    for interval in (2.0, 2.0, 4.0, 2.0, 2.0, 6.0, 2.0):
        watch.interval(sensor, interval)
    revisit = watch.revisit(sensor)
    assert revisit is not None
    assert revisit.period_s == 2.0
    assert revisit.p_detect == pytest.approx(7 / 10)


def test_coverage_is_per_cell_and_altitude_band(scene):
    watch = SensorWatch(cell_m=10_000.0)
    watch.observe(
        make_batch(scene.plane, [scene.report("alpha", 5_000.0, 5_000.0, 0.0, alt=150.0)])
    )
    sensor = ("alpha", "radar")
    assert watch.covers(sensor, x=9_000.0, y=1_000.0, alt=100.0)
    assert not watch.covers(sensor, x=9_000.0, y=1_000.0, alt=25_000.0)  # never seen up there
    assert not watch.covers(sensor, x=11_000.0, y=1_000.0, alt=150.0)  # nor out there
    assert not watch.covers(("alpha", "other"), x=5_000.0, y=5_000.0, alt=150.0)


def test_what_the_watch_learns_is_bounded(scene):
    watch = SensorWatch(max_sensors=2, max_cells=3)
    reports = [
        scene.report("alpha", 20_000.0 * i, 0.0, 0.0, sensor=f"s{i % 3}", alt=150.0)
        for i in range(9)
    ]
    watch.observe(make_batch(scene.plane, reports))
    assert len(watch._heard) == 2
    assert watch._cell_count == 3
    assert sum(len(c) for c in watch._cells.values()) == 3
    assert len(watch._latest) == 2
    assert all(d.maxlen == LATEST_TIMES for d in watch._latest.values())


THREE = ("radar", "second", "third")


def seen_by_three(scene, picture, until, objects, *, kind=ThreatKind.UNKNOWN):
    """Three sensors scan every REVISIT_S from 0 to `until`, each reporting `objects`."""
    t = 0.0
    while t <= until + 1e-9:
        reports = [r for s in THREE for r in scan(scene, t, objects, sensor=s)]
        picture.ingest([replace(r, kind=kind) for r in reports])
        picture.expire(scene.at(t))
        t += REVISIT_S


def test_a_strike_weapon_at_its_target_is_looked_for_where_it_was_at_each_scan(scene):
    """Struck at 9.5 km, flying at 150 m/s: its dead-reckoned position leaves the cell
    of its last reports (nothing was ever reported beyond) before the sensors have
    scanned twice more. Judged where it would be now, nothing covers it and it coasts;
    judged where it would have been at each scan - for a track downstream says is at a
    target - the first scan of each of three sensors was in the cell they reported it
    in, and missed it."""
    struck = ("struck", 9_500.0 - 150.0 * 30.0, 5_000.0, 150.0, 150.0)  # 9.5 km at 30 s
    states = {}
    for ending in (False, True):
        picture = Picture()
        seen_by_three(scene, picture, 30.0, [struck, OTHER])
        track = picture.tracks()[0].track_id
        for t in (32.0, 34.0, 36.0, 38.0, 40.0, 46.0):
            picture.ingest([r for s in THREE for r in scan(scene, t, [OTHER], sensor=s)])
            picture.expire(scene.at(t), ending=frozenset({track}) if ending else frozenset())
            found = picture.get(track)
            states[(ending, t)] = None if found is None else found.state
    assert states[(True, 34.0)] is TrackState.CONFIRMED  # one scan each: could be chance
    assert states[(True, 36.0)] is None  # two each, the first where it had been then
    assert states[(False, 36.0)] is TrackState.CONFIRMED
    assert states[(False, 46.0)] is TrackState.COASTING  # nowhere covered "now"


def test_a_sensor_that_falls_silent_after_its_last_report_no_longer_holds_it_open(scene):
    """`quiet` reported the drone until 30 s, scanned once more and then nothing: it
    will not scan again, so `radar`, which goes on reporting, decides alone."""
    picture = Picture()
    t = 0.0
    while t <= 32.0 + 1e-9:
        drone = [DRONE] if t <= 30.0 else []
        picture.ingest(
            scan(scene, t, [*drone, OTHER]) + scan(scene, t, [*drone, OTHER], sensor="quiet")
        )
        picture.expire(scene.at(t))
        t += REVISIT_S
    track = picture.tracks()[0].track_id
    after = states_by(scene, picture, [36.0, 40.0, 44.0, 46.0, 48.0, 50.0], [OTHER])
    assert after[44.0][track] is TrackState.CONFIRMED  # `quiet` might still scan again
    assert track not in after[50.0]  # silent for the coasting age: it has said its last


@pytest.mark.parametrize(
    ("kind", "ends"),
    [(ThreatKind.DRONE, True), (ThreatKind.CRUISE_MISSILE, True), (ThreatKind.AIRCRAFT, False)],
)
def test_a_strike_weapon_whose_only_sensor_fell_silent_with_it_ends_at_the_coasting_age(
    scene, kind, ends
):
    """Its only sensor, which was reporting nothing else, reports nothing more at all:
    it fell silent with the object, and nobody can look. A drone or cruise missile ends
    (faded: the pipeline decides whether its warnings stand) once silent for the
    coasting age instead of coasting on for the drop age; an aircraft coasts."""
    picture = Picture()
    t = 0.0
    while t <= 30.0 + 1e-9:
        picture.ingest([replace(r, kind=kind) for r in scan(scene, t, [DRONE])])
        picture.expire(scene.at(t))
        t += REVISIT_S
    track = picture.tracks()[0].track_id
    assert picture.expire(scene.at(44.0)) == []
    changed = picture.expire(scene.at(45.5))
    assert [c.state for c in changed] == [TrackState.LOST if ends else TrackState.COASTING]
    assert picture.faded() == (frozenset({track}) if ends else frozenset())


def test_a_sensor_that_stops_reporting_everything_at_once_has_an_outage(scene):
    """The same drone, but its sensor was also reporting another object and fell silent
    on both: an outage, not an end. Both coast on for the drop age."""
    picture = Picture()
    t = 0.0
    while t <= 30.0 + 1e-9:
        reports = scan(scene, t, [DRONE, OTHER])
        picture.ingest([replace(r, kind=ThreatKind.DRONE) for r in reports])
        picture.expire(scene.at(t))
        t += REVISIT_S
    assert [c.state for c in picture.expire(scene.at(45.5))] == [TrackState.COASTING] * 2
    assert [c.state for c in picture.expire(scene.at(91.0))] == [TrackState.LOST] * 2


def test_a_plot_from_a_sensor_whose_revisit_is_known_does_not_hold_the_track_open(scene):
    """A sensor that reports its other objects as sensor tracks, whose last report of
    this one was a bare plot (no track number: a plot, or a false one gated in), watches
    from that plot like the others: once all have missed it, the track ends."""
    picture = Picture()
    t = 0.0
    while t <= 30.0:
        reports = [*scan(scene, t, [DRONE, OTHER]), *scan(scene, t, [OTHER], sensor="second")]
        if t == 30.0:  # its only report of the drone
            reports.append(
                scene.report("alpha", 5_000.0 + 10.0 * t, 5_000.0, t, sensor="second", alt=150.0)
            )
        picture.ingest(reports)
        picture.expire(scene.at(t))
        t += REVISIT_S
    drone = next(
        tr for tr in picture.tracks() if any(c.sensor == "second" for c in tr.contributors)
    )
    after = states_by(scene, picture, [34.0, 40.0, 46.0, 50.0], [OTHER])
    assert drone.track_id not in after[46.0]  # ended by the looks, before the drop age
