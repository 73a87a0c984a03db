"""Builders for the lead-procedure tests: incidents, alerts and positions by name."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.factories import T0
from warnline.domain import (
    Alert,
    AlertStatus,
    Incident,
    MsgType,
    Position,
    Severity,
    ThreatKind,
    Urgency,
)

AMMAN = Position(lat=31.95, lon=35.93)  # levant sector
RIYADH = Position(lat=24.71, lon=46.68)  # arabia sector
CAIRO = Position(lat=30.04, lon=31.24)  # nile sector
ABU_DHABI = Position(lat=24.45, lon=54.38)  # gulf sector


def incident(incident_id: str = "I00001", hostile: bool = True) -> Incident:
    return Incident(
        incident_id=incident_id,
        opened_at=T0,
        updated_at=T0,
        track_ids=("T000001",),
        confirmed_hostile=hostile,
    )


def alert(
    area_id: str,
    partner: str,
    tta: float,
    name: str = "Area",
    incident_id: str = "I00001",
    sent_at: datetime = T0,
    incidents: tuple[str, ...] | None = None,
) -> Alert:
    """One alert per area (its id names the area), grouping `incidents` (default: the
    one incident)."""
    return Alert(
        alert_id=f"A-{area_id}",
        incidents=(incident_id,) if incidents is None else incidents,
        version=1,
        incident_id=incident_id,
        area_id=area_id,
        area_name=name,
        partner=partner,
        msg_type=MsgType.ALERT,
        status=AlertStatus.EXERCISE,
        sent_at=sent_at,
        severity=Severity.SEVERE,
        urgency=Urgency.IMMEDIATE,
        time_to_arrival_s=tta,
        expected_at=sent_at + timedelta(seconds=tta),
        kinds={ThreatKind.DRONE: 1},
        headline="h",
        reason="r",
    )


def by_id(*alerts: Alert) -> dict[str, Alert]:
    return {a.alert_id: a for a in alerts}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)
