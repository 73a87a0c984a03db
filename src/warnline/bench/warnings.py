"""`warnline bench warnings`: can people trust the warnings, on a raid with clutter,
decoys, wrong kind guesses and late, out-of-order reports?

A seeded raid runs through the node's own decision path in scenario time
(`warnline.sim.raid`: signed JSON through the intake, journal, pipeline on 0.5 s
ticks, no sleeping) and is scored on ground truth (`warnline.sim.score`); each figure
is printed beside issue 9's target. `warnings-raid` is the bigger preset shaped like
the held-back raid (40 min, 60 drones, 15 cruise, 40 ballistic, 4 decoys, 15 sensors
of 7 partners), `warnings-dense` the same raid denser than the held-back one (every
sensor revisiting four times as often); `warnings-speed` runs the real exercise
(HTTP) at two speeds with one seed and compares tracks and alerts (decisions must not
depend on node lag).
"""

from __future__ import annotations

import asyncio
import io
import socket
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from warnline.agreement.load import default_agreement
from warnline.domain import ThreatKind
from warnline.sim.raid import run_raid
from warnline.sim.scenario import build_scenario
from warnline.sim.targets import table, verdict

START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class Preset:
    duration_s: float
    seed: int
    scale: float = 1.0
    mix: dict[ThreatKind, int] | None = None
    sensor_partners: int | None = None
    early_warning: int = 2
    drain_s: float = 120.0
    revisit_scale: float = 1.0


DEFAULT = Preset(duration_s=600.0, seed=11)
HELD_BACK_SHAPE = Preset(
    duration_s=2400.0,
    seed=29,
    mix={ThreatKind.DRONE: 60, ThreatKind.CRUISE_MISSILE: 15, ThreatKind.BALLISTIC_MISSILE: 40},
    sensor_partners=7,
    early_warning=1,
)
DENSE_SHAPE = replace(HELD_BACK_SHAPE, revisit_scale=0.25)
"""The same raid with every sensor revisiting four times as often: about 333,000 reports,
denser than the held-back raid's ~245,000 (the default revisits give about 83,000)."""


def run(preset: Preset = DEFAULT, *, compare: bool = True) -> dict[str, Any]:
    agreement = default_agreement()
    scenario = build_scenario(
        agreement,
        start=START,
        duration_s=preset.duration_s,
        seed=preset.seed,
        scale=preset.scale,
        mix=preset.mix,
        sensor_partners=preset.sensor_partners,
        early_warning=preset.early_warning,
        revisit_scale=preset.revisit_scale,
    )
    t0 = time.perf_counter()
    raid = run_raid(scenario, agreement, seed=preset.seed, drain_s=preset.drain_s)
    run_s = time.perf_counter() - t0
    score = raid.scored(agreement, until_s=preset.duration_s + preset.drain_s, compare=compare)
    reports = sum(len(b) for b in raid.batches)
    score["run"] = {
        "duration_s": preset.duration_s,
        "seed": preset.seed,
        "revisit_scale": preset.revisit_scale,
        "objects": len(scenario.threats),
        "decoys": sum(1 for t in scenario.threats if t.decoy),
        "sensors": len(scenario.sensors),
        "reports": reports,
        "clutter_reports": sum(1 for v in raid.truth_of.values() if v is None),
        "tracks_created": raid.tracks_created,
        "node_run_s": round(run_s, 1),
        "node_reports_per_s": round(reports / run_s, 1) if run_s else None,
        "score_s": round(time.perf_counter() - t0 - run_s, 1),
    }
    print(table(score))
    print(verdict(score))
    return score


def run_held_back_shape() -> dict[str, Any]:
    return run(HELD_BACK_SHAPE)


def run_dense() -> dict[str, Any]:
    """The held-back raid's shape at its density (`DENSE_SHAPE`), without the peers:
    Stone Soup would take hours over 245,000 reports."""
    return run(DENSE_SHAPE, compare=False)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def speed_check(
    *, duration_s: float = 120.0, seed: int = 7, speeds: tuple[float, float] = (2.0, 20.0)
) -> dict[str, Any]:
    """The same exercise (HTTP, real node) at two speeds: tracks and alerts for each,
    and the ratio fast/slow (issue 9 point 8: within 10 %)."""
    from warnline.exercise import ExerciseOptions, run_exercise

    out: dict[str, Any] = {"duration_s": duration_s, "seed": seed}
    for speed in speeds:
        opts = ExerciseOptions(
            duration_s=duration_s, speed=speed, seed=seed, console=False, port=_port()
        )
        s = asyncio.run(run_exercise(opts, out=io.StringIO()))
        w = s.get("warnings", {})
        out[f"speed_{speed:g}"] = {
            "reports": s["reports"],
            "tracks": s["tracks"],
            "alerts": s["alerts"],
            "alert_versions": sum(s["alert_messages"].values()),
            "missed_warnings": w.get("missed_warnings"),
            "false_warning_rate": w.get("false_warning_rate"),
        }
    slow, fast = (out[f"speed_{v:g}"] for v in speeds)
    for k in ("tracks", "alerts", "alert_versions"):
        out[f"{k}_ratio"] = round(fast[k] / slow[k], 3) if slow[k] else None
    ratios = [out[f"{k}_ratio"] for k in ("tracks", "alerts")]
    out["within_10_percent"] = all(r is not None and abs(r - 1.0) <= 0.1 for r in ratios)
    print(
        f"  tracks {slow['tracks']} vs {fast['tracks']}, alerts {slow['alerts']} vs "
        f"{fast['alerts']}: {'pass' if out['within_10_percent'] else 'FAIL'} (within 10 %)"
    )
    return out
