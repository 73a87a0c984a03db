"""How far ahead a track is predicted, how fast its corridor widens, where it is sampled.

The prediction is deliberately simple: constant ground velocity in the regional plane.
What keeps it honest is the corridor around it, whose half-width grows with the distance
flown by the tangent of a heading uncertainty that depends on the kind of threat (a drone
can turn anywhere, a ballistic missile barely deviates), and a lookahead capped by what
the kind can physically do: its range, and for a descending ballistic missile or rocket
the time left before it reaches the ground under gravity, which is what makes an impact
corridor short and tight instead of a line across the region - rising or falling. A
falling object's corridor starts only where it comes back below `ENDANGERS_BELOW_M`:
what it overflies higher up is not at risk.

A track whose kind nobody has named is judged by its motion (`limits_for`): faster than
anything air-breathing, or higher than anything but a ballistic object flies, it is
predicted as a ballistic object; so a long-range radar that reports only plots still warns
of the right areas, and not of every area under a straight line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from warnline.domain.report import ThreatKind


@dataclass(frozen=True, kw_only=True, slots=True)
class KindLimits:
    """What a kind of threat can do, as far as the corridor is concerned."""

    max_range_m: float  # no prediction further ahead than this
    heading_uncertainty_deg: float  # the widest half-angle by which the course may deviate
    falls: bool  # on a ballistic path: the lookahead ends where it reaches the ground
    manoeuvre_deg: float = 0.0  # the course change allowed even to a steady track

    @property
    def spread(self) -> float:
        """Corridor half-width gained per metre flown, when nothing is known of the track's
        velocity error (the widest corridor)."""
        return math.tan(math.radians(self.heading_uncertainty_deg))

    def spread_for(self, *, speed: float, velocity_sigma: float) -> float:
        """The half-width gained per metre flown by this track: two standard deviations of
        its heading (from its velocity error, which already allows for the kind's
        manoeuvres through the filter's process noise), plus the course change a steady
        track of this kind may still make, never wider than the kind's widest. A drone
        flying straight for minutes gets a corridor that tells Doha from Al Udeid; one just
        picked up gets the whole fan."""
        if velocity_sigma <= 0.0 or speed < STATIONARY_SPEED:
            return self.spread
        heading_sigma = math.degrees(math.atan2(velocity_sigma, speed))
        half_angle = min(
            self.heading_uncertainty_deg, self.manoeuvre_deg + HEADING_SIGMAS * heading_sigma
        )
        return math.tan(math.radians(half_angle))


KIND_LIMITS: Mapping[ThreatKind, KindLimits] = MappingProxyType(
    {
        ThreatKind.BALLISTIC_MISSILE: KindLimits(
            max_range_m=1_800_000.0, heading_uncertainty_deg=3.0, falls=True, manoeuvre_deg=1.0
        ),
        ThreatKind.CRUISE_MISSILE: KindLimits(
            max_range_m=2_500_000.0, heading_uncertainty_deg=10.0, falls=False, manoeuvre_deg=3.0
        ),
        ThreatKind.DRONE: KindLimits(
            max_range_m=2_000_000.0, heading_uncertainty_deg=20.0, falls=False, manoeuvre_deg=4.0
        ),
        ThreatKind.ROCKET: KindLimits(
            max_range_m=300_000.0, heading_uncertainty_deg=5.0, falls=True, manoeuvre_deg=2.0
        ),
        ThreatKind.AIRCRAFT: KindLimits(
            max_range_m=1_500_000.0, heading_uncertainty_deg=15.0, falls=False, manoeuvre_deg=6.0
        ),
        ThreatKind.UNKNOWN: KindLimits(
            max_range_m=1_500_000.0, heading_uncertainty_deg=20.0, falls=False, manoeuvre_deg=8.0
        ),
    }
)

HEADING_SIGMAS = 2.0
GRAVITY = 9.81
AIR_BREATHING_MAX_SPEED_MS = 700.0
HIGH_ALTITUDE_M = 15_000.0
# A falling object endangers only what lies under it once it is back in the atmosphere:
# above this it passes over (a ballistic missile overflies Qatar at 150 km on its way to
# the Emirates). The same line the score draws for a ballistic territory entry.
ENDANGERS_BELOW_M = 100_000.0

MIN_HALF_WIDTH_M = 1_000.0  # the corridor is never narrower than this, however good the track
MAX_HALF_WIDTH_M = 150_000.0  # beyond this a corridor says nothing useful about who is at risk
SIGMA_FACTOR = 2.5  # the corridor starts at 2.5 sigma of the track's position
STATIONARY_SPEED = 1.0  # m/s; slower tracks are treated as hovering where they are


def limits_for(kind: ThreatKind, *, speed: float, alt_m: float) -> KindLimits:
    """The limits of the track's kind; for an unnamed kind, of what its motion says it is."""
    if kind is ThreatKind.UNKNOWN and (
        speed > AIR_BREATHING_MAX_SPEED_MS or alt_m > HIGH_ALTITUDE_M
    ):
        return KIND_LIMITS[ThreatKind.BALLISTIC_MISSILE]
    return KIND_LIMITS.get(kind, KIND_LIMITS[ThreatKind.UNKNOWN])


def time_to_ground(alt_m: float, climb: float) -> float:
    """Seconds until an unpowered object at `alt_m` climbing at `climb` reaches the ground."""
    return time_to_descend_to(alt_m, climb, 0.0)


def time_to_descend_to(alt_m: float, climb: float, ceiling_m: float) -> float:
    """Seconds until an unpowered object at `alt_m` climbing at `climb` is back below
    `ceiling_m` on its way down (0 if it is below now and its apex stays below)."""
    alt = max(alt_m, 0.0)
    apex = alt + max(climb, 0.0) ** 2 / (2.0 * GRAVITY)
    if apex <= ceiling_m:
        return 0.0
    return (climb + math.sqrt(climb * climb + 2.0 * GRAVITY * (alt - ceiling_m))) / GRAVITY


def start_half_width(sigma_m: float) -> float:
    return max(SIGMA_FACTOR * sigma_m, MIN_HALF_WIDTH_M)


def half_widths(
    distance_m: NDArray[np.float64],
    start_m: float | NDArray[np.float64],
    spread: float | NDArray[np.float64],
) -> NDArray[np.float64]:
    """Corridor half-width after flying `distance_m` (element-wise)."""
    return np.minimum(start_m + distance_m * spread, MAX_HALF_WIDTH_M)


def lookahead_s(
    limits: KindLimits, *, horizon_s: float, speed: float, alt_m: float, climb: float
) -> float:
    """Seconds ahead worth predicting: the horizon, cut by range and by impact."""
    lookahead = horizon_s
    if speed >= STATIONARY_SPEED:
        lookahead = min(lookahead, limits.max_range_m / speed)
    if limits.falls:
        lookahead = min(lookahead, time_to_ground(alt_m, climb))
    return max(lookahead, 0.0)


def sample_times(
    lookahead: float, *, step_s: float, speed: float, start_m: float, spread: float
) -> NDArray[np.float64]:
    """Seconds after the assessment time at which the path is tested against areas.

    Every `step_s`, except where the track covers more than half the corridor's width in
    one step (a fast missile while its corridor is still narrow): there the steps shrink
    to half a width, so consecutive test discs overlap and no small area can sit between
    two samples. With the width growing linearly, those short steps grow geometrically,
    which keeps a ballistic track to one or two hundred samples.
    """
    if lookahead <= 0.0 or speed < STATIONARY_SPEED:
        return np.zeros(1)
    # The cap on the width bounds the steps too, for implausibly fast tracks.
    step = min(step_s, MAX_HALF_WIDTH_M / (2.0 * speed))
    # Geometric phase: t[n+1] = t[n] + w(t[n]) / (2 speed), w(t) = start + spread speed t.
    ratio = 1.0 + spread / 2.0
    scale = start_m / (speed * spread)
    switch = (2.0 * speed * step - start_m) / (speed * spread)  # where w/2 reaches one step
    if switch > 0.0:
        count = math.ceil(math.log1p(switch / scale) / math.log(ratio))
        early = scale * np.expm1(np.arange(count + 1) * math.log(ratio))
    else:
        early = np.zeros(1)
    late = early[-1] + step * np.arange(1, max(math.ceil((lookahead - early[-1]) / step), 0) + 1)
    times = np.concatenate([early, late])
    times = times[times < lookahead]
    return np.append(times, lookahead)
