"""The alert lifecycle per (incident, area at risk), in the stages people know from
national rocket-alert systems: early warning (threats detected, an alert is likely
within minutes) -> alert (take shelter now, issued once arrival is within the area's
time to shelter plus a margin) -> update (a material change) -> all-clear (the event
ended) or cancel (the threat turned away, was lost, or ended before arriving).

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

from warnline.agreement.model import Agreement
from warnline.alerting import wording
from warnline.alerting.area_shapes import circle_of, ring_of
from warnline.alerting.incidents import IncidentBook
from warnline.domain import (
    Alert,
    AlertStage,
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
_ACTUAL = AlertStatus.ACTUAL
_CircleT = tuple[float, float, float]
_ORDER = [Severity.MINOR, Severity.MODERATE, Severity.SEVERE, Severity.EXTREME]


@dataclass(frozen=True, kw_only=True)
class AlertPolicy:
    alert_horizon_s: float = 1800.0
    update_tta_s: float = 30.0
    update_tta_fraction: float = 0.15
    min_update_interval_s: float = 10.0
    clear_after_s: float = 20.0
    shelter_margin_s: float = 120.0
    exercise_sensor_prefix: str = "exercise:"  # injected exercise feeds in a live coalition


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
        self._shapes: dict[str, tuple[tuple[tuple[float, float], ...], _CircleT | None]] = {}

    def _shape(self, area_id: str) -> tuple[tuple[tuple[float, float], ...], _CircleT | None]:
        shape = self._shapes.get(area_id)
        if shape is None:
            geom = self.agreement.area(area_id).geometry
            shape = self._shapes[area_id] = (ring_of(geom), circle_of(geom))
        return shape

    def evaluate(
        self, book: IncidentBook, assessments: Mapping[str, Assessment], at: datetime
    ) -> list[Alert]:
        out: list[Alert] = []
        exposures: dict[str, dict[str, _Exposure]] = {}
        status: dict[str, AlertStatus] = {}
        for inc in book.open_incidents():
            exposures[inc.incident_id] = self._exposure(book, inc.incident_id, assessments, at)
            status[inc.incident_id] = self._status_of(book, inc.incident_id)
        # A real alert always overrides an exercise: where a real threat is (or was just)
        # alerted, exercise alerts end and no new one is raised, so nobody confuses them.
        real = {a.area_id: a.alert_id for a in self.active.values() if a.status is _ACTUAL}
        for inc_id, by_area in sorted(exposures.items()):
            if status[inc_id] is _ACTUAL:
                for area_id in by_area:
                    real.setdefault(area_id, self._alert_id(inc_id, area_id))
        for inc_id, by_area in sorted(exposures.items()):
            for area_id, exp in sorted(by_area.items()):
                if status[inc_id] is not _ACTUAL and area_id in real:
                    continue
                alert_id = self._alert_id(inc_id, area_id)
                prev = self.active.get(alert_id)
                if prev is not None and prev.status is not status[inc_id]:
                    # A real sensor joined an exercise incident: end the exercise chain
                    # (a CAP status never changes within a chain) and raise a real alert.
                    out.append(self._end(prev, at, incident_ended=False, overridden_by=alert_id))
                    alert_id = self._alert_id(inc_id, area_id)
                self._clear_since.pop(alert_id, None)
                issued = self._next(alert_id, inc_id, area_id, exp, at, status[inc_id])
                if issued is not None:
                    out.append(issued)
        for alert_id, prev in sorted(self.active.items()):
            if prev.status is not _ACTUAL and prev.area_id in real:
                out.append(
                    self._end(prev, at, incident_ended=False, overridden_by=real[prev.area_id])
                )
                continue
            if prev.area_id in exposures.get(prev.incident_id, {}):
                continue
            ended = book.incidents[prev.incident_id].ended
            since = self._clear_since.setdefault(alert_id, at)
            if ended or (at - since).total_seconds() >= self.policy.clear_after_s:
                out.append(self._end(prev, at, incident_ended=ended))
        return out

    def _status_of(self, book: IncidentBook, inc_id: str) -> AlertStatus:
        """Exercise for a whole coalition in exercise; otherwise actual as soon as one
        live track of the incident is seen by a real sensor (not an injected exercise
        feed, whose sensor ids start with `exercise_sensor_prefix`)."""
        if self.agreement.exercise:
            return AlertStatus.EXERCISE
        prefix = self.policy.exercise_sensor_prefix
        for track in book.live_tracks(inc_id):
            if any(not c.sensor.startswith(prefix) for c in track.contributors):
                return _ACTUAL
        return AlertStatus.EXERCISE

    def _next(
        self,
        alert_id: str,
        inc_id: str,
        area_id: str,
        exp: _Exposure,
        at: datetime,
        status: AlertStatus,
    ) -> Alert | None:
        """The version this exposure calls for, if any: a first alert, an escalation from
        early warning to take-shelter (at once, whatever the update interval: the shelter
        countdown is running), or an update on a material change."""
        prev = self.active.get(alert_id)
        wanted = self._stage(area_id, exp, at)
        if prev is None:
            return self._issue(alert_id, inc_id, area_id, exp, at, wanted, None, status)
        if prev.stage is AlertStage.EARLY_WARNING and wanted is AlertStage.ALERT:
            return self._issue(alert_id, inc_id, area_id, exp, at, AlertStage.ALERT, prev, status)
        if self._material(prev, exp, at):
            early = prev.stage is AlertStage.EARLY_WARNING
            stage = AlertStage.EARLY_WARNING if early else AlertStage.UPDATE
            return self._issue(alert_id, inc_id, area_id, exp, at, stage, prev, status)
        return None

    def _stage(self, area_id: str, exp: _Exposure, at: datetime) -> AlertStage:
        """Take shelter once arrival is within the area's time to shelter plus a margin;
        before that, an early warning. Once sheltering, an alert never steps back to an
        early warning (the caller keeps it at ALERT/UPDATE): people do not leave and
        re-enter shelters because an estimate wobbled."""
        shelter = self.agreement.area(area_id).time_to_shelter_s
        tta = (exp.expected_at - at).total_seconds()
        if tta <= shelter + self.policy.shelter_margin_s:
            return AlertStage.ALERT
        return AlertStage.EARLY_WARNING

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

    def _threshold(self, tta: float) -> float:
        # A minute's shift matters at T-3 min, not at T-25 min.
        return max(self.policy.update_tta_s, self.policy.update_tta_fraction * tta)

    def _material(self, prev: Alert, exp: _Exposure, at: datetime) -> bool:
        if (at - prev.sent_at).total_seconds() < self.policy.min_update_interval_s:
            return False
        assert prev.expected_at is not None
        # Arrival times already passed all read "now": a threat inside an area does not
        # move its arrival forward with every tick.
        shift = abs((max(exp.expected_at, at) - max(prev.expected_at, at)).total_seconds())
        tta = (exp.expected_at - at).total_seconds()
        return shift > self._threshold(tta) or exp.kinds != prev.kinds

    def _issue(
        self,
        alert_id: str,
        inc_id: str,
        area_id: str,
        exp: _Exposure,
        at: datetime,
        stage: AlertStage,
        prev: Alert | None,
        status: AlertStatus,
    ) -> Alert:
        area = self.agreement.area(area_id)
        tta = max(0.0, (exp.expected_at - at).total_seconds())
        shelter, margin = area.time_to_shelter_s, self.policy.shelter_margin_s
        if prev is None:
            reason = wording.raise_reason(
                stage=stage,
                incident=inc_id,
                area=area.name,
                kinds=exp.kinds,
                tracks=exp.tracks,
                tta_s=tta,
                shelter_s=shelter,
                margin_s=margin,
            )
        elif prev.stage is AlertStage.EARLY_WARNING and stage is AlertStage.ALERT:
            assert prev.expected_at is not None
            reason = wording.escalate_reason(
                area=area.name,
                tta_s=tta,
                shift_s=(exp.expected_at - prev.expected_at).total_seconds(),
                shelter_s=shelter,
                margin_s=margin,
            )
        else:
            assert prev.expected_at is not None
            reason = wording.update_reason(
                stage=stage,
                shift_s=(exp.expected_at - prev.expected_at).total_seconds(),
                old_kinds=prev.kinds,
                new_kinds=exp.kinds,
                tracks=exp.tracks,
                tta_s=tta,
                threshold_s=self._threshold(tta),
            )
        ring, circle = self._shape(area_id)
        alert = Alert(
            alert_id=alert_id,
            version=1 if prev is None else prev.version + 1,
            incident_id=inc_id,
            area_id=area_id,
            area_name=area.name,
            partner=area.partner,
            msg_type=MsgType.ALERT if prev is None else MsgType.UPDATE,
            status=status,
            sent_at=at,
            severity=_severity(exp.kinds),
            urgency=Urgency.IMMEDIATE if stage.shelter else Urgency.EXPECTED,
            time_to_arrival_s=round(tta, 1),
            expected_at=exp.expected_at,
            kinds=exp.kinds,
            headline=wording.headline(
                stage=stage, status=status, area=area.name, kinds=exp.kinds, tta_s=tta
            ),
            reason=reason,
            area_polygon=ring,
            area_circle=circle,
            stage=stage,
            time_to_shelter_s=shelter,
            tracks=exp.tracks,
        )
        self.active[alert_id] = alert
        self.history.setdefault(alert_id, []).append(alert)
        return alert

    def _end(
        self, prev: Alert, at: datetime, *, incident_ended: bool, overridden_by: str | None = None
    ) -> Alert:
        """All-clear when people were told to shelter and the arrival time has passed
        (the event is over); otherwise a cancel (the threat turned away, was lost, or
        ended before it reached the area). Either way the reason says which."""
        arrived = prev.expected_at is not None and prev.expected_at <= at
        stage = AlertStage.ALL_CLEAR if prev.stage.shelter and arrived else AlertStage.CANCEL
        if overridden_by is not None:
            stage = AlertStage.CANCEL
            why = (
                f"a real alert for {prev.area_name} ({overridden_by}) overrides this "
                f"{prev.status.value.lower()} alert"
            )
        elif incident_ended:
            why = (
                f"threat ended: no live track of incident {prev.incident_id} remains "
                "(every track reached its end, was intercepted or was lost)"
            )
        else:
            why = (
                f"{prev.area_name} has been outside every predicted corridor for "
                f"{self.policy.clear_after_s:.0f} s"
            )
        label = "All clear" if stage is AlertStage.ALL_CLEAR else "Cancelled"
        if stage is AlertStage.CANCEL and prev.stage is AlertStage.EARLY_WARNING:
            label = "Early warning withdrawn"
        alert = replace(
            prev,
            version=prev.version + 1,
            msg_type=MsgType.CANCEL,
            sent_at=at,
            time_to_arrival_s=None,
            expected_at=None,
            urgency=Urgency.EXPECTED,
            stage=stage,
            headline=wording.headline(
                stage=stage,
                status=prev.status,
                area=prev.area_name,
                kinds=prev.kinds,
                tta_s=None,
                superseded=overridden_by is not None,
            ),
            reason=f"{label}: {why}.",
            superseded_by=overridden_by,
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
