"""The decision follower: journaled inputs in, journaled decisions out.

picture -> assess -> alerting (incidents, lifecycle) -> response, driven only by what
the journal holds: reports move the picture, clock ticks (journaled inputs too) move
time. Nothing here reads a clock or a random source, so replaying the journal after
a crash gives the same decisions with the same event ids, which the journal then
ignores as already stored.

Tracks age by the reports' own clock, not by the ticks': a node that falls behind (a
loaded machine, a slow link) journals its ticks on time while the reports they should
have followed are still on their way, and tracks would coast and drop - and objects be
born twice - only because the node was late. So the picture is expired at the report
watermark (the newest observation seen, plus `REPORT_SLACK_S`), never later than the tick.
When no report at all has been journaled for `max_watermark_lag_s` (20 s), the coalition
has fallen silent and time must still pass, so alerts end: the watermark then runs on with
the ticks from there. The bound is on silence, not on lateness: a feed uniformly minutes
late keeps its own clock (a bound on lateness - 20 s behind the tick - dropped every
tentative track of a node running 2 s of wall time behind at 12x; 300 s held every alert
open for minutes after a raid ended; see decision 34). Decisions then depend on what
partners said, not on how late the node heard it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
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
REPORT_SLACK_S = 5.0  # a partner's usual link delay: within it a silent track is not late yet
MAX_BATCH_REPORTS = 20_000  # one picture batch at most: bounds memory and a batch's latency


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
        max_watermark_lag_s: float = 20.0,
    ) -> None:
        self.picture = picture
        self.assessor = assessor
        self.incidents = incidents
        self.alerting = alerting
        self.assigner = assigner
        self.reassess_s = reassess_s
        self.max_watermark_lag_s = max_watermark_lag_s
        self.assessments: dict[str, Assessment] = {}
        self.tracks_created = 0  # tracks that were ever confirmed (clutter's never are)
        self.tracks_started = 0  # every track, tentative ones included
        self.reports_seen = 0
        self._assessed_at: dict[str, datetime] = {}
        self._dirty: dict[str, Track] = {}
        self._last_assessed_track: dict[str, Track] = {}
        self._force: set[str] = set()
        self._highest_serial = 0  # track ids are serial: T000001, T000002, ...
        self._confirmed: set[str] = set()  # live tracks that have been confirmed
        self._batch: list[Report] = []  # the submission being read
        self._submission: str | None = None
        self._group: list[Report] = []  # complete submissions since the last tick
        self._group_sensors: set[tuple[str, str]] = set()
        self._newest_report: datetime | None = None
        self._heard_at: datetime | None = None  # when the latest report was journaled

    def process(self, entries: Sequence[Entry]) -> list[Event]:
        """Fold `entries` in journal order; return the decisions they caused.

        The reports journaled between two ticks go to the picture as one batch
        (association within a batch is global), except that a submission from a sensor
        already in the batch starts a new one (a sensor's second scan is not a second
        view of the same instant). A node that falls behind thus takes bigger batches,
        not more of them - the cost of a batch is mostly fixed, so this is what keeps it
        from falling further behind. Everything is held until the next tick or other
        input, so decisions never depend on how reads were chunked.
        """
        out: list[Event] = []
        for entry in entries:
            ev = entry.event
            if ev.kind == REPORT_KIND:
                sub = ev.payload.get("submission")
                if self._batch and sub != self._submission:
                    self._close_submission()
                self._submission = sub
                self._batch.append(from_json(Report, ev.payload["report"]))
                self._heard_at = ev.at
                continue
            self._close_submission()
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
                p["incident_id"], p["partner"], bool(p["accept"]), p["user"], ev.at,
                version=p.get("version"),
            )  # fmt: skip
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

    def _close_submission(self) -> None:
        """The submission being read is complete: add it to the batch in the making."""
        if not self._batch:
            return
        sensors = {(r.partner, r.sensor) for r in self._batch}
        if sensors & self._group_sensors or len(self._group) >= MAX_BATCH_REPORTS:
            self._flush()
        self._group.extend(self._batch)
        self._group_sensors |= sensors
        self._batch = []

    def _flush(self) -> None:
        if self._group:
            self._reports(self._group)
            self._group = []
            self._group_sensors = set()

    def _reports(self, reports: list[Report]) -> None:
        self.reports_seen += len(reports)
        newest = max(r.observed_at for r in reports)
        if self._newest_report is None or newest > self._newest_report:
            self._newest_report = newest
        for track in self.picture.ingest(reports):
            prev = self._dirty.get(track.track_id) or self._last_assessed_track.get(track.track_id)
            serial = int(track.track_id[1:])
            if serial > self._highest_serial:
                self._highest_serial = serial
                self.tracks_started += 1
                self._force.add(track.track_id)
            elif prev is not None and (
                prev.kind is not track.kind
                or prev.identity is not track.identity
                or prev.state is not track.state
            ):
                self._force.add(track.track_id)
            if track.state is TrackState.CONFIRMED and track.track_id not in self._confirmed:
                self._confirmed.add(track.track_id)
                self.tracks_created += 1
            self._dirty[track.track_id] = track

    def _forget(self, track_id: str) -> None:
        self._dirty.pop(track_id, None)
        self.assessments.pop(track_id, None)
        self._last_assessed_track.pop(track_id, None)
        self._assessed_at.pop(track_id, None)
        self._force.discard(track_id)
        self._confirmed.discard(track_id)

    def watermark(self, at: datetime) -> datetime:
        """The time up to which the picture may age tracks at a tick at `at`: the
        reports' own clock while they keep coming, however late; once none has been
        journaled for `max_watermark_lag_s`, that clock runs on with the ticks."""
        if self._newest_report is None or self._heard_at is None:
            return at
        silent = (at - self._heard_at).total_seconds() - self.max_watermark_lag_s
        mark = self._newest_report + timedelta(seconds=REPORT_SLACK_S + max(silent, 0.0))
        return min(at, mark)

    def _tick(self, at: datetime, seq: int) -> list[Event]:
        changed = self.picture.expire(self.watermark(at))
        # Tracks merged away or evicted since the last tick left the picture too.
        gone = [t for t in self._dirty.values() if t.state is TrackState.LOST]
        lost = sorted({t.track_id for t in [*changed, *gone] if t.state is TrackState.LOST})
        for t in changed:
            if t.state is not TrackState.LOST:
                self._dirty[t.track_id] = t
                self._force.add(t.track_id)
        for track_id in lost:
            self._forget(track_id)
        # A tentative track cannot alert: it is assessed once it is confirmed.
        due = [
            t
            for tid, t in sorted(self._dirty.items())
            if t.state is not TrackState.TENTATIVE
            and (
                tid in self._force
                or tid not in self._assessed_at
                or (at - self._assessed_at[tid]).total_seconds() >= self.reassess_s
            )
        ]
        if due:
            for track, assessment in zip(due, self.assessor.assess(due, at), strict=True):
                self.assessments[track.track_id] = assessment
                self._assessed_at[track.track_id] = at
                self._last_assessed_track[track.track_id] = track
                del self._dirty[track.track_id]
                self._force.discard(track.track_id)
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
