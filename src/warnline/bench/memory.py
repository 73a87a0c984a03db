"""`warnline bench memory`: does a long raid leave the node's memory flat?

The raid is the `warnings-raid` preset (40 minutes shaped like the held-back raid). A
child process runs the sensors (`warnline.sim.raid.raid_steps`) and spools each step's
signed submissions to a file, so the process measured holds the node and a file
reader only: the harness's own keeping (truth, reports for the score) is not counted.
The measured process then drives the node as it is served, in scenario time: every
submission through `Node.submit_reports` (intake, id claims, SQLite journal on disk),
clock ticks journaled, and `Node.settle` for the process loop's work (pipeline,
dispatcher, read-back log, announcements, console attempts, escalation to people). Each
account has a console that shows every alert (a receipt per message) and whose watch
officer acknowledges it; person channels hand every message over at once. Nothing
sleeps: the clock is manual.

After the raid the node runs on quiet for 20 minutes (ticks only), longer than the
retention of what ended (decision 48), so the maps show what stays for good.

Every simulated minute the process RSS is sampled (after a collection, so the figure is
what is held, not garbage waiting) with the size of each map the node keeps. The target:
after warm-up (the first 10 minutes) memory grows by less than 10 % of the warm-up RSS per
10 simulated minutes - at that rate a day-long raid would still fit where a 40-minute
one does. tracemalloc is left out: it doubles the run and its own tables would be
counted; the map sizes name the structures directly.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import pickle
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from warnline.agreement.load import default_agreement
from warnline.domain import ManualClock
from warnline.ingest.signature import SignedRequest
from warnline.journal import Event
from warnline.journal.kinds import Kind
from warnline.journal.sqlite import SQLiteJournal
from warnline.node import Node, NodeSettings
from warnline.sim.driven import accepting_channels, connect_consoles, settle_consoles

WARMUP_S = 600.0
SAMPLE_S = 60.0
TARGET_PCT = 10.0  # growth per 10 simulated minutes after warm-up, % of the warm-up RSS
QUIET_S = 1200.0  # after the raid: longer than the retention, so what ended is forgotten
Step = tuple[float, list[tuple[str, SignedRequest]]]


def rss_mb() -> float:
    """Resident set size of this process, MB (Linux: /proc/self/statm)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def node_sizes(node: Node) -> dict[str, int]:
    """How many items each map the node keeps holds: what grows shows here."""
    p, a = node.pipeline, node.pipeline.alerting
    esc = node.outreach.escalator
    return {
        "picture_tracks": len(p.picture.tracks()),
        "assessments": len(p.assessments),
        "incidents": len(p.incidents.incidents),
        "incident_tracks": len(p.incidents.track_incident),
        "alerts_active": len(a.active),
        "alerts_held": len(a.history),
        "alert_versions_held": sum(len(v) for v in a.history.values()),
        "readback_versions": len(node.views.alert_log),
        "lead_cases": len(p.assigner.assignments),
        "dispatch_latest": len(node.dispatcher.latest),
        "dispatch_pending": len(node.dispatcher.state.pending),
        "dispatch_delivered": len(node.dispatcher.state.delivered),
        "dispatch_acks": sum(len(v) for v in node.dispatcher.state.acks.values()),
        "escalations": len(esc.escalations),
        "escalation_versions": sum(len(e.versions) for e in esc.escalations.values()),
        "escalation_outcomes": len(esc.outcomes),
        "ack_codes": len(node.outreach.codes),
        "handoff_times": sum(len(v) for v in node.outreach.handoff_ms.values()),
    }


@dataclass
class MemoryRun:
    samples: list[dict[str, Any]] = field(default_factory=list)
    start_rss_mb: float = 0.0
    raid_end_s: float | None = None  # the last step of the raid; quiet after it
    reports: int = 0


def _spool(path: Path, duration_s: float, seed: int) -> None:
    """Child process: the raid's submissions, step by step, pickled to `path`."""
    from warnline.bench.warnings import HELD_BACK_SHAPE, START
    from warnline.sim.feed import SensorFeed
    from warnline.sim.raid import raid_steps, signed_submissions
    from warnline.sim.scenario import build_scenario

    p = HELD_BACK_SHAPE
    scenario = build_scenario(
        default_agreement(),
        start=START,
        duration_s=duration_s,
        seed=seed,
        mix=p.mix,
        sensor_partners=p.sensor_partners,
        early_warning=p.early_warning,
    )
    feed = SensorFeed(scenario, seed=seed)
    with path.open("wb") as f:
        pickle.dump(scenario.start, f)
        for _, t, ready in raid_steps(scenario, feed, tick_s=0.5, batch_s=1.0, drain_s=p.drain_s):
            subs = signed_submissions(ready or [], scenario.at(t))
            pickle.dump((t, subs), f)


def _steps(path: Path) -> tuple[datetime, Iterator[Step]]:
    f = path.open("rb")
    start: datetime = pickle.load(f)

    def gen() -> Iterator[Step]:
        with f:
            while True:
                try:
                    yield pickle.load(f)
                except EOFError:
                    return

    return start, gen()


def _quiet(after_s: float, quiet_s: float, node: Node) -> Iterator[Step]:
    """After the raid: no report, ticks as the served node's tick loop spaces them
    (`tick_s` while something is in the air, `idle_tick_s` once nothing is)."""
    t = after_s
    while t < after_s + quiet_s:
        busy = node.runner.busy()
        t += node.settings.tick_s if busy else node.settings.idle_tick_s
        yield t, []


async def _drive(
    workdir: Path, steps: Iterator[Step], start: datetime, quiet_s: float
) -> MemoryRun:
    from warnline.exercise import make_accounts

    agreement = default_agreement()
    accounts, _ = make_accounts(agreement)
    clock = ManualClock(start)
    journal = SQLiteJournal(workdir / "journal.db")
    node = Node(
        agreement=agreement,
        journal=journal,
        clock=clock,
        accounts=accounts,
        settings=NodeSettings(tick_s=0.5),
        channels=accepting_channels(),
    )
    shown = connect_consoles(node)
    run = MemoryRun()
    gc.collect()
    run.start_rss_mb = rss_mb()
    next_sample = SAMPLE_S
    last = 0.0

    def then_quiet() -> Iterator[Step]:
        yield from steps
        run.raid_end_s = last
        yield from _quiet(last, quiet_s, node)

    try:
        for t, subs in then_quiet():
            last = t
            clock.set(start + timedelta(seconds=t))
            for _, request in subs:
                run.reports += len(await node.commands.submit_reports(request))
            now = clock.now()
            await node.inbox.append(
                [Event(event_id=f"tick:{now.isoformat()}", kind=Kind.TICK, at=now)]
            )
            await settle_consoles(node, shown)
            if t >= next_sample:
                gc.collect()
                run.samples.append({"t_s": t, "rss_mb": round(rss_mb(), 1)} | node_sizes(node))
                next_sample += SAMPLE_S
    finally:
        await node.outreach.stop()
        journal.close()
    return run


def run(
    *, duration_s: float | None = None, seed: int | None = None, quiet_s: float = QUIET_S
) -> dict[str, Any]:
    from warnline.bench.warnings import HELD_BACK_SHAPE

    duration_s = HELD_BACK_SHAPE.duration_s if duration_s is None else duration_s
    seed = HELD_BACK_SHAPE.seed if seed is None else seed
    with tempfile.TemporaryDirectory(prefix="warnline-memory-") as tmp:
        workdir = Path(tmp)
        spool = workdir / "raid.pickle"
        t0 = time.perf_counter()
        child = multiprocessing.get_context("fork").Process(
            target=_spool, args=(spool, duration_s, seed)
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"the raid's sensors failed (exit {child.exitcode})")
        spool_s = time.perf_counter() - t0
        start, steps = _steps(spool)
        t1 = time.perf_counter()
        result = asyncio.run(_drive(workdir, steps, start, quiet_s))
        journal_mb = (workdir / "journal.db").stat().st_size / 1e6
        node_s = time.perf_counter() - t1
    return figures(result, duration_s=duration_s, seed=seed) | {
        "journal_mb": round(journal_mb, 1),
        "sensors_s": round(spool_s, 1),
        "node_run_s": round(node_s, 1),
    }


def figures(run: MemoryRun, *, duration_s: float, seed: int) -> dict[str, Any]:
    """RSS at warm-up, end and peak; growth per 10 simulated minutes after warm-up."""
    samples = run.samples
    raid_end = samples[-1]["t_s"] if run.raid_end_s is None else run.raid_end_s
    in_raid = [s for s in samples if s["t_s"] <= raid_end] or samples
    warm = next((s for s in in_raid if s["t_s"] >= WARMUP_S), in_raid[0])
    end, quiet = in_raid[-1], samples[-1]
    span_10min = max((end["t_s"] - warm["t_s"]) / 600.0, 1e-9)
    growth = (end["rss_mb"] - warm["rss_mb"]) / span_10min
    pct = 100.0 * growth / warm["rss_mb"]
    out = {
        "duration_s": duration_s,
        "seed": seed,
        "reports": run.reports,
        "rss_start_mb": round(run.start_rss_mb, 1),
        "rss_warm_mb": warm["rss_mb"],
        "rss_end_mb": end["rss_mb"],
        "rss_peak_mb": max(s["rss_mb"] for s in samples),
        "growth_per_10min_mb": round(growth, 1),
        "growth_per_10min_pct": round(pct, 1),
        "target_pct": TARGET_PCT,
        "flat": pct < TARGET_PCT,
        "rss_quiet_mb": quiet["rss_mb"],
        "quiet_s": round(quiet["t_s"] - end["t_s"], 1),
        "sizes_warm": {k: v for k, v in warm.items() if k not in ("t_s", "rss_mb")},
        "sizes_end": {k: v for k, v in end.items() if k not in ("t_s", "rss_mb")},
        "sizes_quiet": {k: v for k, v in quiet.items() if k not in ("t_s", "rss_mb")},
        "samples": [{"t_s": s["t_s"], "rss_mb": s["rss_mb"]} for s in samples],
    }
    print(
        f"  RSS {out['rss_start_mb']} MB at start, {out['rss_warm_mb']} MB after warm-up "
        f"({WARMUP_S / 60:.0f} min), {out['rss_end_mb']} MB at the end, "
        f"peak {out['rss_peak_mb']} MB"
    )
    print(
        f"  growth after warm-up {out['growth_per_10min_mb']} MB per 10 simulated min "
        f"({out['growth_per_10min_pct']} % of warm-up; target < {TARGET_PCT:g} %): "
        f"{'pass' if out['flat'] else 'FAIL'}"
    )
    grown = {
        k: (out["sizes_warm"][k], v)
        for k, v in out["sizes_end"].items()
        if v > 2 * max(out["sizes_warm"][k], 1)
    }
    print(f"  maps that more than doubled after warm-up (warm, end): {grown or 'none'}")
    print(
        f"  {out['quiet_s']:.0f} s quiet after the raid: RSS {out['rss_quiet_mb']} MB, "
        f"maps {out['sizes_quiet']}"
    )
    return out
