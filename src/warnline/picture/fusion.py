"""Fusion of what partners say about an object besides where it is.

Each (partner, sensor) keeps its latest word; the track's kind, identity and
confidence are recomputed from those, so a partner that revises its classification
revises its vote instead of adding a second one, and a chatty sensor outvotes nobody.
"""

from __future__ import annotations

from datetime import datetime

from warnline.domain import (
    Contributor,
    Identity,
    Position,
    Releasability,
    Report,
    ThreatKind,
)

HOSTILE_MIN_CONFIDENCE = 0.6
MAX_CONFIDENCE = 0.99

# From least to most threatening; a warning system errs toward the threat.
_THREAT_ORDER: tuple[Identity, ...] = (
    Identity.FRIEND,
    Identity.ASSUMED_FRIEND,
    Identity.NEUTRAL,
    Identity.PENDING,
    Identity.UNKNOWN,
    Identity.SUSPECT,
    Identity.HOSTILE,
)
_THREAT_RANK = {identity: rank for rank, identity in enumerate(_THREAT_ORDER)}

# On equal weight the more dangerous reading wins.
_KIND_PREFERENCE: dict[ThreatKind, int] = {
    ThreatKind.BALLISTIC_MISSILE: 5,
    ThreatKind.CRUISE_MISSILE: 4,
    ThreatKind.ROCKET: 3,
    ThreatKind.DRONE: 2,
    ThreatKind.AIRCRAFT: 1,
    ThreatKind.UNKNOWN: 0,
}

_DEFAULT_RELEASABILITY = Releasability()


def effective_identity(report: Report) -> Identity:
    """HOSTILE said with little confidence counts as SUSPECT."""
    if report.identity is Identity.HOSTILE and report.confidence < HOSTILE_MIN_CONFIDENCE:
        return Identity.SUSPECT
    return report.identity


class ContributorState:
    """One (partner, sensor)'s running share in a track."""

    __slots__ = (
        "_frozen",
        "batch",
        "confidence",
        "count",
        "kind",
        "kind_confidence",
        "kind_t",
        "last_position",
        "last_report_at",
        "last_t",
        "partner",
        "releasability",
        "sensor",
    )

    def __init__(self, report: Report, t: float) -> None:
        self.partner = report.partner
        self.sensor = report.sensor
        self.count = 0
        self.batch = -1
        self.last_t = -float("inf")
        self.kind_t = -float("inf")
        self.kind = ThreatKind.UNKNOWN
        self.kind_confidence = 0.0
        self.confidence = 0.0
        self.releasability = _DEFAULT_RELEASABILITY
        self.last_report_at: datetime = report.observed_at
        self.last_position: Position = report.position
        self._frozen: Contributor | None = None

    def add(self, report: Report, t: float, batch: int) -> None:
        self._frozen = None
        self.count += 1
        self.batch = max(self.batch, batch)
        if t >= self.last_t:  # a delayed report is counted but does not overwrite
            self.last_t = t
            self.last_report_at = report.observed_at
            self.last_position = report.position
            self.releasability = report.releasability or _DEFAULT_RELEASABILITY
            self.confidence = min(max(report.confidence, 0.0), 1.0)
        if report.kind is not ThreatKind.UNKNOWN and t >= self.kind_t:
            self.kind_t = t
            self.kind = report.kind
            self.kind_confidence = min(max(report.confidence, 0.0), 1.0)

    def frozen(self) -> Contributor:
        if self._frozen is None:
            self._frozen = Contributor(
                partner=self.partner,
                sensor=self.sensor,
                releasability=self.releasability,
                last_report_at=self.last_report_at,
                last_position=self.last_position,
                report_count=self.count,
            )
        return self._frozen


class TrackAttributes:
    """Kind, identity, confidence and contributors of one track."""

    __slots__ = ("contributors", "report_count", "threat_rank")

    def __init__(self) -> None:
        self.contributors: dict[tuple[str, str], ContributorState] = {}
        self.report_count = 0
        self.threat_rank = -1

    def add(self, report: Report, t: float, batch: int) -> None:
        """Count one report; `batch` numbers the ingest call it came in."""
        key = (report.partner, report.sensor)
        state = self.contributors.get(key)
        if state is None:
            state = self.contributors[key] = ContributorState(report, t)
        state.add(report, t, batch)
        self.report_count += 1
        self.threat_rank = max(self.threat_rank, _THREAT_RANK[effective_identity(report)])

    def absorb(self, other: TrackAttributes) -> None:
        """Take over another track's contributions (when two tracks prove to be one)."""
        for key in sorted(other.contributors):
            theirs = other.contributors[key]
            mine = self.contributors.get(key)
            if mine is None:
                self.contributors[key] = theirs
                continue
            newer = theirs if theirs.last_t > mine.last_t else mine
            kind_newer = theirs if theirs.kind_t > mine.kind_t else mine
            merged = newer
            merged._frozen = None
            merged.count = mine.count + theirs.count
            merged.batch = max(mine.batch, theirs.batch)
            merged.kind, merged.kind_t = kind_newer.kind, kind_newer.kind_t
            merged.kind_confidence = kind_newer.kind_confidence
            self.contributors[key] = merged
        self.report_count += other.report_count
        self.threat_rank = max(self.threat_rank, other.threat_rank)

    def seen_apart(self, other: TrackAttributes) -> bool:
        """Did one sensor, in its latest batch, report both tracks? Then it saw two objects
        (within a batch, a sensor's reports with different sensor-track numbers, or none,
        never go to the same track)."""
        for key in sorted(self.contributors.keys() & other.contributors.keys()):
            if self.contributors[key].batch == other.contributors[key].batch:
                return True
        return False

    def kind(self) -> ThreatKind:
        """The kind with the most confidence behind it among the partners' latest words."""
        weight: dict[ThreatKind, float] = {}
        for key in sorted(self.contributors):
            state = self.contributors[key]
            if state.kind is not ThreatKind.UNKNOWN:
                weight[state.kind] = weight.get(state.kind, 0.0) + state.kind_confidence
        if not weight:
            return ThreatKind.UNKNOWN
        return max(weight, key=lambda k: (weight[k], _KIND_PREFERENCE[k]))

    def identity(self) -> Identity:
        return _THREAT_ORDER[self.threat_rank] if self.threat_rank >= 0 else Identity.UNKNOWN

    def confidence(self) -> float:
        """1 - Π(1 - c_p) over partners, c_p the partner's most confident current word."""
        per_partner: dict[str, float] = {}
        for key in sorted(self.contributors):
            partner, c = key[0], self.contributors[key].confidence
            per_partner[partner] = max(per_partner.get(partner, 0.0), c)
        doubt = 1.0
        for partner in sorted(per_partner):
            doubt *= 1.0 - per_partner[partner]
        return min(1.0 - doubt, MAX_CONFIDENCE)

    def frozen_contributors(self) -> tuple[Contributor, ...]:
        return tuple(self.contributors[key].frozen() for key in sorted(self.contributors))
