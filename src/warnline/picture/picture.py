"""The picture stage: reports from many partners in, coalition tracks out.

One batch goes through the roles in a fixed order:

1. sensor-track continuity - a report whose (partner, sensor, sensor_track) already
   feeds a live track goes back to it if it passes that track's gate;
2. hypothesiser + associator - the other reports are gated against every live track
   and assigned by global nearest neighbour;
3. initiator - what is still unassigned starts tentative tracks;
4. updater - each track's filter takes its reports in time order;
5. fusion - kind, identity, confidence and contributors are brought up to date;
6. merger - tracks that proved to be one object become one;
7. deleter - a partner over its quota of tracks that rest on its reports alone gives
   up its own stalest; if the picture is over its size limit, the stalest tracks go.

Every batch also teaches the sensor watch (`watch`) when each sensor was heard, its
revisit and its coverage; `expire` ends a confirmed track that every sensor which was
reporting it has since looked past (a drone that struck), rather than coasting it on
(`silence` weighs what they say).

Later reports of a sensor track that appears for the first time in a batch follow the
first one, wherever it went. A report older than its track's state is used as an
out-of-sequence measurement and never winds the track back (see `updater`).

Nothing here reads a clock: time is what the reports and `expire(at)` say, and every
choice is made in a canonical order (reports sorted by time, partner, sensor and id;
tracks by slot or id), so replaying the same inputs gives the same tracks, ids and
states.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from warnline.domain import Report, Track, TrackState
from warnline.domain.plane import RegionalPlane, regional_plane
from warnline.picture.associator import Associator
from warnline.picture.deleter import KNOWN_ALTITUDE_VAR, LANDED_AFTER_S, Deleter
from warnline.picture.hypothesiser import Hypothesiser
from warnline.picture.initiator import Initiator
from warnline.picture.measurements import ReportBatch, make_batch, seconds
from warnline.picture.merger import Merge, Merger
from warnline.picture.models import UNANNOUNCED, FloatArray, IntArray
from warnline.picture.predictor import Predictor
from warnline.picture.silence import Looks, Verdict, verdict
from warnline.picture.snapshot import freeze
from warnline.picture.store import NO_OWNER, SensorTrackKey, TrackRecord, TrackStore
from warnline.picture.updater import Updater
from warnline.picture.watch import SensorWatch

MIN_UNSEEN_S = 4.0  # silent for less, a track is never judged unseen (a scan or two)


@dataclass(frozen=True, kw_only=True, slots=True)
class Move:
    """A sensor track that went from one coalition track to another in this batch."""

    key: SensorTrackKey
    old: TrackRecord
    new: TrackRecord


class Picture:
    """Correlates partners' reports into coalition tracks and keeps their lifecycle.

    `gate` is in standard deviations (see `hypothesiser`). A track is CONFIRMED once the
    evidence behind it is what clutter cannot easily produce, and stays so: at least
    `confirm_reports` reports, and a track score - the summed log-likelihood ratio of its
    reports against clutter of `clutter_density` false plots per m³ - of `confirm_score`
    (e^15: three reports that fit a sharp track, never plots scattered in a wide gate). A
    TENTATIVE track never coasts: silent for `coast_after_s`, it is LOST. Returned lists
    are sorted by track id in creation order (T000001, ...).
    """

    def __init__(
        self,
        *,
        plane: RegionalPlane | None = None,
        gate: float = 4.0,
        clutter_density: float = 1e-14,
        confirm_score: float = 15.0,
        confirm_reports: int = 3,
        coast_after_s: float = 15.0,
        drop_after_s: float = 60.0,
        max_tracks: int = 20000,
        max_partner_tracks: int = 2500,
    ) -> None:
        if not gate > 0.0:
            raise ValueError("gate must be positive")
        self._plane = plane if plane is not None else regional_plane()
        self._clutter_density = clutter_density
        self._confirm_score = confirm_score
        self._confirm_reports = confirm_reports
        self._store = TrackStore()
        self._predictor = Predictor()
        self._hypothesiser = Hypothesiser(gate=gate, predictor=self._predictor)
        self._associator = Associator()
        self._initiator = Initiator(hypothesiser=self._hypothesiser, associator=self._associator)
        self._updater = Updater()
        self._merger = Merger(gate=gate, predictor=self._predictor)
        self._deleter = Deleter(
            coast_after_s=coast_after_s,
            drop_after_s=drop_after_s,
            max_tracks=max_tracks,
            max_partner_tracks=max_partner_tracks,
        )
        self._watch = SensorWatch()
        self._records: dict[str, TrackRecord] = {}
        self._links: dict[SensorTrackKey, TrackRecord] = {}
        # Kept only for a picture folding in another process (`remote`): what
        # `linked_track` answers now for the keys changed since `link_changes` last ran.
        self._link_log: dict[SensorTrackKey, str | None] | None = None
        self._serial = 0
        self._batches = 0
        self._faded: frozenset[str] = frozenset()
        self._partners: dict[str, int] = {}  # partner -> its code in `TrackStore.owner`

    @property
    def coast_after_s(self) -> float:
        """Silence after which a confirmed track coasts (a CoT track's stale time)."""
        return self._deleter.coast_after_s

    @property
    def drop_after_s(self) -> float:
        """Silence after which a coasting track leaves the picture."""
        return self._deleter.drop_after_s

    # -- the stage interface -------------------------------------------------------------

    def ingest(self, reports: Sequence[Report]) -> list[Track]:
        """Correlate one batch; return the tracks it created or changed, by track id.

        Tracks that leave the picture in this call are among them, as LOST: one merged
        into an older track (its reports now count there), or one evicted because the
        picture was over `max_tracks`. A track both created and merged away within the
        call is never shown.
        """
        if not reports:
            return []
        self._batches += 1
        batch = make_batch(self._plane, reports)
        self._watch.observe(batch)
        n = len(batch)
        target = np.full(n, -1, np.intp)
        keys, leader = self._sensor_track_keys(batch)
        lead = leader == np.arange(n)
        self._continue_sensor_tracks(batch, keys, lead, target)
        self._associate(batch, lead, target)
        seeds, born = self._initiator.initiate(
            self._store, batch, np.flatnonzero(lead & (target < 0)), target
        )
        self._create_records(batch, seeds, born)
        target[~lead] = target[leader[~lead]]
        filtered = np.ones(n, dtype=bool)
        filtered[seeds] = False
        rest = np.flatnonzero(filtered)
        self._score(batch, rest, target[rest])
        self._updater.update(self._store, batch, rest, target[rest])
        touched, moved = self._record_reports(batch, keys, target)
        touched, absorbed = self._merge(touched, moved, float(batch.t.max()))
        freeze(self._store, self._plane, self._predictor, touched, at=None)
        out = {record.serial: record.snapshot for record in touched}
        for record in absorbed:
            if record.snapshot is not None:  # downstream knew it: tell it the track is gone
                out[record.serial] = replace(record.snapshot, state=TrackState.LOST)
        for record in self._evict():
            out[record.serial] = replace(self._snapshot(record), state=TrackState.LOST)
        return [self._checked(out[serial]) for serial in sorted(out)]

    def linked_track(self, key: SensorTrackKey) -> str | None:
        """The track a sensor's own track (partner, sensor, its track id) is linked to
        now; None if none is, or it left the picture (the incident timeline asks)."""
        record = self._links.get(key)
        return None if record is None else record.track_id

    def link_changes(self) -> dict[SensorTrackKey, str | None]:
        """The sensor tracks whose `linked_track` changed since the last call, with its
        answer now; from the first call on, every change is kept until asked for."""
        if self._link_log is None:
            self._link_log = {key: record.track_id for key, record in self._links.items()}
        out, self._link_log = self._link_log, {}
        return out

    def expire(
        self,
        at: datetime,
        partner_marks: Mapping[str, datetime] | None = None,
        ending: frozenset[str] = frozenset(),
    ) -> list[Track]:
        """Let time pass: confirmed tracks silent for `coast_after_s` become COASTING,
        those silent for `drop_after_s` - tentative ones silent for `coast_after_s`, and
        falling ones gravity has brought to the ground - are returned LOST, once, and
        removed. A track resting on one partner's reports alone ages only to that
        partner's mark in `partner_marks`, if it has one (it is late, not silent).

        Sooner than that, a confirmed track ends when its sensors have looked for it and
        not found it, or - a drone or cruise missile - when every sensor that had it fell
        silent with it, at the coasting age (see `silence`). `ending` names tracks that
        downstream expects to end: strike weapons at a target, whose reports stop where
        they hit. Their sensors' scans are judged where the track would have been at
        each scan, not where it would be now: a dead-reckoned position past the impact
        soon lies where nothing was ever reported, and the track coasted on there for
        the drop age. Elsewhere the position now is kept, since a sensor's coverage edge
        inside a cell (a horizon) looks the same as an impact in its scans since.

        A track is returned when its state changes, so a COASTING track is returned once;
        its position is extrapolated to `at`, which is also its `updated_at` (the time
        its position refers to; its contributors keep the times partners last spoke).
        """
        self._faded = frozenset()
        live = self._store.live()
        if len(live) == 0:
            return []
        age = seconds(at) - self._store.t[live]
        if partner_marks:
            # A mark only makes a track younger, and one silent for less than any age
            # that changes a state is left as it is: only the older ones are looked up.
            mark = np.full(len(self._partners) + 1, np.inf)  # the last: NO_OWNER
            for partner, t in partner_marks.items():
                if (code := self._partners.get(partner)) is not None:
                    mark[code] = seconds(t)
            young = min(LANDED_AFTER_S, MIN_UNSEEN_S, self._deleter.coast_after_s)
            old = np.flatnonzero(age >= young)
            slots = live[old]
            age[old] = np.minimum(age[old], mark[self._store.owner[slots]] - self._store.t[slots])
        confirmed = self._store.confirmed[live]
        coast, drop = self._deleter.stale(age, confirmed)
        landed = self._deleter.landed(self._store, live, age)
        ended = landed | self._unseen(live, age, seconds(at), ending)
        faded = (drop | ended) & confirmed & ~landed
        coast, drop = coast & ~ended, drop | ended
        self._faded = frozenset(self._store.record(int(s)).track_id for s in live[faded])
        coasting = [self._store.record(int(s)) for s in live[coast]]
        coasting = [r for r in coasting if r.state is not TrackState.COASTING]
        for record in coasting:
            record.state = TrackState.COASTING
        freeze(self._store, self._plane, self._predictor, coasting, at=at)
        out = {record.serial: self._snapshot(record) for record in coasting}
        for slot in live[drop]:
            record = self._store.record(int(slot))
            out[record.serial] = replace(self._snapshot(record), state=TrackState.LOST)
            self._remove(record)
        return [out[serial] for serial in sorted(out)]

    def faded(self) -> frozenset[str]:
        """Ids among the last `expire`'s LOST tracks that were confirmed and did not
        land: they fell silent, or the sensors that had them looked and did not find
        them. Either is a strike or an object gone out of view (a low drone at the edge
        of a radar's horizon is seen at 250 m and not at 100 m in the same cell); the
        picture cannot tell, so it ends the track, and whether the warnings stand is
        the pipeline's business."""
        return self._faded

    def tracks(self) -> list[Track]:
        """Current tracks (none LOST), by track id."""
        records = sorted(self._records.values(), key=lambda r: r.serial)
        return [self._snapshot(record) for record in records]

    def get(self, track_id: str) -> Track | None:
        record = self._records.get(track_id)
        return None if record is None else self._snapshot(record)

    # -- association ---------------------------------------------------------------------

    @staticmethod
    def _sensor_track_keys(batch: ReportBatch) -> tuple[list[SensorTrackKey | None], IntArray]:
        """Each report's sensor-track key, and the first report in the batch with that key
        (itself when it has none)."""
        keys: list[SensorTrackKey | None] = []
        leader = np.arange(len(batch))
        first: dict[SensorTrackKey, int] = {}
        for i, report in enumerate(batch.reports):
            if report.sensor_track is None:
                keys.append(None)
                continue
            key = (report.partner, report.sensor, report.sensor_track)
            keys.append(key)
            leader[i] = first.setdefault(key, i)
        return keys, leader

    def _continue_sensor_tracks(
        self,
        batch: ReportBatch,
        keys: list[SensorTrackKey | None],
        lead: np.ndarray,
        target: IntArray,
    ) -> None:
        known = [
            (i, record.slot)
            for i in np.flatnonzero(lead).tolist()
            if (key := keys[i]) is not None and (record := self._links.get(key)) is not None
        ]
        if not known:
            return
        reports = np.array([i for i, _ in known], np.intp)
        slots = np.array([s for _, s in known], np.intp)
        view = self._predictor.view(self._store, slots)
        d2 = self._hypothesiser.distance(view, batch, reports, np.arange(len(slots)))
        inside = d2 <= self._hypothesiser.threshold
        reports, slots = reports[inside], slots[inside]
        # One report per (sensor, track): if a sensor's two tracks both lead here, the
        # earlier report keeps the track and the other is associated afresh.
        column = slots * len(batch.sensors) + batch.sensor[reports]
        _, first = np.unique(column, return_index=True)
        target[reports[first]] = slots[first]

    def _associate(self, batch: ReportBatch, lead: np.ndarray, target: IntArray) -> None:
        pending = np.flatnonzero(lead & (target < 0))
        hypotheses = self._hypothesiser.hypothesise(self._store, batch, pending, self._store.live())
        taken = np.flatnonzero(target >= 0)
        n_sensors = len(batch.sensors)
        if len(taken) and len(hypotheses):
            occupied = target[taken] * n_sensors + batch.sensor[taken]
            column = hypotheses.slot * n_sensors + batch.sensor[hypotheses.report]
            hypotheses = hypotheses.select(~np.isin(column, occupied))
        reports, slots = self._associator.associate(hypotheses, batch.sensor, n_sensors)
        target[reports] = slots

    def _unseen(
        self, live: IntArray, age: FloatArray, at_t: float, ending: frozenset[str]
    ) -> np.ndarray:
        """Mask of `live` confirmed tracks, silent at least `MIN_UNSEEN_S`, that the
        sensors which were reporting them have all looked for and not found (see
        `watch`): objects that ended, not ones that flew out of sight."""
        out = np.zeros(len(live), dtype=bool)
        idx = np.flatnonzero(self._store.confirmed[live] & (age >= MIN_UNSEEN_S))
        # Only a track some sensor track reported lately has watchers to ask (`verdict`
        # says OPEN for the others): a picture of plots without sensor-track numbers
        # must not cost a verdict per silent track on every tick.
        recent_s = self._deleter.coast_after_s
        records = self._store.records
        idx = idx[
            np.fromiter(
                (_watched(records[s], recent_s) for s in live[idx].tolist()), bool, len(idx)
            )
        ]
        if len(idx) == 0:
            return out
        slots = live[idx]
        xh, _, xv, pv = self._predictor.extrapolate(self._store, slots, at_t)
        known = (pv[:, 0, 0] < KNOWN_ALTITUDE_VAR).tolist()
        view = self._predictor.view(self._store, slots)
        for j, slot in enumerate(slots.tolist()):
            if not known[j]:
                continue
            record = self._store.record(slot)
            if record.track_id in ending:  # where it would have been at each scan
                looks = Looks(view, j)
            else:  # where it would be now
                looks = Looks(view, j, now=(float(xh[j, 0]), float(xh[j, 1]), float(xv[j, 0])))
            said = verdict(
                self._watch,
                record,
                looks,
                now_t=float(self._store.t[slot] + age[idx[j]]),
                recent_s=self._deleter.coast_after_s,
            )
            out[idx[j]] = said is Verdict.NOT_FOUND or (
                said is Verdict.UNWATCHED
                and age[idx[j]] >= self._deleter.coast_after_s
                and bool(UNANNOUNCED[self._store.kind[slot]])
            )
        return out

    # -- records -------------------------------------------------------------------------

    def _create_records(self, batch: ReportBatch, seeds: IntArray, slots: IntArray) -> None:
        for i, slot in zip(seeds.tolist(), slots.tolist(), strict=True):
            self._serial += 1
            report = batch.reports[i]
            record = TrackRecord(
                serial=self._serial,
                slot=slot,
                first_seen=report.observed_at,
                t=float(batch.t[i]),
                tallies=self._store.tallies,
            )
            self._store.records[slot] = record
            self._records[record.track_id] = record

    def _record_reports(
        self, batch: ReportBatch, keys: list[SensorTrackKey | None], target: IntArray
    ) -> tuple[list[TrackRecord], list[Move]]:
        """Credit each report to its track; return the tracks touched and the sensor tracks
        that moved from one track to another."""
        touched: dict[int, TrackRecord] = {}
        moved: list[Move] = []
        rows: list[int] = []
        records = self._store.records
        links = self._links
        log = self._link_log
        number = self._batches
        for report, t, slot, key in zip(
            batch.reports, batch.t.tolist(), target.tolist(), keys, strict=True
        ):
            record = records[slot]
            if record is None:
                raise KeyError(f"no track in slot {slot}")
            rows.append(record.attributes.add(report, t, number))
            if t > record.last_t:
                record.last_t, record.updated_at = t, report.observed_at
            if t < record.first_t:
                record.first_t, record.first_seen = t, report.observed_at
            if key is not None:
                before = links.get(key)
                if before is not None and before is not record:
                    moved.append(Move(key=key, old=before, new=record))
                elif (previous := record.links.get(key)) is not None:
                    self._watch.interval(key[:2], t - previous)
                links[key] = record
                if log is not None:
                    log[key] = record.track_id
                known = record.links.get(key)
                record.links[key] = t if known is None or t > known else known
            touched[record.serial] = record
        self._store.tallies.add(
            np.asarray(rows, np.intp), batch.kind, batch.confidence, batch.identity
        )
        for record in touched.values():
            self._settle(record)
        return [touched[serial] for serial in sorted(touched)], moved

    def _merge(
        self, touched: list[TrackRecord], moved: list[Move], at_t: float
    ) -> tuple[list[TrackRecord], list[TrackRecord]]:
        """Merge tracks that proved to be one; return (tracks changed, tracks absorbed).

        First the tracks a sensor track has just left with nothing else behind them: the
        sensor says their reports were of the object it now reports elsewhere (a stray
        report that started a track of its own, then the sensor track returned). Then
        whatever the merger finds by position and velocity.
        """
        changed = {record.serial: record for record in touched}
        absorbed: list[TrackRecord] = []

        def combine(merge: Merge) -> None:
            keep, drop = self._combine(merge)
            changed[keep.serial] = keep
            changed.pop(drop.serial, None)
            absorbed.append(drop)

        for move in moved:
            if self._abandoned(move) and not self._seen_apart(move.old, move.new, at_t):
                older, newer = sorted((move.old, move.new), key=lambda r: r.serial)
                combine(Merge(keep=older.slot, drop=newer.slot))
        slots = np.array([record.slot for record in changed.values()], np.intp)
        for merge in self._merger.merges(
            self._store, slots, at_t, apart=lambda a, b: self._seen_apart(a, b, at_t)
        ):
            combine(merge)
        return [changed[serial] for serial in sorted(changed)], absorbed

    def _abandoned(self, move: Move) -> bool:
        """Was the track the sensor track left fed by that sensor alone, and is it no
        longer fed by any live sensor track?"""
        old = move.old
        if self._records.get(old.track_id) is not old:
            return False
        if self._records.get(move.new.track_id) is not move.new:
            return False
        if old.attributes.contributors.keys() != {move.key[:2]}:
            return False
        return not any(self._links.get(key) is old for key in old.links)

    def _seen_apart(self, a: TrackRecord, b: TrackRecord, now: float) -> bool:
        """Does some sensor see these as two objects? Either it reported both in its latest
        batch, or it currently holds a live sensor track on each."""
        if a.attributes.seen_apart(b.attributes):
            return True
        recent = now - self._deleter.coast_after_s
        held = {key[:2] for key, t in a.links.items() if t >= recent and self._links.get(key) is a}
        return any(
            t >= recent and self._links.get(key) is b and key[:2] in held
            for key, t in b.links.items()
        )

    def _combine(self, merge: Merge) -> tuple[TrackRecord, TrackRecord]:
        store = self._store
        keep, drop = store.record(merge.keep), store.record(merge.drop)
        both = np.array([merge.keep, merge.drop], np.intp)
        t = float(store.t[both].max())
        xh, ph, xv, pv = self._predictor.extrapolate(store, both, t)
        h = int(np.trace(ph[1, :2, :2]) < np.trace(ph[0, :2, :2]))
        v = int(pv[1, 0, 0] < pv[0, 0, 0])
        store.xh[merge.keep], store.ph[merge.keep] = xh[h], ph[h]
        store.xv[merge.keep], store.pv[merge.keep] = xv[v], pv[v]
        store.t[merge.keep] = t
        keep.attributes.absorb(drop.attributes)
        store.score[merge.keep] += store.score[merge.drop]
        if drop.last_t > keep.last_t:
            keep.last_t, keep.updated_at = drop.last_t, drop.updated_at
        if drop.first_t < keep.first_t:
            keep.first_t, keep.first_seen = drop.first_t, drop.first_seen
        for key, key_t in drop.links.items():
            if self._links.get(key) is drop:
                self._links[key] = keep
                if self._link_log is not None:
                    self._link_log[key] = keep.track_id
                keep.links[key] = max(key_t, keep.links.get(key, key_t))
        keep.confirmed = keep.confirmed or drop.confirmed
        self._settle(keep)
        self._remove(drop)
        return keep, drop

    def _score(self, batch: ReportBatch, reports: IntArray, slots: IntArray) -> None:
        """Add each report's evidence to its track's score, against the state before the
        batch (a second report in the same batch counts for no more than the first)."""
        if len(reports) == 0:
            return
        view = self._predictor.view(self._store, slots)
        llr = self._hypothesiser.evidence(
            view, batch, reports, np.arange(len(slots)), clutter_density=self._clutter_density
        )
        np.add.at(self._store.score, slots, llr)

    def _settle(self, record: TrackRecord) -> None:
        """A track just heard from: confirmed (for good) once the evidence says so."""
        enough = record.attributes.report_count >= self._confirm_reports
        strong = self._store.score[record.slot] >= self._confirm_score
        record.confirmed = record.confirmed or (enough and strong)
        self._store.confirmed[record.slot] = record.confirmed
        record.state = TrackState.CONFIRMED if record.confirmed else TrackState.TENTATIVE
        sole = record.attributes.sole_partner()
        self._store.owner[record.slot] = (
            NO_OWNER if sole is None else self._partners.setdefault(sole, len(self._partners))
        )

    def _evict(self) -> list[TrackRecord]:
        """Partners over their quota first, then the picture over its cap."""
        live = self._store.live()
        owner = self._store.owner[live]
        held = np.bincount(owner[owner != NO_OWNER], minlength=1)
        victims = []
        if held.max() > self._deleter.max_partner_tracks:
            names = {code: partner for partner, code in self._partners.items()}
            victims = self._evict_by(
                self._deleter.max_partner_tracks,
                lambda records, last_t, serial: self._deleter.over_quota(
                    [names.get(int(self._store.owner[r.slot])) for r in records], last_t, serial
                ),
            )
        return victims + self._evict_by(
            self._deleter.max_tracks,
            lambda _, last_t, serial: self._deleter.overflow(last_t, serial),
        )

    def _evict_by(
        self,
        above: int,
        choose: Callable[[list[TrackRecord], FloatArray, IntArray], IntArray],
    ) -> list[TrackRecord]:
        live = self._store.live()
        if len(live) <= above:
            return []
        records = [self._store.record(int(s)) for s in live]
        serial = np.array([r.serial for r in records], np.intp)
        victims = [records[i] for i in choose(records, self._store.t[live], serial).tolist()]
        for record in victims:
            self._remove(record)
        return victims

    def _remove(self, record: TrackRecord) -> None:
        self._store.release(record.slot)
        for key in record.links:
            if self._links.get(key) is record:
                del self._links[key]
                if self._link_log is not None:
                    self._link_log[key] = None
        del self._records[record.track_id]

    # -- output --------------------------------------------------------------------------

    @staticmethod
    def _snapshot(record: TrackRecord) -> Track:
        if record.snapshot is None:
            raise RuntimeError(f"track {record.track_id} has no snapshot")
        return record.snapshot

    @staticmethod
    def _checked(track: Track | None) -> Track:
        if track is None:
            raise RuntimeError("missing track snapshot")
        return track


def _watched(record: TrackRecord | None, recent_s: float) -> bool:
    """Has a sensor track reported `record` within `recent_s` of its last report?"""
    if record is None or not record.links:
        return False
    recent = record.last_t - recent_s
    return any(t >= recent for t in record.links.values())
