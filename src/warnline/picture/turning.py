"""Turn rate: is the object flying on, or circling?

A loitering decoy flies a circle for as long as it lives; at any instant its velocity
points somewhere, and a straight-line prediction sends it, in turn, at every area around
it. What tells it from a drone on its way is that its course keeps turning, steadily, the
same way. So each track keeps a short log of its course (one sample every
`SAMPLE_EVERY_S`, the last `WINDOW_S` seconds), and the turn rate is declared only when the
log is long enough, both halves turn the same way at comparable rates, and the total turn
stands well above what the track's own heading error could fake (`SIGNIFICANCE` standard
deviations). Otherwise it is zero: a straight flier, or one whose turn is not yet proven,
keeps the straight prediction, which errs toward warning.
"""

from __future__ import annotations

import itertools
import math

SAMPLE_EVERY_S = 10.0
WINDOW_S = 300.0
MIN_SPAN_S = 30.0
MIN_SPEED_MS = 15.0  # below this a heading means little
MIN_TURN_DEG = 10.0
SIGNIFICANCE = 3.0
HALVES_RATIO = 0.4  # each half must turn at least this share of the other's rate

CourseLog = list[tuple[float, float]]
"""(time in Unix seconds, heading in radians clockwise from grid north)."""


def log_course(log: CourseLog, t: float, vx: float, vy: float) -> None:
    """Add the course at `t` if the log's last sample is old enough; forget what is older
    than the window. A slow or hovering object has no course: its log is cleared."""
    if math.hypot(vx, vy) < MIN_SPEED_MS:
        log.clear()
        return
    if log and t - log[-1][0] < SAMPLE_EVERY_S:
        return
    log.append((t, math.atan2(vx, vy)))
    while log and t - log[0][0] > WINDOW_S:
        log.pop(0)


def _turn(a: float, b: float) -> float:
    """Signed turn from heading a to heading b, in (-pi, pi]."""
    d = (b - a + math.pi) % (2.0 * math.pi) - math.pi
    return d if d != -math.pi else math.pi


def turn_rate(log: CourseLog, heading_sigma_rad: float) -> float:
    """The proven steady turn rate in radians per second (positive: clockwise), else 0.

    The turn is summed sample to sample (each `SAMPLE_EVERY_S` apart turns far less than
    half a circle), never read from the end points: a decoy circling every three minutes
    turns more than a whole circle in the window, and its end-point headings alias."""
    if len(log) < 3 or log[-1][0] - log[0][0] < MIN_SPAN_S:
        return 0.0
    t0, t1 = log[0][0], log[-1][0]
    mid_t = 0.5 * (t0 + t1)
    m = min(range(len(log)), key=lambda i: abs(log[i][0] - mid_t))
    tm = log[m][0]
    if not t0 < tm < t1:
        return 0.0
    steps = [_turn(a[1], b[1]) for a, b in itertools.pairwise(log)]
    first, second = sum(steps[:m]), sum(steps[m:])
    if first * second <= 0.0:
        return 0.0
    r1, r2 = first / (tm - t0), second / (t1 - tm)
    if min(abs(r1), abs(r2)) < HALVES_RATIO * max(abs(r1), abs(r2)):
        return 0.0
    total = first + second
    needed = max(math.radians(MIN_TURN_DEG), SIGNIFICANCE * math.sqrt(2.0) * heading_sigma_rad)
    if abs(total) < needed:
        return 0.0
    return total / (t1 - t0)
