"""The JSON report format partners submit to `POST /api/v1/reports`.

The wire schema is a pydantic model so the OpenAPI document shows exactly what a
partner must send: strict (a number is a JSON number, never a string or a bool),
unknown fields refused, and no key twice in one object. It is converted to the pure
`Report` at once and goes no further.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

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
from warnline.ingest.batch import Batch
from warnline.ingest.strict_json import check_unique_keys

Ident = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$")]


class _Strict(BaseModel):
    # NaN and infinities (which Python's JSON reader takes) are refused as such, not as
    # out of range.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


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
        if _is_list(body):
            sub = _validate_list(body)
        else:
            sub = SubmissionIn(reports=[ReportIn.model_validate_json(body)])
    except ValidationError as exc:
        raise _schema_error(exc.errors()[0]) from None
    return [_to_report(r, partner, i) for i, r in enumerate(sub.reports)]


def parse_batch(body: bytes, *, partner: str) -> Batch:
    """Decode a submission keeping the reports that pass the schema and refusing by
    index those that do not. A fault of the envelope (not JSON, a duplicate key
    anywhere, the wrong shape, too many or no reports) raises SchemaError for all."""
    if not _is_list(body):  # one report: refusing it is refusing the submission
        return Batch(
            partner=partner, reports=dict(enumerate(parse_submission(body, partner=partner)))
        )
    check_unique_keys(body)
    batch = Batch(partner=partner)
    try:
        models = dict(enumerate(_validate_list(body).reports))
    except ValidationError as exc:
        models = _survivors(body, exc, batch)
    for i, model in models.items():
        try:
            batch.reports[i] = _to_report(model, partner, i)
        except SchemaError as exc:
            batch.refuse(i, exc, report_id=model.report_id)
    return batch  # refusals in the order found: the first is what refusing all would say


def _is_list(body: bytes) -> bool:
    stripped = body.lstrip()
    return stripped.startswith(b"[") or (b'"reports"' in body[:64] and stripped.startswith(b"{"))


def _validate_list(body: bytes) -> SubmissionIn:
    if body.lstrip().startswith(b"["):
        return SubmissionIn.model_validate_json(b'{"reports":' + body + b"}")
    return SubmissionIn.model_validate_json(body)


def _survivors(body: bytes, exc: ValidationError, batch: Batch) -> dict[int, ReportIn]:
    """The reports of a list that failed validation as a whole, each validated alone;
    refuses the failing ones in `batch`. An error outside one report refuses all."""
    first: dict[int, ErrorDetails] = {}
    bad_ids: set[int] = set()  # an unusable id is not echoed in the refusal
    for err in exc.errors():
        loc = err["loc"]
        if len(loc) < 2 or loc[0] != "reports" or not isinstance(loc[1], int):
            raise _schema_error(err) from None
        first.setdefault(loc[1], err)
        if loc[2:3] == ("report_id",):
            bad_ids.add(loc[1])
    try:  # valid JSON with unique keys: the errors are per report
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        raise _schema_error(exc.errors()[0]) from None
    items: list[Any] = decoded if isinstance(decoded, list) else decoded["reports"]
    out: dict[int, ReportIn] = {}
    for i, item in enumerate(items):
        rid = item.get("report_id") if isinstance(item, dict) else None
        rid = rid if isinstance(rid, str) else None
        if i in first:
            batch.refuse(i, _schema_error(first[i]), report_id=None if i in bad_ids else rid)
            continue
        try:  # the same JSON text again: a report that passed in the list passes alone
            out[i] = ReportIn.model_validate_json(json.dumps(item))
        except ValidationError as again:
            batch.refuse(i, _schema_error(again.errors()[0], prefix=f"reports.{i}."), report_id=rid)
    return out


def _schema_error(err: ErrorDetails, *, prefix: str = "") -> SchemaError:
    loc = ".".join(str(p) for p in err["loc"])
    return SchemaError(err["msg"], field=prefix + loc if loc else "body")


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
