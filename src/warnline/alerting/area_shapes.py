"""How an area is drawn in alert messages, in lon/lat: rings that cover every part of it
(islands included), and the smallest circle that covers it, for consumers that draw only
circles - carried only where that circle is nearly the area itself (`message_circle`).
Computed once per area and cached by the lifecycle.

Both shapes err outward. A person inside a warned area must never fall outside the
polygon or circle a siren controller or a phone draws; a few hundred metres of sea or
desert drawn in as well costs nothing. So rings are simplified only outward (buffered by
the simplification tolerance, then checked to cover the original after rounding), and the
circle is the minimum enclosing circle of the area's hull, found in a local azimuthal
equidistant projection and then widened to the largest great-circle distance to any
vertex, so its radius is a true distance on the ground.

Making them takes 20-70 ms an area (buffering and simplifying real outlines), which, on
the decision loop, landed on the first alert for each area: the raid's first seconds.
`area_shapes` keeps them for the process, keyed by the outline itself, and a node warms
that store for its whole agreement when it starts (`warm`), beside the decisions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = [
    "MAX_CIRCLE_EXCESS",
    "MAX_RING_POINTS",
    "Ring",
    "Shapes",
    "area_shapes",
    "circle_of",
    "message_circle",
    "polygons_of",
    "warm",
]

MAX_RING_POINTS = 100  # many CAP consumers (and sirens' controllers) choke on longer rings
_DECIMALS = 4  # about 11 m; the same precision CAP messages carry
_STEP = 10.0**-_DECIMALS
_EARTH_KM = 6371.0088
# A message carries a circle only where the circle stands for the area: at most this
# many times its ground. CAP reads an <area>'s shapes as their union, so Egypt's 795 km
# circle would tell much of the Levant to take shelter; its rings are exact already.
MAX_CIRCLE_EXCESS = 1.5
_GEOD = Geod(ellps="WGS84")

Ring = tuple[tuple[float, float], ...]
Shapes = tuple[tuple[Ring, ...], tuple[float, float, float] | None]

# An outline's WKB -> its rings and message circle. Pure functions of the outline, so a
# shape made by the warm-up thread is the one the loop would have made; a race makes it
# twice, never differently.
_MADE: dict[bytes, Shapes] = {}


def area_shapes(geom: BaseGeometry) -> Shapes:
    """`polygons_of` and `message_circle` of an outline, made once per process."""
    return _made(geom)[0]


def warm(geometries: Iterable[BaseGeometry]) -> int:
    """Make the shapes of `geometries` ahead of their first alert (in a worker thread:
    shapely lets go of the interpreter lock for most of it); how many were made."""
    return sum(_made(geom)[1] for geom in geometries)


def _made(geom: BaseGeometry) -> tuple[Shapes, bool]:
    """The outline's shapes, and whether this call made them."""
    key = shapely.to_wkb(geom)
    made = _MADE.get(key)
    if made is not None:
        return made, False
    made = _MADE[key] = (polygons_of(geom), message_circle(geom))
    return made, True


def polygons_of(geom: BaseGeometry, *, max_points: int = MAX_RING_POINTS) -> tuple[Ring, ...]:
    """Closed lon/lat rings of at most `max_points` points whose union covers `geom`.

    Each part is grown by the tolerance and simplified (Douglas-Peucker moves a boundary
    by at most the tolerance, so the result stays outside the original); parts that the
    growth merges become one ring. Rounded to 4 decimals, then checked: a candidate that
    does not cover its part exactly is grown further. Holes are dropped (a CAP polygon
    has none, and filling one only errs outward)."""
    if geom.is_empty:
        return ()
    rings: list[Ring] = []
    for part in _parts(geom):
        rings.extend(_cover(part, max_points))
    return tuple(sorted(rings, key=lambda r: (-Polygon(r).area, r[0])))


def _parts(geom: BaseGeometry) -> list[Polygon]:
    out = []
    for g in shapely.get_parts(geom):
        if isinstance(g, Polygon) and not g.is_empty:
            out.append(Polygon(g.exterior.coords))
        elif isinstance(g, MultiPolygon):
            out.extend(Polygon(p.exterior.coords) for p in g.geoms)
    # Parts closer than the rounding step would be drawn as slivers: grow them together.
    merged = shapely.union_all([p.buffer(_STEP, quad_segs=2) for p in out])
    return [Polygon(p.exterior.coords) for p in shapely.get_parts(merged) if not p.is_empty]


def _cover(part: Polygon, max_points: int) -> list[Ring]:
    if len(part.exterior.coords) <= max_points:
        ring = _rounded(part.buffer(_STEP, quad_segs=1, join_style="mitre"))
        if ring is not None and len(ring) <= max_points and Polygon(ring).covers(part):
            return [ring]
    minx, miny, maxx, maxy = part.bounds
    tol = max(maxx - minx, maxy - miny, _STEP) / 400.0
    for _ in range(60):
        grown = part.buffer(tol + _STEP, quad_segs=1, join_style="mitre")
        simple = grown.simplify(tol, preserve_topology=True)
        if isinstance(simple, Polygon):
            ring = _rounded(simple)
            if ring is not None and len(ring) <= max_points and Polygon(ring).covers(part):
                return [ring]
        tol *= 1.4
    # Unreachable for real outlines; the bounding box always covers.
    return [_box(part)]


def _rounded(poly: Polygon) -> Ring | None:
    coords = [(round(x, _DECIMALS), round(y, _DECIMALS)) for x, y in poly.exterior.coords]
    dedup: list[tuple[float, float]] = []
    for c in coords:
        if not dedup or dedup[-1] != c:
            dedup.append(c)
    if len(dedup) < 4 or dedup[0] != dedup[-1]:
        return None
    if not Polygon(dedup).is_valid:
        return None
    return tuple(dedup)


def _box(part: Polygon) -> Ring:
    minx, miny, maxx, maxy = part.bounds
    lo_x, lo_y = math.floor(minx / _STEP) * _STEP, math.floor(miny / _STEP) * _STEP
    hi_x, hi_y = math.ceil(maxx / _STEP) * _STEP, math.ceil(maxy / _STEP) * _STEP
    pts = [(lo_x, lo_y), (hi_x, lo_y), (hi_x, hi_y), (lo_x, hi_y), (lo_x, lo_y)]
    return tuple((round(x, _DECIMALS), round(y, _DECIMALS)) for x, y in pts)


def circle_of(geom: BaseGeometry) -> tuple[float, float, float] | None:
    """The smallest circle (lon, lat, radius km) covering the whole area.

    The minimum enclosing circle of the hull is found in an azimuthal equidistant plane
    centred on the area (distances from the centre of projection are true, and the area
    is small against the Earth); the plane is re-centred on that circle's centre once, so
    the centre is found where distances are exact. The radius is then the largest
    great-circle distance from the (rounded) centre to any hull vertex, rounded up."""
    if geom.is_empty:
        return None
    hull = geom.convex_hull
    pts = np.asarray(
        hull.exterior.coords if isinstance(hull, Polygon) else shapely.get_coordinates(hull),
        dtype=float,
    )
    centre = geom.centroid
    lon0, lat0 = float(centre.x), float(centre.y)
    for _ in range(2):
        lon0, lat0 = _mec_centre(pts, lon0, lat0)
    lon0, lat0 = round(lon0, _DECIMALS), round(lat0, _DECIMALS)
    radius = max(_km(lon0, lat0, float(x), float(y)) for x, y in pts)
    # Hull edges are straight in lon/lat, not great circles: 0.2 % covers the bulge at
    # these sizes, and 0.1 km of rounding up covers the printed precision.
    return (lon0, lat0, math.ceil(radius * 1.002 * 10 + 1) / 10)


def message_circle(geom: BaseGeometry) -> tuple[float, float, float] | None:
    """The circle an alert carries: `circle_of` the area where that circle covers at
    most `MAX_CIRCLE_EXCESS` times the area's own ground (a defended area drawn round
    a point), else none (a territory, drawn by its rings)."""
    circle = circle_of(geom)
    if circle is None:
        return None
    own = abs(_GEOD.geometry_area_perimeter(geom)[0]) / 1e6
    drawn = math.pi * circle[2] ** 2
    return circle if drawn <= MAX_CIRCLE_EXCESS * own else None


def _mec_centre(pts: np.ndarray, lon0: float, lat0: float) -> tuple[float, float]:
    proj = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs"
    fwd = Transformer.from_crs("EPSG:4326", proj, always_xy=True)
    x, y = fwd.transform(pts[:, 0], pts[:, 1])
    mec = shapely.minimum_bounding_circle(shapely.multipoints(np.column_stack([x, y])))
    assert isinstance(mec, BaseGeometry)
    c = mec.centroid  # the circle's centre (its radius is measured exactly afterwards)
    lon, lat = fwd.transform(c.x, c.y, direction="INVERSE")
    return float(lon), float(lat)


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(math.sqrt(min(1.0, h)))
