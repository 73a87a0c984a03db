"""Grouping threat tracks into incidents (raids), so alerts speak of raids, not dots.

A confirmed threatening track joins the open incident with a live track nearest to
it, if within `join_km`; otherwise it opens a new incident. Membership is sticky: a
track never changes incident, so an alert's story does not reshuffle mid-raid.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from warnline.domain import Identity, Incident, Track, TrackState
from warnline.domain.plane import RegionalPlane, regional_plane


class IncidentBook:
    def __init__(self, *, plane: RegionalPlane | None = None, join_km: float = 150.0) -> None:
        self.plane = plane or regional_plane()
        self.join_m = join_km * 1000.0
        self.incidents: dict[str, Incident] = {}
        self.track_incident: dict[str, str] = {}
        self._live: dict[str, Track] = {}
        self._counter = 0

    def open_incidents(self) -> list[Incident]:
        return [i for i in self.incidents.values() if not i.ended]

    def update(self, changed: Iterable[Track], lost: Iterable[str], at: datetime) -> list[Incident]:
        """Fold changed and lost tracks in; return incidents that changed, by id."""
        touched: set[str] = set()
        for tid in sorted(lost):
            self._live.pop(tid, None)
            inc = self.track_incident.get(tid)
            if inc is not None:
                touched.add(inc)
        for track in sorted(changed, key=lambda t: t.track_id):
            if track.state is TrackState.LOST:
                self._live.pop(track.track_id, None)
                if track.track_id in self.track_incident:
                    touched.add(self.track_incident[track.track_id])
                continue
            inc_id = self.track_incident.get(track.track_id)
            if inc_id is None:
                if not _eligible(track):
                    continue
                inc_id = self._nearest_open(track) or self._open(at)
                self.track_incident[track.track_id] = inc_id
            self._live[track.track_id] = track
            touched.add(inc_id)
        return [self._refresh(i, at) for i in sorted(touched)]

    def _open(self, at: datetime) -> str:
        self._counter += 1
        inc_id = f"I{self._counter:05d}"
        self.incidents[inc_id] = Incident(
            incident_id=inc_id, opened_at=at, updated_at=at, track_ids=()
        )
        return inc_id

    def _nearest_open(self, track: Track) -> str | None:
        x, y = self.plane.point_xy(track.position.lon, track.position.lat)
        best: tuple[float, str] | None = None
        for tid, other in sorted(self._live.items()):
            inc_id = self.track_incident[tid]
            if self.incidents[inc_id].ended:
                continue
            ox, oy = self.plane.point_xy(other.position.lon, other.position.lat)
            d = math.hypot(x - ox, y - oy)
            if d <= self.join_m and (best is None or d < best[0]):
                best = (d, inc_id)
        return None if best is None else best[1]

    def _refresh(self, inc_id: str, at: datetime) -> Incident:
        members = sorted(t for t, i in self.track_incident.items() if i == inc_id)
        live = [self._live[t] for t in members if t in self._live]
        inc = replace(
            self.incidents[inc_id],
            updated_at=at,
            track_ids=tuple(members),
            kinds=dict(sorted(Counter(t.kind for t in live).items())),
            confirmed_hostile=self.incidents[inc_id].confirmed_hostile
            or any(
                t.identity is Identity.HOSTILE and t.state is not TrackState.TENTATIVE for t in live
            ),
            ended=not live,
        )
        self.incidents[inc_id] = inc
        return inc

    def live_tracks(self, inc_id: str) -> Sequence[Track]:
        return [
            t for tid, t in sorted(self._live.items()) if self.track_incident.get(tid) == inc_id
        ]


def _eligible(track: Track) -> bool:
    return track.identity.threatening and track.state in (TrackState.CONFIRMED, TrackState.COASTING)
