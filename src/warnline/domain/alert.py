"""What a recipient is told (CAP 1.2 semantics), and what became of each attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from warnline.domain.report import ThreatKind


class AlertStatus(StrEnum):
    """CAP `status`: an exercise alert is marked as such on every channel."""

    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    TEST = "Test"


class MsgType(StrEnum):
    """CAP `msgType`."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"


class AlertStage(StrEnum):
    """Where an alert stands in the sequence people know from national rocket-alert
    systems. `msg_type` says how a CAP consumer chains the message; the stage says what
    a person must do: get ready (early warning), take shelter now (alert, update), or
    leave the shelter (all-clear, cancel)."""

    EARLY_WARNING = "early_warning"  # launches detected: an alert is likely within minutes
    ALERT = "alert"  # take shelter now
    UPDATE = "update"  # still take shelter; a material change (arrival, kinds) since the alert
    ALL_CLEAR = "all_clear"  # the event ended: leave the protected space
    CANCEL = "cancel"  # the threat left, was lost, or ended before it reached the area

    @property
    def shelter(self) -> bool:
        return self in (AlertStage.ALERT, AlertStage.UPDATE)

    @property
    def final(self) -> bool:
        return self in (AlertStage.ALL_CLEAR, AlertStage.CANCEL)


class Severity(StrEnum):
    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"


class Urgency(StrEnum):
    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"


@dataclass(frozen=True, kw_only=True, slots=True)
class Alert:
    """One version of the one live alert for one (recipient partner, area).

    It groups every threat track that endangers the area, whatever incident (raid) it
    belongs to: `incidents` lists them all, `incident_id` is the incident of the
    earliest-arriving track (kept for consumers that know one incident per alert).
    Versions increase by one with each Update; a Cancel is the last version.
    `reason` says in plain words why this version was issued (stage, what, where,
    when, which tracks); `tracks` names the coalition tracks behind it.
    `area_polygons` are closed lon/lat rings that together cover the whole area
    (every part, islands included); `area_circle` is the smallest circle covering it.
    `time_to_shelter_s` is the area's time to reach shelter, told with every version so
    a countdown can show how long is left before people must be inside.
    `withheld_tracks` are those of `tracks` built only from reports not released to
    `partner`: release warns the partner of them without naming them (docs/decisions.md,
    "The release rule for alerts").
    """

    alert_id: str
    version: int
    incident_id: str
    area_id: str
    area_name: str
    partner: str
    msg_type: MsgType
    status: AlertStatus
    sent_at: datetime
    severity: Severity
    urgency: Urgency
    time_to_arrival_s: float | None
    expected_at: datetime | None
    kinds: dict[ThreatKind, int]
    headline: str
    reason: str
    area_polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    stage: AlertStage = AlertStage.ALERT
    time_to_shelter_s: float | None = None
    area_circle: tuple[float, float, float] | None = None  # lon, lat, radius km (covers area)
    tracks: tuple[str, ...] = ()
    superseded_by: str | None = None  # the real alert that ended this exercise/test alert
    incidents: tuple[str, ...] = ()  # every incident with a track behind this version
    withheld_tracks: tuple[str, ...] = ()  # of `tracks`, those not released to `partner`

    @property
    def version_key(self) -> str:
        return f"{self.alert_id}@{self.version}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Acknowledgement:
    """A duty officer confirmed they have the alert."""

    alert_id: str
    version: int
    partner: str
    user: str
    channel: str
    at: datetime
