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

import bisect
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from warnline.alerting import Alerting, IncidentBook
from warnline.alerting.manual import ManualBook, ManualRules
from warnline.alerting.manual_fold import (
    MANUAL_INPUTS,
    alert_event,
    fold_manual_input,
    manual_expiries,
)
from warnline.domain import (
    Assessment,
    Assignment,
    Incident,
    Position,
    Report,
    ThreatKind,
    Track,
    TrackState,
)
from warnline.domain.incident import Answer, Override, Readiness
from warnline.journal import Entry, Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import Received, event, payload
from warnline.response import LeadProcedure

REPORT_SLACK_S = 5.0  # a partner's usual link delay: within it a silent track is not late yet
MAX_BATCH_REPORTS = 20_000  # one picture batch at most: bounds memory and a batch's latency
MAX_PARTNER_LAG_S = 300.0  # a partner's own mark trails the watermark by at most this
PARTNER_SILENT_S = 120.0  # not heard from for this long, a partner's tracks age with the rest
SCAN_GAP_S = 1.0  # a sensor's reports this far apart are two scans (periods are 2 s or more)


HELD_KINDS = frozenset({ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE})  # fly on unseen
MAX_HOLD_S = 1800.0  # the longest a threat lost from view keeps warning on its last course
LOW_ALTITUDE_M = 1000.0  # a strike weapon this low over a defended area may have struck
STRUCK_WITHIN_S = 30.0  # lost this close to a defended area: as likely struck as gone unseen


class PictureStage(Protocol):
    def ingest(self, reports: Sequence[Report]) -> list[Track]: ...
    def expire(
        self,
        at: datetime,
        partner_marks: Mapping[str, datetime] | None = None,
        ending: frozenset[str] = frozenset(),
    ) -> list[Track]: ...
    def faded(self) -> frozenset[str]: ...
    def tracks(self) -> list[Track]: ...
    def get(self, track_id: str) -> Track | None: ...


class AsyncPictureStage(PictureStage, Protocol):
    """A picture that folds in another process (`picture.remote`): the decision loop
    awaits these, and the event loop answers requests meanwhile."""

    async def ingest_async(self, reports: Sequence[Report]) -> list[Track]: ...
    async def expire_async(
        self, at: datetime, partner_marks: Mapping[str, datetime], ending: frozenset[str]
    ) -> list[Track]: ...


@dataclass(frozen=True, slots=True)
class Ingest:
    """The fold asks the picture to correlate a batch."""

    reports: list[Report]


@dataclass(frozen=True, slots=True)
class Expire:
    """The fold asks the picture to let time pass to `at`."""

    at: datetime
    partner_marks: Mapping[str, datetime]
    ending: frozenset[str]


PictureCall = Ingest | Expire
Fold = Generator[PictureCall, list[Track], list[Event]]  # a fold, paused at each picture call


def _call(picture: PictureStage, call: PictureCall) -> list[Track]:
    if isinstance(call, Ingest):
        return picture.ingest(call.reports)
    return picture.expire(call.at, call.partner_marks, call.ending)


class AssessStage(Protocol):
    def assess(self, tracks: Sequence[Track], at: datetime) -> list[Assessment]: ...
    def overrun_s(self, tracks: Sequence[Track], at: datetime) -> list[float]: ...


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
        manual_rules: ManualRules | None = None,
    ) -> None:
        self.picture = picture
        self.assessor = assessor
        self.incidents = incidents
        self.alerting = alerting
        self.assigner = assigner
        self.reassess_s = reassess_s
        self.max_watermark_lag_s = max_watermark_lag_s
        self.assessments: dict[str, Assessment] = {}
        self.manual = ManualBook(cell=alerting.agreement.coordination_cell, rules=manual_rules)
        self.tracks_created = 0  # tracks that were ever confirmed (clutter's never are)
        self.tracks_started = 0  # every track, tentative ones included
        self.reports_seen = 0
        self._assessed_at: dict[str, datetime] = {}
        self._dirty: dict[str, Track] = {}
        self._last_assessed_track: dict[str, Track] = {}
        self._force: set[str] = set()
        self._highest_serial = 0  # track ids are serial: T000001, T000002, ...
        self._confirmed: set[str] = set()  # live tracks that have been confirmed
        # A threat lost from view -> the latest end of its hold, and the areas it may keep.
        self._held: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._batch: list[Report] = []  # the submission being read
        self._submission: str | None = None
        self._group: list[Report] = []  # complete submissions since the last tick
        self._group_sensors: set[tuple[str, str]] = set()
        self._newest_report: datetime | None = None
        self._heard_at: datetime | None = None  # when the latest report was journaled
        self._partner_newest: dict[str, datetime] = {}  # newest observation, per partner
        self._partner_heard: dict[str, datetime] = {}  # when its latest was journaled

    def process(self, entries: Sequence[Entry]) -> list[Event]:
        """Fold `entries` in journal order; return the decisions they caused. The
        picture is called in this thread (`process_async` awaits one that is not).

        The reports journaled between two ticks go to the picture as one batch
        (association within a batch is global), except that a submission from a sensor
        already in the batch starts a new one (a sensor's second scan is not a second
        view of the same instant). A node that falls behind thus takes bigger batches,
        not more of them - the cost of a batch is mostly fixed, so this is what keeps it
        from falling further behind. Everything is held until the next tick or other
        input, so decisions never depend on how reads were chunked.
        """
        fold = self._fold(entries)
        try:
            call = next(fold)
            while True:
                call = fold.send(_call(self.picture, call))
        except StopIteration as done:
            decisions: list[Event] = done.value
        return decisions

    async def process_async(self, entries: Sequence[Entry]) -> list[Event]:
        """`process`, awaiting a picture that folds in another process: the same calls
        in the same order, so the same decisions, and the event loop runs meanwhile."""
        if not hasattr(self.picture, "ingest_async"):
            return self.process(entries)
        remote: AsyncPictureStage = self.picture  # type: ignore[assignment]
        fold = self._fold(entries)
        try:
            call = next(fold)
            while True:
                if isinstance(call, Ingest):
                    tracks = await remote.ingest_async(call.reports)
                else:
                    tracks = await remote.expire_async(call.at, call.partner_marks, call.ending)
                call = fold.send(tracks)
        except StopIteration as done:
            decisions: list[Event] = done.value
        return decisions

    def _fold(self, entries: Sequence[Entry]) -> Fold:
        """The fold itself: it yields each call to the picture and takes its answer."""
        out: list[Event] = []
        for entry in entries:
            ev = entry.event
            if ev.kind == Kind.MANUAL_REPORT:  # the note beside a report: nothing to decide
                continue
            if ev.kind == Kind.REPORT:
                received = payload(ev, Received)
                sub = received.submission
                if self._batch and sub != self._submission:
                    yield from self._close_submission()
                self._submission = sub
                report = received.report
                self._batch.append(report)
                self._heard_at = ev.at
                self._partner_heard[report.partner] = ev.at
                continue
            yield from self._close_submission()
            yield from self._flush()
            if ev.kind == Kind.TICK:
                out.extend((yield from self._tick(ev.at, entry.seq)))
            elif ev.kind in (Kind.ANSWER, Kind.OVERRIDE, Kind.READINESS):
                out.extend(_assignment_event(a) for a in self._response_input(ev))
            elif ev.kind in MANUAL_INPUTS:
                out.extend(fold_manual_input(ev, self.manual, self.alerting))
        return out

    def _response_input(self, ev: Event) -> list[Assignment]:
        """Commanders' answers and the cell's overrides are decided on at once, in
        journal order, so replay meets them exactly where they were first met."""
        if ev.kind == Kind.READINESS:
            self.assigner.declare(payload(ev, Readiness))
            return []
        if ev.kind == Kind.ANSWER:
            a = payload(ev, Answer)
            return self.assigner.answer(
                a.incident_id, a.partner, a.accept, a.user, ev.at, version=a.version
            )
        o = payload(ev, Override)
        return self.assigner.override(o.incident_id, o.lead, o.user, o.reason, ev.at)

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

    def _close_submission(self) -> Generator[PictureCall, list[Track], None]:
        """The submission being read is complete: add it to the batch in the making,
        one scan of each sensor at a time."""
        if not self._batch:
            return
        for part in scans(self._batch):
            sensors = {(r.partner, r.sensor) for r in part}
            if sensors & self._group_sensors or len(self._group) >= MAX_BATCH_REPORTS:
                yield from self._flush()
            self._group.extend(part)
            self._group_sensors |= sensors
        self._batch = []

    def _flush(self) -> Generator[PictureCall, list[Track], None]:
        if self._group:
            yield from self._reports(self._group)
            self._group = []
            self._group_sensors = set()

    def _reports(self, reports: list[Report]) -> Generator[PictureCall, list[Track], None]:
        self.reports_seen += len(reports)
        newest = max(r.observed_at for r in reports)
        if self._newest_report is None or newest > self._newest_report:
            self._newest_report = newest
        for r in reports:
            seen = self._partner_newest.get(r.partner)
            if seen is None or r.observed_at > seen:
                self._partner_newest[r.partner] = r.observed_at
        for track in (yield Ingest(reports)):
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
        self._held.pop(track_id, None)

    def watermark(self, at: datetime) -> datetime:
        """The time up to which the picture may age tracks at a tick at `at`: the
        reports' own clock while they keep coming, however late; once none has been
        journaled for `max_watermark_lag_s`, that clock runs on with the ticks."""
        if self._newest_report is None or self._heard_at is None:
            return at
        silent = (at - self._heard_at).total_seconds() - self.max_watermark_lag_s
        mark = self._newest_report + timedelta(seconds=REPORT_SLACK_S + max(silent, 0.0))
        return min(at, mark)

    def _silent(self, at: datetime) -> bool:
        """Has no report at all been journaled for `max_watermark_lag_s`?"""
        if self._heard_at is None:
            return True
        return (at - self._heard_at).total_seconds() > self.max_watermark_lag_s

    def _hold(self, lost: list[Track], at: datetime) -> set[str]:
        """Of the threats that just fell silent, the ones whose warnings stand on their
        last course; return their ids.

        A drone or cruise missile the picture ended without a landing (it fell silent,
        or its sensors looked and did not find it) away from any defended area is more
        likely out of view than struck: low drones along a border come and go at the
        edge of a radar's horizon. An all-clear then tells people to come out while it
        flies on (the exercise's premature all-clears; the 40-minute raid's two missed
        entries, drones unseen for 14 minutes). So it stays in its incident as a
        coasting track, assessed like one (dead reckoning from its last fix), until its
        course endangers no area, it is past its likeliest target, or MAX_HOLD_S have
        passed; unseen, it keeps the areas it endangered when it vanished and adds none
        (dead reckoning alone warned Saudi Arabia of a drone that had struck in
        Jordan). One that vanished at a defended area ends at once, as does anything
        that landed; the picture keeps no track of either, so no false track is drawn.
        When the whole coalition has fallen silent (no report for `max_watermark_lag_s`),
        every track fades for that reason alone: nothing is held, and what was held ends,
        as a silent coalition's alerts end (decision 45)."""
        faded = self.picture.faded()
        held = [
            replace(t, state=TrackState.COASTING)
            for t in lost
            if t.track_id in faded
            and t.kind in HELD_KINDS
            and self.incidents.is_threat(t.track_id)
            and (a := self.assessments.get(t.track_id)) is not None
            and a.areas
            and not _at_a_target(a, at)
        ]
        for track, overrun in zip(held, self.assessor.overrun_s(held, at), strict=True):
            areas = frozenset(r.area_id for r in self.assessments[track.track_id].areas)
            until = at + timedelta(seconds=min(MAX_HOLD_S, overrun))
            self._held[track.track_id] = (until, areas)
            self._dirty[track.track_id] = track
            self._force.add(track.track_id)
        return {t.track_id for t in held}

    def _at_targets(self, at: datetime) -> frozenset[str]:
        """Live drones and cruise missiles whose course has brought them, low, to a
        defended area by `at`: where a strike weapon's reports stop because it struck."""
        out = []
        for tid, a in self.assessments.items():
            if not a.areas:  # most tracks, in a large picture: nothing to look up
                continue
            track = self._last_assessed_track.get(tid)
            if (
                track is None
                or tid in self._held
                or track.kind not in HELD_KINDS
                or track.position.alt_m > LOW_ALTITUDE_M
            ):
                continue
            if any(r.area_kind == "defended" and r.expected_at <= at for r in a.areas):
                out.append(tid)
        return frozenset(out)

    def partner_marks(self, at: datetime, watermark: datetime) -> dict[str, datetime]:
        """Per partner still reporting, the time up to which tracks resting on its
        reports alone may age: its own newest observation plus the slack, never later
        than the watermark nor more than `MAX_PARTNER_LAG_S` behind it.

        The watermark follows the newest report of any partner. A partner whose reports
        come minutes late (its link, its system, a simulated partner on a loaded
        machine) would otherwise see each of its own tracks coast and drop between two
        of its submissions and be born again on the next: at 20x the exercise made 161
        tracks of 47. A partner not heard from for `PARTNER_SILENT_S` has no mark: its
        tracks age with the rest. That is longer than the coalition's silence bound
        (`max_watermark_lag_s`): a partner that sends in bursts (a loaded system, a
        congested link) is late, not gone, and only its own tracks wait for it."""
        floor = watermark - timedelta(seconds=MAX_PARTNER_LAG_S)
        slack = timedelta(seconds=REPORT_SLACK_S)
        return {
            p: min(watermark, max(floor, newest + slack))
            for p, newest in self._partner_newest.items()
            if (at - self._partner_heard[p]).total_seconds() <= PARTNER_SILENT_S
        }

    def _tick(self, at: datetime, seq: int) -> Fold:
        mark = self.watermark(at)
        changed = yield Expire(mark, self.partner_marks(at, mark), self._at_targets(at))
        # Tracks merged away or evicted since the last tick left the picture too.
        gone = [t for t in self._dirty.values() if t.state is TrackState.LOST]
        lost_now = {t.track_id: t for t in [*changed, *gone] if t.state is TrackState.LOST}
        if self._silent(at):  # the coalition fell silent, not the object: nothing is held
            kept: set[str] = set()
            ended = list(self._held)
        else:
            kept = self._hold([lost_now[tid] for tid in sorted(lost_now)], at)
            ended = [tid for tid, (until, _) in self._held.items() if until <= at]
            ended = [tid for tid in ended if tid not in kept]
        lost = sorted({*lost_now, *ended} - kept)
        for t in changed:
            if t.state is not TrackState.LOST:
                self._dirty[t.track_id] = t
                self._force.add(t.track_id)
        for track_id in lost:
            self._forget(track_id)
        for tid in self._held:  # a held track is reassessed as it coasts on
            last = self._assessed_at.get(tid)
            if last is None or (at - last).total_seconds() >= self.reassess_s:
                self._dirty.setdefault(tid, self._last_assessed_track[tid])
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
                hold = self._held.get(track.track_id)
                if hold is not None:  # unseen, it may keep warnings but raises none
                    kept_areas = tuple(r for r in assessment.areas if r.area_id in hold[1])
                    assessment = replace(assessment, areas=kept_areas)
                self.assessments[track.track_id] = assessment
                self._assessed_at[track.track_id] = at
                self._last_assessed_track[track.track_id] = track
                del self._dirty[track.track_id]
                self._force.discard(track.track_id)
            # A held track whose course now endangers nothing has ended.
            done = {t.track_id for t in due if t.track_id in self._held}
            done = {tid for tid in done if not self.assessments[tid].areas}
            if done:
                due = [t for t in due if t.track_id not in done]
                lost = sorted({*lost, *done})
                for tid in done:
                    self._forget(tid)
        before = {i.incident_id: _incident_key(i) for i in self.incidents.incidents.values()}
        changed_incidents = self.incidents.update(due, lost, at, self.assessments)
        out: list[Event] = []
        for inc in changed_incidents:
            if before.get(inc.incident_id) != _incident_key(inc):
                out.append(
                    event(Kind.INCIDENT, inc, event_id=f"incident:{inc.incident_id}:{seq}", at=at)
                )
        for alert in self.alerting.evaluate(self.incidents, self.assessments, at):
            out.append(alert_event(alert))
        out.extend(manual_expiries(self.manual, at))
        for assignment in self.assigner.evaluate(
            self.incidents.open_incidents(), self.alerting.active, at, self.incident_positions()
        ):
            out.append(_assignment_event(assignment))
        return out


def scans(reports: Sequence[Report]) -> list[list[Report]]:
    """A submission cut so that each part holds at most one scan of each sensor: its
    k-th part has the k-th scan of every sensor in it (a scan: a sensor's reports within
    `SCAN_GAP_S` of that scan's first, by observation time), reports in submission order.

    The picture takes one batch as one instant's views, so two reports of one sensor in
    a batch are two objects. A partner that sends every second has one scan per sensor
    in a submission; one that fell behind and sends ten seconds at once (as a partner
    should) has several, and each later scan of an object became a new track: at 20x
    the exercise's catching-up partners made 129 tracks of the 47 that 2x made."""
    first: dict[tuple[str, str], list[datetime]] = {}
    index: list[int] = []
    for r in sorted(reports, key=lambda r: r.observed_at):
        starts = first.setdefault((r.partner, r.sensor), [])
        if not starts or (r.observed_at - starts[-1]).total_seconds() >= SCAN_GAP_S:
            starts.append(r.observed_at)
    for r in reports:
        index.append(bisect.bisect_right(first[(r.partner, r.sensor)], r.observed_at) - 1)
    parts: list[list[Report]] = [[] for _ in range(max(index, default=-1) + 1)]
    for r, k in zip(reports, index, strict=True):
        parts[k].append(r)
    return [p for p in parts if p]


def _at_a_target(assessment: Assessment, at: datetime) -> bool:
    """Was the track at (or about to reach) a defended area when it vanished? Then its
    end is a strike as likely as not, and nothing is held for it."""
    edge = at + timedelta(seconds=STRUCK_WITHIN_S)
    return any(r.area_kind == "defended" and r.expected_at <= edge for r in assessment.areas)


def _incident_key(inc: Incident) -> tuple[object, ...]:
    return (inc.track_ids, tuple(inc.kinds.items()), inc.confirmed_hostile, inc.ended)


def _assignment_event(a: Assignment) -> Event:
    return event(
        Kind.ASSIGNMENT, a, event_id=f"assignment:{a.incident_id}:v{a.version}", at=a.decided_at
    )
