"""GOSPA and the duplicate / false track rates, on cases worked out by hand, and against
Stone Soup's own GOSPA metric as an oracle."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from stonesoup.measures import Euclidean
from stonesoup.metricgenerator.ospametric import GOSPAMetric
from stonesoup.types.state import State

from warnline.bench.assignment import assign
from warnline.bench.metrics import CUTOFF_M, Scorer, gospa
from warnline.bench.tracking import score_tracks
from warnline.domain import Identity, Position, ThreatKind, Track, TrackState, Velocity
from warnline.domain.plane import regional_plane

C = CUTOFF_M  # 2 km
HALF = C**2 / 2  # what one missed object or one false track adds to GOSPA squared


def pts(*xs: float) -> np.ndarray:
    """Points on the x axis at 1 km altitude."""
    return np.array([[x, 0.0, 1000.0] for x in xs]).reshape(-1, 3)


def test_nothing_at_all_is_zero():
    g = gospa(pts(), pts())
    assert g.distance == 0.0 and g.tracks == g.objects == 0


def test_every_object_missed_costs_half_c_squared_each():
    g = gospa(pts(), pts(0.0, 50_000.0))
    assert g.distance == pytest.approx(math.sqrt(2 * HALF)) == pytest.approx(2000.0)
    assert (g.missed, g.false) == (2, 0)


def test_every_track_false_when_no_object():
    g = gospa(pts(0.0, 10_000.0, 20_000.0), pts())
    assert g.distance == pytest.approx(math.sqrt(3 * HALF))
    assert (g.false, g.far, g.duplicates) == (3, 3, 0)


def test_one_offset_track_costs_its_offset():
    tracks = np.array([[300.0, 400.0, 1000.0]])  # 500 m off in the plane
    g = gospa(tracks, pts(0.0))
    assert g.distance == pytest.approx(500.0)
    assert (g.assigned, g.missed, g.false) == (1, 0, 0)


def test_altitude_counts_in_the_distance():
    """A track right above its object but 2.5 km higher is not that object."""
    g = gospa(np.array([[0.0, 0.0, 3500.0]]), pts(0.0))
    assert (g.assigned, g.missed, g.false, g.far) == (0, 1, 1, 1)
    assert g.distance == pytest.approx(C)


def test_a_second_track_on_an_object_is_a_duplicate():
    g = gospa(pts(100.0, 10_100.0, 500.0), pts(0.0, 10_000.0))
    assert g.localisation == pytest.approx(100.0**2 + 100.0**2)
    assert g.distance == pytest.approx(math.sqrt(2e4 + HALF))
    assert (g.duplicates, g.far, g.false) == (1, 0, 1)


def test_assignment_is_optimal_not_greedy():
    # Nearest-first would give T1 (950) to B (850 m) and leave A missed and T2 false.
    g = gospa(pts(950.0, 2650.0), pts(0.0, 1800.0))
    assert g.localisation == pytest.approx(950.0**2 + 850.0**2)
    assert g.distance == pytest.approx(math.sqrt(950.0**2 + 850.0**2))


def test_one_good_pair_beats_two_poor_ones():
    """Pairing as many as possible is not GOSPA's optimum: two pairs at 1,990 m cost more
    than one exact pair plus a missed object and a false track."""
    g = gospa(pts(0.0, -1990.0), pts(0.0, 1990.0))
    assert g.assigned == 1 and g.localisation == pytest.approx(0.0)
    assert g.distance == pytest.approx(math.sqrt(2 * HALF))
    assert (g.duplicates, g.far) == (1, 0)


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_stone_soups_gospa(seed):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(0, 25, 2)
    objects = rng.uniform(0.0, 15_000.0, (m, 3))
    near = objects[rng.integers(0, max(m, 1), n)] if m else np.zeros((n, 3))
    tracks = near + rng.normal(0.0, 900.0, (n, 3))  # some inside c, some outside
    ours = gospa(tracks, objects)
    at = datetime(2025, 1, 1, tzinfo=UTC)
    oracle = GOSPAMetric(c=C, p=2, measure=Euclidean(mapping=(0, 1, 2)))
    theirs, _ = oracle.compute_gospa_metric(
        [State(t.reshape(3, 1), timestamp=at) for t in tracks],
        [State(o.reshape(3, 1), timestamp=at) for o in objects],
    )
    v = theirs.value
    assert ours.distance == pytest.approx(v["distance"], rel=1e-9, abs=1e-6)
    assert ours.localisation == pytest.approx(v["localisation"], rel=1e-9, abs=1e-6)
    assert ours.missed * HALF == pytest.approx(v["missed"])
    assert ours.false * HALF == pytest.approx(v["false"])


def test_sparse_assignment_matches_a_dense_one():
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(3)
    dense = np.where(rng.uniform(size=(30, 25)) < 0.15, rng.uniform(1.0, 9.0, (30, 25)), 0.0)
    rows, cols = np.nonzero(dense)
    r, c = assign(rows, cols, dense[rows, cols], n_rows=30, n_cols=25)
    assert len(set(r.tolist())) == len(r) and len(set(c.tolist())) == len(c)
    best_r, best_c = linear_sum_assignment(dense, maximize=True)
    assert dense[r, c].sum() == pytest.approx(dense[best_r, best_c].sum())


def test_scorer_rates_over_times():
    scorer = Scorer()
    scorer.add(pts(0.0, 10_000.0, 300.0, 50_000.0), pts(0.0, 10_000.0))  # 1 dup, 1 false
    scorer.add(pts(0.0, 10_000.0), pts(0.0, 10_000.0))
    s = scorer.summary()
    assert s["duplicate_track_rate"] == pytest.approx(1 / 6)
    assert s["false_track_rate"] == pytest.approx(1 / 6)
    assert s["missed_object_rate"] == 0.0
    assert s["mean_tracks"] == 3.0 and s["mean_objects"] == 2.0
    assert s["gospa"] == pytest.approx((math.sqrt(2 * HALF) + 0.0) / 2)


# -- score_tracks on Warnline tracks -------------------------------------------------------

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
A = (25.0, 45.0, 1000.0)  # lat, lon, alt of object A
B = (26.0, 46.0, 1000.0)


def track(
    n: int,
    lat: float,
    lon: float,
    *,
    state: TrackState = TrackState.CONFIRMED,
    at: datetime = T0,
    north: float = 0.0,
) -> Track:
    return Track(
        track_id=f"T{n:06d}",
        state=state,
        updated_at=at,
        first_seen=at,
        position=Position(lat=lat, lon=lon, alt_m=1000.0),
        velocity=Velocity(east=0.0, north=north),
        sigma_m=100.0,
        kind=ThreatKind.DRONE,
        identity=Identity.HOSTILE,
        confidence=0.7,
        contributors=(),
        report_count=3,
    )


def test_score_tracks_counts_duplicates_false_and_ignores_tentative():
    def truth(at_s: float) -> dict[str, tuple[float, float, float]]:
        return {"A": A, "B": B}

    tracks = [
        track(1, A[0], A[1]),
        track(2, B[0], B[1]),
        track(3, A[0] + 0.003, A[1]),  # ~330 m north of A: a duplicate
        track(4, 30.0, 40.0),  # nowhere near anything: false
        track(5, 30.0, 41.0, state=TrackState.TENTATIVE),  # not scored
    ]
    s = score_tracks(truth=truth, snapshots=[(T0.timestamp(), tracks)])
    assert s["mean_tracks"] == 4.0
    assert s["duplicate_track_rate"] == pytest.approx(0.25)
    assert s["false_track_rate"] == pytest.approx(0.25)
    assert s["missed_object_rate"] == 0.0


def test_score_tracks_extrapolates_a_coasting_track_along_its_velocity():
    """Last reported 1.5 km south of A ten seconds ago, going north at 150 m/s: it is on A."""
    plane = regional_plane()
    x, y = plane.point_xy(A[1], A[0])
    lon, lat = plane.point_lonlat(x, y - 1500.0)
    old = T0 - timedelta(seconds=10)
    coasting = track(1, lat, lon, state=TrackState.COASTING, at=old, north=150.0)
    standing = track(1, lat, lon, state=TrackState.COASTING, at=old, north=0.0)

    def truth(at_s: float) -> dict[str, tuple[float, float, float]]:
        return {"A": A}

    moving = score_tracks(truth=truth, snapshots=[(T0.timestamp(), [coasting])])
    still = score_tracks(truth=truth, snapshots=[(T0.timestamp(), [standing])])
    assert moving["localisation_rms_m"] < 30.0  # plane scale and convergence: well under 2 %
    assert still["localisation_rms_m"] == pytest.approx(1500.0, rel=0.02)


def test_tracking_exports_exactly_its_two_entry_points():
    import warnline.bench.tracking as tracking

    assert tracking.__all__ == ["STONESOUP_WINDOW_S", "compare", "score_tracks"]
    assert callable(tracking.compare) and callable(tracking.score_tracks)


def test_compare_refuses_batches_out_of_order():
    from warnline.bench.tracking import compare

    with pytest.raises(ValueError, match="arrival order"):
        compare(batches=[[], []], times=[2.0, 1.0], truth=lambda t: {})
