"""Velocities between local east/north and the regional plane."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Proj

from warnline.domain.plane import REGION_PROJ, regional_plane
from warnline.picture import Picture
from warnline.picture.frame import to_plane

LONS = np.array([30.0, 45.0, 55.0, 60.0])
LATS = np.array([18.0, 26.0, 30.0, 34.0])


def test_local_axes_match_the_projection_factors():
    _, _, axes = to_plane(regional_plane(), LONS, LATS)
    factors = Proj(REGION_PROJ).get_factors(LONS, LATS)
    # True north leans toward the central meridian: west of grid north east of it.
    angle = np.degrees(np.arctan2(axes.north_x, axes.north_y))
    assert angle == pytest.approx(-np.asarray(factors.meridian_convergence), abs=1e-4)
    assert axes.scale == pytest.approx(np.asarray(factors.meridional_scale), rel=1e-6)


def test_velocity_round_trip():
    _, _, axes = to_plane(regional_plane(), LONS, LATS)
    east, north = np.array([100.0, -30.0, 0.0, 2000.0]), np.array([0.0, 45.0, -250.0, 10.0])
    back = axes.plane_to_enu(*axes.enu_to_plane(east, north))
    assert back[0] == pytest.approx(east)
    assert back[1] == pytest.approx(north)


def test_track_far_from_the_central_meridian_heads_true_north(scene):
    """At 55°E grid north is 4.4° off true north; the track must not inherit that."""
    picture = Picture()
    metres_per_degree = 110_860.0  # meridian arc near 30°N
    for k in range(30):
        t = float(k)
        lat = 30.0 + 200.0 * t / metres_per_degree
        x, y = scene.xy(lat, 55.0)
        picture.ingest([scene.report("alpha", x, y, t, accuracy=20.0)])
    (track,) = picture.tracks()
    assert track.velocity.ground_speed == pytest.approx(200.0, rel=0.02)
    heading = track.velocity.heading_deg
    assert min(heading, 360.0 - heading) < 1.0
    assert math.isclose(track.position.lon, 55.0, abs_tol=1e-3)
