"""The alert lifecycle: one live alert per (recipient partner, area), in the stages people
know from national rocket-alert systems: early warning (threats detected, an alert is
likely within minutes) -> alert (take shelter now, once the earliest arrival is within the
area's time to shelter plus a margin: half of it, at most two minutes) -> update (a
material change) -> all-clear (the event ended) or cancel (the threats turned away, were
lost, or ended before arriving).

One alert per area, not per raid: a duty officer hears one message about their area that
counts every threat heading there (`exposure.py`), whichever raid it belongs to, and an
all-clear can never contradict another alert for the same area.

An early warning is raised only when the earliest arrival is within `raise_horizon_s`
(12 minutes; or the area's shelter limit, if that is longer); once raised, an alert
counts every threat arriving within `alert_horizon_s` (15 minutes: past that, a threat
is not yet news for this area, and an alert kept up for it alone ends). Further out a
prediction is
a guess - a drone half an hour away may yet turn to any of a dozen areas - and a warning
that nothing follows for a quarter of an hour teaches people to ignore the next. (The
earliest arrival is a lower bound, a quarter early on the median: 12 minutes keeps the
real arrival within the 15 minutes in which a warning is judged.)

Hysteresis keeps alerts from flapping: an alert is raised only from confirmed threat
tracks, updated only on a material change - arrival earlier by more than `update_tta_s` or
`update_tta_fraction` of the time left, whichever is larger, or more threats of some kind
than the last version said, or, to people in shelter, an arrival later by twice that - and
at most every `min_update_interval_s`. Fewer threats, or a later arrival in an early
warning, is no news: the alert still stands and errs toward the threat, and every version
a person hears must be worth hearing. Once sheltering it does not step back because an
estimate wobbled: only when every track that caused the shelter order has ended, arrived
or turned away (or now arrives beyond `alert_horizon_s`), and what remains arrives later
than the shelter limit plus `step_back_band_s`. It ends only after nothing endangered the
area for `clear_after_s`, and never while another live shelter-stage alert to the same
partner covers an overlapping area (people in a defended area inside a sheltering
territory must not hear "all clear" while the territory still shelters).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from warnline.agreement.model import Agreement
from warnline.alerting import wording
from warnline.alerting.area_shapes import Ring, area_shapes
from warnline.alerting.exposure import Exposure, exposures
from warnline.alerting.incidents import IncidentBook
from warnline.alerting.manual import build_manual_alert, end_manual_alert
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
from warnline.domain.manual import ManualDraft, ManualEnd

_SEVERITY = {
    ThreatKind.BALLISTIC_MISSILE: Severity.EXTREME,
    ThreatKind.ROCKET: Severity.EXTREME,
    ThreatKind.CRUISE_MISSILE: Severity.SEVERE,
    ThreatKind.DRONE: Severity.SEVERE,
}
_ACTUAL = AlertStatus.ACTUAL
_CircleT = tuple[float, float, float]
_ORDER = [Severity.MINOR, Severity.MODERATE, Severity.SEVERE, Severity.EXTREME]
_Key = tuple[str, AlertStatus]  # (area id, CAP status): one chain each


@dataclass(frozen=True, kw_only=True)
class AlertPolicy:
    alert_horizon_s: float = 900.0  # threats arriving within this count in a live alert
    raise_horizon_s: float = 720.0  # an alert is raised only for an arrival this near
    update_tta_s: float = 30.0
    update_tta_fraction: float = 0.15
    min_update_interval_s: float = 10.0
    clear_after_s: float = 20.0
    shelter_margin_s: float = 120.0  # at most this added to an area's time to shelter ...
    shelter_margin_share: float = 0.5  # ... and at most this share of it
    step_back_band_s: float = 120.0  # beyond the shelter limit before a step back
    exercise_sensor_prefix: str = "exercise:"  # injected exercise feeds in a live coalition
    retain_ended_s: float = 900.0  # an ended alert's versions are kept this long after

    def limit_s(self, time_to_shelter_s: float) -> float:
        """How near the earliest arrival must be for "take shelter now": the area's time
        to shelter plus a margin for the chain of alerting and the estimate's spread. A
        fixed two minutes made Bahrain's 90 s a 210 s order, and the earliest arrival is
        a lower bound, so drones were sheltered for three times as long as people need;
        half the time to shelter, capped at two minutes, keeps the order near 1.5x."""
        margin = min(self.shelter_margin_s, self.shelter_margin_share * time_to_shelter_s)
        return time_to_shelter_s + margin


class Alerting:
    def __init__(self, *, agreement: Agreement, policy: AlertPolicy | None = None) -> None:
        self.agreement = agreement
        self.policy = policy or AlertPolicy()
        self.status = AlertStatus.EXERCISE if agreement.exercise else AlertStatus.ACTUAL
        self.active: dict[str, Alert] = {}  # alert_id -> latest version (not cancelled)
        self.history: dict[str, list[Alert]] = {}
        self._longest_limit = max(
            (self.policy.limit_s(a.time_to_shelter_s) for a in agreement.areas),
            default=0.0,
        )
        self._chain: dict[_Key, str] = {}  # the live alert id of each (area, status)
        self._clear_since: dict[str, datetime] = {}
        self._causes: dict[str, set[str]] = {}  # sheltering alert -> tracks that caused it
        self._shapes: dict[str, tuple[tuple[Ring, ...], _CircleT | None]] = {}
        self._overlaps: dict[str, frozenset[str]] = {}
        self._ended: dict[str, datetime] = {}  # ended alert -> when, in the order they ended
        self._serials: dict[str, int] = {}  # alert id base -> alerts raised under it
        self.manual: set[str] = set()  # live manual alerts: people end them, not tracks

    def _forget_ended(self, at: datetime) -> None:
        """Memory stays bounded over a long raid: an alert that ended `retain_ended_s`
        ago leaves `history` (every version stays in the journal, and read-back serves
        old cursors from there); its id is never reused (`_serials`)."""
        for alert_id, ended_at in list(self._ended.items()):
            if (at - ended_at).total_seconds() < self.policy.retain_ended_s:
                break
            del self._ended[alert_id]
            self.history.pop(alert_id, None)

    def _shape(self, area_id: str) -> tuple[tuple[Ring, ...], _CircleT | None]:
        shape = self._shapes.get(area_id)
        if shape is None:
            shape = self._shapes[area_id] = area_shapes(self.agreement.area(area_id).geometry)
        return shape

    def overlapping(self, area_id: str) -> frozenset[str]:
        """Other areas of the same partner that share ground with `area_id`."""
        found = self._overlaps.get(area_id)
        if found is None:
            area = self.agreement.area(area_id)
            partner = self.agreement.partners[area.partner]
            found = frozenset(
                o.area_id
                for o in partner.areas
                if o.area_id != area_id
                and not o.geometry.is_empty
                and not area.geometry.is_empty
                and o.geometry.intersects(area.geometry)
            )
            self._overlaps[area_id] = found
        return found

    def evaluate(
        self, book: IncidentBook, assessments: Mapping[str, Assessment], at: datetime
    ) -> list[Alert]:
        self._forget_ended(at)
        out: list[Alert] = []
        exposed = exposures(
            book,
            assessments,
            at,
            horizon_s=max(self.policy.alert_horizon_s, self._longest_limit),
            exercise_coalition=self.agreement.exercise,
            exercise_prefix=self.policy.exercise_sensor_prefix,
        )
        # A real alert always overrides an exercise: where a real threat is (or was just)
        # alerted, exercise alerts end and no new one is raised, so nobody confuses them.
        real = {a.area_id for a in self.active.values() if a.status is _ACTUAL}
        real |= {area for area, status in exposed if status is _ACTUAL}
        for (area_id, status), exp in sorted(exposed.items()):
            if status is not _ACTUAL and area_id in real:
                continue
            alert_id = self._chain.get((area_id, status)) or self._new_id(area_id, status)
            if alert_id not in self.active and not self._within_horizon(area_id, exp, at):
                continue  # not yet: nothing is raised (or held) for a far-off guess
            self._clear_since.pop(alert_id, None)
            issued = self._next(alert_id, area_id, exp, at, status)
            if issued is not None:
                out.append(issued)
        ending: dict[str, str | None] = {}  # alert id -> the real alert overriding it
        for alert_id, prev in sorted(self.active.items()):
            if alert_id in self.manual:
                continue
            if prev.status is not _ACTUAL and prev.area_id in real:
                ending[alert_id] = self._chain.get((prev.area_id, _ACTUAL))
                continue
            if (prev.area_id, prev.status) in exposed:
                continue
            since = self._clear_since.setdefault(alert_id, at)
            if (at - since).total_seconds() >= self.policy.clear_after_s:
                ending[alert_id] = None
        for alert_id in self._held(ending):
            del ending[alert_id]
        for alert_id, overridden_by in sorted(ending.items()):
            out.append(self._end(self.active[alert_id], book, at, overridden_by=overridden_by))
        return out

    def _held(self, ending: Mapping[str, str | None]) -> set[str]:
        """Ends that must wait: an all-clear or cancel while another live alert to the
        same partner orders shelter over an overlapping area would contradict it. A
        shelter alert ending in the same tick does not hold (both end together)."""
        manual = self._manual_shelter()
        held: set[str] = {  # a person's shelter order in force holds its own area too
            i for i, by in ending.items() if by is None and self.active[i].area_id in manual
        }
        changed = True
        while changed:
            changed = False
            staying = {
                a.area_id
                for i, a in self.active.items()
                if a.stage.shelter and (i not in ending or i in held)
            }
            for alert_id, overridden_by in ending.items():
                if alert_id in held or overridden_by is not None:
                    continue
                if self.overlapping(self.active[alert_id].area_id) & staying:
                    held.add(alert_id)
                    changed = True
        return held

    def _manual_shelter(self) -> set[str]:
        return {self.active[i].area_id for i in self.manual if self.active[i].stage.shelter}

    def issue_manual(self, draft: ManualDraft, at: datetime, *, approved: bool) -> list[Alert]:
        """A manual draft out as one alert per area (alerting/manual.py), beside the
        automatic chain of that area: nothing here ends it but `end_manual`."""
        out = []
        for area_id in draft.areas:
            area = self.agreement.area(area_id)
            rings, circle = self._shape(area_id)
            alert = build_manual_alert(
                draft, area_id=area_id, area_name=area.name, partner=area.partner,
                status=self.status, at=at, approved=approved,
                time_to_shelter_s=area.time_to_shelter_s, polygons=rings, circle=circle,
            )  # fmt: skip
            self.active[alert.alert_id] = alert
            self.history.setdefault(alert.alert_id, []).append(alert)
            self.manual.add(alert.alert_id)
            out.append(alert)
        return out

    def end_manual(self, alert_ids: Sequence[str], end: ManualEnd, at: datetime) -> list[Alert]:
        """A person's all-clear or cancel of the live manual alerts `alert_ids`."""
        out = []
        for alert_id in alert_ids:
            prev = self.active.get(alert_id)
            if prev is None or alert_id not in self.manual:
                continue
            alert = end_manual_alert(prev, end, at)
            del self.active[alert_id]
            self.manual.discard(alert_id)
            self.history[alert_id].append(alert)
            self._ended[alert_id] = at
            out.append(alert)
        return out

    def _new_id(self, area_id: str, status: AlertStatus) -> str:
        """Stable while the alert lives; a raise after a Cancel is a new alert (CAP
        identifiers must not repeat, and the old chain ended with its Cancel)."""
        base = self._base(area_id, status)
        n = self._serials.get(base, 0) + 1
        return base if n == 1 else f"{base}-{n}"

    def _base(self, area_id: str, status: AlertStatus) -> str:
        base = f"A-{area_id}"
        if status is not self.status:
            base += f"-{status.value.lower()}"
        return base

    def _limit(self, area_id: str) -> float:
        return self.policy.limit_s(self.agreement.area(area_id).time_to_shelter_s)

    def _within_horizon(self, area_id: str, exp: Exposure, at: datetime) -> bool:
        """Is the earliest arrival near enough to warn of (see the module docstring)?"""
        horizon = max(self._limit(area_id), self.policy.raise_horizon_s)
        return (exp.expected_at - at).total_seconds() <= horizon

    def _next(
        self, alert_id: str, area_id: str, exp: Exposure, at: datetime, status: AlertStatus
    ) -> Alert | None:
        """The version this exposure calls for, if any: a first alert, an escalation from
        early warning to take-shelter (at once, whatever the update interval: the shelter
        countdown is running), a step back to early warning once every cause of the
        shelter order is gone, or an update on a material change."""
        prev = self.active.get(alert_id)
        limit = self._limit(area_id)
        near = exp.within(at, limit, self.agreement.area(area_id).time_to_shelter_s)
        if prev is None or prev.stage is AlertStage.EARLY_WARNING:
            if near:
                self._causes[alert_id] = near
                return self._issue(alert_id, area_id, exp, at, AlertStage.ALERT, prev, status)
            if prev is None or self._material(prev, exp, at):
                stage = AlertStage.EARLY_WARNING
                return self._issue(alert_id, area_id, exp, at, stage, prev, status)
            return None
        # Sheltering: a track that comes within the limit becomes a cause too; a cause
        # that ended, arrived and left, or turned away no longer holds the order.
        causes = (self._causes.get(alert_id, set()) & set(exp.tracks)) | near
        self._causes[alert_id] = causes
        # What could not order shelter (a course not yet shown) cannot hold it either.
        shelter_s = self.agreement.area(area_id).time_to_shelter_s
        credible = [t.expected_at for t in exp.threats if t.credible(at, shelter_s)]
        tta = (min(credible) - at).total_seconds() if credible else math.inf
        if not causes and tta > limit + self.policy.step_back_band_s:
            if not self._interval_passed(prev, at):
                return None
            return self._issue(alert_id, area_id, exp, at, AlertStage.EARLY_WARNING, prev, status)
        if self._material(prev, exp, at):
            return self._issue(alert_id, area_id, exp, at, AlertStage.UPDATE, prev, status)
        return None

    def _threshold(self, tta: float) -> float:
        # A minute's shift matters at T-3 min, not at T-25 min.
        return max(self.policy.update_tta_s, self.policy.update_tta_fraction * tta)

    def _interval_passed(self, prev: Alert, at: datetime) -> bool:
        return (at - prev.sent_at).total_seconds() >= self.policy.min_update_interval_s

    def _material(self, prev: Alert, exp: Exposure, at: datetime) -> bool:
        if not self._interval_passed(prev, at):
            return False
        assert prev.expected_at is not None
        # Arrival times already passed all read "now": a threat inside an area does not
        # move its arrival forward with every tick.
        shift = (max(exp.expected_at, at) - max(prev.expected_at, at)).total_seconds()
        tta = (exp.expected_at - at).total_seconds()
        threshold = self._threshold(tta)
        more = any(n > prev.kinds.get(kind, 0) for kind, n in exp.kinds.items())
        later = prev.stage.shelter and shift > 2.0 * threshold  # people sheltering: worth it
        return -shift > threshold or later or more

    def _reason(
        self, area_id: str, exp: Exposure, at: datetime, stage: AlertStage, prev: Alert | None
    ) -> str:
        area = self.agreement.area(area_id)
        tta = max(0.0, (exp.expected_at - at).total_seconds())
        shelter = area.time_to_shelter_s
        margin = self.policy.limit_s(shelter) - shelter
        if prev is None:
            reason = wording.raise_reason(
                stage=stage,
                incidents=exp.incidents,
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
        elif prev.stage.shelter and stage is AlertStage.EARLY_WARNING:
            reason = wording.step_back_reason(
                area=area.name,
                gone=prev.tracks,
                kinds=exp.kinds,
                tracks=exp.tracks,
                tta_s=tta,
                limit_s=shelter + margin,
                band_s=self.policy.step_back_band_s,
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
        return wording.with_rule_notes(reason, exp.rule_notes())

    def _issue(
        self,
        alert_id: str,
        area_id: str,
        exp: Exposure,
        at: datetime,
        stage: AlertStage,
        prev: Alert | None,
        status: AlertStatus,
    ) -> Alert:
        area = self.agreement.area(area_id)
        tta = max(0.0, (exp.expected_at - at).total_seconds())
        rings, circle = self._shape(area_id)
        alert = Alert(
            alert_id=alert_id,
            version=1 if prev is None else prev.version + 1,
            incident_id=exp.incident_id,
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
            reason=self._reason(area_id, exp, at, stage, prev),
            area_polygons=rings,
            area_circle=circle,
            stage=stage,
            time_to_shelter_s=area.time_to_shelter_s,
            tracks=exp.tracks,
            incidents=exp.incidents,
            withheld_tracks=exp.withheld,
        )
        if not stage.shelter:
            self._causes.pop(alert_id, None)
        if prev is None:  # a new alert: its id is taken for good
            base = self._base(area_id, status)
            self._serials[base] = self._serials.get(base, 0) + 1
        self._chain[(area_id, status)] = alert_id
        self.active[alert_id] = alert
        self.history.setdefault(alert_id, []).append(alert)
        return alert

    def _end(
        self, prev: Alert, book: IncidentBook, at: datetime, *, overridden_by: str | None
    ) -> Alert:
        """All-clear when people were told to shelter and the arrival time has passed
        (the event is over); otherwise a cancel (the threats turned away, were lost, or
        ended before they reached the area). Either way the reason says which."""
        arrived = prev.expected_at is not None and prev.expected_at <= at
        stage = AlertStage.ALL_CLEAR if prev.stage.shelter and arrived else AlertStage.CANCEL
        if overridden_by is not None:
            stage = AlertStage.CANCEL
            why = (
                f"a real alert for {prev.area_name} ({overridden_by}) overrides this "
                f"{prev.status.value.lower()} alert"
            )
        elif not any(book.is_live(t) for t in prev.tracks):
            why = (
                f"threat ended: no track behind it remains, and nothing else has endangered "
                f"{prev.area_name} for {self.policy.clear_after_s:.0f} s (every track reached "
                "its end, was intercepted or was lost)"
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
        self._chain.pop((prev.area_id, prev.status), None)
        self._clear_since.pop(prev.alert_id, None)
        self._causes.pop(prev.alert_id, None)
        self.history[prev.alert_id].append(alert)
        self._ended[prev.alert_id] = at
        return alert

    def previous_versions(self, alert: Alert) -> Sequence[Alert]:
        return [a for a in self.history.get(alert.alert_id, []) if a.version < alert.version]


def _severity(kinds: Mapping[ThreatKind, int]) -> Severity:
    levels = [_SEVERITY.get(k, Severity.MODERATE) for k in kinds]
    return max(levels, key=_ORDER.index) if levels else Severity.MODERATE
