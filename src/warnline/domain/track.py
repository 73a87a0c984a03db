"""The coalition picture: fused tracks and what each endangers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from warnline.domain.geo import Position, Velocity
from warnline.domain.report import Identity, Releasability, ThreatKind


class TrackState(StrEnum):
    TENTATIVE = "tentative"  # not yet evidence enough; never coasts, never alerts
    CONFIRMED = "confirmed"  # evidence clutter cannot easily produce (two sensors, or a repeat)
    COASTING = "coasting"  # a confirmed track with no report lately; position extrapolated
    LOST = "lost"  # dropped from the picture


@dataclass(frozen=True, kw_only=True, slots=True)
class Contributor:
    """One partner's share in a track; release decides who may learn of it."""

    partner: str
    sensor: str
    releasability: Releasability
    last_report_at: datetime
    last_position: Position
    report_count: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Track:
    track_id: str
    state: TrackState
    updated_at: datetime
    first_seen: datetime
    position: Position
    velocity: Velocity
    sigma_m: float
    kind: ThreatKind
    identity: Identity
    confidence: float
    contributors: tuple[Contributor, ...]
    report_count: int
    velocity_sigma_ms: float = 0.0  # one-sigma ground velocity error per axis (0: not known)
    turn_rate_dps: float = 0.0  # proven steady turn, degrees per second clockwise (0: straight)

    @property
    def partners(self) -> frozenset[str]:
        return frozenset(c.partner for c in self.contributors)

    def released_to(self, partner: str) -> bool:
        """Some contributor is `partner` itself or released its reports to it (the
        coordination cell, which receives everything, is release's business)."""
        return any(c.partner == partner or c.releasability.releases_to(partner)
                   for c in self.contributors)  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class AreaAtRisk:
    """An area the predicted corridor enters, and when."""

    area_id: str
    partner: str
    name: str
    area_kind: str  # "territory" or "defended"
    time_to_arrival_s: float
    expected_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Assessment:
    """Where a track may go and whom it endangers.

    `path` samples the predicted path; `corridor` is the uncertainty corridor as a
    lon/lat polygon ring. Both are for display and explanation (the assessor makes
    them when first read); `areas` is the decision-relevant part.
    """

    track_id: str
    assessed_at: datetime
    path: Sequence[Position]
    corridor: Sequence[tuple[float, float]]
    areas: tuple[AreaAtRisk, ...]
    horizon_s: float
