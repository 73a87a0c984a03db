"""What a silent track's sensors say of it: looked and not found, fell silent with it, or
not enough yet (the deleter's evidence; `Picture.expire` acts on it).

The sensors that reported a track in its last `recent_s` of reports are its watchers.
A watcher heard from since is a *witness*: it must have made `MIN_MISSED_SCANS` whole
scans without the track, and all witnesses together must be at most `UNSEEN_CHANCE`
likely to have missed an object still there (`SensorWatch.unseen_chance` for the points
`Looks` gives, one per scan). A watcher heard from no more since *abstains* (an outage,
or nothing left to report). A witness that has made fewer scans waits for its next one,
unless it has fallen silent since (nothing heard for `recent_s`): then the scans it made
are all it says, and with none it abstains too - a sensor that scanned once more after
the object's last report and then stopped kept the track open until the drop age.

When every watcher abstains, nobody can look. Usually that is an outage, and the track
coasts. But a watcher whose last scan held this one report alone (`SensorWatch.alone`)
fell silent *with* the object: a decoy loitering where one radar sees nothing else, a
drone that struck where its radar had nothing else in view. If every watcher fell silent
with it, the track is UNWATCHED; the picture ends such a strike weapon's track at the
coasting age (see `Picture._unseen`), and an outage - a sensor that stopped reporting
many objects at once - is never read that way.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from warnline.picture.models import FloatArray
from warnline.picture.predictor import GatingView
from warnline.picture.store import TrackRecord
from warnline.picture.watch import SensorWatch

MIN_MISSED_SCANS = 2  # each witness must have missed the track this often
UNSEEN_CHANCE = 1e-3  # ... and all together be this unlikely to have missed it every time


class Verdict(Enum):
    NOT_FOUND = "not found"  # looked for where it would be, and not found: it ended
    UNWATCHED = "unwatched"  # every sensor that had it fell silent with it
    OPEN = "open"  # not enough yet either way: it coasts


class Looks:
    """Where a silent track (row `j` of `view`) would have been when its sensors looked:
    along its course at the time of each scan, or - `now` given - at that one point for
    every scan (where it would be now)."""

    def __init__(
        self, view: GatingView, j: int, *, now: tuple[float, float, float] | None = None
    ) -> None:
        self._view, self._j, self._now = view, j, now

    def at(self, times: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        if self._now is not None:
            x, y, alt = self._now
            n = len(times)
            return np.full(n, x), np.full(n, y), np.full(n, alt)
        row = np.full(len(times), self._j, np.intp)
        dt = times - self._view.t[self._j]
        x_at, y_at = self._view.position(row, dt)
        return x_at, y_at, self._view.altitude(row, dt)


def verdict(
    watch: SensorWatch, record: TrackRecord, looks: Looks, *, now_t: float, recent_s: float
) -> Verdict:
    """What the sensors that reported `record` say, `now_t` being the time the track
    has been aged to (see the module docstring). A contributor whose reports of it had no
    sensor-track numbers, and whose revisit the watch has not learned from its other
    tracks, cannot say: then neither can the picture."""
    recent = record.last_t - recent_s
    watchers: dict[tuple[str, str], float] = {}
    for key, t in record.links.items():
        if t >= recent:
            watchers[key[:2]] = max(t, watchers.get(key[:2], t))
    if not watchers:
        return Verdict.OPEN
    for sensor, state in record.attributes.contributors.items():
        if state.last_t >= recent and sensor not in watchers:
            if watch.revisit(sensor) is None:
                return Verdict.OPEN
            # Its last report of this track carried no sensor-track number (a plot, or
            # a false one gated in), but its revisit is known from its other tracks: it
            # watches from that report like the others.
            watchers[sensor] = state.last_t
    chance, witnesses, with_it = 1.0, 0, True
    for sensor, t in sorted(watchers.items()):
        if watch.abstains(sensor, t):
            with_it = with_it and watch.alone(sensor)
            continue
        scans = watch.scan_times(sensor, t)
        if len(scans) < MIN_MISSED_SCANS:
            if not watch.silent(sensor, now_t, recent_s):
                return Verdict.OPEN  # it will scan again: wait for it
            if len(scans) == 0:
                with_it = False  # it fell silent, but others' reports were its last
                continue
        x, y, alt = looks.at(scans)
        chance *= watch.unseen_chance(sensor, x=x, y=y, alt=alt)
        witnesses += 1
    if witnesses == 0:
        return Verdict.UNWATCHED if with_it else Verdict.OPEN
    return Verdict.NOT_FOUND if chance <= UNSEEN_CHANCE else Verdict.OPEN
