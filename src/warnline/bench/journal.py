"""Journal benchmark: durable appends per second, one at a time against group commit.

Peer measured in the same run: the same SQLite file settings with one transaction
(one fsync) per event, which is what a naive durable append costs.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warnline.journal import Event, SQLiteJournal
from warnline.journal.kinds import Kind


def _events(prefix: str, n: int) -> list[Event]:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Event(
            event_id=f"{prefix}{i}",
            kind=Kind.REPORT,
            at=at,
            payload={"i": i, "pad": "x" * 400},
        )
        for i in range(n)
    ]


def run(n: int = 2000, writers: int = 16) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        single = SQLiteJournal(Path(d) / "single.db")
        lat: list[float] = []
        t0 = time.perf_counter()
        for ev in _events("s", n):
            s = time.perf_counter()
            single.append([ev])
            lat.append((time.perf_counter() - s) * 1000)
        single_rate = n / (time.perf_counter() - t0)
        single.close()

        group = SQLiteJournal(Path(d) / "group.db")
        glat: list[float] = []
        lock = threading.Lock()

        def writer(k: int) -> None:
            for ev in _events(f"g{k}-", n // writers):
                s = time.perf_counter()
                group.append([ev])
                with lock:
                    glat.append((time.perf_counter() - s) * 1000)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(writers)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        group_rate = (n // writers * writers) / (time.perf_counter() - t0)
        group.close()
    q = statistics.quantiles
    return {
        "events": n,
        "writers": writers,
        "one_by_one_per_s": round(single_rate),
        "one_by_one_p50_ms": round(statistics.median(lat), 3),
        "one_by_one_p99_ms": round(q(lat, n=100)[98], 3),
        "group_commit_per_s": round(group_rate),
        "group_commit_p50_ms": round(statistics.median(glat), 3),
        "group_commit_p99_ms": round(q(glat, n=100)[98], 3),
        "ratio_group_vs_one_by_one": round(group_rate / single_rate, 2),
    }
