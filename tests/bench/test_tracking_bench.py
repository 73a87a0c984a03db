"""The baseline tracker, the raid with its truth, and the three-way comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from warnline.bench.baseline import Baseline
from warnline.bench.picture import START, raid, raid_reports
from warnline.bench.picture_figures import TARGETS, figures, table
from warnline.domain import Identity, Position, Report, ThreatKind
from warnline.domain.plane import regional_plane

PLANE = regional_plane()
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def report(i: int, partner: str, t: float, x: float, y: float, z: float) -> Report:
    lon, lat = PLANE.point_lonlat(x, y)
    return Report(
        report_id=f"{partner}-{i}",
        partner=partner,
        sensor="radar",
        observed_at=T0 + timedelta(seconds=t),
        position=Position(lat=lat, lon=lon, alt_m=z),
        accuracy_m=150.0,
        kind=ThreatKind.DRONE,
        identity=Identity.HOSTILE,
    )


def test_baseline_confirms_a_straight_target_and_follows_it():
    rng = np.random.default_rng(0)
    tracker = Baseline(plane=PLANE)
    for second in range(20):
        batch = []
        for k, partner in enumerate(("A", "B", "C")):
            t = second + k / 3
            x, y = 100_000.0 + 200.0 * t, 50_000.0 - 100.0 * t
            nx, ny, nz = rng.normal(0.0, 150.0, 3)
            batch.append(report(second, partner, t, x + nx, y + ny, 3000.0 + nz))
        tracker.ingest(batch)
        tracker.expire(T0.timestamp() + second + 1)
    at = 20.0
    where = tracker.positions(T0.timestamp() + at)
    assert where.shape == (1, 3)
    expected = np.array([100_000.0 + 200.0 * at, 50_000.0 - 100.0 * at, 3000.0])
    assert np.linalg.norm(where[0] - expected) < 300.0
    assert np.linalg.norm(tracker.x[0, 3:5] - [200.0, -100.0]) < 30.0


def test_baseline_ignores_isolated_clutter():
    rng = np.random.default_rng(1)
    tracker = Baseline(plane=PLANE)
    for second in range(30):
        batch = [
            report(second * 10 + j, f"P{j % 3}", second + rng.uniform(), *xy, 2000.0)
            for j, xy in enumerate(rng.uniform(-500_000.0, 500_000.0, (5, 2)))
        ]
        tracker.ingest(batch)
        tracker.expire(T0.timestamp() + second + 1)
        assert len(tracker.positions(T0.timestamp() + second + 1)) == 0
    assert len(tracker.x) <= 5 * 7  # tentative tracks older than the M-of-N window are gone


def test_baseline_reports_are_out_of_order_tolerant():
    """The same target, each batch's reports reversed in time: still one track, on it."""
    tracker = Baseline(plane=PLANE)
    for second in range(15):
        batch = [
            report(second * 3 + k, p, second + k * 0.3, 200.0 * (second + k * 0.3), 0.0, 1e3)
            for k, p in enumerate(("A", "B", "C"))
        ]
        tracker.ingest(batch[::-1])
        tracker.expire(T0.timestamp() + second + 1)
    assert len(tracker.positions(T0.timestamp() + 15)) == 1


def test_raid_truth_holds_objects_not_clutter_and_labels_lie_as_asked():
    r = raid(60, 4, 12, seed=5, clutter=0.05, wrong_kind=0.3)
    reports = [x for b in r.batches for x in b]
    clutter = [x for x in reports if x.report_id.startswith("c")]
    assert r.clutter_reports == len(clutter)
    assert 0.03 < len(clutter) / len(reports) < 0.07
    assert len(r.truth(r.times[3])) == 60
    assert all(name.startswith("O") for name in r.truth(r.times[3]))
    # Each real report's sensor track names its object: compare the kind told with the truth.
    told: dict[str, list[ThreatKind]] = {}
    for x in reports:
        known = x.kind is not ThreatKind.UNKNOWN
        if known and x.sensor_track is not None and not x.report_id.startswith("c"):
            told.setdefault(x.sensor_track, []).append(x.kind)
    modal = {s: max(set(ks), key=ks.count) for s, ks in told.items()}
    wrong = sum(k is not modal[s] for s, ks in told.items() for k in ks)
    assert 0.2 < wrong / sum(len(ks) for ks in told.values()) < 0.4
    assert len(r.times) == 12 and r.times[0] == START.timestamp() + 1.0


def test_raid_reports_stay_clean_by_default():
    batches = raid_reports(30, 3, 8, seed=2)
    assert not any(x.report_id.startswith("c") for b in batches for x in b)


@pytest.fixture(scope="module")
def tiny() -> dict:
    return figures(
        n_objects=25, partners=3, seconds=8, seed=4, with_large=False, small_batch_count=40
    )


def test_compare_returns_every_figure_for_all_three(tiny):
    expected = {
        "gospa",
        "duplicate_track_rate",
        "false_track_rate",
        "reports_per_s",
        "mean_tracks",
        "mean_objects",
        "missed_object_rate",
        "gospa_stonesoup_window",
        "batch_p99_ms",
    }
    trackers = tiny["trackers"]
    assert set(trackers) == {"warnline", "baseline", "stonesoup"}
    for name, f in trackers.items():
        assert expected <= set(f), name
        assert f["reports_per_s"] > 0 and f["mean_objects"] == 25, name
        assert f["reports"] == tiny["raid"]["reports"], name  # 8 s: all inside Stone Soup's window
    # All three find the 25 objects once initiated: most evaluations see them tracked.
    for name in ("baseline", "stonesoup"):
        assert trackers[name]["missed_object_rate"] < 0.4, name
        assert trackers[name]["false_track_rate"] < 0.05, name
    assert set(tiny["checks"]) == set(TARGETS)
    small = tiny["small_batches"]
    assert small["live_tracks"] == [200, 2000] and min(small["batch_ms"]) > 0.0
    assert small["ratio"] == small["batch_ms"][1] / small["batch_ms"][0]
    assert tiny["checks"]["small_batch_ratio"]["met"] is (small["ratio"] <= 2.0)
    lines = table(tiny).splitlines()
    assert "warnline" in lines[0] and any("target" in line for line in lines)


def test_compare_without_stone_soup_for_big_raids():
    from warnline.bench.tracking import compare

    r = raid(15, 2, 5, seed=8)
    out = compare(batches=r.batches, times=r.times, truth=r.truth, stonesoup=False)
    assert set(out) == {"warnline", "baseline"}
    assert out["baseline"]["evaluations"] == 5
