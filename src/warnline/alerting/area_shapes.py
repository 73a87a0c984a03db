"""How an area is drawn in alert messages, in lon/lat: a ring of at most ~100 points
outlining its largest part, and a circle covering every part (islands included), for
consumers that draw only circles. Computed once per area and cached by the lifecycle."""

from __future__ import annotations

import math

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = ["circle_of", "ring_of"]


def circle_of(geom: BaseGeometry) -> tuple[float, float, float] | None:
    """A circle (lon, lat, radius km) around the area's centroid that covers all of it,
    for CAP consumers that only draw circles (sirens' controllers often do)."""
    if geom.is_empty:
        return None
    c = geom.centroid
    hull = geom.convex_hull
    pts = list(hull.exterior.coords) if isinstance(hull, Polygon) else [(c.x, c.y)]
    radius = max(_km(c.x, c.y, x, y) for x, y in pts)
    return (round(c.x, 4), round(c.y, 4), math.ceil(radius * 10 + 1) / 10)


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


def ring_of(geom: BaseGeometry) -> tuple[tuple[float, float], ...]:
    """A lon/lat ring of at most ~100 points standing for the area in messages."""
    if isinstance(geom, MultiPolygon):
        geom = max(geom.geoms, key=lambda g: g.area)
    hull = geom if isinstance(geom, Polygon) else geom.convex_hull
    if not isinstance(hull, Polygon) or hull.is_empty:
        return ()
    ring, tol = hull, 0.0
    while len(ring.exterior.coords) > 100:
        tol = tol * 2 or 0.01
        simplified = hull.simplify(tol, preserve_topology=True)
        if not isinstance(simplified, Polygon):
            break
        ring = simplified
    return tuple((round(x, 4), round(y, 4)) for x, y in ring.exterior.coords)
