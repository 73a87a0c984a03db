"""One partner cannot fill the picture (issue 10, finding 9): a quota per partner on the
tracks that rest on its reports alone, below the picture's own cap."""

from __future__ import annotations

import pytest

from warnline.domain import TrackState
from warnline.picture import Picture


def test_a_flooding_partner_loses_its_own_stalest_tracks_not_the_others(scene):
    picture = Picture(max_tracks=10, max_partner_tracks=4)
    bravo = picture.ingest(
        [scene.report("bravo", 0.0, 500_000.0 * k, 0.0, sensor="eo") for k in (1, 2)]
    )
    flood_ids: list[str] = []
    for second in range(1, 7):  # 24 distinct objects, 4 a second, each far from the rest
        batch = [
            scene.report("alpha", 60_000.0 * (4 * second + k), -400_000.0, float(second))
            for k in range(4)
        ]
        out = picture.ingest(batch)
        flood_ids += [t.track_id for t in out if t.state is not TrackState.LOST]
    live = picture.tracks()
    held = {t.track_id for t in live}
    assert {t.track_id for t in bravo} <= held  # the quiet partner's tracks stay
    alpha = [t for t in live if {c.partner for c in t.contributors} == {"alpha"}]
    assert len(alpha) == 4 and len(live) == 6
    assert {t.track_id for t in alpha} == set(flood_ids[-4:])  # the freshest four


def test_the_picture_cap_alone_would_have_pushed_the_quiet_partner_out(scene):
    picture = Picture(max_tracks=10, max_partner_tracks=10)
    bravo = picture.ingest(
        [scene.report("bravo", 0.0, 500_000.0 * k, 0.0, sensor="eo") for k in (1, 2)]
    )
    for second in range(1, 7):
        picture.ingest(
            [
                scene.report("alpha", 60_000.0 * (4 * second + k), -400_000.0, float(second))
                for k in range(4)
            ]
        )
    held = {t.track_id for t in picture.tracks()}
    assert not ({t.track_id for t in bravo} & held)  # why the quota exists


def test_a_track_another_partner_corroborates_counts_against_no_quota(scene):
    picture = Picture(max_tracks=10, max_partner_tracks=2)
    (shared,) = picture.ingest(
        [
            scene.report("alpha", 0.0, 0.0, 0.0),
            scene.report("bravo", 20.0, 0.0, 0.0, sensor="eo"),
        ]
    )
    assert {c.partner for c in shared.contributors} == {"alpha", "bravo"}
    for second in range(1, 4):
        picture.ingest([scene.report("alpha", 80_000.0 * second, 300_000.0, float(second))])
    held = {t.track_id for t in picture.tracks()}
    assert shared.track_id in held and len(held) == 3


def test_quota_must_be_positive():
    with pytest.raises(ValueError, match="max_partner_tracks"):
        Picture(max_partner_tracks=0)
