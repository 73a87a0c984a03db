"""Ranking of the partners who could lead the response to one incident, each with why.

Order, from the coalition agreement: first the sovereignty rule (owners of the areas the
threat reaches, earliest first, unless a partner opted out), then the response sector's
ordered partners. Within each rule, partners declared ready come before those declared
limited. A candidate is passed (kept in the ranking, with the reason, so the explanation
is complete) when it may not lead, declared itself unavailable in the sector, needs longer
to respond than the threat needs to arrive, or was already offered this round. Acting over
another partner's territory needs that partner's consent: standing (in the agreement) or
asked for this incident. Pure functions of their arguments: replay gives the same ranking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from shapely.geometry import Point

from warnline.agreement.model import (
    Agreement,
    AreaKind,
    ResponseSector,
)
from warnline.domain import Alert, MsgType, Position
from warnline.domain.incident import Readiness, ReadinessStatus

SOVEREIGNTY = "sovereignty"
SECTOR = "sector"


@dataclass(frozen=True, kw_only=True)
class Situation:
    """What the ranking needs to know about an incident at one instant."""

    incident_id: str
    at: datetime
    alerts: tuple[Alert, ...]  # active, earliest expected arrival first
    sector: ResponseSector | None
    sector_basis: str  # why this sector: where the threat is, or where it is heading
    time_to_arrival_s: float | None  # to the first area it reaches
    territory_owner: str | None  # the partner over whose territory the response would act


@dataclass(frozen=True, kw_only=True)
class Candidate:
    partner: str
    rule: str
    why: str
    passed: str | None = None
    consent_from: str | None = None  # owner whose consent must still be asked
    consent_basis: str = ""
    time_to_respond_s: float = 0.0

    def line(self, n: int) -> str:
        verdict = f"passed: {self.passed}" if self.passed else self.consent_basis
        return f"{n}. {self.partner} ({self.rule}): {self.why}; {verdict}"


def sector_at(agreement: Agreement, position: Position | None) -> ResponseSector | None:
    if position is None:
        return None
    point = Point(position.lon, position.lat)
    return next((s for s in agreement.response.sectors if s.geometry.covers(point)), None)


def situation(
    agreement: Agreement,
    incident_id: str,
    alerts: Sequence[Alert],
    position: Position | None,
    at: datetime,
) -> Situation:
    active = sorted(
        (
            a
            for a in alerts
            if a.msg_type is not MsgType.CANCEL and incident_id in (a.incidents or (a.incident_id,))
        ),
        key=lambda a: (a.expected_at or at, a.area_id),
    )
    sector, basis = sector_at(agreement, position), "the threat is in it"
    if sector is None:
        for alert in active:
            area = agreement.area(alert.area_id)
            if not area.geometry.is_empty:
                point = area.geometry.representative_point()
                sector = next(
                    (s for s in agreement.response.sectors if s.geometry.covers(point)), None
                )
                if sector is not None:
                    basis = f"the threat is heading into it ({alert.area_name})"
                    break
    # Time to arrival: at the first defended area still ahead, else the first territory
    # still ahead; a threat already over every area it threatens leaves no bound.
    ahead = [
        (agreement.area(a.area_id).kind is AreaKind.TERRITORY, (a.expected_at - at).total_seconds())
        for a in active
        if a.expected_at is not None and a.expected_at > at
    ]
    ttas = [t for territory, t in ahead if not territory] or [t for _, t in ahead]
    owner = next(
        (a.partner for a in active if agreement.area(a.area_id).kind is AreaKind.TERRITORY), None
    )
    return Situation(
        incident_id=incident_id,
        at=at,
        alerts=tuple(active),
        sector=sector,
        sector_basis=basis,
        time_to_arrival_s=min(ttas) if ttas else None,
        territory_owner=owner,
    )


def rank(
    agreement: Agreement,
    sit: Situation,
    readiness: Mapping[tuple[str, str], Readiness],
    tried: Mapping[str, str],
) -> list[Candidate]:
    """Every candidate, in the order offers go out; `passed` says who is skipped and why."""
    seeds: list[tuple[str, str, str]] = []  # (partner, rule, why)
    seen: set[str] = set()
    for alert in sit.alerts:
        partner = agreement.partners[alert.partner]
        if partner.code in seen or not partner.sovereignty:
            continue
        seen.add(partner.code)
        eta = alert.expected_at
        if eta is None or eta <= sit.at:
            when = "already reached" if eta else "arrival unknown"
        else:
            when = f"in {(eta - sit.at).total_seconds():.0f} s"
        seeds.append((partner.code, SOVEREIGNTY, f"{alert.area_name} is threatened ({when})"))
    if sit.sector is not None:
        for i, code in enumerate(sit.sector.partners, start=1):
            if code not in seen:
                seen.add(code)
                seeds.append((code, SECTOR, f"#{i} in sector {sit.sector.name}"))
    out = [(i, _judge(agreement, sit, readiness, tried, *seed)) for i, seed in enumerate(seeds)]
    rule_order = {SOVEREIGNTY: 0, SECTOR: 1}
    limited = {
        c.partner
        for _, c in out
        if sit.sector is not None
        and (r := readiness.get((c.partner, sit.sector.sector_id))) is not None
        and r.status is ReadinessStatus.LIMITED
    }
    ordered = sorted(out, key=lambda ic: (rule_order[ic[1].rule], ic[1].partner in limited, ic[0]))
    return [c for _, c in ordered]


def _judge(
    agreement: Agreement,
    sit: Situation,
    readiness: Mapping[tuple[str, str], Readiness],
    tried: Mapping[str, str],
    code: str,
    rule: str,
    why: str,
) -> Candidate:
    partner = agreement.partners[code]
    sector_id = sit.sector.sector_id if sit.sector else None
    declared = readiness.get((code, sector_id)) if sector_id else None
    ttr = declared.time_to_respond_s if declared else agreement.response.default_time_to_respond_s
    passed: str | None = None
    if code in tried:
        passed = tried[code]
    elif not partner.can_lead:
        passed = "may not lead under the agreement"
    elif declared is not None and declared.status is ReadinessStatus.UNAVAILABLE:
        passed = f"declared unavailable in sector {sector_id}"
    elif sit.time_to_arrival_s is not None and ttr > sit.time_to_arrival_s:
        passed = (
            f"time to respond {ttr:.0f} s exceeds the threat's time to arrival "
            f"{sit.time_to_arrival_s:.0f} s"
        )
    readiness_text = (
        f"{declared.status.value}, responds in {ttr:.0f} s"
        if declared
        else f"readiness not declared, {ttr:.0f} s assumed"
    )
    owner = sit.territory_owner
    consent_from = None
    if owner is None:
        basis = "no partner territory at stake"
    elif owner == code:
        basis = "its own territory"
    elif agreement.partners[owner].consents(code):
        basis = f"standing consent of {owner}"
    else:
        basis, consent_from = f"needs consent of {owner} for this incident", owner
    return Candidate(
        partner=code,
        rule=rule,
        why=f"{why}, {readiness_text}",
        passed=passed,
        consent_from=consent_from,
        consent_basis=basis,
        time_to_respond_s=ttr,
    )


__all__ = ["SECTOR", "SOVEREIGNTY", "Candidate", "Situation", "rank", "sector_at", "situation"]
