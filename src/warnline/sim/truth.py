"""Ground truth, sampled, and the areas alerts carry — what the score measures against.

`TruthIndex` samples every object's path once (ballistic objects finely, being fast)
and answers "which threats are inside this area, when" for any area, cached per area,
so scoring thousands of alert versions costs one containment test per distinct area.
A ballistic object counts as inside an area only below 100 km (above it, it is passing
over, as the issue defines a territory entry). `AlertArea` is the area an alert itself
carries — its polygons (`area_polygons`, else `area_polygon`) and its circle together,
as CAP reads an `<area>`: the union of its shapes — falling back to the agreement's
geometry of its `area_id` (the geocode) when it carries neither.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from warnline.agreement.model import Agreement
from warnline.domain import ThreatKind
from warnline.sim.scenario import Scenario

GEOD = Geod(ellps="WGS84")
BALLISTIC_CEILING_M = 100_000.0
EARTH_R_KM = 6371.0
_SHAPES: dict[str, BaseGeometry] = {}


@dataclass(frozen=True, kw_only=True)
class AlertArea:
    polygons: BaseGeometry | None
    circle: tuple[float, float, float] | None  # lon, lat, radius km
    key: str = field(compare=False, default="")

    @staticmethod
    def of(payload: dict[str, Any], agreement: Agreement | None = None) -> AlertArea:
        rings = payload.get("area_polygons") or (
            [payload["area_polygon"]] if payload.get("area_polygon") else []
        )
        polys = [shapely.Polygon([(float(x), float(y)) for x, y in r]) for r in rings if len(r) > 3]
        geom: BaseGeometry | None = None
        if polys:
            geom = shapely.make_valid(shapely.MultiPolygon(polys))
        circle = payload.get("area_circle")
        circ = (float(circle[0]), float(circle[1]), float(circle[2])) if circle else None
        if geom is None and circ is None and agreement is not None:
            geom = agreement.area(payload["area_id"]).geometry
        key = f"{geom.wkb_hex if geom is not None else ''}|{circ}"
        return AlertArea(polygons=geom, circle=circ, key=key)

    def covers(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        out = np.zeros(lon.shape, dtype=bool)
        if self.polygons is not None:
            out |= shapely.contains_xy(self.polygons, lon, lat)
        if self.circle is not None:
            out |= haversine_km(self.circle[0], self.circle[1], lon, lat) <= self.circle[2]
        return out

    def covers_point(self, lon: float, lat: float) -> bool:
        return bool(self.covers(np.array([lon]), np.array([lat]))[0])

    def shape(self) -> BaseGeometry:
        """One lon/lat geometry for overlap tests (the circle as a 72-gon), built once
        per distinct area: thousands of versions share a few dozen areas."""
        cached = _SHAPES.get(self.key)
        if cached is None:
            cached = _SHAPES[self.key] = self._shape()
        return cached

    def _shape(self) -> BaseGeometry:
        parts = [] if self.polygons is None else [self.polygons]
        if self.circle is not None:
            lon, lat, r = self.circle
            lons, lats, _ = GEOD.fwd(
                np.full(72, lon), np.full(72, lat), np.arange(0, 360, 5.0), np.full(72, r * 1e3)
            )
            parts.append(shapely.Polygon(list(zip(lons, lats, strict=True))))
        return shapely.union_all(parts) if parts else shapely.Polygon()

    def overlaps(self, other: AlertArea) -> bool:
        """They share more than 1 % of the smaller one (not a border sliver)."""
        a, b = self.shape(), other.shape()
        if not a.intersects(b):
            return False
        smaller = min(a.area, b.area)
        return bool(smaller > 0 and a.intersection(b).area > 0.01 * smaller)


def haversine_km(
    lon0: float, lat0: float, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> NDArray[np.float64]:
    p0, p = math.radians(lat0), np.radians(lat)
    dphi, dl = p - p0, np.radians(lon - lon0)
    h = np.sin(dphi / 2) ** 2 + math.cos(p0) * np.cos(p) * np.sin(dl / 2) ** 2
    out: NDArray[np.float64] = 2 * EARTH_R_KM * np.arcsin(np.sqrt(np.minimum(1.0, h)))
    return out


@dataclass(frozen=True, kw_only=True)
class Path:
    object_id: str
    kind: ThreatKind
    t: NDArray[np.float64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    alt: NDArray[np.float64]

    @property
    def low(self) -> NDArray[np.bool_]:
        if self.kind is ThreatKind.BALLISTIC_MISSILE:
            out: NDArray[np.bool_] = self.alt < BALLISTIC_CEILING_M
            return out
        return np.ones(self.t.shape, dtype=bool)


class TruthIndex:
    """The real threats' (decoys excluded) sampled paths over [0, until_s]."""

    def __init__(self, scenario: Scenario, *, until_s: float, step_s: float = 1.0) -> None:
        self.scenario = scenario
        self.until_s = until_s
        self.paths: list[Path] = []
        for th in scenario.threats:
            if not th.threat:
                continue
            step = step_s / 4 if th.kind is ThreatKind.BALLISTIC_MISSILE else step_s
            ts = np.arange(max(th.launch_s, 0.0), min(th.arrival_s, until_s) + 1e-9, step)
            states = [th.state(float(t)) for t in ts]
            keep = [i for i, s in enumerate(states) if s is not None]
            arr = np.array([states[i][:3] for i in keep]).reshape(-1, 3)  # type: ignore[index]
            self.paths.append(
                Path(
                    object_id=th.threat_id,
                    kind=th.kind,
                    t=ts[keep],
                    lat=arr[:, 0],
                    lon=arr[:, 1],
                    alt=arr[:, 2],
                )
            )
        self._cache: dict[str, NDArray[np.float64]] = {}

    def inside_times(self, area: AlertArea) -> NDArray[np.float64]:
        """Sorted sample times at which some real threat is inside `area`."""
        hit = self._cache.get(area.key)
        if hit is None:
            parts = [p.t[area.covers(p.lon, p.lat) & p.low] for p in self.paths]
            hit = np.sort(np.concatenate(parts)) if parts else np.zeros(0)
            self._cache[area.key] = hit
        return hit

    def first_inside(self, area: AlertArea, t0: float, t1: float) -> float | None:
        times = self.inside_times(area)
        i = int(np.searchsorted(times, t0, side="left"))
        return float(times[i]) if i < len(times) and times[i] <= t1 else None

    def entries(self, geometry: BaseGeometry) -> list[tuple[Path, int, int]]:
        """Per threat entering `geometry`: (path, first index inside, last index inside)."""
        out = []
        for p in self.paths:
            inside = shapely.contains_xy(geometry, p.lon, p.lat) & p.low
            idx = np.flatnonzero(inside)
            if len(idx):
                out.append((p, int(idx[0]), int(idx[-1])))
        return out
