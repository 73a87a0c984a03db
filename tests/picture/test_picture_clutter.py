"""What real partners send: clutter, wrong kind guesses, sensors without altitude. None of
it may split an object, confirm a ghost, or relabel a track."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np

from warnline.domain import Identity, ThreatKind, TrackState
from warnline.picture import Picture

KINDS = [k for k in ThreatKind if k is not ThreatKind.UNKNOWN]


def noisy_raid(scene, rng, *, wrong_share=0.15, clutter_per_s=3.0, seconds=120):
    """Two objects (a drone low, a ballistic missile high) seen by three sensors every
    two seconds, kinds wrong `wrong_share` of the time; clutter plots over a 400 km square."""
    reports = []
    objects = [
        (ThreatKind.DRONE, (0.0, 0.0), (50.0, 0.0), 150.0),
        (ThreatKind.BALLISTIC_MISSILE, (-200_000.0, 5_000.0), (2000.0, 0.0), 80_000.0),
    ]
    for partner, accuracy in (("alpha", 100.0), ("bravo", 200.0), ("charlie", 300.0)):
        phase = rng.uniform(0.0, 2.0)
        for k in range(int(seconds / 2)):
            t = phase + 2.0 * k
            for n, (kind, origin, v, alt) in enumerate(objects):
                told = kind
                if rng.uniform() < wrong_share:
                    told = KINDS[int(rng.integers(len(KINDS)))]
                x = origin[0] + v[0] * t + rng.normal(0.0, accuracy)
                y = origin[1] + v[1] * t + rng.normal(0.0, accuracy)
                z = alt + rng.normal(0.0, accuracy)
                hostile = {"identity": Identity.HOSTILE, "confidence": 0.7}
                r = scene.report(
                    partner, x, y, t, accuracy=accuracy, kind=told, alt=z, sensor_track=f"{n}",
                    **hostile,
                )  # fmt: skip
                reports.append(r)
    n_clutter = int(clutter_per_s * seconds)
    for _ in range(n_clutter):
        t = rng.uniform(0.0, seconds)
        x, y = rng.uniform(-200_000.0, 200_000.0, 2)
        partner = ["alpha", "bravo", "charlie"][int(rng.integers(3))]
        reports.append(
            scene.report(
                partner,
                x,
                y,
                t,
                accuracy=300.0,
                alt=rng.uniform(0.0, 20_000.0),
                kind=KINDS[int(rng.integers(len(KINDS)))],
                identity=Identity.HOSTILE,
                confidence=0.6,
            )
        )
    return reports


def run(scene, reports, seconds):
    picture = Picture()
    confirmed_ever: set[str] = set()
    for s, batch in enumerate(scene.by_second(reports)):
        for track in picture.ingest(batch):
            if track.state is TrackState.CONFIRMED:
                confirmed_ever.add(track.track_id)
        picture.expire(scene.at(s + 1.0))
    return picture, confirmed_ever


def test_clutter_and_wrong_kinds_neither_split_nor_confirm(scene):
    rng = np.random.default_rng(5)
    picture, confirmed = run(scene, noisy_raid(scene, rng), 120)
    assert len(confirmed) == 2  # the two objects, never a clutter plot, never a split
    live = {t.kind: t for t in picture.tracks() if t.state is TrackState.CONFIRMED}
    assert set(live) == {ThreatKind.DRONE, ThreatKind.BALLISTIC_MISSILE}
    assert live[ThreatKind.BALLISTIC_MISSILE].position.alt_m > 50_000.0
    assert live[ThreatKind.DRONE].position.alt_m < 1_000.0


def test_without_the_noise_the_same_two_tracks(scene):
    rng = np.random.default_rng(5)
    _, confirmed = run(scene, noisy_raid(scene, rng, wrong_share=0.0, clutter_per_s=0.0), 120)
    assert len(confirmed) == 2


def test_a_hovering_object_labelled_ballistic_is_not_called_ballistic(scene):
    """A decoy that sits still near the ground, which a sensor keeps calling a ballistic
    missile: kinematics has the last word."""
    picture = Picture()
    for k in range(20):
        r = scene.report("alpha", 0.0, 0.0, 2.0 * k, kind=ThreatKind.BALLISTIC_MISSILE,
                         velocity=(0.0, 0.0), alt=300.0, identity=Identity.HOSTILE)  # fmt: skip
        picture.ingest([r])
    (track,) = picture.tracks()
    assert track.state is TrackState.CONFIRMED
    assert track.kind is ThreatKind.UNKNOWN
    assert track.velocity.ground_speed < 50.0


def test_one_hostile_plot_does_not_make_a_friend_hostile(scene):
    picture = Picture()
    for k in range(6):
        r = scene.report("alpha", 200.0 * k, 0.0, 2.0 * k, identity=Identity.FRIEND,
                         confidence=0.9, kind=ThreatKind.AIRCRAFT)  # fmt: skip
        picture.ingest([r])
    stray = scene.report("bravo", 1200.0, 0.0, 12.0, identity=Identity.HOSTILE, confidence=0.9)
    (track,) = picture.ingest([stray])
    assert track.identity is Identity.FRIEND


def test_speed_stays_physical_after_a_wild_association(scene):
    picture = Picture()
    picture.ingest([scene.report("alpha", 0.0, 0.0, 0.0, accuracy=5000.0)])
    (track,) = picture.ingest([scene.report("bravo", 18_000.0, 0.0, 2.0, accuracy=5000.0)])
    assert track.velocity.ground_speed <= 4_000.0 + 1e-6


def test_delayed_reports_without_altitude_keep_a_high_track_high(scene):
    picture = Picture()
    for k in range(5):
        picture.ingest([scene.report("alpha", 2000.0 * k, 0.0, float(k), alt=70_000.0)])
    late = replace(
        scene.report("bravo", 3000.0, 0.0, 1.5, alt=0.0),
        altitude_measured=False,
        observed_at=scene.at(1.5) + timedelta(0),
    )
    (track,) = picture.ingest([late])
    assert track.position.alt_m > 60_000.0


def test_a_radar_that_cannot_tell_does_not_make_a_friend_unknown(scene):
    picture = Picture()
    for k in range(6):
        t = 2.0 * k
        friend = scene.report("alpha", 200.0 * k, 0.0, t, identity=Identity.FRIEND,
                              confidence=0.9, kind=ThreatKind.AIRCRAFT)  # fmt: skip
        blind = scene.report("bravo", 200.0 * k, 0.0, t + 0.5, identity=Identity.UNKNOWN)
        (track,) = picture.ingest([friend, blind])
    assert track.identity is Identity.FRIEND
    assert track.partners == frozenset({"alpha", "bravo"})
