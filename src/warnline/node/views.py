"""The read model as released: what the API and the console show each viewer.

It holds no state of its own: every view is built on demand from the pipeline's folded
state (which the journal determines) and passed through release, the one place that
decides what each partner may see.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from shapely.geometry import mapping

from warnline.agreement.model import Agreement
from warnline.alerting.cap import info_texts
from warnline.alerting.cap_phrases import PHRASES
from warnline.alerting.manual import ManualRules
from warnline.alerting.readback import AlertLog
from warnline.assess.display import prepare
from warnline.audit.heads import HeadSigner
from warnline.audit.proofs import SubtreeRoots
from warnline.dispatch import Dispatcher
from warnline.dispatch.escalation import Escalation
from warnline.dispatch.progress import ack_progress
from warnline.domain import Alert, Assignment, Clock, MsgType, TrackState
from warnline.domain.codec import to_json
from warnline.domain.manual import DraftStatus, ManualDraft
from warnline.errors import NotFoundError
from warnline.journal import Entry, Journal
from warnline.journal.kinds import Kind
from warnline.journal.payloads import payload
from warnline.node.record_view import RecordView
from warnline.node.timeline import IncidentIndex, SensorTrack, TimelinePlan
from warnline.pipeline import Pipeline
from warnline.release import Release, StepRelease

RETAIN_S = 900.0  # read-back keeps versions sent this recently; older ones: the journal
MAX_FROM_JOURNAL = 5000  # versions read back from the journal for one poll, at most
ARCHIVE_PAGE = 5000  # alert entries read per page when fetching a forgotten alert
TEXT_CACHE = 4096  # released versions whose CAP texts are kept for the next view


class ReleasedViews:
    def __init__(
        self,
        *,
        agreement: Agreement,
        pipeline: Pipeline,
        dispatcher: Dispatcher,
        release: Release,
        clock: Clock,
        journal: Journal | None = None,
        retain_s: float = RETAIN_S,
        speed: float = 1.0,
        channel_health: Callable[[], list[dict[str, Any]]] = list,
        loop_health: Callable[[], dict[str, Any]] = dict,
        role_of: Callable[[str], str | None] = lambda user: None,
        escalation_of: Callable[[str], Escalation | None] = lambda alert_id: None,
    ) -> None:
        self.agreement = agreement
        self.speed = speed  # scenario seconds per wall second (the console shows it)
        self.channel_health = channel_health  # each person channel's health, now
        self.loop_health = loop_health  # how far behind each loop is, and why
        self.feed_health: Callable[[], list[dict[str, Any]]] = list  # ASTERIX listeners
        self.role_of = role_of  # the duty role an account acknowledges as
        self.escalation_of = escalation_of  # an alert's person escalation, if any
        self._text_cache: dict[tuple[object, ...], dict[str, dict[str, str]]] = {}
        self.pipeline = pipeline
        self.dispatcher = dispatcher
        self.release = release
        self.clock = clock
        self.journal = journal
        # Without a journal to read old versions back from, the log keeps every one.
        self.alert_log = AlertLog(self._version, retain_s=None if journal is None else retain_s)
        self.incident_index = IncidentIndex()  # which entries make each incident's timeline
        self.record_roots = SubtreeRoots(self._leaves)  # for inclusion proofs
        self.record = RecordView(
            journal=journal,
            steps=StepRelease(release),
            index=self.incident_index,
            roots=self.record_roots,
        )

    def _version(self, alert_id: str, version: int) -> Alert | None:
        versions = self.pipeline.alerting.history.get(alert_id, [])
        if 0 < version <= len(versions) and versions[version - 1].version == version:
            return versions[version - 1]
        return next((v for v in versions if v.version == version), None)

    # -- the agreement's facts a viewer may read ------------------------------------

    @property
    def coordination_cell(self) -> str:
        return self.agreement.coordination_cell

    @property
    def exercise(self) -> bool:
        return self.agreement.exercise

    def is_partner(self, code: str) -> bool:
        return code in self.agreement.partners

    def languages_of(self, partner: str) -> tuple[str, ...]:
        return self.agreement.partners[partner].languages

    # -- the record ----------------------------------------------------------------

    def journal_seq(self) -> int:
        return 0 if self.journal is None else self.journal.last_seq()

    def record_head(self) -> dict[str, Any] | None:
        """The newest signed head of the record (None: nothing sealed yet)."""
        return None if self.journal is None else self.journal.tree_head()

    def record_signer(self) -> dict[str, str] | None:
        """The signer of the record's heads and its public key (None: no sealed record).
        A partner compares the key with the agreement's `hub_public_key`."""
        sealer = getattr(self.journal, "sealer", None)
        return sealer.public_key() if isinstance(sealer, HeadSigner) else None

    def alert_visible(self, viewer: str, alert: Alert) -> bool:
        return self.release.alert_visible(viewer, alert)

    def alert_for(self, viewer: str, alert: Alert) -> Alert | None:
        """The version as released to `viewer` (None: not theirs to see)."""
        return self.release.alert_for(viewer, alert)

    def alert_history(self) -> Iterable[list[Alert]]:
        """Every alert the node holds, each as its versions, oldest first."""
        return self.pipeline.alerting.history.values()

    def alert_view(self, viewer: str, alert: Alert) -> dict[str, Any] | None:
        """One alert version as released to `viewer` (JSON), with how far its
        acknowledgement has come (`acknowledgement`: the partner's rule, the roles still
        to acknowledge, the escalation step reached) and `texts`: per language of the
        partner (and English), the headline, description and instruction of the CAP
        message's info block; None: not theirs to see."""
        view = self.release.alert(viewer, alert, self.dispatcher.acks_for(alert.alert_id))
        if view is not None:
            view["acknowledgement"] = self._progress(alert)
            released = self.release.alert_for(viewer, alert)
            assert released is not None  # the view was released, so is the alert
            view["texts"] = self._texts(released)
        return view

    def _texts(self, alert: Alert) -> dict[str, dict[str, str]]:
        """The CAP texts of a released version, kept: a version is pushed to every
        console of its partner and the cell, and read back again (about 90 µs each)."""
        langs = self._languages(alert.partner)
        key = (alert.version_key, langs, alert.reason, alert.tracks)
        texts = self._text_cache.get(key)
        if texts is None:
            if len(self._text_cache) >= TEXT_CACHE:
                self._text_cache.clear()
            texts = self._text_cache[key] = info_texts(alert, langs)
        return texts

    def _languages(self, partner: str) -> tuple[str, ...]:
        """The partner's languages and English, as far as CAP has texts for them."""
        known = self.agreement.partners.get(partner)
        langs = (*(known.languages if known else ()), "en")
        return tuple(lang for lang in dict.fromkeys(langs) if lang in PHRASES)

    def acknowledgement_for(self, viewer: str, alert_id: str) -> dict[str, Any] | None:
        """How far the latest version's acknowledgement has come, if `viewer` may see it."""
        alert = self.dispatcher.latest.get(alert_id)
        if alert is None or not self.release.alert_visible(viewer, alert):
            return None
        return self._progress(alert)

    def _progress(self, alert: Alert) -> dict[str, Any] | None:
        partner = self.agreement.partners.get(alert.partner)
        if partner is None:
            return None
        return ack_progress(
            alert,
            self.dispatcher.acks_for(alert.alert_id),
            partner=partner,
            role_of=self.role_of,
            escalation=self.escalation_of(alert.alert_id),
        ).view()

    def readiness_for(self, viewer: str) -> list[dict[str, Any]]:
        return [
            v
            for _, r in sorted(self.pipeline.assigner.readiness.items())
            if (v := self.release.readiness(viewer, r)) is not None
        ]

    def observe(self, entries: Iterable[Entry]) -> None:
        """Fold journal entries read back, every kind, in journal order: alert versions
        for the read-back, each incident's entries for its timeline, and the record's
        hashes for proofs."""
        entries = entries if isinstance(entries, list) else list(entries)
        self.alert_log.observe(entries)
        self.incident_index.observe(entries, self._linked_track)
        if entries:
            self.record_roots.observe(entries[0].seq - 1, [bytes.fromhex(e.hash) for e in entries])

    def _linked_track(self, key: SensorTrack) -> str | None:
        linked = getattr(self.pipeline.picture, "linked_track", None)  # not every picture
        track = None if linked is None else linked(key)
        return track if isinstance(track, str) else None

    def _leaves(self, after: int, count: int) -> list[bytes]:
        """The raw hashes of entries after+1..after+count, for Merkle roots."""
        got: list[Entry] = []
        while self.journal is not None and len(got) < count:
            # A read may stop short at the end of the journal's in-memory tail: the newest
            # head can be committed a moment before its entries join the tail.
            more = self.journal.read(after + len(got), count - len(got))
            if not more:
                break
            got += more
        if len(got) != count or (got and got[0].seq != after + 1):
            raise NotFoundError(f"the record does not hold entries {after + 1}..{after + count}")
        return [bytes.fromhex(e.hash) for e in got]

    def forgotten_versions(self, cursor: int, limit: int) -> tuple[list[tuple[int, Alert]], int]:
        """Versions stored after `cursor` that the read-back log no longer holds, from
        the journal (at most `limit`), and the cursor up to which that list is complete.
        Reads only the journal, so it may run in a worker thread."""
        upto = self.alert_log.forgotten
        if self.journal is None or cursor >= upto:
            return [], cursor
        entries = self.journal.read_kind(Kind.ALERT, cursor, upto, limit)
        done = upto if len(entries) < limit else entries[-1].seq
        return [(e.seq, payload(e.event, Alert)) for e in entries], done

    def archived_versions(self, alert_id: str) -> list[Alert]:
        """Every version of an alert the node has forgotten (decision 48), read back from
        the journal, oldest first; [] if it never existed. Reads only the journal, so it
        may run in a worker thread: a CAP message stays fetchable after retention."""
        if self.journal is None:
            return []
        found: list[Alert] = []
        after, upto = 0, self.journal.last_seq()
        while True:
            entries = self.journal.read_kind(Kind.ALERT, after, upto, ARCHIVE_PAGE)
            found += [
                payload(e.event, Alert)
                for e in entries
                if e.event.payload.get("alert_id") == alert_id
            ]
            if len(entries) < ARCHIVE_PAGE:
                return sorted(found, key=lambda a: a.version)
            after = entries[-1].seq

    def alerts_since(
        self,
        viewer: str,
        cursor: int,
        limit: int,
        older: tuple[list[tuple[int, Alert]], int] | None = None,
    ) -> dict[str, Any]:
        """Every alert version released to `viewer` stored after `cursor`, oldest first
        (at most `limit`), each with its own `cursor`, and `next`: the cursor to pass on
        the next poll. Versions not released to the viewer advance `next` too, so a
        quiet poller does not rescan them. A cursor older than the log's retention is
        served from the journal first (`older`: `forgotten_versions`, read beforehand)."""
        if cursor < self.alert_log.forgotten and older is None:
            older = self.forgotten_versions(cursor, MAX_FROM_JOURNAL)
        versions: Iterable[tuple[int, Alert]] = self.alert_log.after(cursor)
        if older is not None:
            read, done = older
            # The log may have forgotten more since `older` was read: stop at its end.
            rest = self.alert_log.after(done) if done >= self.alert_log.forgotten else iter(())
            versions = itertools.chain(read, rest)
        out: list[dict[str, Any]] = []
        next_cursor = cursor
        for seq, alert in versions:
            view = self.alert_view(viewer, alert)
            if view is not None:
                if len(out) >= limit:
                    break
                out.append(view | {"cursor": seq})
            next_cursor = seq
        return {"alerts": out, "next": next_cursor}

    def picture_for(self, viewer: str, *, tentative: bool = True) -> dict[str, Any]:
        """The picture as released to `viewer`. Without `tentative`, only tracks the
        picture has confirmed (what consoles draw: a one-report blip is not yet an
        object, and a partner flooding never-seen objects must not make every console
        push cost thousands of release checks)."""
        shown = [
            t
            for t in self.pipeline.picture.tracks()
            if tentative or t.state is not TrackState.TENTATIVE
        ]
        assessments = self.pipeline.assessments
        # Corridor outlines are made when first shown: all of this picture's at once.
        prepare(a.corridor for t in shown if (a := assessments.get(t.track_id)) is not None)
        tracks = []
        for t in shown:
            v = self.release.track(viewer, t, assessments.get(t.track_id))
            if v is not None:
                tracks.append(v)
        return {"at": self.clock.now().isoformat(), "tracks": tracks}

    def alerts_for(self, viewer: str, *, active_only: bool = False) -> list[dict[str, Any]]:
        out = []
        for _, versions in sorted(self.pipeline.alerting.history.items()):
            latest = versions[-1]
            if active_only and latest.msg_type is MsgType.CANCEL:
                continue
            v = self.alert_view(viewer, latest)
            if v is not None:
                out.append(v)
        return out

    def alert_versions(self, alert_id: str) -> list[Alert]:
        versions = self.pipeline.alerting.history.get(alert_id)
        if not versions:
            raise NotFoundError(f"no alert {alert_id}")
        return versions

    def incidents_for(self, viewer: str) -> list[dict[str, Any]]:
        visible = {  # the tracks of picture_for(viewer, tentative=False), not their views
            t.track_id: t.kind
            for t in self.pipeline.picture.tracks()
            if t.state is not TrackState.TENTATIVE and self.release.track_visible(viewer, t)
        }
        out = []
        incidents = self.pipeline.incidents.incidents.values()
        for inc in sorted(incidents, key=lambda i: (i.opened_at, i.incident_id)):
            alerts = [
                vs[-1]
                for vs in self.pipeline.alerting.history.values()
                if inc.incident_id in (vs[-1].incidents or (vs[-1].incident_id,))
            ]
            v = self.release.incident(viewer, inc, visible, alerts)
            if v is not None:
                out.append(v)
        return out

    def _incidents_seen(self, viewer: str) -> set[str]:
        return {v["incident_id"] for v in self.incidents_for(viewer)}

    def released_assignment(self, viewer: str, assignment: Assignment) -> dict[str, Any] | None:
        """One step of the lead procedure as `viewer` may see it, or None."""
        seen = assignment.incident_id in self._incidents_seen(viewer)
        return self.release.assignment(viewer, assignment, incident_visible=seen)

    def assignments_for(self, viewer: str) -> list[dict[str, Any]]:
        seen = self._incidents_seen(viewer)
        out = []
        for inc_id, a in sorted(self.pipeline.assigner.assignments.items()):
            v = self.release.assignment(viewer, a, incident_visible=inc_id in seen)
            if v is not None:
                out.append(v)
        return out

    def assignment_for(self, viewer: str, incident_id: str) -> dict[str, Any]:
        """404 alike for an unknown incident and for one the viewer may not see."""
        a = self.pipeline.assigner.current(incident_id)
        view = None if a is None else self.released_assignment(viewer, a)
        if view is None:
            raise NotFoundError(f"no lead procedure for incident {incident_id}")
        return view

    def areas_for(self, viewer: str) -> dict[str, Any]:
        """GeoJSON of the areas the viewer may know of (hidden members' are left out)."""
        feats = []
        for p in self.agreement.partners.values():
            if self.release.partner_label(viewer, p.code) != p.code:
                continue
            for a in p.areas:
                feats.append(
                    {
                        "type": "Feature",
                        "id": a.area_id,
                        "properties": {
                            "area_id": a.area_id,
                            "partner": p.code,
                            "name": a.name,
                            "kind": a.kind.value,
                        },
                        "geometry": mapping(a.geometry),
                    }
                )
        return {"type": "FeatureCollection", "features": feats}

    # -- an incident's timeline and its record -----------------------------------------

    def timeline_plan(self, viewer: str, incident_id: str) -> tuple[dict[str, Any], TimelinePlan]:
        """The incident as `viewer` may see it and the entries its timeline reads (on
        the event loop: it reads the folded state). 404 alike for an unknown incident
        and one the viewer may not see."""
        view = next(
            (v for v in self.incidents_for(viewer) if v["incident_id"] == incident_id), None
        )
        if view is None:
            raise NotFoundError(f"no incident {incident_id}")
        return view, self.incident_index.plan(incident_id)

    def timeline(self, viewer: str, incident: dict[str, Any], plan: TimelinePlan) -> dict[str, Any]:
        """See `RecordView.timeline`; reads only the journal: may run in a thread."""
        return self.record.timeline(viewer, incident, plan)

    def incidents_seen(self, viewer: str) -> set[str]:
        return self._incidents_seen(viewer)

    def record_entry(self, viewer: str, seq: int, seen: set[str]) -> dict[str, Any]:
        """See `RecordView.entry`; reads only the journal: may run in a thread."""
        return self.record.entry(viewer, seq, seen)

    # -- manual entries ----------------------------------------------------------------

    @property
    def manual_rules(self) -> ManualRules:
        return self.pipeline.manual.rules

    def area_known_to(self, viewer: str, area_id: str) -> str | None:
        """The partner owning `area_id`, if the viewer may know of the area (None: an
        unknown area and a hidden member's are answered alike)."""
        try:
            area = self.agreement.area(area_id)
        except KeyError:
            return None
        if self.release.partner_label(viewer, area.partner) != area.partner:
            return None
        return area.partner

    def manual_draft(self, viewer: str, draft_id: str) -> tuple[ManualDraft, DraftStatus]:
        """A draft the viewer may see, with its status (404 alike for one they may not)."""
        book = self.pipeline.manual
        draft = book.drafts.get(draft_id)
        if draft is None or not self.release.manual_draft_visible(viewer, draft):
            raise NotFoundError(f"no manual alert draft {draft_id}")
        return draft, book.status[draft_id]

    def manual_drafts_for(self, viewer: str, limit: int = 50) -> list[dict[str, Any]]:
        """Drafts released to the viewer: pending ones first, then the latest decided."""
        book = self.pipeline.manual
        seen = [d for d in book.drafts.values() if self.release.manual_draft_visible(viewer, d)]
        seen.sort(key=lambda d: (book.status[d.draft_id] is not DraftStatus.PENDING,
                                 -d.drafted_at.timestamp(), d.draft_id))  # fmt: skip
        out = []
        for d in seen[:limit]:
            decided = book.decided_by.get(d.draft_id)
            out.append(
                to_json(d)
                | {
                    "status": book.status[d.draft_id].value,
                    "area_names": [self.agreement.area(a).name for a in d.areas],
                    "decided_by": None if decided is None else decided[0],
                    "decision_reason": None if decided is None else decided[1],
                    "alert_ids": list(book.alert_ids.get(d.draft_id, ())),
                }
            )
        return out
