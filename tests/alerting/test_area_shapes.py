"""The rings and the circle that stand for an area in messages cover the whole area:
nobody inside a warned area may fall outside what a siren controller draws."""

from __future__ import annotations

import math

import shapely
from shapely.geometry import MultiPolygon, Polygon

from warnline.agreement.model import Agreement, AreaKind
from warnline.alerting.area_shapes import MAX_RING_POINTS, circle_of, message_circle, polygons_of


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
        # Every vertex of every part, and points along every edge (densified).
        dense = shapely.segmentize(area.geometry, 0.05)
        for x, y in shapely.get_coordinates(dense):
            assert _km(lon, lat, x, y) <= radius, (area.area_id, x, y)


def test_circle_is_no_larger_than_needed(agreement: Agreement) -> None:
    """Some vertex lies within 1 % (plus the 0.1 km printing step) of the radius: the
    circle is tight, unlike a centroid circle (1,170 km for Saudi Arabia)."""
    for area in agreement.areas:
        if area.geometry.is_empty:
            continue
        circle = circle_of(area.geometry)
        assert circle is not None
        lon, lat, radius = circle
        far = max(_km(lon, lat, x, y) for x, y in shapely.get_coordinates(area.geometry))
        assert far >= radius * 0.99 - 0.25, (area.area_id, far, radius)
    sau = circle_of(agreement.area("SAU").geometry)
    assert sau is not None and sau[2] < 1150


def test_every_area_is_covered_by_its_rings(agreement: Agreement) -> None:
    for area in agreement.areas:
        if area.geometry.is_empty:
            assert polygons_of(area.geometry) == ()
            continue
        rings = polygons_of(area.geometry)
        assert rings, area.area_id
        union = shapely.union_all([Polygon(r) for r in rings])
        assert union.covers(area.geometry), area.area_id
        # Simplified outward, not blown up: at most 10 % more ground.
        assert union.area <= area.geometry.area * 1.1, area.area_id
        for ring in rings:
            assert 4 <= len(ring) <= MAX_RING_POINTS, area.area_id
            assert ring[0] == ring[-1] and Polygon(ring).is_valid


def test_islands_each_get_a_ring(agreement: Agreement) -> None:
    bahrain = agreement.area("BHR").geometry
    assert isinstance(bahrain, MultiPolygon)
    rings = polygons_of(bahrain)
    assert len(rings) > 1
    for part in bahrain.geoms:
        assert any(Polygon(r).covers(part) for r in rings)


def test_a_long_outline_is_cut_to_the_ring_limit() -> None:
    wiggly = Polygon(
        (
            36.0 + 0.3 * math.cos(2 * math.pi * i / 3000) * (1 + 0.05 * math.sin(37 * i)),
            31.9 + 0.2 * math.sin(2 * math.pi * i / 3000),
        )
        for i in range(3000)
    )
    (ring,) = polygons_of(wiggly)
    assert len(ring) <= MAX_RING_POINTS
    assert Polygon(ring).covers(wiggly)


def test_a_message_carries_a_circle_only_where_it_stands_for_the_area(
    agreement: Agreement,
) -> None:
    """CAP reads an <area>'s shapes as their union: a territory's enclosing circle would
    warn its neighbours (Egypt's covers much of the Levant), so territories go by their
    rings alone, and defended areas, drawn round a point, keep their circle."""
    for area in agreement.areas:
        if area.geometry.is_empty:
            continue
        circle = message_circle(area.geometry)
        if area.kind is AreaKind.TERRITORY:
            assert circle is None, area.area_id
        else:
            assert circle == circle_of(area.geometry), area.area_id
