"""Fusion in arrays: exact ties settle toward the threat, and tallies rows leave with
their tracks."""

from __future__ import annotations

from datetime import timedelta

from warnline.bench.picture import START, raid_reports
from warnline.domain import Identity, ThreatKind, TrackState
from warnline.picture import Picture


def test_equal_votes_for_two_kinds_name_the_more_dangerous(scene):
    picture = Picture()
    reports = []
    for k in range(3):
        for partner, kind in (("alpha", ThreatKind.DRONE), ("bravo", ThreatKind.CRUISE_MISSILE)):
            reports.append(
                scene.report(
                    partner, 100.0 * k, 0.0, 2.0 * k, kind=kind, confidence=0.7, sensor_track="o"
                )
            )
    for batch in scene.by_second(reports):
        picture.ingest(batch)
    (track,) = picture.tracks()
    assert track.kind is ThreatKind.CRUISE_MISSILE  # 0.7 + 0.7 + 0.7 each: an exact tie
    # One more drone report from a third partner breaks the tie the other way.
    picture.ingest([scene.report("charlie", 300.0, 0.0, 6.0, kind=ThreatKind.DRONE)])
    (track,) = picture.tracks()
    assert track.kind is ThreatKind.DRONE


def test_identity_and_confidence_come_from_the_sensors_with_weight(scene):
    picture = Picture()
    reports = [
        scene.report("alpha", 100.0 * k, 0.0, 2.0 * k, identity=Identity.NEUTRAL, confidence=0.9)
        for k in range(3)
    ] + [scene.report("bravo", 50.0, 0.0, 1.0, identity=Identity.HOSTILE, confidence=0.5)]
    for batch in scene.by_second(reports):
        picture.ingest(batch)
    (track,) = picture.tracks()
    # Bravo's one report is no weighty vote (and HOSTILE at 0.5 is only SUSPECT anyway).
    assert track.identity is Identity.NEUTRAL
    assert abs(track.confidence - (1.0 - 0.1 * 0.5)) < 1e-12


def test_tallies_rows_are_given_back_when_tracks_leave():
    picture = Picture()
    tallies = picture._store.tallies
    batches = raid_reports(40, 4, 12, 2, clutter=0.02, wrong_kind=0.15)
    for second, batch in enumerate(batches):
        picture.ingest(batch)
        picture.expire(START + timedelta(seconds=second + 1))
    held = sum(len(r.attributes.contributors) for r in picture._records.values())
    assert held > 100
    assert tallies._high - len(tallies._free) == held
    gone = picture.expire(START + timedelta(hours=1))
    assert gone and all(t.state is TrackState.LOST for t in gone)
    assert len(tallies._free) == tallies._high
    assert not tallies.count.any() and not tallies.kinds.any()
