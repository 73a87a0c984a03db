"""What endangers each area now: every eligible threat track of every open incident whose
assessment puts the area at risk, grouped per (area, CAP status).

An area belongs to one partner, so one exposure per area is one per (recipient, area).
The CAP status splits it only in a live coalition that also runs an injected exercise
feed: real and exercise threats never share an alert (a real one overrides).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from warnline.alerting.incidents import IncidentBook
from warnline.domain import AlertStatus, Assessment, ThreatKind, Track, TrackState

__all__ = ["COURSE_SHOWN_S", "Exposure", "Threat", "course_shown_at", "exposures", "status_of"]

# A drone, cruise missile or object of unknown kind seen for less than this has not yet
# shown its course: its first seconds are a velocity, not a route (a loitering decoy
# points at each area around it in turn, and a steady turn is proven over 30 s of it).
COURSE_SHOWN_S = 40.0
_FALLING = frozenset({ThreatKind.BALLISTIC_MISSILE, ThreatKind.ROCKET})
_AIR_BREATHING_MAX_SPEED_MS = 700.0  # faster, or higher, it falls where physics says
_AIR_BREATHING_MAX_ALT_M = 15_000.0


@dataclass(frozen=True, kw_only=True)
class Threat:
    """One track endangering one area."""

    track_id: str
    incident_id: str
    kind: ThreatKind
    expected_at: datetime
    why: str  # "identified hostile", or the threat rule's reason
    released: bool = True  # some report behind the track was released to the area's owner
    unseen_since: datetime | None = None  # coasting: when a partner last reported it
    course_shown_at: datetime | None = None  # from then on its course is one (see `credible`)

    def credible(self, at: datetime, shelter_s: float) -> bool:
        """May this threat order shelter now, in an area whose time to shelter is
        `shelter_s`? Once it has shown its course; before that only if waiting until it
        has would leave people less than their time to shelter. A velocity seen for
        three seconds is not a route: a loitering decoy points at each area around it in
        turn (seed 23: one pointing at Bahrain and the Saudi coast behind it put Saudi
        Arabia, 700 s away, under shelter), and its steady turn is proven within
        COURSE_SHOWN_S. It is warned of at once all the same (an early warning): holding
        the first warning too would cost every real threat that much latency."""
        shown = self.course_shown_at
        if shown is None or shown <= at:
            return True
        return (self.expected_at - shown).total_seconds() < shelter_s


@dataclass(frozen=True, kw_only=True)
class Exposure:
    """Everything endangering one area, earliest arrival first."""

    threats: tuple[Threat, ...]

    @property
    def expected_at(self) -> datetime:
        return self.threats[0].expected_at

    @property
    def incident_id(self) -> str:
        return self.threats[0].incident_id

    @property
    def kinds(self) -> dict[ThreatKind, int]:
        return dict(sorted(Counter(t.kind for t in self.threats).items()))

    @property
    def tracks(self) -> tuple[str, ...]:
        return tuple(sorted(t.track_id for t in self.threats))

    @property
    def withheld(self) -> tuple[str, ...]:
        """Tracks built only from reports not released to the area's owner."""
        return tuple(sorted(t.track_id for t in self.threats if not t.released))

    @property
    def incidents(self) -> tuple[str, ...]:
        return tuple(sorted({t.incident_id for t in self.threats}))

    def within(self, at: datetime, limit_s: float, shelter_s: float | None = None) -> set[str]:
        """Tracks arriving within `limit_s` of `at` (or already there); with `shelter_s`
        (the area's time to shelter), only those whose arrival is credible enough to
        order shelter on (see `Threat.credible`)."""
        edge = at + timedelta(seconds=limit_s)
        return {
            t.track_id
            for t in self.threats
            if t.expected_at <= edge and (shelter_s is None or t.credible(at, shelter_s))
        }

    def rule_notes(self) -> tuple[str, ...]:
        """ "T000003 treated as suspect under ...": the tracks only the threat rule made
        threats, so the reason says why an unlabelled track warns; and "T000012 not seen
        since 06:08:45Z, warned on its last course": a threat nobody reports now (out of
        view, or lost and held by the pipeline) is not told as one in sight."""
        notes = []
        for t in sorted(self.threats, key=lambda t: t.track_id):
            parts = [] if t.why.startswith("identified") else [t.why]
            if t.unseen_since is not None:
                parts.append(
                    f"not seen since {t.unseen_since:%H:%M:%S}Z, warned on its last course"
                )
            if parts:
                notes.append(f"{t.track_id} {', '.join(parts)}")
        return tuple(notes)


def status_of(track: Track, *, exercise_coalition: bool, exercise_prefix: str) -> AlertStatus:
    """Exercise for a whole coalition in exercise; otherwise actual as soon as one real
    sensor (not an injected exercise feed, whose ids start with the prefix) sees it."""
    if exercise_coalition:
        return AlertStatus.EXERCISE
    if any(not c.sensor.startswith(exercise_prefix) for c in track.contributors):
        return AlertStatus.ACTUAL
    return AlertStatus.EXERCISE


def exposures(
    book: IncidentBook,
    assessments: Mapping[str, Assessment],
    at: datetime,
    *,
    horizon_s: float,
    exercise_coalition: bool,
    exercise_prefix: str,
) -> dict[tuple[str, AlertStatus], Exposure]:
    horizon = at + timedelta(seconds=horizon_s)
    found: dict[tuple[str, AlertStatus], list[Threat]] = {}
    for inc_id, track, why in book.threats():
        a = assessments.get(track.track_id)
        if a is None:
            continue
        status = status_of(
            track, exercise_coalition=exercise_coalition, exercise_prefix=exercise_prefix
        )
        for risk in a.areas:
            if risk.expected_at > horizon:
                continue
            found.setdefault((risk.area_id, status), []).append(
                Threat(
                    track_id=track.track_id,
                    incident_id=inc_id,
                    kind=track.kind,
                    expected_at=risk.expected_at,
                    why=why,
                    released=track.released_to(risk.partner),
                    unseen_since=_last_heard(track) if track.state is TrackState.COASTING else None,
                    course_shown_at=course_shown_at(track),
                )
            )
    return {
        key: Exposure(threats=tuple(sorted(ts, key=lambda t: (t.expected_at, t.track_id))))
        for key, ts in found.items()
    }


def course_shown_at(track: Track) -> datetime:
    """When a track will have shown its course: COURSE_SHOWN_S after it was first seen
    for what may fly a route of its own choosing; at once for what falls (a ballistic
    object's path is physics, and its warning time is short)."""
    v = track.velocity
    fast = math.hypot(v.east, v.north) > _AIR_BREATHING_MAX_SPEED_MS
    if track.kind in _FALLING or fast or track.position.alt_m > _AIR_BREATHING_MAX_ALT_M:
        return track.first_seen
    return track.first_seen + timedelta(seconds=COURSE_SHOWN_S)


def _last_heard(track: Track) -> datetime:
    return max((c.last_report_at for c in track.contributors), default=track.updated_at)
