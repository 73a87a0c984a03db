"""Where the tracks live: filter state in arrays (for vectorised maths), the rest in records.

Filter state is kept struct-of-arrays, indexed by a slot, so that gating, prediction and
update run over all tracks at once; a removed track's slot is reused, smallest first,
so the layout - and with it every decision - is the same on every replay.
"""

from __future__ import annotations

import heapq
from datetime import datetime

import numpy as np

from warnline.domain import Track, TrackState
from warnline.picture.fusion import Tallies, TrackAttributes
from warnline.picture.models import UNKNOWN_CODE, IntArray

NO_OWNER = -1
"""`TrackStore.owner` of a track that rests on more than one partner's reports."""

SensorTrackKey = tuple[str, str, str]
"""(partner, sensor, sensor_track): a partner's own name for an object."""


class TrackRecord:
    """Everything about one track that is not filter state."""

    __slots__ = (
        "attributes",
        "confirmed",
        "courses",
        "first_seen",
        "first_t",
        "last_t",
        "links",
        "serial",
        "slot",
        "snapshot",
        "state",
        "track_id",
        "updated_at",
    )

    def __init__(
        self, *, serial: int, slot: int, first_seen: datetime, t: float, tallies: Tallies
    ) -> None:
        self.serial = serial
        self.track_id = f"T{serial:06d}"
        self.slot = slot
        self.state = TrackState.TENTATIVE
        self.confirmed = False  # once the evidence confirmed it, a track stays confirmed
        self.courses: list[tuple[float, float]] = []  # see `turning`
        self.first_seen = first_seen
        self.first_t = t
        self.updated_at = first_seen
        self.last_t = t
        self.attributes = TrackAttributes(tallies)
        self.links: dict[SensorTrackKey, float] = {}  # -> time of its latest report here
        self.snapshot: Track | None = None


class TrackStore:
    """Filter state of every live track.

    Horizontal: `xh` = [x, y, vx, vy] in plane metres, `ph` its covariance. Vertical:
    `xv` = [altitude, climb rate], `pv` its covariance. `t` is the time (Unix seconds)
    the state refers to, `kind` the fused kind's code, `score` the track's evidence (see
    `hypothesiser.Hypothesiser.evidence`).
    """

    def __init__(self, capacity: int = 64) -> None:
        self.xh = np.zeros((capacity, 4))
        self.ph = np.zeros((capacity, 4, 4))
        self.xv = np.zeros((capacity, 2))
        self.pv = np.zeros((capacity, 2, 2))
        self.t = np.zeros(capacity)
        self.kind = np.full(capacity, UNKNOWN_CODE, dtype=np.intp)
        self.alive = np.zeros(capacity, dtype=bool)
        self.confirmed = np.zeros(capacity, dtype=bool)  # mirrors TrackRecord.confirmed
        self.score = np.zeros(capacity)  # log-likelihood ratio: object vs clutter
        # The one partner whose reports alone the track rests on, by the picture's code
        # for it; NO_OWNER when several partners report it (kept by `Picture._settle`).
        self.owner = np.full(capacity, NO_OWNER, dtype=np.intp)
        self.records: list[TrackRecord | None] = [None] * capacity
        self.tallies = Tallies()  # kind and identity evidence per (track, sensor)
        self._free: list[int] = []
        self._high = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def allocate(self) -> int:
        if self._free:
            slot = heapq.heappop(self._free)
        else:
            if self._high == len(self.t):
                self._grow()
            slot = self._high
            self._high += 1
        self.alive[slot] = True
        self.score[slot] = 0.0
        self._count += 1
        return slot

    def release(self, slot: int) -> None:
        record = self.records[slot]
        if record is not None:
            record.attributes.release()
        self.alive[slot] = False
        self.confirmed[slot] = False
        self.records[slot] = None
        self.kind[slot] = UNKNOWN_CODE
        self.owner[slot] = NO_OWNER
        heapq.heappush(self._free, slot)
        self._count -= 1

    def live(self) -> IntArray:
        return np.flatnonzero(self.alive[: self._high])

    def record(self, slot: int) -> TrackRecord:
        record = self.records[slot]
        if record is None:
            raise KeyError(f"no track in slot {slot}")
        return record

    def _grow(self) -> None:
        extra = max(64, len(self.t))

        def pad(a: np.ndarray, fill: float | int | bool = 0) -> np.ndarray:
            more = np.full((extra, *a.shape[1:]), fill, dtype=a.dtype)
            return np.concatenate([a, more])

        self.xh, self.ph = pad(self.xh), pad(self.ph)
        self.xv, self.pv = pad(self.xv), pad(self.pv)
        self.t = pad(self.t)
        self.kind = pad(self.kind, UNKNOWN_CODE)
        self.alive = pad(self.alive, False)
        self.confirmed = pad(self.confirmed, False)
        self.score = pad(self.score)
        self.owner = pad(self.owner, NO_OWNER)
        self.records.extend([None] * extra)
