"""Display geometry made when looked at: the same outline, and no area ever missed."""

from __future__ import annotations

import pickle
import random
from dataclasses import replace

import numpy as np
import pytest
import shapely

from tests.assess.test_assessor import AT, track
from warnline.agreement.load import default_agreement
from warnline.assess import Assessor
from warnline.assess.display import Outline, PathSamples, corridors, prepare, rings
from warnline.domain import ThreatKind, Track
from warnline.domain.plane import regional_plane


@pytest.fixture(scope="module")
def assessor() -> Assessor:
    return Assessor(agreement=default_agreement())


def raid(assessor: Assessor, n: int, seed: int, *, gap_m: float = 250_000.0) -> list[Track]:
    """Tracks of every kind and speed, some turning, outside every area's box but
    within `gap_m` of one: where a bound that forgot part of the corridor (its width,
    a hovering track's spread, a turning track's band) would set them aside."""
    rng = random.Random(seed)
    kinds = [ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE, ThreatKind.UNKNOWN, ThreatKind.AIRCRAFT]
    boxes = assessor._bounds
    plane = regional_plane()
    out: list[Track] = []
    while len(out) < n:
        lon, lat = rng.uniform(15.0, 75.0), rng.uniform(0.0, 45.0)
        x, y = plane.point_xy(lon, lat)
        dx = np.maximum(np.maximum(boxes[:, 0] - x, x - boxes[:, 2]), 0.0)
        dy = np.maximum(np.maximum(boxes[:, 1] - y, y - boxes[:, 3]), 0.0)
        gap = float(np.hypot(dx, dy).min())
        if not 0.0 < gap < gap_m:
            continue
        one = track(
            f"t{len(out)}",
            lat=lat,
            lon=lon,
            speed=rng.choice([0.0, 0.5, 30.0, 60.0, 250.0]),
            heading=rng.uniform(0.0, 360.0),
            kind=rng.choice(kinds),
            sigma_m=rng.choice([50.0, 500.0, 5_000.0]),
        )
        out.append(replace(one, turn_rate_dps=rng.choice([0.0, 0.0, 1.0, -3.0])))
    return out


@pytest.mark.parametrize("gap_m", [250_000.0, 20_000.0])
def test_a_track_set_aside_as_far_from_every_area_has_a_corridor_that_meets_none(
    assessor: Assessor, gap_m: float
) -> None:
    """The box test may only set aside tracks whose exact corridor meets no area."""
    tracks = raid(assessor, 600, seed=5, gap_m=gap_m)
    motion = assessor._motion(tracks, AT)
    plans = [assessor._plan(t, motion, i) for i, t in enumerate(tracks)]
    t, widths = assessor._spans(motion, plans)
    start_m = np.array([p.start_m for p in plans])
    near = assessor._near_an_area(motion, t, widths, start_m)
    polygons = corridors(
        x=motion.x,
        y=motion.y,
        vx=motion.vx,
        vy=motion.vy,
        omega=motion.omega,
        t=t,
        widths=widths,
        start_m=start_m,
    )
    meets = np.zeros(len(tracks), dtype=bool)
    meets[assessor._tree.query(polygons, predicate="intersects")[0]] = True
    assert int((~near).sum()) > 20 and int(meets.sum()) > 10  # both occur here
    assert not (meets & ~near).any()
    results = assessor.assess(tracks, AT)
    assert all(not r.areas for r, n in zip(results, near, strict=True) if not n)


def test_the_outline_made_later_is_the_one_the_assessor_would_have_made(
    assessor: Assessor,
) -> None:
    far = track("sea", lat=15.0, lon=60.0, speed=60.0, heading=30.0)  # Arabian Sea
    near = track("jor", lat=31.5, lon=36.5, speed=60.0, heading=300.0)
    results = assessor.assess([far, near], AT)
    assert results[0].areas == () and results[1].areas != ()
    for r in results:
        assert isinstance(r.corridor, Outline) and isinstance(r.path, PathSamples)
        s = r.corridor.sketch
        polygon = corridors(
            x=np.array([s.motion[0]]),
            y=np.array([s.motion[1]]),
            vx=np.array([s.motion[2]]),
            vy=np.array([s.motion[3]]),
            omega=np.array([s.motion[4]]),
            t=np.array([s.t]),
            widths=np.array([s.widths]),
            start_m=np.array([s.start_m]),
        )
        [ring] = rings(regional_plane(), polygon)
        assert tuple(r.corridor) == ring and r.corridor[0] == r.corridor[-1]
        assert shapely.Polygon(ring).is_valid
        assert len(r.path) == 16 and r.path[0].lat == pytest.approx(
            31.5 if r.track_id == "jor" else 15.0, abs=1e-6
        )


def test_prepare_makes_every_outline_once(assessor: Assessor) -> None:
    results = assessor.assess(raid(assessor, 50, seed=2), AT)
    sketches = [r.corridor.sketch for r in results if isinstance(r.corridor, Outline)]
    assert len(sketches) == 50 and all(s._ring is None for s in sketches)
    prepare(r.corridor for r in results)
    made = [s._ring for s in sketches]
    assert all(m is not None for m in made)
    prepare(r.corridor for r in results)  # nothing left to make: the same objects stay
    assert all(s._ring is m for s, m in zip(sketches, made, strict=True))


def test_a_snapshot_is_the_same_whether_or_not_someone_looked(assessor: Assessor) -> None:
    [a] = assessor.assess([track("jor", lat=31.5, lon=36.5, speed=60.0, heading=300.0)], AT)
    before = pickle.dumps(a)
    ring, path = tuple(a.corridor), tuple(a.path)
    assert pickle.dumps(a) == before
    back = pickle.loads(before)
    assert back == a and tuple(back.corridor) == ring and tuple(back.path) == path
