"""Issue 9's targets for the warnings score, and the one-line verdict.

Each target is checked only when its figure was computed (a tracking key the bench
could not compute is shown as "n/a", neither passed nor failed) and where it applies
(the picture's speed targets are for 320 objects: `warnline bench picture` judges them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Target:
    key: str
    text: str
    value: Callable[[dict[str, Any]], Any]
    ok: Callable[[Any, dict[str, Any]], bool]
    applies: Callable[[dict[str, Any]], bool] = lambda _: True


SPEED_OBJECTS = 320  # the picture's speed targets are for a raid this big (`bench picture`)


def _big_raid(s: dict[str, Any]) -> bool:
    """The speed targets hold for 320 objects with clutter: a smaller raid's small
    batches measure per-batch overhead, shown but not judged (`bench picture` is)."""
    return int((s.get("run") or {}).get("objects") or 0) >= SPEED_OBJECTS


def _get(*path: str) -> Callable[[dict[str, Any]], Any]:
    def read(s: dict[str, Any]) -> Any:
        cur: Any = s
        for p in path:
            cur = cur.get(p) if isinstance(cur, dict) else None
        return cur

    return read


def _vs_stonesoup(s: dict[str, Any]) -> float | None:
    ours, theirs = s.get("reports_per_s"), (s.get("stonesoup") or {}).get("reports_per_s")
    return round(ours / theirs, 1) if ours and theirs else None


def _gospa_vs_baseline(s: dict[str, Any]) -> float | None:
    ours, base = s.get("gospa"), (s.get("baseline") or {}).get("gospa")
    return round(ours / base, 3) if ours is not None and base else None


TARGETS: tuple[Target, ...] = (
    Target(
        key="missed_warnings", text="= 0", value=_get("missed_warnings"), ok=lambda v, _: v == 0
    ),
    Target(
        key="false_warning_rate",
        text="< 0.05",
        value=_get("false_warning_rate"),
        ok=lambda v, _: v < 0.05,
    ),
    Target(
        key="premature_all_clears",
        text="= 0",
        value=_get("premature_all_clears"),
        ok=lambda v, _: v == 0,
    ),
    Target(key="contradictions", text="= 0", value=_get("contradictions"), ok=lambda v, _: v == 0),
    Target(
        key="clutter_or_decoy_only_alerts",
        text="= 0",
        value=_get("clutter_or_decoy_only_alerts"),
        ok=lambda v, _: v == 0,
    ),
    Target(key="over_warning", text="<= 1.5", value=_get("over_warning"), ok=lambda v, _: v <= 1.5),
    Target(
        key="max_alerts_per_area",
        text="<= 3",
        value=_get("max_alerts_per_area"),
        ok=lambda v, _: v <= 3,
    ),
    Target(
        key="shelter_lead_ratio.drone",
        text="1..3 x time to shelter (median)",
        value=_get("shelter_lead_ratio", "drone"),
        ok=lambda v, _: 1.0 <= v <= 3.0,
    ),
    Target(
        key="first_warning_latency_s.p99",
        text="<= 2 s",
        value=_get("first_warning_latency_s", "p99"),
        ok=lambda v, _: v <= 2.0,
    ),
    Target(
        key="gospa / baseline", text="<= 1.10", value=_gospa_vs_baseline, ok=lambda v, _: v <= 1.1
    ),
    Target(
        key="duplicate_track_rate",
        text="<= 0.01",
        value=_get("duplicate_track_rate"),
        ok=lambda v, _: v <= 0.01,
    ),
    Target(
        key="false_track_rate",
        text="<= 0.01",
        value=_get("false_track_rate"),
        ok=lambda v, _: v <= 0.01,
    ),
    Target(
        key="reports_per_s",
        text=">= 20000 (320 objects)",
        value=_get("reports_per_s"),
        ok=lambda v, _: v >= 20_000,
        applies=_big_raid,
    ),
    Target(
        key="vs stonesoup",
        text=">= 50 x (320 objects)",
        value=_vs_stonesoup,
        ok=lambda v, _: v >= 50,
        applies=_big_raid,
    ),
)


def check(score: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(key, value, target, passed or None when not computed) per target."""
    out = []
    for t in TARGETS:
        v = t.value(score)
        judged = v is not None and t.applies(score)
        out.append((t.key, v, t.text, bool(t.ok(v, score)) if judged else None))
    return out


def table(score: dict[str, Any]) -> str:
    lines = []
    for key, v, text, ok in check(score):
        mark = "n/a" if ok is None else "pass" if ok else "FAIL"
        shown = f"{v:.4g}" if isinstance(v, float) else str(v)
        lines.append(f"  {key:30s} {shown:>12}   target {text:32s} {mark}")
    lines.append(f"  {'tta_error (median relative)':30s} {score.get('tta_error')!s:>12}")
    lat = score.get("first_warning_latency_s") or {}
    lines.append(
        f"  {'own-track warning latency p99':30s} {lat.get('own_p99')!s:>12}   "
        f"({lat.get('own_before_evidence')} objects named before their evidence was complete)"
    )
    lines.append(f"  {'shelter_lead_s':30s} {score.get('shelter_lead_s')}")
    lines.append(
        f"  {'shelter_lead_ratio_needed':30s} {score.get('shelter_lead_ratio_needed')}   "
        "(a warner sheltering exactly while needed)"
    )
    return "\n".join(lines)


def verdict(score: dict[str, Any]) -> str:
    """One line a duty officer's chief could read: met, or what is not."""
    failed = [(k, v) for k, v, _, ok in check(score) if ok is False]
    head = (
        f"{score.get('missed_warnings')} missed, "
        f"{score.get('false_warning_rate', 0) * 100:.1f} % false, "
        f"{score.get('contradictions')} contradictions, "
        f"{score.get('clutter_or_decoy_only_alerts')} clutter/decoy-only, "
        f"over-warning {score.get('over_warning')}"
    )
    if not failed:
        return f"Verdict: warnings trustworthy — {head}"
    return f"Verdict: NOT MET ({len(failed)} targets failed: " + (
        ", ".join(k for k, _ in failed) + f") — {head}"
    )
