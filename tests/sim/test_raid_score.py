"""A small seeded raid through the node's decision path, scored end to end: every key of
the warnings score is there and computed. Thresholds are those that hold today; they
tighten as the picture and alerting meet issue 9's targets."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import T0
from warnline.agreement.model import Agreement
from warnline.sim.raid import alert_payloads, run_raid
from warnline.sim.scenario import build_scenario
from warnline.sim.targets import check, verdict

KEYS = {
    "missed_warnings",
    "false_warning_rate",
    "premature_all_clears",
    "contradictions",
    "clutter_or_decoy_only_alerts",
    "over_warning",
    "max_alerts_per_area",
    "shelter_lead_s",
    "first_warning_latency_s",
    "tta_error",
    "gospa",
    "duplicate_track_rate",
    "false_track_rate",
    "reports_per_s",
    "stonesoup",
    "baseline",
}
TRACKING = {"gospa", "duplicate_track_rate", "false_track_rate", "reports_per_s"}


@pytest.fixture(scope="module")
def scored(agreement: Agreement) -> tuple[dict[str, Any], int]:
    scenario = build_scenario(agreement, start=T0, duration_s=240, seed=4, scale=0.4)
    raid = run_raid(scenario, agreement, seed=4, drain_s=60)
    score = raid.scored(agreement, until_s=300)
    return score, len(alert_payloads(raid.entries))


def test_every_key_is_there_and_computed(scored: tuple[dict[str, Any], int]) -> None:
    s, versions = scored
    assert s.keys() >= KEYS
    assert s["stonesoup"].keys() >= TRACKING and s["baseline"].keys() >= TRACKING
    assert s["entries"] >= 5 and versions >= 10 and s["alert_versions"] == versions
    assert 0 <= s["missed_warnings"] <= s["entries"]
    assert 0.0 <= s["false_warning_rate"] <= 1.0
    assert s["over_warning"] > 0 and s["max_alerts_per_area"] >= 1
    assert s["shelter_lead_s"] and all(
        {"median", "p10"} <= set(v) for v in s["shelter_lead_s"].values()
    )
    assert s["first_warning_latency_s"]["n"] >= 1
    assert s["tta_error"] is not None and s["tta_error"] >= 0


def test_what_holds_on_this_branch(scored: tuple[dict[str, Any], int]) -> None:
    """Measured here (seed 4): 0 missed; the rest fails issue 9's targets today."""
    s, _ = scored
    assert s["missed_warnings"] == 0
    assert s["first_warning_latency_s"]["p99"] <= 2.0
    assert verdict(s).startswith("Verdict: ")
    assert any(ok is True for _, _, _, ok in check(s))


def test_same_seed_same_decisions(agreement: Agreement) -> None:
    """The raid runs on a manual clock: the journaled decisions depend on the seed only."""

    def decisions() -> list[Any]:
        scenario = build_scenario(agreement, start=T0, duration_s=90, seed=8, scale=0.2)
        raid = run_raid(scenario, agreement, seed=8, drain_s=10)
        return [
            (e.event.event_id, e.event.payload)
            for e in raid.entries
            if e.event.kind != "report.received"
        ]

    first = decisions()
    assert any(k.startswith("alert:") for k, _ in first)
    assert decisions() == first
