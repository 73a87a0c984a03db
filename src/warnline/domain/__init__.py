"""Pure domain types shared by every stage: no I/O, no stage logic.

Stages talk to each other only through these types (and the journal's events), so a
reader can follow the data flow without opening any stage's internals.
"""

from warnline.domain.alert import (
    Acknowledgement,
    Alert,
    AlertStage,
    AlertStatus,
    Delivery,
    DeliveryOutcome,
    MsgType,
    Severity,
    Urgency,
)
from warnline.domain.clock import Clock, ManualClock, ScaledClock, SystemClock
from warnline.domain.geo import Position, Velocity
from warnline.domain.incident import Assignment, AssignmentStatus, Incident
from warnline.domain.report import (
    Attribution,
    Identity,
    Releasability,
    Report,
    ThreatKind,
)
from warnline.domain.track import AreaAtRisk, Assessment, Contributor, Track, TrackState

__all__ = [
    "Acknowledgement",
    "Alert",
    "AlertStage",
    "AlertStatus",
    "AreaAtRisk",
    "Assessment",
    "Assignment",
    "AssignmentStatus",
    "Attribution",
    "Clock",
    "Contributor",
    "Delivery",
    "DeliveryOutcome",
    "Identity",
    "Incident",
    "ManualClock",
    "MsgType",
    "Position",
    "Releasability",
    "Report",
    "ScaledClock",
    "Severity",
    "SystemClock",
    "ThreatKind",
    "Track",
    "TrackState",
    "Urgency",
    "Velocity",
]
