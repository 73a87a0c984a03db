"""Pieces of the warnings score (see `warnline.sim.score` for the definitions):
alert versions as intervals, the confirmation evidence per object, over-warning
per territory, and which real object each alerting track stood for."""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from warnline.agreement.model import Agreement, Partner
from warnline.domain import Track
from warnline.sim.scenario import Scenario
from warnline.sim.truth import AlertArea

if TYPE_CHECKING:
    from warnline.sim.score import Entry, ReportSeen

MATCH_KM = 10.0  # a track stands for the nearest real object within this distance
SHELTER_MARGIN_S = 120.0
MIN_THREATENED_S = 60.0
SNAPSHOT_REACH_S = 30.0  # how far from an alert's issue a snapshot may be to name its tracks


@dataclass(frozen=True, kw_only=True)
class Version:
    alert_id: str
    version: int
    partner: str
    area_id: str
    stage: str
    sent_s: float
    until_s: float  # in effect until (== sent_s for a final version)
    tta_s: float | None
    tracks: tuple[str, ...]
    area: AlertArea

    @property
    def warning(self) -> bool:
        return self.stage in ("early_warning", "alert", "update")

    @property
    def shelter(self) -> bool:
        return self.stage in ("alert", "update")


CONFIRM_REPORTS = 3  # as `warnline.picture.Picture(confirm_reports=...)`


def interval_union(spans: Sequence[tuple[float, float]]) -> float:
    """Total length of the union of [lo, hi) spans."""
    return sum(hi - lo for lo, hi in union_runs(spans))


def confirm_times(reports: Sequence[ReportSeen]) -> dict[str, float]:
    """Per object: when the report that made its confirmation possible was journaled. The
    picture confirms a track on its third fitting report (and a score that three reports
    of a real object reach), so this is the journaling of each object's third report."""
    out: dict[str, float] = {}
    seen: dict[str, int] = {}
    for r in sorted(reports, key=lambda r: r.at_s):
        if r.truth is None or r.truth in out:
            continue
        seen[r.truth] = seen.get(r.truth, 0) + 1
        if seen[r.truth] >= CONFIRM_REPORTS:
            out[r.truth] = r.at_s
    return out


def threatened_spans(entries: Sequence[Entry], partner: Partner) -> list[tuple[float, float]]:
    """When some real threat is within `partner`'s time to shelter + margin of entering
    its territory (until it ends inside): the time a shelter order is needed there."""
    lead = partner.territory.time_to_shelter_s + SHELTER_MARGIN_S
    return [
        (max(0.0, e.t - lead), max(e.leave_t, e.t + 1.0))
        for e in entries
        if e.partner == partner.code
    ]


def over_warning(
    entries: Sequence[Entry],
    by_partner: dict[str, list[Version]],
    agreement: Agreement,
    end: float,
) -> tuple[float, dict[str, float]]:
    per: dict[str, float] = {}
    for code, partner in sorted(agreement.partners.items()):
        sheltered = interval_union(
            [(v.sent_s, min(v.until_s, end)) for v in by_partner.get(code, []) if v.shelter]
        )
        threatened = interval_union(threatened_spans(entries, partner))
        per[code] = round(sheltered / max(threatened, MIN_THREATENED_S), 2)
    return (max(per.values()) if per else 0.0), per


def lead_ratio_needed(entries: Sequence[Entry], agreement: Agreement) -> dict[str, float]:
    """By kind, the median shelter lead ratio of a warner that shelters each territory
    exactly while a shelter order is needed there (`threatened_spans`: over-warning 1.0,
    nothing missed). In a dense raid the need runs unbroken from one threat to the next,
    so a later entry's lead counts from the first threat's: this is what the lead ratio
    of a warner that never shelters without need comes to on the same truth."""
    ratios: dict[str, list[float]] = {}
    for partner in agreement.partners.values():
        runs = union_runs(threatened_spans(entries, partner))
        for e in entries:
            if e.partner != partner.code:
                continue
            start = max((lo for lo, _ in runs if lo <= e.t), default=e.t)
            ratios.setdefault(e.kind, []).append((e.t - start) / e.time_to_shelter_s)
    return {k: round(float(statistics.median(v)), 2) for k, v in sorted(ratios.items())}


def union_runs(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The [lo, hi) spans merged into disjoint runs, in order."""
    runs: list[tuple[float, float]] = []
    for lo, hi in sorted(s for s in spans if s[1] > s[0]):
        if runs and lo <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], hi))
        else:
            runs.append((lo, hi))
    return runs


class _Truths:
    """The real objects' positions at a time, cached (tracks are matched many times)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.decoys = {t.threat_id for t in scenario.threats if t.decoy}
        self.threats = {t.threat_id for t in scenario.threats if t.threat}
        self._cache: dict[float, dict[str, tuple[float, float, float]]] = {}

    def match(self, track: Track) -> str | None:
        t = round(self.scenario.seconds(track.updated_at), 1)
        objs = self._cache.get(t)
        if objs is None:
            objs = self._cache[t] = self.scenario.truth(t)
        best, best_km = None, MATCH_KM
        lat0, lon0 = track.position.lat, track.position.lon
        for oid, (lat, lon, _) in objs.items():
            dx = (lon - lon0) * 111.32 * math.cos(math.radians(lat0))
            d = math.hypot(dx, (lat - lat0) * 111.32)
            if d <= best_km:
                best, best_km = oid, d
        return best


class TrackMatcher:
    """Which real objects the tracks a version names stood for (None: no object within
    MATCH_KM, i.e. clutter), from the snapshot nearest the version's issue."""

    def __init__(
        self, snapshots: Sequence[tuple[float, Sequence[Track]]], scenario: Scenario
    ) -> None:
        self.truths = _Truths(scenario)
        self._times = [t for t, _ in snapshots]
        self._index = [{tr.track_id: tr for tr in tracks} for _, tracks in snapshots]
        self._memo: dict[tuple[str, int], list[str | None] | None] = {}

    def objects(self, v: Version) -> list[str | None] | None:
        """One entry per named track found; None when none of them was found."""
        key = (v.alert_id, v.version)
        if key not in self._memo:
            found = [
                tr
                for tid in v.tracks
                if (tr := _find(tid, v.sent_s, self._times, self._index)) is not None
            ]
            self._memo[key] = [self.truths.match(tr) for tr in found] if found else None
        return self._memo[key]


def match_tracks(versions: Sequence[Version], matcher: TrackMatcher) -> dict[str, Any]:
    """Which alerts rest only on clutter or decoys (their tracks, matched to truth in the
    snapshot nearest each warning version's issue)."""
    truths = matcher.truths
    flagged: dict[str, str] = {}
    first: dict[str, Version] = {}
    unresolved = 0
    for v in versions:
        if not v.warning or not v.tracks or v.alert_id in flagged:
            continue
        matched = matcher.objects(v)
        if matched is None:
            unresolved += 1
            continue
        if any(m in truths.threats for m in matched):
            continue
        if all(m is None or m in truths.decoys for m in matched):
            flagged[v.alert_id] = "decoy" if any(m in truths.decoys for m in matched) else "clutter"
            first[v.alert_id] = v
    return {
        "clutter_or_decoy_only_alerts": len(flagged),
        "clutter_or_decoy_detail": [
            {
                "alert": a,
                "rests_on": r,
                "version": first[a].version,
                "stage": first[a].stage,
                "sent_s": round(first[a].sent_s, 1),
                "tracks": list(first[a].tracks),
            }
            for a, r in sorted(flagged.items())[:10]
        ],
        "versions_tracks_unresolved": unresolved,
    }


def _find(
    track_id: str, t: float, times: Sequence[float], index: Sequence[dict[str, Track]]
) -> Track | None:
    """The track as the snapshot nearest t (within SNAPSHOT_REACH_S) holds it: a track
    born between two snapshots is found in the next one."""
    lo = bisect.bisect_left(times, t - SNAPSHOT_REACH_S)
    hi = bisect.bisect_right(times, t + SNAPSHOT_REACH_S)
    for j in sorted(range(lo, hi), key=lambda j: abs(times[j] - t)):
        if track_id in index[j]:
            return index[j][track_id]
    return None
