"""Building blocks of the agreement's schema pass, shared by its parts: strict models that
refuse unknown keys, constrained field types, and the polygon check that names the field."""

from __future__ import annotations

import re
from typing import Annotated

import shapely
from pydantic import BaseModel, ConfigDict, Field, PlainValidator
from shapely.geometry import Polygon

from warnline.errors import AgreementError

AREA_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _release_to(value: object) -> tuple[str, ...] | None:
    if value == "all":
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError('must be "all" or a list of partner codes')


Text = Annotated[str, Field(min_length=1)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
LonLat = Annotated[list[float], Field(min_length=2, max_length=2)]
ReleaseTo = Annotated[tuple[str, ...] | None, PlainValidator(_release_to)]


class In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def polygon(points: list[list[float]], field: str) -> Polygon:
    for i, (lon, lat) in enumerate(points):
        if not (-180.0 <= lon <= 180.0):
            raise AgreementError(field=f"{field}[{i}][0]", reason="longitude must be in ±180")
        if not (-90.0 <= lat <= 90.0):
            raise AgreementError(field=f"{field}[{i}][1]", reason="latitude must be in ±90")
    distinct = {(lon, lat) for lon, lat in points}
    if len(distinct) < 3:
        raise AgreementError(field=field, reason="needs at least 3 distinct [lon, lat] points")
    shape = Polygon(points)
    if not shape.is_valid:
        raise AgreementError(field=field, reason=f"is not valid: {shapely.is_valid_reason(shape)}")
    return shape


__all__ = [
    "AREA_ID",
    "In",
    "Lat",
    "Lon",
    "LonLat",
    "NonNegative",
    "Positive",
    "ReleaseTo",
    "Text",
    "polygon",
]
