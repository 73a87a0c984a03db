"""The agreement's response rules (who leads the response; never how): response sectors
with ordered partners, and per partner its standing consents and declared readiness.
Schema models for the schema pass, and the checks that span fields."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from warnline.agreement.model import ResponseRules, ResponseSector
from warnline.agreement.schema import AREA_ID, In, LonLat, NonNegative, Positive, Text, polygon
from warnline.domain.incident import Readiness, ReadinessStatus
from warnline.errors import AgreementError


class ReadinessIn(In):
    sector: Text
    status: Literal["ready", "limited", "unavailable"]
    time_to_respond_s: NonNegative


class SectorIn(In):
    id: str
    name: Text
    polygon: Annotated[list[LonLat], Field(min_length=3)]
    partners: Annotated[list[str], Field(min_length=1)]


class ResponseIn(In):
    offer_timeout_s: Positive = 20.0
    decide_within_s: Positive = 90.0
    default_time_to_respond_s: NonNegative = 60.0
    await_threat_s: NonNegative = 10.0
    sectors: list[SectorIn] = []


def consents(
    consents_to: tuple[str, ...] | None, codes: set[str], field: str
) -> tuple[str, ...] | None:
    for i, code in enumerate(consents_to or ()):
        if code not in codes:
            raise AgreementError(f"{field}.consents_to[{i}]", f"unknown partner code {code!r}")
    return consents_to


def readiness(
    partner: str, specs: list[ReadinessIn], response: ResponseIn, field: str
) -> tuple[Readiness, ...]:
    sectors = {s.id for s in response.sectors}
    seen: set[str] = set()
    out = []
    for i, r in enumerate(specs):
        if r.sector not in sectors:
            reason = f"unknown response sector {r.sector!r} (known: {', '.join(sorted(sectors))})"
            raise AgreementError(f"{field}.readiness[{i}].sector", reason)
        if r.sector in seen:
            raise AgreementError(f"{field}.readiness[{i}].sector", "declared twice")
        seen.add(r.sector)
        out.append(
            Readiness(
                partner=partner, sector=r.sector, status=ReadinessStatus(r.status),
                time_to_respond_s=r.time_to_respond_s,
            )
        )  # fmt: skip
    return tuple(out)


def response_rules(spec: ResponseIn, codes: set[str]) -> ResponseRules:
    sectors = []
    seen: set[str] = set()
    for i, s in enumerate(spec.sectors):
        field = f"response.sectors[{i}]"
        if not AREA_ID.fullmatch(s.id):
            raise AgreementError(f"{field}.id", "letters, digits, '.', '_', '-' only")
        if s.id in seen:
            raise AgreementError(f"{field}.id", f"duplicate sector id {s.id!r}")
        seen.add(s.id)
        for p, code in enumerate(s.partners):
            if code not in codes:
                raise AgreementError(f"{field}.partners[{p}]", f"unknown partner code {code!r}")
        if len(set(s.partners)) != len(s.partners):
            raise AgreementError(f"{field}.partners", "a partner is listed twice")
        sectors.append(
            ResponseSector(
                sector_id=s.id, name=s.name, geometry=polygon(s.polygon, f"{field}.polygon"),
                partners=tuple(s.partners),
            )
        )  # fmt: skip
    return ResponseRules(
        sectors=tuple(sectors),
        offer_timeout_s=spec.offer_timeout_s,
        decide_within_s=spec.decide_within_s,
        default_time_to_respond_s=spec.default_time_to_respond_s,
        await_threat_s=spec.await_threat_s,
    )


__all__ = ["ReadinessIn", "ResponseIn", "SectorIn", "consents", "readiness", "response_rules"]
