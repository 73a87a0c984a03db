"""Between WGS84 and the regional plane, for positions and for velocities.

The plane is conformal, so locally it is the tangent plane rotated by the meridian
convergence and scaled by the scale factor; both vary across the region (the
convergence reaches about ten degrees at its edges, which is far too much to ignore
for a velocity). They are measured numerically at each point - the plane's image of a
short step north - so that any conformal plane works, not only the Lambert one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from warnline.domain.plane import RegionalPlane
from warnline.picture.models import FloatArray

_STEP_DEG = 1e-4
_WGS84_A = 6378137.0
_WGS84_E2 = 6.69437999014e-3


@dataclass(frozen=True, kw_only=True, slots=True)
class LocalAxes:
    """Unit vectors of local east and north in plane coordinates, and the scale factor."""

    east_x: FloatArray
    east_y: FloatArray
    north_x: FloatArray
    north_y: FloatArray
    scale: FloatArray

    def enu_to_plane(self, east: FloatArray, north: FloatArray) -> tuple[FloatArray, FloatArray]:
        """A ground velocity (m/s east, north) as a plane velocity (plane m/s)."""
        vx = self.scale * (east * self.east_x + north * self.north_x)
        vy = self.scale * (east * self.east_y + north * self.north_y)
        return vx, vy

    def plane_to_enu(self, vx: FloatArray, vy: FloatArray) -> tuple[FloatArray, FloatArray]:
        """A plane velocity back to ground metres per second east and north."""
        east = (vx * self.east_x + vy * self.east_y) / self.scale
        north = (vx * self.north_x + vy * self.north_y) / self.scale
        return east, north


def _meridian_radius(lat_deg: FloatArray) -> FloatArray:
    s = np.sin(np.radians(lat_deg))
    return np.asarray(_WGS84_A * (1.0 - _WGS84_E2) / (1.0 - _WGS84_E2 * s * s) ** 1.5)


def local_axes(
    plane: RegionalPlane,
    lon: FloatArray,
    lat: FloatArray,
    x: FloatArray,
    y: FloatArray,
) -> LocalAxes:
    """Local axes at points already projected to (x, y)."""
    step = np.where(lat > 89.0, -_STEP_DEG, _STEP_DEG)
    x2, y2 = plane.to_xy(lon, lat + step)
    return _axes(lat, step, x, y, x2, y2)


def _axes(
    lat: FloatArray, step: FloatArray, x: FloatArray, y: FloatArray, x2: FloatArray, y2: FloatArray
) -> LocalAxes:
    dx = (x2 - x) * np.sign(step)
    dy = (y2 - y) * np.sign(step)
    length = np.hypot(dx, dy)
    north_x = dx / length
    north_y = dy / length
    scale = length / (np.radians(_STEP_DEG) * _meridian_radius(lat))
    return LocalAxes(east_x=north_y, east_y=-north_x, north_x=north_x, north_y=north_y, scale=scale)


def to_plane(
    plane: RegionalPlane, lon: FloatArray, lat: FloatArray
) -> tuple[FloatArray, FloatArray, LocalAxes]:
    # One projection call for the points and their steps north (see `local_axes`).
    step = np.where(lat > 89.0, -_STEP_DEG, _STEP_DEG)
    both_x, both_y = plane.to_xy(np.concatenate([lon, lon]), np.concatenate([lat, lat + step]))
    n = len(lon)
    x, y = both_x[:n], both_y[:n]
    return x, y, _axes(lat, step, x, y, both_x[n:], both_y[n:])


def to_geodetic(
    plane: RegionalPlane, x: FloatArray, y: FloatArray
) -> tuple[FloatArray, FloatArray, LocalAxes]:
    """Plane points to (lon, lat), with latitude clamped and longitude wrapped so that a
    long extrapolation cannot produce an invalid position."""
    lon, lat = plane.to_lonlat(x, y)
    lat = np.clip(lat, -90.0, 90.0)
    lon = (lon + 180.0) % 360.0 - 180.0
    return lon, lat, local_axes(plane, lon, lat, x, y)
