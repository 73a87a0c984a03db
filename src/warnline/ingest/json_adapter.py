"""The JSON report format partners submit to `POST /api/v1/reports`.

The wire schema is a pydantic model so the OpenAPI document shows exactly what a
partner must send: strict (a number is a JSON number, never a string or a bool),
unknown fields refused, and no key twice in one object. It is converted to the pure
`Report` at once and goes no further.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warnline.domain import (
    Attribution,
    Identity,
    Position,
    Releasability,
    Report,
    ThreatKind,
    Velocity,
)
from warnline.errors import SchemaError
from warnline.ingest.strict_json import check_unique_keys

Ident = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class PositionIn(_Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    alt_m: float | None = Field(default=None, ge=-500, le=2_000_000)  # absent: not measured


class VelocityIn(_Strict):
    east: float = Field(ge=-10_000, le=10_000)
    north: float = Field(ge=-10_000, le=10_000)
    up: float = Field(default=0.0, ge=-10_000, le=10_000)


class ReleasabilityIn(_Strict):
    release_to: list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]] | Literal["all"] = "all"
    attribution: Attribution = Attribution.NAMED
    withhold: list[Literal["accuracy", "altitude", "velocity"]] = []


class ReportIn(_Strict):
    """One observation. `partner` may be omitted: the signature says who sent it."""

    report_id: Ident
    partner: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    sensor: Ident
    sensor_track: Ident | None = None
    observed_at: datetime
    position: PositionIn
    velocity: VelocityIn | None = None
    accuracy_m: float = Field(gt=0, le=100_000)
    kind: ThreatKind = ThreatKind.UNKNOWN
    identity: Identity = Identity.UNKNOWN
    confidence: float = Field(default=0.5, ge=0, le=1)
    releasability: ReleasabilityIn | None = None


class SubmissionIn(_Strict):
    reports: list[ReportIn] = Field(min_length=1, max_length=5000)


def parse_submission(body: bytes, *, partner: str) -> list[Report]:
    """Decode a body holding one report, a list, or {"reports": [...]}."""
    check_unique_keys(body)
    try:
        stripped = body.lstrip()
        if stripped.startswith(b"["):
            sub = SubmissionIn.model_validate_json(b'{"reports":' + body + b"}")
        elif b'"reports"' in body[:64] and stripped.startswith(b"{"):
            sub = SubmissionIn.model_validate_json(body)
        else:
            sub = SubmissionIn(reports=[ReportIn.model_validate_json(body)])
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        raise SchemaError(err["msg"], field=loc) from None
    return [_to_report(r, partner, i) for i, r in enumerate(sub.reports)]


def _to_report(r: ReportIn, partner: str, index: int) -> Report:
    if r.partner is not None and r.partner != partner:
        raise SchemaError(
            f"report names partner {r.partner} but is signed by {partner}",
            field=f"reports.{index}.partner",
        )
    if r.observed_at.tzinfo is None:
        raise SchemaError("time zone required (UTC)", field=f"reports.{index}.observed_at")
    rel = None
    if r.releasability is not None:
        rel = Releasability(
            release_to=None
            if r.releasability.release_to == "all"
            else tuple(r.releasability.release_to),
            attribution=r.releasability.attribution,
            withhold=tuple(r.releasability.withhold),
        )
    return Report(
        report_id=r.report_id,
        partner=partner,
        sensor=r.sensor,
        sensor_track=r.sensor_track,
        observed_at=r.observed_at,
        position=Position(lat=r.position.lat, lon=r.position.lon, alt_m=r.position.alt_m or 0.0),
        altitude_measured=r.position.alt_m is not None,
        velocity=None
        if r.velocity is None
        else Velocity(east=r.velocity.east, north=r.velocity.north, up=r.velocity.up),
        accuracy_m=r.accuracy_m,
        kind=r.kind,
        identity=r.identity,
        confidence=r.confidence,
        releasability=rel,
        source_format="json",
    )
