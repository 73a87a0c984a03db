"""Positions and velocities: WGS84 outside, metres in a plane inside.

Positions cross stage boundaries as WGS84 latitude/longitude/altitude; velocities
as east/north/up metres per second. Stages do their arithmetic in the coalition's
regional plane (see `warnline.domain.plane`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class Position:
    """A WGS84 position; altitude in metres above the ellipsoid."""

    lat: float
    lon: float
    alt_m: float = 0.0

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat <= 90.0) or math.isnan(self.lat):
            raise ValueError(f"latitude out of range: {self.lat}")
        if not (-180.0 <= self.lon <= 180.0) or math.isnan(self.lon):
            raise ValueError(f"longitude out of range: {self.lon}")
        if not math.isfinite(self.alt_m):
            raise ValueError(f"altitude not finite: {self.alt_m}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Velocity:
    """Velocity in metres per second along local east, north and up."""

    east: float
    north: float
    up: float = 0.0

    @property
    def ground_speed(self) -> float:
        return math.hypot(self.east, self.north)

    @property
    def heading_deg(self) -> float:
        """Course over ground, degrees clockwise from true north."""
        return math.degrees(math.atan2(self.east, self.north)) % 360.0
