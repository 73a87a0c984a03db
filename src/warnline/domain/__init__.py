"""Pure domain types shared by every stage: no I/O, no stage logic.

Stages talk to each other only through these types (and the journal's events), so a
reader can follow the data flow without opening any stage's internals.
"""

from warnline.domain.alert import (
    Acknowledgement,
    Alert,
    AlertStage,
    AlertStatus,
    MsgType,
    Severity,
    Urgency,
)
from warnline.domain.clock import Clock, ManualClock, ScaledClock, SystemClock
from warnline.domain.delivery import (
    Attempt,
    AttemptResult,
    DeliveryOutcome,
    OfferAttempt,
    OfferResult,
    OfferStepFired,
    StepFired,
    Takeover,
)
from warnline.domain.geo import Position, Velocity
from warnline.domain.incident import (
    Answer,
    Assignment,
    AssignmentStatus,
    Incident,
    Override,
    Readiness,
    ReadinessStatus,
)
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
    "Answer",
    "AreaAtRisk",
    "Assessment",
    "Assignment",
    "AssignmentStatus",
    "Attempt",
    "AttemptResult",
    "Attribution",
    "Clock",
    "Contributor",
    "DeliveryOutcome",
    "Identity",
    "Incident",
    "ManualClock",
    "MsgType",
    "OfferAttempt",
    "OfferResult",
    "OfferStepFired",
    "Override",
    "Position",
    "Readiness",
    "ReadinessStatus",
    "Releasability",
    "Report",
    "ScaledClock",
    "Severity",
    "StepFired",
    "SystemClock",
    "Takeover",
    "ThreatKind",
    "Track",
    "TrackState",
    "Urgency",
    "Velocity",
]
