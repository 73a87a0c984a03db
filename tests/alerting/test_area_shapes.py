"""The ring and the circle that stand for an area in messages cover the whole area:
nobody inside a warned area may fall outside what a siren controller draws."""

from __future__ import annotations

import math

from shapely.geometry import MultiPolygon, Polygon

from warnline.agreement.model import Agreement
from warnline.alerting.area_shapes import circle_of, ring_of


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    # Equirectangular distance: an independent check of the haversine in the module.
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6371.0 * math.hypot(x, y)


def test_every_area_circle_covers_its_outline(agreement: Agreement) -> None:
    for area in agreement.areas:
        if area.geometry.is_empty:  # a territory outside the region (USA): never at risk
            assert circle_of(area.geometry) is None
            continue
        circle = circle_of(area.geometry)
        assert circle is not None, area.area_id
        lon, lat, radius = circle
        geom = area.geometry
        polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
        for poly in polys:
            assert isinstance(poly, Polygon)
            for x, y in poly.exterior.coords:
                assert _km(lon, lat, x, y) <= radius * 1.005, (area.area_id, x, y)


def test_every_area_ring_is_short_and_closed(agreement: Agreement) -> None:
    for area in agreement.areas:
        if area.geometry.is_empty:
            continue
        ring = ring_of(area.geometry)
        assert 4 <= len(ring) <= 101, area.area_id
        assert ring[0] == ring[-1]
