"""Paths of tracks that turn: a steady turn is flown as a circle, not a straight line.

The picture declares a turn rate only once a track has proven it keeps turning the same
way (`warnline.picture.turning`): a loitering decoy. Its predicted path is then the arc
of that circle, at most one full turn (after that it only repeats itself), and its
corridor the band around that arc, so the areas it endangers are those within reach of
its circle - not, in turn, every area its tangent happens to point at.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

Floats = NDArray[np.float64]

MIN_OMEGA = 1e-6  # rad/s; below this the straight line is exact enough
ARC_POINTS = 72  # per full turn, for the corridor's outline


def positions(
    x: Floats, y: Floats, vx: Floats, vy: Floats, omega: Floats, t: Floats
) -> tuple[Floats, Floats]:
    """Plane positions after `t` seconds at constant speed and turn rate `omega` (rad/s,
    positive clockwise from grid north), element-wise."""
    straight = np.abs(omega) < MIN_OMEGA
    w = np.where(straight, 1.0, omega)
    speed = np.hypot(vx, vy)
    heading = np.arctan2(vx, vy)
    turned = heading + w * t
    ax = x + speed / w * (np.cos(heading) - np.cos(turned))
    ay = y + speed / w * (np.sin(turned) - np.sin(heading))
    return np.where(straight, x + vx * t, ax), np.where(straight, y + vy * t, ay)


def full_turn_s(omega: float) -> float:
    return 2.0 * math.pi / abs(omega) if abs(omega) >= MIN_OMEGA else math.inf


def arc_corridor(
    x: float, y: float, vx: float, vy: float, omega: float, lookahead: float, width: float
) -> BaseGeometry:
    """The band of half-width `width` around the arc flown in `lookahead` seconds."""
    n = max(4, math.ceil(ARC_POINTS * min(1.0, lookahead / full_turn_s(omega))))
    t = np.linspace(0.0, lookahead, n)
    one = np.ones(n)
    px, py = positions(x * one, y * one, vx * one, vy * one, omega * one, t)
    return LineString(np.column_stack([px, py])).buffer(width, quad_segs=8)
