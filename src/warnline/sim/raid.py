"""A seeded raid fed through a node's decision path in scenario time, then scored.

The node is built as a served node is (`Node`: intake, journal, pipeline wired the same
way); partners' batches go through its front door (`intake.json_submission`, signed
JSON with the wire format partners send) into the journal, clock ticks are journaled
every `tick_s` of scenario time, and the pipeline follows the journal exactly as the
node's process loop does. The clock is manual: nothing sleeps, the raid runs as fast
as it computes, and the decisions are those a served node would journal for the same
inputs. Delivery (dispatch, outreach) is left out: the score reads the alerts.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from warnline.accounts import Accounts
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.model import Agreement
from warnline.domain import ManualClock, Report, Track, TrackState
from warnline.domain.codec import from_json
from warnline.domain.manual import ManualIssue
from warnline.ingest.signature import SignedRequest, sign_request
from warnline.journal import Entry, Event
from warnline.journal.kinds import Kind
from warnline.journal.memory import MemoryJournal
from warnline.journal.payloads import payload
from warnline.node import Node, NodeSettings
from warnline.pipeline import Pipeline
from warnline.sim.actors import wire
from warnline.sim.feed import Observation, SensorFeed
from warnline.sim.scenario import Scenario
from warnline.sim.score import ReportSeen, score_warnings

Snapshot = tuple[float, list[Track]]


@dataclass
class RaidRun:
    """What the run produced, for the score (scenario seconds throughout)."""

    scenario: Scenario
    entries: list[Entry] = field(default_factory=list)
    truth_of: dict[str, str | None] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)
    batches: list[list[Report]] = field(default_factory=list)
    batch_times: list[float] = field(default_factory=list)  # Unix seconds
    tracks_created: int = 0
    compute_s: float = 0.0

    def scored(
        self, agreement: Agreement, *, until_s: float, compare: bool = False
    ) -> dict[str, Any]:
        """This run's warnings score (`score_run`); `compare` replays its batches through
        the baseline tracker and Stone Soup too."""
        return score_run(
            scenario=self.scenario,
            agreement=agreement,
            entries=self.entries,
            truth_of=self.truth_of,
            snapshots=self.snapshots,
            batches=self.batches if compare else None,
            batch_times=self.batch_times if compare else None,
            until_s=until_s,
        )


def run_raid(
    scenario: Scenario,
    agreement: Agreement,
    *,
    seed: int,
    tick_s: float = 0.5,
    batch_s: float = 1.0,
    snapshot_s: float = 2.0,
    drain_s: float = 120.0,
) -> RaidRun:
    clock = ManualClock(scenario.start)
    journal = MemoryJournal()
    node = Node(
        agreement=agreement,
        journal=journal,
        clock=clock,
        accounts=Accounts([]),
        settings=NodeSettings(tick_s=tick_s),
    )
    feed = SensorFeed(scenario, seed=seed)
    run = RaidRun(scenario=scenario)
    pos = 0
    for step, t, ready in raid_steps(
        scenario, feed, tick_s=tick_s, batch_s=batch_s, drain_s=drain_s
    ):
        clock.set(scenario.at(t))
        if ready is not None:
            _submit(node, ready, run, clock.now())
        now = clock.now()
        journal.append([Event(event_id=f"tick:{now.isoformat()}", kind=Kind.TICK, at=now)])
        entries = journal.read(pos)
        if entries:
            decisions = node.pipeline.process(entries)
            journal.append_from(Pipeline.FOLLOWER, entries[-1].seq, decisions)
            pos = entries[-1].seq
        if step % max(1, round(snapshot_s / tick_s)) == 0:
            run.snapshots.append((t, node.pipeline.picture.tracks()))
    run.entries = journal.read()
    run.truth_of = feed.truth_of
    run.tracks_created = node.pipeline.tracks_created
    return run


def raid_steps(
    scenario: Scenario, feed: SensorFeed, *, tick_s: float, batch_s: float, drain_s: float
) -> Iterator[tuple[int, float, list[Observation] | None]]:
    """(step, scenario seconds, observations delivered then) for every tick of the raid
    and its drain; observations arrive once per `batch_s` (None between), each when its
    link delay has passed, so a late report comes after reports observed after it."""
    pending: list[Observation] = []
    steps_per_batch = max(1, round(batch_s / tick_s))
    end = scenario.duration_s + drain_s
    step = 0
    while step * tick_s <= end:
        t = step * tick_s
        ready = None
        if step % steps_per_batch == 0:  # sensors keep seeing what still flies
            pending.extend(feed.until(t))
            ready = [o for o in pending if o.deliver_s <= t]
            pending = [o for o in pending if o.deliver_s > t]
        yield step, t, ready
        step += 1


def signed_submissions(
    ready: Sequence[Observation], now: datetime
) -> list[tuple[str, SignedRequest]]:
    """The observations delivered at `now` as the partners send them: one signed JSON
    submission per partner, in partner order."""
    by_partner: dict[str, list[Observation]] = {}
    for o in ready:
        by_partner.setdefault(o.report.partner, []).append(o)
    out = []
    for partner, batch in sorted(by_partner.items()):
        body = json.dumps({"reports": [wire(o) for o in batch]}).encode()
        target = "/api/v1/reports"
        key = exercise_signing_key(partner)
        headers = sign_request("POST", target, body, partner=partner, key=key, created=now)
        out.append(
            (partner, SignedRequest(method="POST", target=target, headers=headers, body=body))
        )
    return out


def _submit(node: Node, ready: Sequence[Observation], run: RaidRun, now: datetime) -> None:
    for partner, request in signed_submissions(ready, now):
        reports = node.intake.json_submission(request)
        node.journal.append(node.intake.events(reports, submission=f"{partner}:{now.isoformat()}"))
        run.batches.append(reports)
        run.batch_times.append(now.timestamp())


def reports_seen(
    scenario: Scenario, entries: Sequence[Entry], truth_of: dict[str, str | None]
) -> list[ReportSeen]:
    out = []
    for e in entries:
        if e.event.kind != Kind.REPORT:
            continue
        r = e.event.payload["report"]
        key = f"{r['partner']}/{r['report_id']}"
        out.append(
            ReportSeen(
                key=key,
                at_s=scenario.seconds(e.event.at),
                observed_s=scenario.seconds(datetime.fromisoformat(r["observed_at"])),
                sensor=r["sensor"],
                truth=truth_of.get(key),
            )
        )
    return out


def alert_payloads(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """The alerts the score judges: manual ones are left out, since the score matches an
    alert's tracks to the truth and a manual alert rests on a person's word, not on
    tracks (sim/manual.py; summary's `manual` counts them)."""
    manual = {
        alert_id
        for e in entries
        if e.event.kind == Kind.MANUAL_ISSUE
        for alert_id in payload(e.event, ManualIssue).alert_ids
    }
    return [
        e.event.payload
        for e in entries
        if e.event.kind == Kind.ALERT and e.event.payload["alert_id"] not in manual
    ]


def confirmed(tracks: Sequence[Track]) -> list[Track]:
    return [t for t in tracks if t.state in (TrackState.CONFIRMED, TrackState.COASTING)]


def truth_fn(scenario: Scenario) -> Callable[[float], dict[str, tuple[float, float, float]]]:
    t0 = scenario.start.timestamp()
    return lambda t_unix: scenario.truth(t_unix - t0)


def score_run(
    *,
    scenario: Scenario,
    agreement: Agreement,
    entries: Sequence[Entry],
    truth_of: dict[str, str | None],
    snapshots: Sequence[Snapshot],
    batches: Sequence[list[Report]] | None = None,
    batch_times: Sequence[float] | None = None,
    until_s: float | None = None,
) -> dict[str, Any]:
    """The warnings score plus the tracking keys (GOSPA, duplicate and false track
    rates, reports/s) from the bench's tracking module; those keys are None where the
    module is not installed on this branch."""
    out = score_warnings(
        scenario=scenario,
        agreement=agreement,
        alerts=alert_payloads(entries),
        reports=reports_seen(scenario, entries, truth_of),
        snapshots=snapshots,
        until_s=until_s,
    )
    out |= tracking_keys(scenario, snapshots, batches, batch_times)
    return out


def score_journal(
    entries: Sequence[Entry],
    agreement: Agreement,
    scenario: Scenario,
    truth_of: dict[str, str | None],
    snapshots: Sequence[Snapshot],
    *,
    compare: bool = False,
    until_s: float | None = None,
) -> dict[str, Any]:
    """A served exercise's own journal scored on the scenario's truth, up to the end of
    the raid (after it, sensors stop reporting what still flies) or `until_s` into it
    (an interrupted run is scored on what was played). The tracking keys come
    from the node's own snapshots; with `compare` the baseline and Stone Soup replay its
    submissions, batch by batch as journaled (minutes for a long demo: Stone Soup runs
    at ~100 reports/s here), otherwise `warnline bench warnings` gives that comparison."""
    batches: dict[str, list[Report]] = {}
    times: dict[str, float] = {}
    for e in entries:
        if e.event.kind == Kind.REPORT:
            sub = str(e.event.payload.get("submission"))
            batches.setdefault(sub, []).append(from_json(Report, e.event.payload["report"]))
            times.setdefault(sub, e.event.at.timestamp())
    order = sorted(batches, key=lambda s: times[s])
    return score_run(
        scenario=scenario,
        agreement=agreement,
        entries=entries,
        truth_of=truth_of,
        snapshots=snapshots,
        batches=[batches[s] for s in order] if compare else None,
        batch_times=[times[s] for s in order] if compare else None,
        until_s=scenario.duration_s if until_s is None else min(until_s, scenario.duration_s),
    )


TRACK_KEYS = ("gospa", "duplicate_track_rate", "false_track_rate", "reports_per_s")


def as_the_node_batches(
    batches: Sequence[list[Report]], times: Sequence[float]
) -> tuple[list[list[Report]], list[float]]:
    """The partners' submissions as the node's picture took them: everything journaled
    between two ticks in one batch (see `Pipeline.process`); here, the submissions of one
    instant. A sensor never repeats within one instant, so no batch needs splitting."""
    merged: list[list[Report]] = []
    merged_times: list[float] = []
    for batch, t in zip(batches, times, strict=True):
        if merged_times and merged_times[-1] == t:
            merged[-1].extend(batch)
        else:
            merged.append(list(batch))
            merged_times.append(t)
    return merged, merged_times


def tracking_keys(
    scenario: Scenario,
    snapshots: Sequence[Snapshot],
    batches: Sequence[list[Report]] | None,
    batch_times: Sequence[float] | None,
) -> dict[str, Any]:
    blank = dict.fromkeys(TRACK_KEYS)
    out: dict[str, Any] = blank | {"stonesoup": dict(blank), "baseline": dict(blank)}
    try:
        tracking = importlib.import_module("warnline.bench.tracking")
    except ImportError:
        out["tracking_note"] = "warnline.bench.tracking not available: tracking keys are None"
        return out
    t0 = scenario.start.timestamp()
    truth = truth_fn(scenario)
    own = tracking.score_tracks(
        truth=truth, snapshots=[(t0 + t, confirmed(tracks)) for t, tracks in snapshots]
    )
    out |= {k: own.get(k) for k in TRACK_KEYS}
    if batches is not None and batch_times is not None:
        merged, merged_times = as_the_node_batches(batches, batch_times)
        cmp = tracking.compare(batches=merged, times=merged_times, truth=truth)
        out["reports_per_s"] = cmp["warnline"].get("reports_per_s")
        out["stonesoup"] = {k: cmp["stonesoup"].get(k) for k in TRACK_KEYS}
        out["baseline"] = {k: cmp["baseline"].get(k) for k in TRACK_KEYS}
        out["picture_replayed"] = {k: cmp["warnline"].get(k) for k in TRACK_KEYS}
    else:
        out["tracking_note"] = "baseline and Stone Soup side by side: warnline bench warnings"
    return out
