"""A report a watch officer types into the console (a call from a border post).

It becomes an ordinary `Report` of the officer's partner - sensor `manual:<user>`,
source format `manual` - and then takes the same path as a partner system's report:
the checks of `ingest/checks.py`, the partner's rate and default releasability, the
journal. The body is strict like every JSON body (numbers are numbers, unknown fields
refused, no key twice); a fault names the body's own field (`lat`, `observed_at`, ...).
Who entered it and from what source is journaled beside it (`ManualReport`).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warnline.domain import Identity, Position, Report, ThreatKind, Velocity
from warnline.errors import InputError, SchemaError
from warnline.ingest.strict_json import check_unique_keys

MANUAL_FORMAT = "manual"
MANUAL_SENSOR_PREFIX = "manual:"
DEFAULT_ACCURACY_M = 2000.0  # a position told over the phone: a couple of kilometres


class ManualReportIn(BaseModel):
    """What the console's report form sends. Heading (degrees from north, clockwise)
    and ground speed go together or not at all."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    alt_m: float | None = Field(default=None, ge=-500, le=2_000_000)
    observed_at: datetime
    kind: ThreatKind = ThreatKind.UNKNOWN
    identity: Identity = Identity.UNKNOWN
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    speed_m_s: float | None = Field(default=None, ge=0, le=10_000)
    accuracy_m: float = Field(default=DEFAULT_ACCURACY_M, gt=0, le=100_000)
    source: Annotated[str, Field(min_length=1, max_length=200)]


def parse_manual(body: bytes, *, partner: str, user: str) -> tuple[Report, str]:
    """The report and its stated source; raises SchemaError naming the field."""
    check_unique_keys(body)
    try:
        m = ManualReportIn.model_validate_json(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise SchemaError(err["msg"], field=loc or "body") from None
    if m.observed_at.tzinfo is None:
        raise SchemaError("time zone required (UTC)", field="observed_at")
    if (m.heading_deg is None) != (m.speed_m_s is None):
        missing = "speed_m_s" if m.speed_m_s is None else "heading_deg"
        raise SchemaError("heading and speed go together", field=missing)
    if not m.source.strip():
        raise SchemaError("say where the report came from", field="source")
    velocity = None
    if m.heading_deg is not None and m.speed_m_s is not None:
        rad = math.radians(m.heading_deg)
        velocity = Velocity(east=m.speed_m_s * math.sin(rad), north=m.speed_m_s * math.cos(rad))
    report = Report(
        report_id=f"manual-{uuid.uuid4().hex[:16]}",
        partner=partner,
        sensor=MANUAL_SENSOR_PREFIX + user,
        observed_at=m.observed_at,
        position=Position(lat=m.lat, lon=m.lon, alt_m=m.alt_m or 0.0),
        altitude_measured=m.alt_m is not None,
        velocity=velocity,
        accuracy_m=m.accuracy_m,
        kind=m.kind,
        identity=m.identity,
        source_format=MANUAL_FORMAT,
    )
    return report, m.source.strip()


def body_field(exc: InputError) -> InputError:
    """A check's fault as the form's field: `reports.0.velocity` is `speed_m_s`."""
    field = (exc.field or "").removeprefix("reports.0.")
    field = {"velocity": "speed_m_s"}.get(field, field)
    out = type(exc)(exc.reason, field=field or None)
    return out


def is_manual(report: Report) -> bool:
    return report.source_format == MANUAL_FORMAT
