"""Invariants over random sequences of reports and expiries.

Nothing is lost: every report is counted in exactly one track - one still in the
picture, or one that `expire` returned as LOST (a track merged into another hands its
reports to the survivor, so it is not counted again) - per (partner, sensor), too.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from warnline.domain import ThreatKind, TrackState
from warnline.picture import Picture

report_spec = st.fixed_dictionaries(
    {
        "partner": st.sampled_from(["alpha", "bravo", "charlie"]),
        "sensor": st.sampled_from(["r1", "r2"]),
        "sensor_track": st.sampled_from([None, "1", "2"]),
        "x": st.sampled_from([0.0, 300.0, 2000.0, 40_000.0]),
        "y": st.floats(-500.0, 500.0),
        "lag": st.sampled_from([0.0, 0.0, 0.0, 0.3, 0.9, 4.0, 20.0]),
        "kind": st.sampled_from([ThreatKind.UNKNOWN, ThreatKind.DRONE, ThreatKind.ROCKET]),
        "accuracy": st.sampled_from([30.0, 300.0]),
        "velocity": st.sampled_from([None, (50.0, 0.0), (0.0, -800.0)]),
    }
)
step = st.one_of(
    st.tuples(st.just("ingest"), st.lists(report_spec, max_size=8)),
    st.tuples(st.just("expire"), st.sampled_from([0.0, 10.0, 16.0, 61.0])),
)


def play(scene, steps):
    """Run the steps; return the picture, reports sent per (partner, sensor), the tracks
    `expire` returned LOST, and everything the picture said."""
    picture = Picture()
    now = 100.0
    sent: Counter[tuple[str, str]] = Counter()
    lost: list = []
    said: list = []
    for kind, arg in steps:
        now += 1.0
        if kind == "ingest":
            reports = [
                scene.report(
                    s["partner"],
                    s["x"],
                    s["y"],
                    now - s["lag"],
                    sensor=s["sensor"],
                    sensor_track=s["sensor_track"],
                    kind=s["kind"],
                    accuracy=s["accuracy"],
                    velocity=s["velocity"],
                )
                for s in arg
            ]
            sent.update((r.partner, r.sensor) for r in reports)
            out = picture.ingest(reports)
        else:
            out = picture.expire(scene.at(now + arg))
            lost += [t for t in out if t.state is TrackState.LOST]
        said.append(out)
    return picture, sent, lost, said


def check_track(track):
    assert track.report_count == sum(c.report_count for c in track.contributors)
    keys = [(c.partner, c.sensor) for c in track.contributors]
    assert keys == sorted(set(keys))
    assert 0.0 <= track.confidence <= 0.99


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(step, max_size=25))
def test_nothing_lost_and_counts_add_up(new_scene, steps):
    picture, sent, lost, said = play(new_scene(), steps)
    gone: set[str] = set()
    for out in said:
        ids = [t.track_id for t in out]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert not gone & set(ids), "a LOST track came back"
        for track in out:
            check_track(track)
        gone |= {t.track_id for t in out if t.state is TrackState.LOST}
    live = picture.tracks()
    assert all(t.state is not TrackState.LOST for t in live)
    assert all(picture.get(t.track_id) == t for t in live)
    counted: Counter[tuple[str, str]] = Counter()
    for track in live + lost:
        check_track(track)
        for c in track.contributors:
            counted[(c.partner, c.sensor)] += c.report_count
    assert counted == sent


@settings(max_examples=15, deadline=None)
@given(steps=st.lists(step, max_size=15))
def test_replay_is_identical(new_scene, steps):
    assert play(new_scene(), steps)[3] == play(new_scene(), steps)[3]
