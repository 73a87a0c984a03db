"""Motion and measurement models: the constant-velocity transition and its noise per kind.

Kinds are coded as small integers (their position in `ThreatKind`) so that a whole
picture's kinds fit in one numpy array and compatibility is a table lookup.

Process noise is the continuous white-noise-acceleration model: `q` is the spectral
density of the acceleration (m²/s³), so over `dt` seconds it adds about `q·dt³/3` to a
position variance and `q·dt` to a velocity variance. Drones and aircraft turn and
change speed; ballistic missiles and rockets in the horizontal plane hardly do (their
vertical motion, dominated by gravity, gets its own larger noise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from warnline.domain import ThreatKind

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

KINDS: tuple[ThreatKind, ...] = tuple(ThreatKind)
KIND_CODE: dict[ThreatKind, int] = {kind: code for code, kind in enumerate(KINDS)}
UNKNOWN_CODE = KIND_CODE[ThreatKind.UNKNOWN]


@dataclass(frozen=True, kw_only=True, slots=True)
class KindMotion:
    """How an object of one kind moves, as far as the filter needs to know.

    `speed_sigma` is the per-axis spread of the velocity of a new track whose report
    carried none: wide enough that a second report of the same object, a second or
    two later, still falls inside the gate.
    """

    q_horizontal: float
    q_vertical: float
    speed_sigma: float
    climb_sigma: float


MOTION: dict[ThreatKind, KindMotion] = {
    ThreatKind.DRONE: KindMotion(
        q_horizontal=10.0, q_vertical=2.0, speed_sigma=60.0, climb_sigma=10.0
    ),
    ThreatKind.CRUISE_MISSILE: KindMotion(
        q_horizontal=4.0, q_vertical=2.0, speed_sigma=200.0, climb_sigma=20.0
    ),
    ThreatKind.BALLISTIC_MISSILE: KindMotion(
        q_horizontal=1.0, q_vertical=100.0, speed_sigma=2000.0, climb_sigma=1000.0
    ),
    ThreatKind.ROCKET: KindMotion(
        q_horizontal=1.0, q_vertical=100.0, speed_sigma=800.0, climb_sigma=500.0
    ),
    ThreatKind.AIRCRAFT: KindMotion(
        q_horizontal=30.0, q_vertical=5.0, speed_sigma=300.0, climb_sigma=50.0
    ),
    ThreatKind.UNKNOWN: KindMotion(
        q_horizontal=10.0, q_vertical=20.0, speed_sigma=1000.0, climb_sigma=500.0
    ),
}

Q_HORIZONTAL: FloatArray = np.array([MOTION[k].q_horizontal for k in KINDS])
Q_VERTICAL: FloatArray = np.array([MOTION[k].q_vertical for k in KINDS])
SPEED_SIGMA: FloatArray = np.array([MOTION[k].speed_sigma for k in KINDS])
CLIMB_SIGMA: FloatArray = np.array([MOTION[k].climb_sigma for k in KINDS])

GRAVITY = 9.81
# Kinds that fly an unpowered ballistic path for most of what sensors see: their vertical
# prediction accelerates downward by g (boost and re-entry drag are left to the process
# noise), which keeps an impact corridor short and its time to the ground honest.
FALLS: NDArray[np.bool_] = np.array(
    [k in (ThreatKind.BALLISTIC_MISSILE, ThreatKind.ROCKET) for k in KINDS], dtype=bool
)
VERTICAL_ACCEL: FloatArray = np.where(FALLS, -GRAVITY, 0.0)
UNANNOUNCED: NDArray[np.bool_] = np.array(
    [k in (ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE) for k in KINDS], dtype=bool
)
"""Kinds whose flight ends without warning from physics: a strike weapon stops being
reported where it hits (a falling object's end is its landing, see `Deleter.landed`)."""

MAX_SPEED_MS = 4_000.0
"""No aerial threat in scope flies faster over the ground (a medium-range ballistic missile
re-enters at about 3-4 km/s): a filter that says more was fooled by a wrong association."""

HIGH_ALTITUDE_M = 15_000.0
"""Above this only ballistic objects (and the odd balloon) fly: a new track seen this high
gets a ballistic velocity prior, whatever the report's kind says."""

# Families a sensor may confuse with each other: a slow jet drone looks like a cruise
# missile or a light aircraft; an artillery rocket like a short-range ballistic missile.
_FAMILIES: tuple[frozenset[ThreatKind], ...] = (
    frozenset({ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE, ThreatKind.AIRCRAFT}),
    frozenset({ThreatKind.BALLISTIC_MISSILE, ThreatKind.ROCKET}),
)

KIND_MISS_COST = 2.0 * float(np.log(0.85 / 0.15))
"""Extra association cost (in units of d²) when a report's kind and the track's fused kind
differ: the log-likelihood of a wrong guess (about one report in seven) against a right
one. Kind is evidence, never a partition: the cost only breaks near-ties between tracks
that the kinematic gate already accepts."""


def _same_kind() -> NDArray[np.bool_]:
    table = np.zeros((len(KINDS), len(KINDS)), dtype=bool)
    for i, a in enumerate(KINDS):
        for j, b in enumerate(KINDS):
            table[i, j] = a == b or ThreatKind.UNKNOWN in (a, b)
    return table


def _family() -> NDArray[np.bool_]:
    table = np.zeros((len(KINDS), len(KINDS)), dtype=bool)
    for i, a in enumerate(KINDS):
        for j, b in enumerate(KINDS):
            same_family = any(a in family and b in family for family in _FAMILIES)
            table[i, j] = a == b or ThreatKind.UNKNOWN in (a, b) or same_family
    return table


AGREES: NDArray[np.bool_] = _same_kind()
"""AGREES[report_kind, track_kind]: no kind cost for such a pair."""

COMPATIBLE: NDArray[np.bool_] = _family()
"""COMPATIBLE[a, b]: kinds a sensor may confuse with each other (same family)."""


def transition(dt: FloatArray, ndim: int) -> FloatArray:
    """Constant-velocity transition matrices, shape (n, 2·ndim, 2·ndim).

    The state is [positions..., velocities...]. A negative `dt` gives the inverse
    transition (back-prediction), which the out-of-sequence update relies on.
    """
    n = dt.shape[0]
    f = np.zeros((n, 2 * ndim, 2 * ndim))
    for axis in range(2 * ndim):
        f[:, axis, axis] = 1.0
    for axis in range(ndim):
        f[:, axis, ndim + axis] = dt
    return f


def gravity_offset(dt: FloatArray, accel: FloatArray) -> FloatArray:
    """What a constant vertical acceleration adds to [altitude, climb] over dt, shape (n, 2)."""
    return np.column_stack((0.5 * accel * dt * dt, accel * dt))


def process_noise(dt: FloatArray, q: FloatArray, ndim: int) -> FloatArray:
    """White-noise-acceleration covariance accumulated over |dt|, shape (n, 2·ndim, 2·ndim)."""
    n = dt.shape[0]
    a = np.abs(dt)
    out = np.zeros((n, 2 * ndim, 2 * ndim))
    pp = q * a**3 / 3.0
    pv = q * a**2 / 2.0 * np.sign(dt)
    vv = q * a
    for axis in range(ndim):
        out[:, axis, axis] = pp
        out[:, axis, ndim + axis] = pv
        out[:, ndim + axis, axis] = pv
        out[:, ndim + axis, ndim + axis] = vv
    return out
