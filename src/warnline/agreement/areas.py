"""The agreement's areas: territory outlines shipped with the package (Natural Earth),
defended areas as geodesic circles or polygons, and the rules for their ids."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from importlib import resources

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import Polygon, shape
from shapely.geometry.base import BaseGeometry

from warnline.agreement.model import Area, AreaKind
from warnline.agreement.schema import AREA_ID, In, Lat, Lon, LonLat, Positive, Text, polygon
from warnline.errors import AgreementError

TERRITORY_TOLERANCE_DEG = 0.002  # about 200 m: invisible at alert scale, 1/3 of the vertices
CIRCLE_POINTS = 64
_GEOD = Geod(ellps="WGS84")


class AreaIn(In):
    name: Text
    id: str | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    radius_km: Positive | None = None
    polygon: list[LonLat] | None = None
    time_to_shelter_s: Positive | None = None


@functools.cache
def territories() -> dict[str, BaseGeometry]:
    """Outlines by Natural Earth adm0_a3 code, simplified and made valid once."""
    text = resources.files("warnline.agreement").joinpath("data/territories.geojson")
    outlines: dict[str, BaseGeometry] = {}
    for feature in json.loads(text.read_text(encoding="utf-8"))["features"]:
        geometry = shape(feature["geometry"])
        geometry = shapely.make_valid(
            geometry.simplify(TERRITORY_TOLERANCE_DEG, preserve_topology=True)
        )
        polygons = shapely.get_parts(geometry)
        keep = [g for g in polygons if g.geom_type in ("Polygon", "MultiPolygon")]
        outlines[feature["properties"]["adm0_a3"]] = shapely.union_all(keep)
    return outlines


def geodesic_circle(lat: float, lon: float, radius_m: float) -> Polygon:
    """A circle on the ellipsoid as a lon/lat polygon of CIRCLE_POINTS vertices."""
    azimuths = np.linspace(0.0, 360.0, CIRCLE_POINTS, endpoint=False)
    lons, lats, _ = _GEOD.fwd(
        np.full(CIRCLE_POINTS, lon), np.full(CIRCLE_POINTS, lat), azimuths,
        np.full(CIRCLE_POINTS, radius_m),
    )  # fmt: skip
    return Polygon(np.column_stack([lons, lats]))


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def defended_area(spec: AreaIn, *, partner: str, shelter_s: float, field: str) -> Area:
    """A defended area: a circle (geodesic) or a polygon, with the id rules applied."""
    circle = (spec.lat, spec.lon, spec.radius_km)
    if spec.polygon is not None:
        if any(v is not None for v in circle):
            raise AgreementError(field=field, reason="give either a polygon or lat/lon/radius_km")
        geometry: BaseGeometry = polygon(spec.polygon, f"{field}.polygon")
    else:
        for key, value in zip(("lat", "lon", "radius_km"), circle, strict=True):
            if value is None:
                raise AgreementError(field=f"{field}.{key}", reason="is required for a circle")
        assert spec.lat is not None and spec.lon is not None and spec.radius_km is not None
        geometry = geodesic_circle(spec.lat, spec.lon, spec.radius_km * 1000.0)
    area_id = spec.id if spec.id is not None else f"{partner}-{slug(spec.name)}"
    if not AREA_ID.fullmatch(area_id) or area_id.endswith("-"):
        reason = f"{area_id!r} is not a usable area id (letters, digits, '.', '_', '-')"
        raise AgreementError(field=f"{field}.id", reason=reason)
    return Area(
        area_id=area_id,
        partner=partner,
        name=spec.name,
        kind=AreaKind.DEFENDED,
        geometry=geometry,
        time_to_shelter_s=spec.time_to_shelter_s or shelter_s,
    )


def territory_area(
    *, code: str, name: str, territory: str | None, shelter_s: float, field: str
) -> Area:
    """A partner's territory from the shipped outlines (empty when it has none here)."""
    if territory is None:
        geometry: BaseGeometry = Polygon()
    else:
        outlines = territories()
        if territory not in outlines:
            known = ", ".join(sorted(outlines))
            raise AgreementError(
                field=f"{field}.territory",
                reason=f"unknown territory code {territory!r} (known: {known})",
            )
        geometry = outlines[territory]
    return Area(
        area_id=code,
        partner=code,
        name=name,
        kind=AreaKind.TERRITORY,
        geometry=geometry,
        time_to_shelter_s=shelter_s,
    )
