"""The warnings score: what the alerts told each partner, held against ground truth.

A pure function of the scenario (truth), the agreement, the alert versions as
journaled (`to_json(Alert)` payloads), the reports as journaled (with the truth the
feed kept apart) and track snapshots sampled during the run. All times are scenario
seconds. Definitions (issue 9):

- *Area of a version*: the polygons it carries (`area_polygons`, else `area_polygon`)
  together with its `area_circle`; the agreement's area of its `area_id` only when it
  carries neither. A version is *in effect* from its `sent_at` to the next version of
  the same alert; a *warning* is an early warning, alert or update; *shelter* is an
  alert or update; *final* is an all-clear or cancel (the alert ends there).
- *Territory entry*: the first moment a real threat (decoys and friendly traffic
  excluded) is inside a partner territory; a ballistic object counts only below 100 km.
  A partner with no territory in the region (only bases on others' soil) counts its
  defended areas as its territory.
- *Missed*: no warning to that partner in effect at the entry (issued at or before it,
  not yet ended) whose area covers the entry point.
- *False*: a warning version whose area no real threat is inside at any moment of
  [issued, issued + 15 min]; `false_warning_rate` = false / all warning versions. The
  truth is followed for those 15 minutes even past the raid's end (objects fly on after
  the feed stops).
- *Premature all-clear*: a final version after which a real threat is inside its area
  within 60 s.
- *Contradiction*: a final version while another alert to the same partner, in effect
  at that moment at a shelter stage, has an area overlapping its own (> 1 % of the
  smaller area, so border slivers of simplified outlines do not count).
- *Over-warning*, per territory: time any shelter version to that partner is in effect
  ÷ time some real threat is within the territory's time to shelter + 120 s of entering
  it (until it ends inside); the denominator is floored at 60 s so a territory sheltered
  with no threat near gives a large finite figure. The key is the max over territories.
- *Shelter lead*, per entry: entry - start of the shelter (the first of the unbroken run
  of shelter versions) of the earliest alert to that partner in shelter at the entry and
  covering the entry point; if none is, entry - the first covering shelter version within
  5 min after (negative). By kind: median and p10.
- *First-warning latency*, per entry: from the journaling of the report that completed
  the evidence the picture needs to confirm that object (reports from 2 distinct sensors,
  or 3 reports from one sensor spanning >= 2 s of observation) to the first warning to
  that partner covering the entry point (0 if one is already in effect), counted from
  no earlier than the entry less the false window (a warning issued before that is false
  by definition, so no report makes it possible sooner). p50, p99. The
  `own_` figures take the first covering warning naming a track of that object instead
  (a warning for it, not for another threat); `own_before_evidence` counts objects named
  by a warning before their evidence was complete (what clutter exploits); `slowest`
  lists the entries with the longest latencies (object, partner, entry, the moment
  counted from, the first covering warning), so a p99 can be read back to its causes.
- *TTA error*: median over warning versions with a time to arrival, whose area a real
  threat enters in [issued, issued + 15 min] (and is not already inside), of
  |predicted - actual| / actual.
- *Clutter- or decoy-only alerts*: alerts with a warning version all of whose named tracks
  (found in the snapshot nearest its issue) match no real object or only decoys. A track
  matches the nearest real object within MATCH_KM of its position at its `updated_at`.
- *Shelter lead ratio*: by kind, the median of lead ÷ the entered territory's time to
  shelter (the target for drones lies between 1 and 3). `shelter_lead_ratio_needed` is
  the same figure for a warner that shelters each territory exactly while over-warning
  counts a shelter order as needed: in a raid whose threats follow each other within
  the time to shelter, the need runs unbroken and no warner that never over-warns gets
  a smaller lead.
- *Max alerts per area*: most alerts in effect (not ended) at once for one (partner, area).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from warnline.agreement.model import Agreement, Partner
from warnline.domain import Track
from warnline.sim.scenario import Scenario
from warnline.sim.score_parts import (
    TrackMatcher,
    Version,
    confirm_times,
    interval_union,
    lead_ratio_needed,
    match_tracks,
    over_warning,
)
from warnline.sim.truth import AlertArea, TruthIndex

FALSE_WINDOW_S = 900.0
ALL_CLEAR_WINDOW_S = 60.0
LEAD_AFTER_S = 300.0
DETAIL = 10  # ids listed per finding


@dataclass(frozen=True, kw_only=True)
class ReportSeen:
    """One report as the node journaled it, beside the truth the feed kept apart."""

    key: str
    at_s: float  # journaled (the node's clock), scenario seconds
    observed_s: float
    sensor: str
    truth: str | None


def score_warnings(
    *,
    scenario: Scenario,
    agreement: Agreement,
    alerts: Sequence[dict[str, Any]],
    reports: Sequence[ReportSeen],
    snapshots: Sequence[tuple[float, Sequence[Track]]],
    until_s: float | None = None,
) -> dict[str, Any]:
    end = until_s if until_s is not None else scenario.duration_s
    truth = TruthIndex(scenario, until_s=end)
    # A warning is judged on the 15 minutes after it, and the real objects fly on after
    # the feed stops: a drone warned of at the end of a raid arrives after it.
    ahead = TruthIndex(scenario, until_s=end + FALSE_WINDOW_S)
    versions = _versions(scenario, agreement, alerts, end)
    by_partner: dict[str, list[Version]] = {}
    for v in versions:
        by_partner.setdefault(v.partner, []).append(v)
    # Versions are in effect until `end`, not at it: an entry at the last instant is
    # outside the scored window as well.
    entries = [e for e in territory_entries(truth, agreement) if e.t < end]
    out: dict[str, Any] = {"entries": len(entries)}
    out |= _missed_and_lead(entries, by_partner)
    out |= _false_and_tta(versions, ahead)
    out |= _finals(versions, by_partner, ahead)
    out["over_warning"], out["over_warning_by_territory"] = over_warning(
        entries, by_partner, agreement, end
    )
    out["shelter_lead_ratio_needed"] = lead_ratio_needed(entries, agreement)
    out["max_alerts_per_area"] = _max_concurrent(versions)
    matcher = TrackMatcher(snapshots, scenario)
    out["first_warning_latency_s"] = _latency(entries, by_partner, confirm_times(reports), matcher)
    out |= match_tracks(versions, matcher)
    out["alert_versions"] = len(versions)
    out["alerts_distinct"] = len({v.alert_id for v in versions})
    return out


def _versions(
    scenario: Scenario, agreement: Agreement, alerts: Sequence[dict[str, Any]], end: float
) -> list[Version]:
    ordered = sorted(
        (p for p in alerts if scenario.seconds(datetime.fromisoformat(p["sent_at"])) <= end),
        key=lambda p: (p["alert_id"], int(p["version"])),
    )
    out: list[Version] = []
    for i, p in enumerate(ordered):
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        sent = scenario.seconds(datetime.fromisoformat(p["sent_at"]))
        stage = p.get("stage", "alert")
        final = stage in ("all_clear", "cancel")
        until = end if final or nxt is None or nxt["alert_id"] != p["alert_id"] else None
        if until is None and nxt is not None:
            until = scenario.seconds(datetime.fromisoformat(nxt["sent_at"]))
        tta = p.get("time_to_arrival_s")
        out.append(
            Version(
                alert_id=p["alert_id"],
                version=int(p["version"]),
                partner=p["partner"],
                area_id=p["area_id"],
                stage=stage,
                sent_s=sent,
                until_s=sent if final else max(sent, float(until if until is not None else end)),
                tta_s=None if tta is None else float(tta),
                tracks=tuple(p.get("tracks", ())),
                area=AlertArea.of(p, agreement),
            )
        )
    return sorted(out, key=lambda v: (v.sent_s, v.alert_id, v.version))


@dataclass(frozen=True, kw_only=True)
class Entry:
    object_id: str
    kind: str
    partner: str
    t: float
    lon: float
    lat: float
    leave_t: float
    time_to_shelter_s: float


def home(partner: Partner) -> BaseGeometry:
    """What a partner defends: its territory, or, for one with none of its own in the
    region (only bases on others' soil), the union of its defended areas."""
    land = partner.territory.geometry
    if not land.is_empty and land.area > 0:
        return land
    return shapely.union_all([a.geometry for a in partner.defended_areas])


def territory_entries(truth: TruthIndex, agreement: Agreement) -> list[Entry]:
    """Every real threat's first moment inside each partner territory it enters (see
    `home` for a partner that has only bases)."""
    out = []
    for code, partner in sorted(agreement.partners.items()):
        for path, first, last in truth.entries(home(partner)):
            out.append(
                Entry(
                    object_id=path.object_id,
                    kind=path.kind.value,
                    partner=code,
                    t=float(path.t[first]),
                    lon=float(path.lon[first]),
                    lat=float(path.lat[first]),
                    leave_t=float(path.t[last]),
                    time_to_shelter_s=partner.territory.time_to_shelter_s,
                )
            )
    return sorted(out, key=lambda e: (e.t, e.partner, e.object_id))


def _in_effect(vs: Sequence[Version], t: float) -> list[Version]:
    return [v for v in vs if v.sent_s <= t < v.until_s]


def _missed_and_lead(
    entries: Sequence[Entry], by_partner: dict[str, list[Version]]
) -> dict[str, Any]:
    missed: list[dict[str, Any]] = []
    leads: dict[str, list[float]] = {}
    ratios: dict[str, list[float]] = {}  # lead ÷ the territory's time to shelter
    for e in entries:
        vs = by_partner.get(e.partner, [])
        live = [v for v in _in_effect(vs, e.t) if v.warning and v.area.covers_point(e.lon, e.lat)]
        if not live:
            missed.append({"object": e.object_id, "kind": e.kind, "partner": e.partner, "t": e.t})
        shelter = [v for v in live if v.shelter]
        if shelter:
            starts = [_shelter_start(vs, v) for v in shelter]
            leads.setdefault(e.kind, []).append(e.t - min(starts))
            ratios.setdefault(e.kind, []).append((e.t - min(starts)) / e.time_to_shelter_s)
            continue
        later = [
            v
            for v in vs
            if v.shelter
            and e.t < v.sent_s <= e.t + LEAD_AFTER_S
            and v.area.covers_point(e.lon, e.lat)
        ]
        if later:
            leads.setdefault(e.kind, []).append(e.t - later[0].sent_s)
            ratios.setdefault(e.kind, []).append((e.t - later[0].sent_s) / e.time_to_shelter_s)
    return {
        "missed_warnings": len(missed),
        "missed_detail": missed[:DETAIL],
        "shelter_lead_s": {k: _median_p10(v) for k, v in sorted(leads.items())},
        "shelter_lead_ratio": {
            k: round(float(statistics.median(v)), 2) for k, v in sorted(ratios.items())
        },
    }


def _shelter_start(vs: Sequence[Version], v: Version) -> float:
    """When the unbroken run of shelter versions of v's alert, ending with v, began."""
    same = sorted((w for w in vs if w.alert_id == v.alert_id), key=lambda w: w.version)
    start = v.sent_s
    for w in reversed([w for w in same if w.version <= v.version]):
        if not w.shelter:
            break
        start = w.sent_s
    return start


def _median_p10(xs: Sequence[float]) -> dict[str, float]:
    return {
        "median": round(float(statistics.median(xs)), 1),
        "p10": round(float(np.percentile(xs, 10)), 1),
        "n": len(xs),
    }


def _false_and_tta(versions: Sequence[Version], truth: TruthIndex) -> dict[str, Any]:
    warnings = [v for v in versions if v.warning]
    false: list[Version] = []
    errors: list[float] = []
    first_false: set[str] = set()
    for v in warnings:
        hit = truth.first_inside(v.area, v.sent_s, v.sent_s + FALSE_WINDOW_S)
        if hit is None:
            false.append(v)
            if v.version == 1:
                first_false.add(v.alert_id)
            continue
        actual = hit - v.sent_s
        if v.tta_s is not None and actual >= 1.0:
            errors.append(abs(v.tta_s - actual) / actual)
    firsts = {v.alert_id for v in warnings if v.version == 1}
    return {
        "false_warning_rate": round(len(false) / len(warnings), 4) if warnings else 0.0,
        "false_warnings": len(false),
        "warning_versions": len(warnings),
        "false_at_first_version": round(len(first_false) / len(firsts), 4) if firsts else 0.0,
        "false_detail": [_vid(v) for v in false[:DETAIL]],
        "tta_error": round(float(statistics.median(errors)), 3) if errors else None,
    }


def _vid(v: Version) -> dict[str, Any]:
    return {"alert": v.alert_id, "version": v.version, "area": v.area_id, "t": round(v.sent_s, 1)}


def _finals(
    versions: Sequence[Version], by_partner: dict[str, list[Version]], truth: TruthIndex
) -> dict[str, Any]:
    premature: list[Version] = []
    contradictions: list[Version] = []
    for v in versions:
        if v.warning:
            continue
        if v.sent_s > truth.until_s - ALL_CLEAR_WINDOW_S:
            continue  # the truth ends before its window does: not judged
        if truth.first_inside(v.area, v.sent_s, v.sent_s + ALL_CLEAR_WINDOW_S) is not None:
            premature.append(v)
        others = [
            w
            for w in _in_effect(by_partner[v.partner], v.sent_s)
            if w.alert_id != v.alert_id and w.shelter
        ]
        if any(w.area.overlaps(v.area) for w in others):
            contradictions.append(v)
    return {
        "premature_all_clears": len(premature),
        "premature_detail": [_vid(v) for v in premature[:DETAIL]],
        "contradictions": len(contradictions),
        "contradiction_detail": [_vid(v) for v in contradictions[:DETAIL]],
    }


def _max_concurrent(versions: Sequence[Version]) -> int:
    spans: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
    for v in versions:
        per = spans.setdefault((v.partner, v.area_id), {})
        lo, hi = per.get(v.alert_id, (v.sent_s, v.until_s))
        per[v.alert_id] = (min(lo, v.sent_s), max(hi, v.until_s))
    best = 0
    for per in spans.values():
        events = sorted(
            [(lo, 1) for lo, hi in per.values() if hi > lo]
            + [(hi, -1) for lo, hi in per.values() if hi > lo]
        )
        n = 0
        for _, d in events:
            n += d
            best = max(best, n)
    return best


def _latency(
    entries: Sequence[Entry],
    by_partner: dict[str, list[Version]],
    confirmed: dict[str, float],
    matcher: TrackMatcher,
) -> dict[str, Any]:
    lat: list[float] = []
    own: list[float] = []
    late: list[dict[str, Any]] = []
    before = 0
    for e in entries:
        evidence = confirmed.get(e.object_id)
        if evidence is None:
            continue
        # No warning is possible before it can be true: one issued more than the false
        # window before the entry is false by definition (a drone confirmed 37 minutes
        # out is warned of when it comes within the raise horizon, not on confirmation).
        c = max(evidence, e.t - FALSE_WINDOW_S)
        covering = [
            v
            for v in by_partner.get(e.partner, [])
            if v.warning and v.area.covers_point(e.lon, e.lat)
        ]
        standing = [v for v in covering if v.until_s > c]
        if standing:
            first_sent = min(v.sent_s for v in standing)
            lat.append(max(0.0, first_sent - c))
            if first_sent > c:
                late.append(
                    {
                        "object": e.object_id,
                        "partner": e.partner,
                        "entry_s": round(e.t, 1),
                        "from_s": round(c, 1),
                        "warned_s": round(first_sent, 1),
                        "latency_s": round(first_sent - c, 2),
                    }
                )
        naming = [v for v in covering if e.object_id in (matcher.objects(v) or ())]
        if naming:
            first = min(v.sent_s for v in naming)
            before += first < evidence
            own.append(max(0.0, first - c))
    return (
        _percentiles(lat)
        | {f"own_{k}": v for k, v in _percentiles(own).items()}
        | {"own_before_evidence": before}
        | {"slowest": sorted(late, key=lambda d: -d["latency_s"])[:DETAIL]}
    )


def _percentiles(xs: Sequence[float]) -> dict[str, Any]:
    if not xs:
        return {"p50": None, "p99": None, "n": 0}
    return {
        "p50": round(float(np.percentile(xs, 50)), 2),
        "p99": round(float(np.percentile(xs, 99)), 2),
        "n": len(xs),
    }


__all__ = ["Entry", "ReportSeen", "interval_union", "score_warnings", "territory_entries"]
