"""`warnline bench`: benchmarks that print figures and can write them as JSON."""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _journal() -> dict[str, Any]:
    from warnline.bench.journal import run

    return run()


def _picture() -> dict[str, Any]:
    from warnline.bench.picture_figures import figures, table

    result = figures()
    print(table(result))
    return result


def _latency() -> dict[str, Any]:
    from warnline.bench.latency import run

    return run()


def _response() -> dict[str, Any]:
    from warnline.bench.response import run

    return run()


def _cap() -> dict[str, Any]:
    from warnline.bench.cap import run

    return run()


def _delivery() -> dict[str, Any]:
    from warnline.bench.delivery import run

    return run()


def _warnings() -> dict[str, Any]:
    from warnline.bench.warnings import run

    return run()


def _warnings_raid() -> dict[str, Any]:
    from warnline.bench.warnings import run_held_back_shape

    return run_held_back_shape()


def _warnings_dense() -> dict[str, Any]:
    from warnline.bench.warnings import run_dense

    return run_dense()


def _warnings_speed() -> dict[str, Any]:
    from warnline.bench.warnings import speed_check

    return speed_check()


def _memory() -> dict[str, Any]:
    from warnline.bench.memory import run

    return run()


def _restart() -> dict[str, Any]:
    from warnline.bench.restart import run

    return run()


def _retention() -> dict[str, Any]:
    from warnline.bench.retention import run

    return run()


def _ingest() -> dict[str, Any]:
    from warnline.bench.ingest import run

    return run()


def _asterix() -> dict[str, Any]:
    from warnline.bench.asterix import run

    return run()


def _soak() -> dict[str, Any]:
    from warnline.bench.soak import run

    return run()


def _console() -> dict[str, Any]:
    from warnline.bench.console import run

    return run()


def _cot() -> dict[str, Any]:
    from warnline.bench.cot import run

    return run()


BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {
    "journal": _journal,
    "picture": _picture,
    "latency": _latency,
    "response": _response,
    "cap": _cap,
    "asterix": _asterix,  # ASTERIX decode rate beside the JSON path's (~10 s)
    "delivery": _delivery,
    "warnings": _warnings,
    "warnings-raid": _warnings_raid,  # ~40 min raid shaped like the held-back one (long)
    "warnings-dense": _warnings_dense,  # the same raid, four times the reports (~3 min)
    "warnings-speed": _warnings_speed,  # the exercise at --speed 2 and 20 (HTTP)
    "ingest": _ingest,  # served node vs a plain peer through HTTP (~3 min)
    "soak": _soak,  # stuck console, 1,000 idle sockets and a flood during a raid (~80 s)
    "console": _console,  # decision to page during a 300-object raid, Chromium (~3 min)
    "memory": _memory,  # RSS over a 40-minute raid, SQLite journal on disk (minutes)
    "restart": _restart,  # restart at 10k and 100k entries, with/without snapshot (minutes)
    "retention": _retention,  # journal.db stays bounded over 500k entries (minutes)
    "cot": _cot,  # CoT fan-out to 10, 100, 500 TAK clients beside taky (minutes)
}
OPT_IN = {
    "warnings-raid",
    "warnings-dense",
    "warnings-speed",
    "ingest",
    "soak",
    "console",
    "memory",
    "restart",
    "retention",
    "cot",
}  # run only when named


def run_benchmarks(names: list[str], json_path: Path | None) -> int:
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(
            f"warnline bench: unknown benchmark(s) {', '.join(unknown)}; "
            f"known: {', '.join(BENCHMARKS)}"
        )
        return 2
    results: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
        },
    }
    for name in names or [n for n in BENCHMARKS if n not in OPT_IN]:
        print(f"== {name}")
        figures = BENCHMARKS[name]()
        results[name] = figures
        print(json.dumps(figures, indent=2))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=2) + "\n")
    return 0
