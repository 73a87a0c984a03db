"""The warnings score's targets: each judged only where its figure exists and applies."""

from __future__ import annotations

from typing import Any

from warnline.sim.targets import check, verdict


def _speed(score: dict[str, Any]) -> dict[str, bool | None]:
    return {k: ok for k, _, _, ok in check(score) if k in ("reports_per_s", "vs stonesoup")}


def test_speed_targets_judge_only_a_raid_of_320_objects() -> None:
    figures: dict[str, Any] = {"reports_per_s": 5_000.0, "stonesoup": {"reports_per_s": 200.0}}
    small = figures | {"run": {"objects": 47}}
    big = figures | {"run": {"objects": 320}}
    assert _speed(small) == {"reports_per_s": None, "vs stonesoup": None}
    assert _speed(big) == {"reports_per_s": False, "vs stonesoup": False}
    assert "reports_per_s" not in verdict(small) and "reports_per_s" in verdict(big)
