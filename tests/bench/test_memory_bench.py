"""`warnline bench memory`: the growth figure is measured after warm-up against the
warm-up RSS, the node's maps are counted, and the benchmark runs only when named."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.factories import T0
from warnline.accounts import Accounts
from warnline.agreement.model import Agreement
from warnline.bench import BENCHMARKS, OPT_IN
from warnline.bench.memory import MemoryRun, figures, node_sizes, rss_mb
from warnline.domain import ManualClock
from warnline.journal.sqlite import SQLiteJournal
from warnline.node import Node


def _run(rss: list[float]) -> MemoryRun:
    sizes = {"alerts_held": 1}
    return MemoryRun(
        samples=[{"t_s": 60.0 * (i + 1), "rss_mb": r} | sizes for i, r in enumerate(rss)],
        start_rss_mb=rss[0],
    )


def test_growth_is_per_10_minutes_after_warm_up_against_the_warm_up_rss() -> None:
    # 100 MB at minute 10, 130 MB at minute 40: 10 MB per 10 minutes, 10 %: not flat.
    rss = [90.0] * 9 + [100.0 + (m - 10) for m in range(10, 41)]
    out = figures(_run(rss), duration_s=2400, seed=1)
    assert out["rss_warm_mb"] == 100.0 and out["rss_end_mb"] == 130.0
    assert out["growth_per_10min_mb"] == 10.0 and out["growth_per_10min_pct"] == 10.0
    assert out["flat"] is False and out["rss_peak_mb"] == 130.0
    flat = figures(_run([90.0] * 9 + [100.0] * 31), duration_s=2400, seed=1)
    assert flat["flat"] is True and flat["growth_per_10min_mb"] == 0.0


def test_the_node_maps_are_counted(agreement: Agreement, tmp_path: Path) -> None:
    async def sizes() -> dict[str, int]:
        journal = SQLiteJournal(tmp_path / "j.db")
        node = Node(
            agreement=agreement, journal=journal, clock=ManualClock(T0), accounts=Accounts([])
        )
        try:
            return node_sizes(node)
        finally:
            journal.close()

    counted = asyncio.run(sizes())
    assert counted["alert_versions_held"] == 0 and "dispatch_delivered" in counted
    assert set(counted) >= {"incidents", "lead_cases", "escalations", "readback_versions"}
    assert rss_mb() > 10


def test_memory_runs_only_when_named() -> None:
    assert "memory" in BENCHMARKS and "memory" in OPT_IN
