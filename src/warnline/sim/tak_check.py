"""The exercise's CoT listeners and what its TAK peers saw, checked against release.

`cot_listeners` is the [[cot]] of the exercise's node: the watched partner's picture on
its well-known port, and a reports listener for the partners whose systems are TAK
systems. `cot_summary` is summary.json's `cot`: what the PyTAK client received, whether
any track it was shown was one the picture never released to its partner (checked
against the picture samples the score uses, i.e. the node's own tracks with their
contributors, not against what the CoT feed says of itself), whether any alert was not
its partner's, and what came in as CoT.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from typing import Any

from warnline.journal import Entry
from warnline.journal.kinds import Kind
from warnline.pipeline import Pipeline
from warnline.sim.partners import FeedResult
from warnline.sim.raid import Snapshot
from warnline.sim.tak_watch import TakWatcher


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def cot_listeners(
    watched: str | None, port: int, reporters: Sequence[str], in_port: int
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if watched is not None:
        out.append({"port": port, "partner": watched, "picture": True})
    for i, code in enumerate(reporters):
        out.append({"port": in_port + i, "partner": code, "picture": False, "reports": True})
    return out


def cot_summary(
    watched: str | None,
    watcher: TakWatcher | None,
    server: dict[str, Any],
    fed: FeedResult,
    entries: Iterable[Entry],
    snapshots: list[Snapshot],
    pipeline: Pipeline,
    cell: str,
) -> dict[str, Any]:
    journaled = sum(
        1
        for e in entries
        if e.event.kind == Kind.REPORT
        and e.event.payload.get("report", {}).get("source_format") == "cot"
    )
    out: dict[str, Any] = {
        "in": {"sent": fed.cot_sent, "journaled": journaled, "refused": fed.cot_refused},
        "server": server,
    }
    if watched is None or watcher is None:
        return out
    tally = watcher.tally
    released: set[str] = set()
    outside: set[str] = set()
    for _, tracks in snapshots:
        for t in tracks:
            if watched == cell or t.released_to(watched):
                released.add(t.track_id)
            else:
                outside.add(t.track_id)
    shown = tally.tracks
    history = pipeline.alerting.history
    foreign_alerts = sorted(
        a for a in tally.alerts
        if a in history and watched not in (history[a][-1].partner, cell)
    )  # fmt: skip
    out |= {
        "partner": watched,
        "client": tally.view(),
        "outside_release": len((shown & outside) - released),
        "unverified": len(shown - released - outside),  # ended between two samples
        "alerts_not_the_partners": len(foreign_alerts),
    }
    return out
