"""The decision follower: journaled inputs in, journaled decisions out.

picture -> assess -> alerting (incidents, lifecycle) -> response, driven only by what
the journal holds: reports move the picture, clock ticks (journaled inputs too) move
time. Nothing here reads a clock or a random source, so replaying the journal after
a crash gives the same decisions with the same event ids, which the journal then
ignores as already stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from warnline.agreement.model import Readiness
from warnline.alerting import Alerting, IncidentBook
from warnline.domain import (
    Alert,
    Assessment,
    Assignment,
    Incident,
    Position,
    Report,
    Track,
    TrackState,
)
from warnline.domain.codec import from_json, to_json
from warnline.journal import Entry, Event
from warnline.response import LeadProcedure
from warnline.response.inputs import ANSWER_KIND, OVERRIDE_KIND, READINESS_KIND

TICK_KIND = "clock.tick"
REPORT_KIND = "report.received"
INCIDENT_KIND = "incident.updated"
ALERT_KIND = "alert.issued"
ASSIGNMENT_KIND = "assignment.made"


class PictureStage(Protocol):
    def ingest(self, reports: Sequence[Report]) -> list[Track]: ...
    def expire(self, at: datetime) -> list[Track]: ...
    def tracks(self) -> list[Track]: ...
    def get(self, track_id: str) -> Track | None: ...


class AssessStage(Protocol):
    def assess(self, tracks: Sequence[Track], at: datetime) -> list[Assessment]: ...


class Pipeline:
    FOLLOWER = "pipeline"

    def __init__(
        self,
        *,
        picture: PictureStage,
        assessor: AssessStage,
        incidents: IncidentBook,
        alerting: Alerting,
        assigner: LeadProcedure,
        reassess_s: float = 2.0,
    ) -> None:
        self.picture = picture
        self.assessor = assessor
        self.incidents = incidents
        self.alerting = alerting
        self.assigner = assigner
        self.reassess_s = reassess_s
        self.assessments: dict[str, Assessment] = {}
        self.tracks_created = 0
        self.reports_seen = 0
        self._assessed_at: dict[str, datetime] = {}
        self._dirty: dict[str, Track] = {}
        self._last_assessed_track: dict[str, Track] = {}
        self._force: set[str] = set()
        self._known_tracks: set[str] = set()
        self._batch: list[Report] = []
        self._submission: str | None = None

    def process(self, entries: Sequence[Entry]) -> list[Event]:
        """Fold `entries` in journal order; return the decisions they caused.

        The reports of one submission go to the picture as one batch (association
        within a batch is global), and a submission split across two calls is held
        until it is complete, so decisions never depend on how reads were chunked.
        """
        out: list[Event] = []
        for entry in entries:
            ev = entry.event
            if ev.kind == REPORT_KIND:
                sub = ev.payload.get("submission")
                if self._batch and sub != self._submission:
                    self._flush()
                self._submission = sub
                self._batch.append(from_json(Report, ev.payload["report"]))
                continue
            self._flush()
            if ev.kind == TICK_KIND:
                out.extend(self._tick(ev.at, entry.seq))
            elif ev.kind in (ANSWER_KIND, OVERRIDE_KIND, READINESS_KIND):
                out.extend(_assignment_event(a) for a in self._response_input(ev))
        return out

    def _response_input(self, ev: Event) -> list[Assignment]:
        """Commanders' answers and the cell's overrides are decided on at once, in
        journal order, so replay meets them exactly where they were first met."""
        p = ev.payload
        if ev.kind == READINESS_KIND:
            self.assigner.declare(from_json(Readiness, p))
            return []
        if ev.kind == ANSWER_KIND:
            return self.assigner.answer(
                p["incident_id"], p["partner"], bool(p["accept"]), p["user"], ev.at
            )
        return self.assigner.override(p["incident_id"], p["lead"], p["user"], p["reason"], ev.at)

    def incident_positions(self) -> dict[str, Position]:
        """Where each open incident is: its first track still in the picture."""
        out: dict[str, Position] = {}
        for inc in self.incidents.open_incidents():
            for track_id in inc.track_ids:
                track = self.picture.get(track_id)
                if track is not None:
                    out[inc.incident_id] = track.position
                    break
        return out

    def _flush(self) -> None:
        if self._batch:
            self._reports(self._batch)
            self._batch = []

    def _reports(self, reports: list[Report]) -> None:
        self.reports_seen += len(reports)
        for track in self.picture.ingest(reports):
            prev = self._dirty.get(track.track_id) or self._last_assessed_track.get(track.track_id)
            if track.track_id not in self._known_tracks:
                self._known_tracks.add(track.track_id)
                self.tracks_created += 1
                self._force.add(track.track_id)
            elif prev is not None and (
                prev.kind is not track.kind
                or prev.identity is not track.identity
                or prev.state is not track.state
            ):
                self._force.add(track.track_id)
            self._dirty[track.track_id] = track

    def _tick(self, at: datetime, seq: int) -> list[Event]:
        changed = self.picture.expire(at)
        lost = [t.track_id for t in changed if t.state is TrackState.LOST]
        for t in changed:
            if t.state is TrackState.LOST:
                self._dirty.pop(t.track_id, None)
                self.assessments.pop(t.track_id, None)
                self._last_assessed_track.pop(t.track_id, None)
                self._assessed_at.pop(t.track_id, None)
            else:
                self._dirty[t.track_id] = t
                self._force.add(t.track_id)
        due = [
            t
            for tid, t in sorted(self._dirty.items())
            if tid in self._force
            or tid not in self._assessed_at
            or (at - self._assessed_at[tid]).total_seconds() >= self.reassess_s
        ]
        if due:
            for track, assessment in zip(due, self.assessor.assess(due, at), strict=True):
                self.assessments[track.track_id] = assessment
                self._assessed_at[track.track_id] = at
                self._last_assessed_track[track.track_id] = track
                del self._dirty[track.track_id]
            self._force.clear()
        before = {i.incident_id: _incident_key(i) for i in self.incidents.incidents.values()}
        changed_incidents = self.incidents.update(due, lost, at, self.assessments)
        out: list[Event] = []
        for inc in changed_incidents:
            if before.get(inc.incident_id) != _incident_key(inc):
                out.append(_event(INCIDENT_KIND, f"incident:{inc.incident_id}:{seq}", at, inc))
        for alert in self.alerting.evaluate(self.incidents, self.assessments, at):
            out.append(_event(ALERT_KIND, f"alert:{alert.alert_id}:v{alert.version}", at, alert))
        for assignment in self.assigner.evaluate(
            self.incidents.open_incidents(), self.alerting.active, at, self.incident_positions()
        ):
            out.append(_assignment_event(assignment))
        return out


def _incident_key(inc: Incident) -> tuple[object, ...]:
    return (inc.track_ids, tuple(inc.kinds.items()), inc.confirmed_hostile, inc.ended)


def _assignment_event(a: Assignment) -> Event:
    return _event(ASSIGNMENT_KIND, f"assignment:{a.incident_id}:v{a.version}", a.decided_at, a)


def _event(kind: str, event_id: str, at: datetime, obj: Incident | Alert | Assignment) -> Event:
    return Event(event_id=event_id, kind=kind, at=at, payload=to_json(obj))
