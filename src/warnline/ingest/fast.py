"""The JSON report format decoded by msgspec: the hot path of `POST /api/v1/reports`.

The pydantic models in `json_adapter` stay the wire schema (they write the OpenAPI
document and every problem a partner reads); this is the same schema as msgspec
structs, which decode and validate a batch of 500 in a fraction of pydantic's time
(decision 61). It is at least as strict: whatever it does not accept in full -
a type, a bound, a pattern, an unknown field, a time written other than as
`YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM)` - makes `parse_batch_fast` return None, and
the caller decodes the body with pydantic exactly as before, so a bad report is
refused with the same field and reason as ever. A body it accepts gives the same
reports, field for field, as pydantic would (`tests/ingest/test_fast.py`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

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

# Python's `$` also matches before a final newline and `\d` any Unicode digit; pydantic's
# patterns do neither, so these use `\Z` and [0-9] to accept nothing pydantic refuses.
Ident = Annotated[str, Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+\Z")]
Code = Annotated[str, Meta(pattern=r"^[A-Z]{3}\Z")]
Lat = Annotated[float, Meta(ge=-90, le=90)]
Lon = Annotated[float, Meta(ge=-180, le=180)]
Speed = Annotated[float, Meta(ge=-10_000, le=10_000)]
_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
MAX_REPORTS = 5000


class PositionWire(Struct, forbid_unknown_fields=True, frozen=True):
    lat: Lat
    lon: Lon
    alt_m: Annotated[float, Meta(ge=-500, le=2_000_000)] | None = None


class VelocityWire(Struct, forbid_unknown_fields=True, frozen=True):
    east: Speed
    north: Speed
    up: Speed = 0.0


class ReleasabilityWire(Struct, forbid_unknown_fields=True, frozen=True):
    release_to: list[Code] | Literal["all"] = "all"
    attribution: Attribution = Attribution.NAMED
    withhold: list[Literal["accuracy", "altitude", "velocity"]] = msgspec.field(
        default_factory=list
    )


class ReportWire(Struct, forbid_unknown_fields=True, frozen=True):
    report_id: Ident
    sensor: Ident
    observed_at: str
    position: PositionWire
    accuracy_m: Annotated[float, Meta(gt=0, le=100_000)]
    partner: Code | None = None
    sensor_track: Ident | None = None
    velocity: VelocityWire | None = None
    kind: ThreatKind = ThreatKind.UNKNOWN
    identity: Identity = Identity.UNKNOWN
    confidence: Annotated[float, Meta(ge=0, le=1)] = 0.5
    releasability: ReleasabilityWire | None = None


Reports = Annotated[list[ReportWire], Meta(min_length=1, max_length=MAX_REPORTS)]


class SubmissionWire(Struct, forbid_unknown_fields=True, frozen=True):
    reports: Reports


_ONE = msgspec.json.Decoder(ReportWire)
_LIST = msgspec.json.Decoder(Reports)
_ENVELOPE = msgspec.json.Decoder(SubmissionWire)


def parse_batch_fast(
    body: bytes, *, partner: str, default: Releasability | None = None
) -> Batch | None:
    """The batch `json_adapter.parse_batch` would make of `body`, or None when this
    decoder does not accept all of it (then pydantic's path must say why). Keys given
    twice are for the caller to refuse first (`check_unique_keys`). A report without
    releasability gets `default` (the partner's, which the agreement checked), so the
    intake need not copy every report to fill it in."""
    stripped = body.lstrip()
    try:
        if stripped.startswith(b"["):
            wires = _LIST.decode(body)
        elif b'"reports"' in body[:64] and stripped.startswith(b"{"):
            wires = _ENVELOPE.decode(body).reports
        else:
            wires = [_ONE.decode(body)]
        times = [_time(w.observed_at) for w in wires]
    except (msgspec.DecodeError, ValueError):  # msgspec.ValidationError is a DecodeError
        return None
    batch = Batch(partner=partner)
    for i, (w, at) in enumerate(zip(wires, times, strict=True)):
        if w.partner is not None and w.partner != partner:
            batch.refuse(
                i,
                SchemaError(
                    f"report names partner {w.partner} but is signed by {partner}",
                    field=f"reports.{i}.partner",
                ),
                report_id=w.report_id,
            )
            continue
        batch.reports[i] = _report(w, partner, at, default)
    return batch


def _time(text: str) -> datetime:
    """An RFC 3339 time with its offset; ValueError for anything else."""
    if _TIME.fullmatch(text) is None:
        raise ValueError(text)
    return datetime.fromisoformat(text)


def _report(w: ReportWire, partner: str, at: datetime, default: Releasability | None) -> Report:
    rel = default
    if w.releasability is not None:
        r = w.releasability
        rel = Releasability(
            release_to=None if r.release_to == "all" else tuple(r.release_to),
            attribution=r.attribution,
            withhold=tuple(r.withhold),
        )
    p, v = w.position, w.velocity
    return Report(
        report_id=w.report_id,
        partner=partner,
        sensor=w.sensor,
        sensor_track=w.sensor_track,
        observed_at=at,
        position=Position(lat=p.lat, lon=p.lon, alt_m=p.alt_m or 0.0),
        altitude_measured=p.alt_m is not None,
        velocity=None if v is None else Velocity(east=v.east, north=v.north, up=v.up),
        accuracy_m=w.accuracy_m,
        kind=w.kind,
        identity=w.identity,
        confidence=w.confidence,
        releasability=rel,
        source_format="json",
    )


__all__ = ["parse_batch_fast"]
