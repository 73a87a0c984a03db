"""`warnline bench restart`: time to healthy and peak memory at restart, by journal length.

Each journal is a sealed SQLite journal (the served node's, with the hub's head signer):
quiet clock ticks as a long-lived node journals them (one per `idle_tick_s`), then a
seeded 60-second raid driven through a node (`sim/driven.py`: consoles that receipt,
watch officers who acknowledge, person channels), which leaves live tracks, alerts,
deliveries and escalations, and a snapshot taken as at a clean stop. A fresh process
then starts a node on it twice, without and with the snapshot, and reports the time
from process start to `node.ready` (imports included), the recovery alone, and its
peak RSS against the RSS after a further minute of quiet ticks (steady state).
10k and 100k entries by default; 1M with WARNLINE_BENCH_RESTART_1M=1 (building it takes
minutes). The ticks cost less to replay than reports do, so the full-replay figures
here are a lower bound of a report-heavy journal's (issue 11: 3.3 s at 10.8k entries).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from warnline.agreement.exercise_keys import HUB_CODE, exercise_signing_key
from warnline.agreement.load import default_agreement
from warnline.audit import HeadSigner
from warnline.domain import ManualClock
from warnline.journal import Event, SQLiteJournal
from warnline.journal.kinds import Kind
from warnline.node import Node, NodeSettings
from warnline.pipeline import Pipeline
from warnline.serve.journal import snapshot_store
from warnline.sim.driven import (
    RaidSteps,
    accepting_channels,
    connect_consoles,
    drive,
    quiet,
    raid_accounts,
)

__all__ = ["run"]

START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
RAID_S = 60.0
SEED = 11
SIZES = (10_000, 100_000)
LARGE = 1_000_000
STEADY_S = 60.0
KEY = exercise_signing_key(HUB_CODE)


def _node(data: Path, clock: ManualClock, *, snapshots: bool) -> Node:
    agreement = default_agreement()
    return Node(
        agreement=agreement,
        journal=SQLiteJournal(data / "journal.db", sealer=HeadSigner(key=KEY, clock=clock)),
        clock=clock,
        accounts=raid_accounts(agreement),
        settings=NodeSettings(),
        channels=accepting_channels(),
        snapshots=snapshot_store(data, KEY) if snapshots else None,
    )


def build(data: Path, size: int, raid: RaidSteps) -> dict[str, Any]:
    """Quiet ticks up to `size` less the raid's entries, then the raid; a snapshot."""
    idle = NodeSettings().idle_tick_s
    clock = ManualClock(raid.start)
    journal = SQLiteJournal(data / "journal.db", sealer=HeadSigner(key=KEY, clock=clock))
    pad = max(0, size - 3_400)  # a 60-second raid journals about 3,400 entries
    first = raid.start - timedelta(seconds=idle * (pad + 1))
    for lo in range(0, pad, 5000):
        ticks = [
            Event(event_id=f"tick:{at.isoformat()}", kind=Kind.TICK, at=at)
            for n in range(lo, min(pad, lo + 5000))
            if (at := first + timedelta(seconds=idle * n))
        ]
        journal.append(ticks)
        journal.append_from(Pipeline.FOLLOWER, journal.last_seq(), [])  # nothing in the air
    journal.close()
    started = time.perf_counter()

    async def go() -> None:
        node = _node(data, clock, snapshots=True)
        try:
            node.recover()
            await drive(node, clock, raid.steps, connect_consoles(node))
            await node.snapshot()
        finally:
            await node.outreach.stop()
            node.journal.close()

    asyncio.run(go())
    journal = SQLiteJournal(data / "journal.db")
    entries = journal.last_seq()
    journal.close()
    return {"entries": entries, "raid_build_s": round(time.perf_counter() - started, 1)}


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def child(data: Path, snapshots: bool, spawned: float) -> dict[str, Any]:
    """In a fresh process: start the node, time it to ready, then a quiet minute."""

    imported = time.time() - spawned

    async def go() -> dict[str, Any]:
        journal = SQLiteJournal(data / "journal.db")
        last = journal.entry(journal.last_seq())
        journal.close()
        assert last is not None
        clock = ManualClock(last.event.at)
        built = time.time()
        node = _node(data, clock, snapshots=snapshots)
        built = time.time() - built
        try:
            await node.start()
            ready = time.time() - spawned
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000
            recovery = node.recovery
            assert recovery is not None
            await node.stop()
            await drive(node, clock, quiet(clock.now(), STEADY_S), connect_consoles(node))
            gc.collect()
            steady = _rss_mb()
        finally:
            node.journal.close()
        return {
            "ready_s": round(ready, 2),
            "imports_s": round(imported, 2),
            "node_build_s": round(built, 2),
            "recover_s": round(recovery.seconds, 2),
            "snapshot_seq": recovery.snapshot_seq,
            "tail": recovery.tail,
            "peak_rss_mb": round(peak, 1),
            "steady_rss_mb": round(steady, 1),
            "peak_over_steady": round(peak / steady, 2),
        }

    return asyncio.run(go())


def _measure(data: Path, snapshots: bool) -> dict[str, Any]:
    code = (
        "import json, sys; from pathlib import Path; from warnline.bench.restart import child; "
        "print(json.dumps(child(Path(sys.argv[1]), sys.argv[2] == '1', float(sys.argv[3]))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(data), "1" if snapshots else "0", repr(time.time())],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def run() -> dict[str, Any]:
    sizes = SIZES + ((LARGE,) if os.environ.get("WARNLINE_BENCH_RESTART_1M") == "1" else ())
    raid = RaidSteps.build(default_agreement(), start=START, duration_s=RAID_S, seed=SEED)
    out: dict[str, Any] = {"raid_s": RAID_S, "seed": SEED, "points": []}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="warnline-restart-") as tmp:
            data = Path(tmp)
            point = build(data, size, raid)
            point["journal_mb"] = round((data / "journal.db").stat().st_size / 1e6, 1)
            point["without_snapshot"] = _measure(data, snapshots=False)
            point["with_snapshot"] = _measure(data, snapshots=True)
            snaps = sorted((data / "snapshots").glob("snapshot-*.bin"))
            point["snapshot_kb"] = round(snaps[-1].stat().st_size / 1e3) if snaps else None
        out["points"].append(point)
        w, s = point["without_snapshot"], point["with_snapshot"]
        print(
            f"  {size:>9,} entries: ready in {w['ready_s']} s without a snapshot "
            f"(peak {w['peak_over_steady']}x steady), {s['ready_s']} s with one "
            f"(tail {s['tail']}, peak {s['peak_over_steady']}x steady)"
        )
    return out
