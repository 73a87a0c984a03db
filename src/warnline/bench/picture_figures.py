"""`warnline bench picture`: the three trackers on one raid, with the issue's targets.

The headline raid is the issue's: 320 objects, 7 sensors (one per partner), 1 % clutter,
15 % wrong kind guesses, 60 s. Beside it, the picture alone on 3,000 objects for 30 s
(the throughput figure kept from before, now with the same clutter and wrong kinds and
scored too). And what a batch of one report costs beside 200 and beside 2,000 live tracks
(`picture_small`): the ratio of the two is the check that small submissions do not cost
work in proportion to every live track.
"""

from __future__ import annotations

from typing import Any

from warnline.bench.picture import raid, run
from warnline.bench.picture_small import small_batches
from warnline.bench.tracking import STONESOUP_WINDOW_S, compare

TARGETS = {
    "gospa_over_baseline": ("<=", 1.10),
    "duplicate_track_rate": ("<=", 0.01),
    "false_track_rate": ("<=", 0.01),
    "reports_per_s": (">=", 20_000.0),
    "picture_over_stonesoup_reports_per_s": (">=", 50.0),
    "small_batch_ratio": ("<=", 2.0),
}


def figures(
    *,
    n_objects: int = 320,
    partners: int = 7,
    seconds: int = 60,
    seed: int = 0,
    clutter: float = 0.01,
    wrong_kind: float = 0.15,
    with_large: bool = True,
    small_batch_count: int = 300,
) -> dict[str, Any]:
    r = raid(n_objects, partners, seconds, seed, clutter=clutter, wrong_kind=wrong_kind)
    trackers = compare(batches=r.batches, times=r.times, truth=r.truth)
    w, b, s = trackers["warnline"], trackers["baseline"], trackers["stonesoup"]
    small = small_batches(batches=small_batch_count)
    values = {
        "gospa_over_baseline": w["gospa"] / b["gospa"] if b["gospa"] else float("inf"),
        "duplicate_track_rate": w["duplicate_track_rate"],
        "false_track_rate": w["false_track_rate"],
        "reports_per_s": w["reports_per_s"],
        "picture_over_stonesoup_reports_per_s": (
            w["reports_per_s"] / s["reports_per_s"] if s["reports_per_s"] else float("inf")
        ),
        "small_batch_ratio": small["ratio"],
    }
    checks = {
        name: {
            "value": values[name],
            "target": f"{op} {bound:g}",
            "met": _met(op, values[name], bound),
        }
        for name, (op, bound) in TARGETS.items()
    }
    out: dict[str, Any] = {
        "raid": {
            "objects": n_objects,
            "sensors": partners,
            "seconds": seconds,
            "clutter": clutter,
            "wrong_kind": wrong_kind,
            "reports": sum(len(batch) for batch in r.batches),
            "clutter_reports": r.clutter_reports,
            "stonesoup_window_s": STONESOUP_WINDOW_S,
        },
        "trackers": trackers,
        "small_batches": small,
        "checks": checks,
    }
    if with_large:
        out["3000_objects"] = large(seed=seed, clutter=clutter, wrong_kind=wrong_kind)
    return out


def throughput(**shape: Any) -> dict[str, Any]:
    """The picture alone, scored (`--throughput-only`), and the small-batch figure."""
    return {**run(**shape, score=True), "small_batches": small_batches()}


def large(*, seed: int, clutter: float, wrong_kind: float) -> dict[str, dict[str, float]]:
    """3,000 objects, 6 partners, 30 s: the picture and the baseline (Stone Soup would
    take an hour)."""
    r = raid(3000, 6, 30, seed, clutter=clutter, wrong_kind=wrong_kind)
    return compare(batches=r.batches, times=r.times, truth=r.truth, stonesoup=False)


def table(result: dict[str, Any]) -> str:
    """The figures as a few lines a person reads: trackers side by side, then targets."""
    rows = [
        ("GOSPA (m, c = 2 km, p = 2)", "gospa", "{:,.0f}"),
        ("GOSPA over Stone Soup's window", "gospa_stonesoup_window", "{:,.0f}"),
        ("duplicate track rate", "duplicate_track_rate", "{:.2%}"),
        ("false track rate", "false_track_rate", "{:.2%}"),
        ("missed object rate", "missed_object_rate", "{:.2%}"),
        ("localisation RMS (m)", "localisation_rms_m", "{:,.0f}"),
        ("mean tracks / objects", "mean_tracks", "{:,.1f}"),
        ("reports/s (ingest only)", "reports_per_s", "{:,.0f}"),
        ("seconds of raid", "seconds", "{:.0f}"),
    ]
    trackers = result["trackers"]
    names = ("warnline", "baseline", "stonesoup")
    lines = [f"{'':34}" + "".join(f"{n:>14}" for n in names)]
    for label, key, fmt in rows:
        lines.append(f"{label:34}" + "".join(f"{fmt.format(trackers[n][key]):>14}" for n in names))
    lines.append("")
    for name, check in result["checks"].items():
        mark = "met" if check["met"] else "NOT met"
        lines.append(f"{name:40} {check['value']:>12,.3f}   target {check['target']:>10}   {mark}")
    return "\n".join(lines)


def _met(op: str, value: float, bound: float) -> bool:
    return value <= bound if op == "<=" else value >= bound
