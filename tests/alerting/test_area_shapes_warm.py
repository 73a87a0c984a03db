"""An area's message shapes made ahead (by a node's start) are the ones its first alert
would have made on the loop, and are made once per process."""

from __future__ import annotations

from shapely import affinity

from warnline.agreement.model import Agreement
from warnline.alerting.area_shapes import area_shapes, message_circle, polygons_of, warm


def test_warmed_shapes_are_the_shapes_of_the_outline(agreement: Agreement) -> None:
    areas = [a for a in agreement.areas if not a.geometry.is_empty][:6]
    # A moved copy of each outline: new to this process whatever ran before this test.
    moved = [affinity.translate(a.geometry, xoff=0.0123, yoff=-0.0071) for a in areas]
    assert warm(moved) == len(moved)
    assert warm(moved) == 0  # made once
    for geom in moved:
        assert area_shapes(geom) == (polygons_of(geom), message_circle(geom))


def test_the_same_outline_built_twice_shares_its_shapes(agreement: Agreement) -> None:
    area = next(a for a in agreement.areas if a.kind.value == "defended")
    once = affinity.translate(area.geometry, xoff=0.0311)
    twice = affinity.translate(area.geometry, xoff=0.0311)
    assert once is not twice
    assert area_shapes(once) is area_shapes(twice)
