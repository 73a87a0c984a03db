"""Grouping threat tracks into incidents (raids), so alerts speak of raids, not dots.

A track drives alerts only once evidence confirmed it (CONFIRMED, or COASTING: the picture
lets only confirmed tracks coast) and it is a threat, by label or under the agreement's
kinematic threat rule (`threat.py`). Such a track joins the open incident with a live
track nearest to it, if within `join_km`; otherwise it opens a new incident. Membership
is sticky: a track never changes incident, so an alert's story does not reshuffle
mid-raid. Eligibility is not sticky: a member later identified as friend, or no longer
heading anywhere that makes it suspect, stops counting for alerts while it stays in its
incident.

Memory stays bounded over a long raid: the book keeps live tracks only; a lost track
leaves `track_incident` once its incident has been told, and each incident keeps its own
member list (so refreshing one costs its members, not every track ever seen). An
incident that ended (no live member left: it cannot open again, since track ids never
come back) is forgotten `retain_s` later; the journal keeps its record.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from warnline.alerting.threat import ThreatRuleCheck
from warnline.domain import Assessment, Identity, Incident, Track, TrackState
from warnline.domain.plane import RegionalPlane, regional_plane


class IncidentBook:
    def __init__(
        self,
        *,
        plane: RegionalPlane | None = None,
        join_km: float = 150.0,
        threat_rule: ThreatRuleCheck | None = None,
        retain_s: float = 900.0,
    ) -> None:
        self.plane = plane or regional_plane()
        self.retain_s = retain_s
        self._ended: dict[str, datetime] = {}  # ended incident -> when, in the order they ended
        self.join_m = join_km * 1000.0
        self.threat_rule = threat_rule
        self.incidents: dict[str, Incident] = {}
        self.track_incident: dict[str, str] = {}
        self._live: dict[str, Track] = {}
        self._why: dict[str, str] = {}  # live track -> why it is a threat now
        self._members: dict[str, list[str]] = {}  # incident -> its tracks, in joining order

    def open_incidents(self) -> list[Incident]:
        return [i for i in self.incidents.values() if not i.ended]

    def update(
        self,
        changed: Iterable[Track],
        lost: Iterable[str],
        at: datetime,
        assessments: Mapping[str, Assessment] | None = None,
    ) -> list[Incident]:
        """Fold changed and lost tracks in; return incidents that changed, by id.

        `assessments` (by track id) let the kinematic threat rule see where a track is
        heading; without them only labels make a threat."""
        assessments = assessments or {}
        touched: set[str] = set()
        gone: list[str] = []
        for tid in sorted(lost):
            self._drop(tid)
            inc = self.track_incident.get(tid)
            if inc is not None:
                touched.add(inc)
                gone.append(tid)
        for track in sorted(changed, key=lambda t: t.track_id):
            tid = track.track_id
            if track.state is TrackState.LOST:
                self._drop(tid)
                if tid in self.track_incident:
                    touched.add(self.track_incident[tid])
                    gone.append(tid)
                continue
            why = self._threat(track, assessments.get(tid))
            inc_id = self.track_incident.get(tid)
            if inc_id is None:
                if why is None:
                    continue
                inc_id = self._nearest_open(track) or self._open(at, tid)
                self.track_incident[tid] = inc_id
                self._members[inc_id].append(tid)
            self._live[tid] = track
            if why is None:
                self._why.pop(tid, None)
            else:
                self._why[tid] = why
            touched.add(inc_id)
        refreshed = [self._refresh(i, at) for i in sorted(touched)]
        for tid in gone:  # its incident has been told; its id never comes back
            self.track_incident.pop(tid, None)
        for incident in refreshed:
            if incident.ended:
                self._ended.setdefault(incident.incident_id, at)
        self._forget(at)
        return refreshed

    def _forget(self, at: datetime) -> None:
        for inc_id, ended_at in list(self._ended.items()):
            if (at - ended_at).total_seconds() < self.retain_s:
                break
            del self._ended[inc_id]
            self.incidents.pop(inc_id, None)
            self._members.pop(inc_id, None)

    def _drop(self, tid: str) -> None:
        self._live.pop(tid, None)
        self._why.pop(tid, None)

    def _threat(self, track: Track, assessment: Assessment | None) -> str | None:
        """Why the track may drive alerts now, or None."""
        if track.state not in (TrackState.CONFIRMED, TrackState.COASTING):
            return None
        if self.threat_rule is not None:
            return self.threat_rule.why(track, assessment)
        return f"identified {track.identity.value}" if track.identity.threatening else None

    def threat_reason(self, track_id: str) -> str | None:
        """Why a live member track counts for alerts now (None: it does not)."""
        return self._why.get(track_id)

    def is_live(self, track_id: str) -> bool:
        """The track is a member of an incident and still in the picture."""
        return track_id in self._live

    def is_threat(self, track_id: str) -> bool:
        """Does this live track count for alerts now (in an open incident)?"""
        inc_id = self.track_incident.get(track_id)
        return track_id in self._why and inc_id is not None and not self.incidents[inc_id].ended

    def threats(self) -> list[tuple[str, Track, str]]:
        """(incident id, track, why) of every live track that counts for alerts now, in
        open incidents, by track id."""
        out = []
        for tid, why in sorted(self._why.items()):
            inc_id = self.track_incident[tid]
            if not self.incidents[inc_id].ended:
                out.append((inc_id, self._live[tid], why))
        return out

    def _open(self, at: datetime, seed: str) -> str:
        """A new incident, its id a digest of the track that opened it and when: stable
        on replay, yet it tells no sequence (how many incidents there were) and no area,
        since partners see ids of incidents whose other parts are withheld from them."""
        n = 0
        while True:
            digest = hashlib.blake2b(f"{seed}|{at.isoformat()}|{n}".encode(), digest_size=6)
            inc_id = f"I{digest.hexdigest()}"
            if inc_id not in self.incidents:
                break
            n += 1
        self.incidents[inc_id] = Incident(
            incident_id=inc_id, opened_at=at, updated_at=at, track_ids=()
        )
        self._members[inc_id] = []
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
        members = sorted(self._members[inc_id])
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
        members = sorted(self._members.get(inc_id, ()))
        return [self._live[tid] for tid in members if tid in self._live]
