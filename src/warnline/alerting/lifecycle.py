"""The alert lifecycle per (incident, area at risk): raise, update, cancel.

Hysteresis keeps alerts from flapping: an alert is raised only from confirmed
tracks, updated only on a material change (expected arrival moved by more than
`update_tta_s` or `update_tta_fraction` of the time left, whichever is larger, or
the mix of threats changed) and at most every
`min_update_interval_s`, and cancelled only after the area has been out of every
corridor for `clear_after_s`, or at once when the incident ends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from warnline.agreement.model import Agreement
from warnline.alerting.incidents import IncidentBook
from warnline.domain import (
    Alert,
    AlertStatus,
    Assessment,
    MsgType,
    Severity,
    ThreatKind,
    Urgency,
)

_SEVERITY = {
    ThreatKind.BALLISTIC_MISSILE: Severity.EXTREME,
    ThreatKind.ROCKET: Severity.EXTREME,
    ThreatKind.CRUISE_MISSILE: Severity.SEVERE,
    ThreatKind.DRONE: Severity.SEVERE,
}
_ORDER = [Severity.MINOR, Severity.MODERATE, Severity.SEVERE, Severity.EXTREME]


@dataclass(frozen=True, kw_only=True)
class AlertPolicy:
    alert_horizon_s: float = 1800.0
    update_tta_s: float = 30.0
    update_tta_fraction: float = 0.15
    min_update_interval_s: float = 10.0
    clear_after_s: float = 20.0
    immediate_within_s: float = 900.0


@dataclass(frozen=True, kw_only=True)
class _Exposure:
    expected_at: datetime
    kinds: dict[ThreatKind, int]
    tracks: tuple[str, ...]


class Alerting:
    def __init__(self, *, agreement: Agreement, policy: AlertPolicy | None = None) -> None:
        self.agreement = agreement
        self.policy = policy or AlertPolicy()
        self.status = AlertStatus.EXERCISE if agreement.exercise else AlertStatus.ACTUAL
        self.active: dict[str, Alert] = {}  # alert_id -> latest version (not cancelled)
        self.history: dict[str, list[Alert]] = {}
        self._clear_since: dict[str, datetime] = {}
        self._rings: dict[str, tuple[tuple[float, float], ...]] = {}

    def _ring(self, area_id: str) -> tuple[tuple[float, float], ...]:
        ring = self._rings.get(area_id)
        if ring is None:
            ring = self._rings[area_id] = _ring_of(self.agreement.area(area_id).geometry)
        return ring

    def evaluate(
        self, book: IncidentBook, assessments: Mapping[str, Assessment], at: datetime
    ) -> list[Alert]:
        out: list[Alert] = []
        exposures: dict[str, dict[str, _Exposure]] = {}
        for inc in book.open_incidents():
            exposures[inc.incident_id] = self._exposure(book, inc.incident_id, assessments, at)
        for inc_id, by_area in sorted(exposures.items()):
            for area_id, exp in sorted(by_area.items()):
                alert_id = self._alert_id(inc_id, area_id)
                self._clear_since.pop(alert_id, None)
                prev = self.active.get(alert_id)
                if prev is None:
                    out.append(self._issue(alert_id, inc_id, area_id, exp, at, MsgType.ALERT, None))
                elif self._material(prev, exp, at):
                    out.append(
                        self._issue(alert_id, inc_id, area_id, exp, at, MsgType.UPDATE, prev)
                    )
        for alert_id, prev in sorted(self.active.items()):
            if prev.area_id in exposures.get(prev.incident_id, {}):
                continue
            ended = book.incidents[prev.incident_id].ended
            since = self._clear_since.setdefault(alert_id, at)
            if ended or (at - since).total_seconds() >= self.policy.clear_after_s:
                out.append(
                    self._cancel(
                        prev,
                        at,
                        "threat ended" if ended else "area no longer in any predicted corridor",
                    )
                )
        return out

    def _alert_id(self, inc_id: str, area_id: str) -> str:
        """Stable while the alert lives; a raise after a Cancel is a new alert (CAP
        identifiers must not repeat, and the old chain ended with its Cancel)."""
        base = f"A-{inc_id}-{area_id}"
        n = 1
        alert_id = base
        while alert_id in self.history and alert_id not in self.active:
            n += 1
            alert_id = f"{base}-{n}"
        return alert_id

    def _exposure(
        self, book: IncidentBook, inc_id: str, assessments: Mapping[str, Assessment], at: datetime
    ) -> dict[str, _Exposure]:
        horizon = at + timedelta(seconds=self.policy.alert_horizon_s)
        found: dict[str, tuple[datetime, Counter[ThreatKind], list[str]]] = {}
        for track in book.live_tracks(inc_id):
            a = assessments.get(track.track_id)
            if a is None:
                continue
            for risk in a.areas:
                if risk.expected_at > horizon:
                    continue
                first, kinds, tracks = found.setdefault(
                    risk.area_id, (risk.expected_at, Counter(), [])
                )
                kinds[track.kind] += 1
                tracks.append(track.track_id)
                if risk.expected_at < first:
                    found[risk.area_id] = (risk.expected_at, kinds, tracks)
        return {
            area: _Exposure(
                expected_at=first, kinds=dict(sorted(k.items())), tracks=tuple(sorted(t))
            )
            for area, (first, k, t) in found.items()
        }

    def _material(self, prev: Alert, exp: _Exposure, at: datetime) -> bool:
        if (at - prev.sent_at).total_seconds() < self.policy.min_update_interval_s:
            return False
        assert prev.expected_at is not None
        # Arrival times already passed all read "now": a threat inside an area does not
        # move its arrival forward with every tick.
        shift = abs((max(exp.expected_at, at) - max(prev.expected_at, at)).total_seconds())
        tta = (exp.expected_at - at).total_seconds()
        # A minute's shift matters at T-3 min, not at T-25 min.
        threshold = max(self.policy.update_tta_s, self.policy.update_tta_fraction * tta)
        return shift > threshold or exp.kinds != prev.kinds

    def _issue(
        self,
        alert_id: str,
        inc_id: str,
        area_id: str,
        exp: _Exposure,
        at: datetime,
        msg_type: MsgType,
        prev: Alert | None,
    ) -> Alert:
        area = self.agreement.area(area_id)
        tta = max(0.0, (exp.expected_at - at).total_seconds())
        count = sum(exp.kinds.values())
        what = ", ".join(f"{n} {k.value.replace('_', ' ')}" for k, n in exp.kinds.items())
        if prev is None:
            reason = (
                f"{count} threat track(s) of incident {inc_id} ({', '.join(exp.tracks)}) are "
                f"predicted to enter {area.name} in {tta:.0f} s."
            )
        else:
            assert prev.expected_at is not None
            shift = (exp.expected_at - prev.expected_at).total_seconds()
            reason = (
                f"Update: expected arrival moved by {shift:+.0f} s; now {what} "
                f"({', '.join(exp.tracks)}), arrival in {tta:.0f} s."
            )
        alert = Alert(
            alert_id=alert_id,
            version=1 if prev is None else prev.version + 1,
            incident_id=inc_id,
            area_id=area_id,
            area_name=area.name,
            partner=area.partner,
            msg_type=msg_type,
            status=self.status,
            sent_at=at,
            severity=_severity(exp.kinds),
            urgency=Urgency.IMMEDIATE
            if tta <= self.policy.immediate_within_s
            else Urgency.EXPECTED,
            time_to_arrival_s=round(tta, 1),
            expected_at=exp.expected_at,
            kinds=exp.kinds,
            headline=f"Aerial threat to {area.name}: {what}, arrival in {_mmss(tta)}",
            reason=reason,
            area_polygon=self._ring(area_id),
        )
        self.active[alert_id] = alert
        self.history.setdefault(alert_id, []).append(alert)
        return alert

    def _cancel(self, prev: Alert, at: datetime, why: str) -> Alert:
        alert = replace(
            prev,
            version=prev.version + 1,
            msg_type=MsgType.CANCEL,
            sent_at=at,
            time_to_arrival_s=None,
            expected_at=None,
            headline=f"All clear for {prev.area_name}",
            reason=f"Cancelled: {why}.",
        )
        del self.active[prev.alert_id]
        self._clear_since.pop(prev.alert_id, None)
        self.history[prev.alert_id].append(alert)
        return alert

    def previous_versions(self, alert: Alert) -> Sequence[Alert]:
        return [a for a in self.history.get(alert.alert_id, []) if a.version < alert.version]


def _severity(kinds: Mapping[ThreatKind, int]) -> Severity:
    levels = [_SEVERITY.get(k, Severity.MODERATE) for k in kinds]
    return max(levels, key=_ORDER.index) if levels else Severity.MODERATE


def _mmss(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


def _ring_of(geom: BaseGeometry) -> tuple[tuple[float, float], ...]:
    """A lon/lat ring of at most ~100 points standing for the area in messages."""
    if isinstance(geom, MultiPolygon):
        geom = max(geom.geoms, key=lambda g: g.area)
    hull = geom if isinstance(geom, Polygon) else geom.convex_hull
    if not isinstance(hull, Polygon) or hull.is_empty:
        return ()
    ring, tol = hull, 0.0
    while len(ring.exterior.coords) > 100:
        tol = tol * 2 or 0.01
        simplified = hull.simplify(tol, preserve_topology=True)
        if not isinstance(simplified, Polygon):
            break
        ring = simplified
    return tuple((round(x, 4), round(y, 4)) for x, y in ring.exterior.coords)
