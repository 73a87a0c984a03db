"""The coalition agreement as frozen data: parsed once, then handed to every stage.

Parsing and validation live in `warnline.agreement.load`; nothing here does I/O.
Geometries are shapely objects in WGS84 lon/lat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from shapely.geometry.base import BaseGeometry

from warnline.domain.alert import Severity
from warnline.domain.incident import Readiness
from warnline.domain.report import Identity, Releasability, ThreatKind


class AreaKind(StrEnum):
    TERRITORY = "territory"
    DEFENDED = "defended"


@dataclass(frozen=True, kw_only=True)
class Area:
    """A partner's territory or one of its defended areas."""

    area_id: str
    partner: str
    name: str
    kind: AreaKind
    geometry: BaseGeometry
    time_to_shelter_s: float = 90.0


@dataclass(frozen=True, kw_only=True)
class Contact:
    """A duty role and how to reach it (channel name -> address).

    `contact_id` ("<partner>/<role>/<name slug>") is the recipient of deliveries and
    acknowledgements on person-addressed channels, so de-duplication is per person.
    `prompts` are partner-supplied spoken forms (e.g. espeak phoneme input) by key.
    """

    role: str
    name: str
    addresses: dict[str, str]
    language: str = "en"
    partner: str = ""
    prompts: dict[str, str] = field(default_factory=dict)

    @property
    def contact_id(self) -> str:
        slug = "-".join("".join(c if c.isalnum() else " " for c in self.name.lower()).split())
        return f"{self.partner}/{self.role}/{slug}"


class AckMode(StrEnum):
    """What the agreement says an acknowledgement covers for a partner."""

    FLOOR = "floor"  # one acknowledgement covers the partner's whole watch floor
    EACH_ROLE = "each_role"  # every role the escalation names must acknowledge


@dataclass(frozen=True, kw_only=True)
class Shift:
    """One daily duty shift: `contact` (a contact name) holds `role` from `start_min`
    to `end_min` minutes after 00:00 UTC; a shift whose end is not after its start
    runs past midnight."""

    role: str
    contact: str
    start_min: int
    end_min: int

    def covers(self, minute_of_day: int) -> bool:
        if self.start_min < self.end_min:
            return self.start_min <= minute_of_day < self.end_min
        return minute_of_day >= self.start_min or minute_of_day < self.end_min


@dataclass(frozen=True, kw_only=True)
class EscalationStep:
    after_s: float
    channels: tuple[str, ...]
    roles: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class EscalationPolicy:
    min_severity: Severity
    steps: tuple[EscalationStep, ...]
    repeat_s: float = 60.0


@dataclass(frozen=True, kw_only=True)
class ResponseSector:
    """An area of responsibility with the partners that lead there, in order."""

    sector_id: str
    name: str
    geometry: BaseGeometry
    partners: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ResponseRules:
    """The lead-partner procedure's rules (who responds; never how)."""

    sectors: tuple[ResponseSector, ...] = ()
    offer_timeout_s: float = 20.0  # an offer unanswered this long passes to the next
    decide_within_s: float = 90.0  # a lead, or escalation to the cell, within this
    default_time_to_respond_s: float = 60.0  # assumed where readiness is not declared
    await_threat_s: float = 10.0  # wait this long for a threatened area before sector order


@dataclass(frozen=True, kw_only=True)
class ThreatRule:
    """When a confirmed track that nobody labelled suspect or hostile is still treated as
    suspect, from how it moves (identity unknown or pending only; friend, assumed friend
    and neutral never are). A partner's radar often reports a ballistic object with no
    identity at all: without this rule it would never warn anyone.

    - an inbound ballistic trajectory: at least `ballistic_min_speed_m_s` (3-D) or at
      least `ballistic_min_altitude_m` high, and heading into a partner territory;
    - a fast object from outside: at least `fast_min_speed_m_s`, currently outside every
      partner territory, and heading into one.
    """

    enabled: bool = True
    ballistic_min_speed_m_s: float = 1000.0
    ballistic_min_altitude_m: float = 30_000.0
    fast_min_speed_m_s: float = 150.0


@dataclass(frozen=True, kw_only=True)
class Partner:
    code: str  # ISO 3166-1 alpha-3, e.g. "JOR"
    name: str
    public_keys: dict[str, str]  # key id -> base64 Ed25519 verify key
    territory: Area
    defended_areas: tuple[Area, ...]
    releasability: Releasability
    languages: tuple[str, ...] = ("en",)
    contacts: tuple[Contact, ...] = ()
    escalation: tuple[EscalationPolicy, ...] = ()
    can_lead: bool = True
    membership_visible: bool = True
    max_reports_per_s: float = 5000.0  # sustained; bursts of four seconds' worth pass
    sovereignty: bool = True  # offered lead first when its areas are threatened
    consents_to: tuple[str, ...] | None = ()  # may act over its territory; None: everyone
    readiness: tuple[Readiness, ...] = ()  # declared at agreement time, updated live

    def consents(self, actor: str) -> bool:
        return actor == self.code or self.consents_to is None or actor in self.consents_to

    ack_mode: AckMode = AckMode.FLOOR
    roster: tuple[Shift, ...] = ()
    asterix: AsterixSettings | None = None  # None: the partner sends no ASTERIX

    @property
    def areas(self) -> tuple[Area, ...]:
        return (self.territory, *self.defended_areas)


@dataclass(frozen=True, kw_only=True)
class Agreement:
    name: str
    coordination_cell: str  # partner code of the hub operator
    exercise: bool
    partners: dict[str, Partner]
    hub_public_key: str = ""
    max_report_age_s: float = 300.0
    max_report_lead_s: float = 5.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    response: ResponseRules = field(default_factory=ResponseRules)
    threat_rule: ThreatRule = field(default_factory=ThreatRule)

    @property
    def areas(self) -> tuple[Area, ...]:
        return tuple(a for p in self.partners.values() for a in p.areas)

    @cached_property
    def _area_index(self) -> dict[str, Area]:
        return {a.area_id: a for a in self.areas}

    def area(self, area_id: str) -> Area:
        return self._area_index[area_id]


@dataclass(frozen=True, kw_only=True)
class AsterixSensor:
    """One sensor or system of a partner that speaks ASTERIX, known by its SAC/SIC.

    Its position is the reference of what ASTERIX gives relative to it: the radar for
    CAT048's polar plots, the system reference point for CAT062's Cartesian I062/100.
    ASTERIX says nothing of kind and (short of a friendly Mode 4 answer) of identity: a
    report takes this sensor's `kind`, `identity` (`tentative_identity` while the system
    calls the track tentative) and `confidence`, and `accuracy_m` where the record gives
    no accuracy of its own."""

    sac: int
    sic: int
    sensor: str  # the partner's sensor id its reports carry
    lat: float
    lon: float
    alt_m: float = 0.0
    accuracy_m: float = 500.0
    identity: Identity = Identity.UNKNOWN
    tentative_identity: Identity = Identity.PENDING  # a track the system has not confirmed
    kind: ThreatKind = ThreatKind.UNKNOWN
    confidence: float = 0.5


@dataclass(frozen=True, kw_only=True)
class AsterixSettings:
    """What a partner and the node agreed about its ASTERIX: the edition of each
    category (not in the bytes; both sides must use the same) and its sensors."""

    editions: dict[int, str]  # category (62, 48) -> edition, e.g. {62: "1.20"}
    sensors: tuple[AsterixSensor, ...]

    def sensor(self, sac: int, sic: int) -> AsterixSensor | None:
        for s in self.sensors:
            if s.sac == sac and s.sic == sic:
                return s
        return None
