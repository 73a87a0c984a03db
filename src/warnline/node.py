"""Wiring: the one module that assembles the stages into a running node.

Everything else is handed its collaborators; only here are concrete classes chosen
(SQLite or memory journal, the console channel, the agreement's policies). The
node's loops only move entries from the journal through the pipeline it was given:

    inputs (reports, acks, receipts, ticks) -> journal -> pipeline -> decisions -> journal
    journal -> dispatcher -> attempts -> journal -> channels
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.alerting.threat import ThreatRuleCheck
from warnline.api.accounts import Accounts, Action, Role, check_cell_accounts
from warnline.assess import Assessor
from warnline.channels import ConsoleChannel
from warnline.channels.base import PersonChannel
from warnline.dispatch import ATTEMPT_KIND, Dispatcher, ack_event, receipt_event
from warnline.dispatch.roster import Takeover, takeover_event
from warnline.domain import Acknowledgement, Alert, Assignment, Clock, Report
from warnline.domain.codec import from_json
from warnline.domain.plane import regional_plane
from warnline.errors import (
    ForbiddenError,
    InputError,
    JournalCorruptError,
    NotFoundError,
    SnapshotError,
)
from warnline.follower_state import capture, code_fingerprint, context_fingerprint, restore
from warnline.ingest import Intake
from warnline.ingest.batch import Batch
from warnline.ingest.checks import JournalShare
from warnline.ingest.signature import SignedRequest, Signer
from warnline.journal import GENESIS_HASH, Entry, Event, Journal
from warnline.journal.snapshots import SnapshotStore
from warnline.journal.sqlite import SQLiteJournal
from warnline.lag import LagWatch
from warnline.outreach import Outreach
from warnline.picture import Picture
from warnline.pipeline import (
    ALERT_KIND,
    ASSIGNMENT_KIND,
    TICK_KIND,
    Pipeline,
)
from warnline.recovery import OUTREACH_STATE, Recovery, SnapshotPolicy, replay_tail
from warnline.release import Release
from warnline.response import LeadProcedure
from warnline.response.inputs import answer_event, override_event, readiness_event
from warnline.views import ReleasedViews

log = logging.getLogger("warnline.node")
READ_CHUNK = 2000  # journal entries folded per turn of the decision loop (decision 60)


@dataclass(frozen=True, kw_only=True)
class NodeSettings:
    tick_s: float = 0.5  # scenario seconds between clock ticks
    speed: float = 1.0  # scenario seconds per wall second (the exercise runs faster)
    retry_s: float = 10.0  # wall seconds a console has to send its receipt before a resend
    picture_push_s: float = 1.0  # wall seconds between picture pushes to consoles
    min_tick_gap_s: float = 0.02  # wall seconds: the soonest a submission brings a tick
    idle_tick_s: float = 10.0  # scenario seconds between ticks when nothing is in the air
    max_lag_s: float = 1.0  # wall seconds a loop may fall behind before health degrades
    shed_lag_s: float = 1.0  # decisions this far behind: partners over twice their share wait
    console_send_deadline_s: float = 5.0  # a console that takes no message for this is dropped
    snapshot_entries: int = 20_000  # journal entries folded between two snapshots, at most
    snapshot_s: float = 60.0  # wall seconds between snapshots while entries keep coming


class Node:
    def __init__(
        self,
        *,
        agreement: Agreement,
        journal: Journal,
        clock: Clock,
        accounts: Accounts,
        settings: NodeSettings | None = None,
        channels: Mapping[str, PersonChannel] | None = None,
        snapshots: SnapshotStore | None = None,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        check_cell_accounts(accounts.users(), agreement.coordination_cell)
        self.agreement = agreement
        self.journal = journal
        self.clock = clock
        self.accounts = accounts
        self.settings = settings or NodeSettings()
        plane = self._plane = regional_plane()
        self.lag = LagWatch(
            max_lag_s=self.settings.max_lag_s, reports=lambda: self.pipeline.reports_seen
        )
        # While decisions lag, a partner over its fair share waits (ingest/checks.py).
        share = JournalShare(behind=lambda: self.lag.decision_lag_s() > self.settings.shed_lag_s)
        self.intake = Intake(agreement=agreement, clock=clock, share=share)
        self.pipeline = Pipeline(
            picture=Picture(plane=plane),
            assessor=Assessor(agreement=agreement, plane=plane),
            incidents=IncidentBook(plane=plane, threat_rule=ThreatRuleCheck(agreement)),
            alerting=Alerting(agreement=agreement),
            assigner=LeadProcedure(agreement=agreement),
        )
        self.release = Release(agreement)
        self.console = ConsoleChannel(send_deadline_s=self.settings.console_send_deadline_s)
        self.dispatcher = Dispatcher(
            recipients=self._recipients,
            partner_of=accounts.partner_of,
            # The dispatcher runs on the node's clock; a receipt comes back in wall time
            # (network, a browser, a loaded machine). At 5x, 10 clock seconds were 2 wall
            # seconds, and a console that answered in 2.1 s got the version twice.
            retry_s=self.settings.retry_s * self.settings.speed,
        )
        self.views = ReleasedViews(
            agreement=agreement,
            pipeline=self.pipeline,
            dispatcher=self.dispatcher,
            release=self.release,
            clock=clock,
            journal=journal,
        )
        self.outreach = Outreach(
            agreement=agreement,
            release=self.release,
            channels=channels or {},
            append=self.append,
            now=clock.now,
            role_of=self._role_of,
            notify_cell=self._notify_cell,
        )
        self._pos = 0
        self.snapshots = snapshots
        self._announce_line = announce
        self._policy = SnapshotPolicy(
            every_entries=self.settings.snapshot_entries, every_s=self.settings.snapshot_s
        )
        self._turn = asyncio.Lock()  # one turn of the process loop, or a snapshot's capture
        self._writing: asyncio.Task[None] | None = None
        self._between_turns = True
        self.recovery: Recovery | None = None
        self._wake = asyncio.Event()
        self._tick_soon = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = asyncio.Event()

    def _recipients(self, partner: str) -> list[str]:
        users = self.accounts.of_partner(partner)
        if partner != self.agreement.coordination_cell:
            users += self.accounts.of_partner(self.agreement.coordination_cell)
        return users

    def _role_of(self, user: str) -> str | None:
        """The duty role behind an acknowledgement: a contact's own, or that of the
        contact whose console address is the account; otherwise a commander account
        acknowledges as "commander", any other as "watch"."""
        for partner in self.agreement.partners.values():
            for c in partner.contacts:
                if user in (c.contact_id, c.addresses.get("console", "").removeprefix("console:")):
                    return c.role
        account = next((u for u in self.accounts.users() if u.username == user), None)
        if account is not None and account.role is Role.COMMANDER:
            return "commander"
        return "watch"

    async def _notify_cell(self, message: dict[str, Any]) -> None:
        for user in self.accounts.of_partner(self.agreement.coordination_cell):
            await self.console.send(user, message)

    async def take_over(self, partner: str, role: str, contact: str, until: datetime) -> Takeover:
        """`contact` stands in for `role` at `partner` from now until `until` (journaled)."""
        holders = [c.name for c in self.agreement.partners[partner].contacts if c.role == role]
        if contact not in holders:
            raise InputError(
                f"{partner} has no contact {contact!r} with role {role!r}", field="contact"
            )
        now = self.clock.now()
        if until <= now:
            raise InputError("must be later than now", field="until")
        t = Takeover(partner=partner, role=role, contact=contact, at=now, until=until)
        await self.append([takeover_event(t)])
        return t

    def channel_health(self) -> list[dict[str, Any]]:
        return self.outreach.health.view()

    # -- life cycle ----------------------------------------------------------------

    async def start(self) -> None:
        self.recovery = await asyncio.to_thread(self.recover)
        self._policy.taken(self.recovery.snapshot_seq or 0)
        if self._announce_line is not None:
            self._announce_line(self.recovery.describe())
        self._tasks = [
            asyncio.create_task(self._process_loop(), name="process"),
            asyncio.create_task(self._tick_loop(), name="tick"),
            asyncio.create_task(self._picture_loop(), name="picture-push"),
            asyncio.create_task(self._lag_loop(), name="lag"),
        ]
        self.ready.set()

    def recover(self) -> Recovery:
        """Rebuild state from the newest snapshot that verifies and the journal's tail
        after it (all of the journal without one); decisions already stored are not
        redone, and entries after the stored position are left to the process loop."""
        started = time.perf_counter()
        stored = self.journal.position(Pipeline.FOLLOWER)
        last = self.journal.last_seq()
        if stored > last:
            raise JournalCorruptError(
                0,
                f"follower {Pipeline.FOLLOWER!r} is at entry {stored}, beyond the end of the "
                f"journal (entries 1..{last}); refusing to start",
            )
        start, passed, after_hash = 0, [], GENESIS_HASH
        if self.snapshots is not None:
            snap = self.snapshots.load(
                self.journal, code=code_fingerprint(), context=self._context(), upto=stored
            )
            passed = [f"{r.path.name}: {r.reason}" for r in self.snapshots.rejected]
            if snap is not None:
                try:
                    self._apply(restore(snap.body, self._collaborators()))
                    start, after_hash = snap.seq, snap.entry_hash
                except SnapshotError as exc:
                    passed.append(f"{snap.path.name}: {exc}")
        for reason in passed:
            log.warning("snapshot passed over: %s", reason)
        tail, healed = replay_tail(
            self.journal,
            start,
            stored,
            after_hash=after_hash,
            followers=(self.pipeline.process, self._observe),
        )
        if healed:  # cannot happen with atomic append_from; heal rather than diverge
            log.warning("re-stored %d decisions missing from the journal", healed)
        self._pos = stored
        self.lag.appended(self.journal.last_seq())
        self.lag.decided(stored)
        recovery = Recovery(
            snapshot_seq=start if start else None,
            tail=tail,
            position=stored,
            journal_seq=self.journal.last_seq(),
            passed_over=tuple(passed),
            seconds=time.perf_counter() - started,
        )
        log.info("%s", recovery.describe())
        return recovery

    def _observe(self, entries: list[Entry]) -> None:
        """The folds after the pipeline, in the order the process loop runs them."""
        self.dispatcher.observe(entries)
        self.views.observe(entries)
        self.outreach.observe(entries)

    # -- snapshots -----------------------------------------------------------------

    def _context(self) -> str:
        """What the folded state depends on besides the journal: the agreement, who the
        accounts are, the settings and the person channels configured."""
        users = sorted((u.username, u.partner, u.role.value) for u in self.accounts.users())
        return context_fingerprint(
            self.agreement, users, self.settings, sorted(self.outreach.channels)
        )

    def _collaborators(self) -> dict[str, object]:
        """What the followers use but do not own: written by name, never by value."""
        return {
            "node": self,
            "agreement": self.agreement,
            "accounts": self.accounts,
            "release": self.release,
            "plane": self._plane,
            "assessor": self.pipeline.assessor,
            "views": self.views,
            "clock": self.clock,
            "journal": self.journal,
            "console": self.console,
            "outreach": self.outreach,
        }

    def _state(self) -> dict[str, dict[str, Any]]:
        return {
            "pipeline": vars(self.pipeline),
            "dispatcher": vars(self.dispatcher),
            "alert_log": vars(self.views.alert_log),
            "outreach": {k: getattr(self.outreach, k) for k in OUTREACH_STATE},
            "offers": vars(self.outreach.offers.escalator),  # lead offers by phone
        }

    def _apply(self, parts: dict[str, dict[str, Any]]) -> None:
        vars(self.pipeline).update(parts["pipeline"])
        vars(self.dispatcher).update(parts["dispatcher"])
        vars(self.views.alert_log).update(parts["alert_log"])
        for k in OUTREACH_STATE:
            setattr(self.outreach, k, parts["outreach"][k])
        vars(self.outreach.offers.escalator).update(parts["offers"])

    def _capture(self) -> tuple[int, bytes]:
        """The followers' state after entry `_pos`, taken between two turns of the
        process loop (never inside one: then some folds would be ahead of others)."""
        forbidden = (Agreement, Node, SQLiteJournal, asyncio.Task)
        return self._pos, capture(self._state(), self._collaborators(), forbidden=forbidden)

    def _write(self, seq: int, body: bytes) -> None:
        """Store a captured state (in a worker thread: hashing and fsync take time)."""
        assert self.snapshots is not None
        entry = self.journal.entry(seq) if seq else None
        self.snapshots.write(
            seq=seq,
            entry_hash="" if entry is None else entry.hash,
            code=code_fingerprint(),
            context=self._context(),
            body=body,
        )

    def _snapshot_if_due(self) -> None:
        """Between turns: capture now (on the loop, so the state is consistent) and write
        in a worker thread; at most one write in flight."""
        if self.snapshots is None or not self._policy.due(self._pos):
            return
        if self._writing is not None and not self._writing.done():
            return
        seq, body = self._capture()
        self._policy.taken(seq)
        self._writing = asyncio.create_task(self._write_logged(seq, body))

    async def _write_logged(self, seq: int, body: bytes) -> None:
        try:
            await asyncio.to_thread(self._write, seq, body)
        except (OSError, SnapshotError) as exc:  # the journal still holds everything
            log.warning("snapshot at entry %d not written: %s", seq, exc)

    async def snapshot(self) -> int | None:
        """Take a snapshot now (between turns) and wait until it is on disk; the entry
        it was taken at, or None without a snapshot store."""
        if self.snapshots is None:
            return None
        async with self._turn:
            seq, body = self._capture()
        if self._writing is not None:
            await self._writing
        await asyncio.to_thread(self._write, seq, body)
        self._policy.taken(seq)
        return seq

    async def stop(self) -> None:
        """Stop the loops, then take a last snapshot (a clean stop restarts from where it
        stopped) unless the process loop was stopped inside a turn: then the folds may
        be at different places, and the last periodic snapshot stands."""
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        stopped = bool(self._tasks)
        self._tasks = []
        if self._writing is not None:
            await self._writing
        if stopped and self._between_turns and self._policy.behind(self._pos):
            try:
                await self.snapshot()
            except (OSError, SnapshotError) as exc:
                log.warning("snapshot at stop not written: %s", exc)
        await self.outreach.stop()

    # -- inputs --------------------------------------------------------------------

    async def append(self, events: list[Event]) -> list[int]:
        """Durably journal inputs, then wake the pipeline."""
        if not events:
            return []
        seqs = await self._append(events)
        self.lag.appended(max(seqs, default=0))
        self._wake.set()
        return seqs

    async def _append(
        self, events: list[Event], follower: str | None = None, position: int = 0
    ) -> list[int]:
        if isinstance(self.journal, SQLiteJournal):
            fut = self.journal.submit(events, follower=follower, position=position)
            return await asyncio.wrap_future(fut)
        if follower is not None:
            return self.journal.append_from(follower, position, events)
        return self.journal.append(events)

    async def submit_reports(self, request: SignedRequest) -> list[str]:
        reports = self.intake.json_submission(request)
        await self._journal_reports(reports)
        return [r.key for r in reports]

    async def submit_batch(self, request: SignedRequest) -> Batch:
        """A signed JSON submission accepted in part: the batch keeps the reports
        journaled and lists those refused alone (422, 409); a fault of the whole request,
        or every report refused, raises as `submit_reports` does."""
        batch = self.intake.json_batch(request)
        pending = self.intake.batch_events(batch, submission=uuid.uuid4().hex)
        with (
            self.intake.share.hold(batch.partner, len(batch.reports)),
            self.intake.claim_batch(batch, pending),
        ):
            stored = await asyncio.to_thread(self.journal.stored, list(pending))
            self.intake.refuse_stored(batch, pending, stored)
            await self.append([ev for ev, _ in pending.values()])
        self._tick_soon.set()
        return batch

    async def submit_cap(self, request: SignedRequest) -> list[str]:
        """A signed CAP message from a partner's civil-defence system (ingest/cap_adapter)."""
        reports = self.intake.cap_submission(request)
        await self._journal_reports(reports)
        return [r.key for r in reports]

    async def _journal_reports(self, reports: list[Report]) -> None:
        """Journal one submission unless a report reuses a stored id with other content
        (409); while decisions lag, a partner over its share of the waiting reports is
        told to wait (429, ingest/checks.py)."""
        events = self.intake.events(reports, submission=uuid.uuid4().hex)
        with (
            self.intake.share.hold(reports[0].partner if reports else "", len(reports)),
            self.intake.claim(events),
        ):
            ids = [e.event_id for e in events]
            self.intake.check_stored(events, await asyncio.to_thread(self.journal.stored, ids))
            await self.append(events)
        self._tick_soon.set()

    async def acknowledge(
        self, username: str, alert_id: str, version: int | None, channel: str
    ) -> Acknowledgement:
        user_partner = self.accounts.partner_of(username)
        alert = self._alert_seen_by(user_partner, alert_id)
        if user_partner != alert.partner:
            raise ForbiddenError("the coordination cell does not acknowledge for a partner")
        if not self.accounts.may_acknowledge(username):
            raise ForbiddenError(f"role {self.accounts.role_of(username)} may not acknowledge")
        ack = Acknowledgement(
            alert_id=alert_id,
            version=alert.version if version is None else min(version, alert.version),
            partner=user_partner,
            user=username,
            channel=channel,
            at=self.clock.now(),
        )
        await self.append([ack_event(ack)])
        return ack

    def verify_signed(self, request: SignedRequest) -> Signer:
        """Who signed a partner system's request (raises SignatureError)."""
        return self.intake.verifier.verify(request)

    async def acknowledge_signed(
        self, signer: Signer, alert_id: str, version: int | None
    ) -> Acknowledgement:
        """An acknowledgement from a partner's own system, signed like its reports (the
        signature covers the path, so it names this alert): the journal keeps who signed.
        An alert the partner may not see is answered like one that does not exist."""
        partner, key_id = signer.partner, signer.key_id
        alert = self._alert_seen_by(partner, alert_id)
        if partner != alert.partner:
            raise ForbiddenError("the coordination cell does not acknowledge for a partner")
        ack = Acknowledgement(
            alert_id=alert_id,
            version=alert.version if version is None else min(version, alert.version),
            partner=partner,
            user=f"{partner.lower()}-system:{key_id}",
            channel="api-signed",
            at=self.clock.now(),
        )
        await self.append([ack_event(ack)])
        return ack

    def _alert_seen_by(self, partner: str, alert_id: str) -> Alert:
        """The alert, if `partner` may see it: an alert of another partner is answered
        exactly like one that does not exist, so ids cannot probe who is alerted."""
        alert = self.dispatcher.latest.get(alert_id)
        if alert is None or not self.release.alert_visible(partner, alert):
            raise NotFoundError(f"no alert {alert_id}")
        return alert

    async def receipt(self, username: str, alert_id: str, version: int, count: int) -> None:
        """A console says it showed an alert version: only for an alert that exists, in
        a version that was issued, and that was addressed to this user."""
        alert = self.dispatcher.latest.get(alert_id)
        if alert is None or username not in self._recipients(alert.partner):
            raise NotFoundError(f"no alert {alert_id} for {username}")
        if version > alert.version:
            raise InputError(f"alert {alert_id} has no version {version}", field="version")
        ev = receipt_event(
            alert_id=alert_id,
            version=version,
            recipient=username,
            channel="console",
            at=self.clock.now(),
            n=max(1, count),
        )
        await self.append([ev])

    # -- the lead-partner procedure's inputs -------------------------------------------

    async def respond_to_offer(
        self,
        username: str,
        incident_id: str,
        accept: bool,
        channel: str,
        version: int | None = None,
    ) -> dict[str, Any]:
        """A commander accepts (keypad 1) or declines (keypad 2) the offer open to their
        partner, on any channel; journaled, then decided on by the pipeline. An incident
        the partner may not see is answered like one that does not exist."""
        partner = self.accounts.partner_of(username)
        is_commander = self.accounts.may(username, Action.ANSWER_OFFER)
        current = self.pipeline.assigner.current(incident_id)
        hidden = current is not None and self.views.released_assignment(partner, current) is None
        if is_commander and hidden:
            raise NotFoundError(f"no lead procedure for incident {incident_id}")
        ev = answer_event(
            self.pipeline.assigner, username=username, partner=partner,
            is_commander=is_commander,
            incident_id=incident_id, accept=accept, channel=channel, version=version,
            at=self.clock.now(),
        )  # fmt: skip
        await self.append([ev])
        self._tick_soon.set()
        return ev.payload | {"at": ev.at.isoformat()}

    async def override_lead(
        self, username: str, incident_id: str, lead: str, reason: str
    ) -> dict[str, Any]:
        """The coordination cell names the lead of a stuck (or any) incident."""
        ev = override_event(
            self.pipeline.assigner, self.agreement, username=username,
            is_cell=self.is_cell(username), incident_id=incident_id,
            lead=lead, reason=reason, at=self.clock.now(),
        )  # fmt: skip
        await self.append([ev])
        return ev.payload | {"at": ev.at.isoformat()}

    async def declare_readiness(
        self, username: str, sector: str, status: str, time_to_respond_s: float
    ) -> dict[str, Any]:
        """A commander (or the cell, for itself) declares its partner's readiness."""
        ev = readiness_event(
            self.agreement, partner=self.accounts.partner_of(username),
            may_declare=self.accounts.role_of(username) is Role.COMMANDER
            or self.is_cell(username),
            sector=sector, status=status, time_to_respond_s=time_to_respond_s,
            at=self.clock.now(),
        )  # fmt: skip
        await self.append([ev])
        return ev.payload

    def is_cell(self, username: str) -> bool:
        """The cell role counts only on an account of the coordination cell's partner
        (such an account elsewhere is refused at start as well: `check_cell_accounts`)."""
        return (
            self.accounts.may(username, Action.OVERRIDE_LEAD)
            and self.accounts.partner_of(username) == self.agreement.coordination_cell
        )

    def readiness_for(self, viewer: str) -> list[dict[str, Any]]:
        return [
            v
            for _, r in sorted(self.pipeline.assigner.readiness.items())
            if (v := self.release.readiness(viewer, r)) is not None
        ]

    # -- loops ---------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        """Journal a clock tick every `tick_s` of scenario time, and soon after any
        submission (at most one per `min_tick_gap_s` of wall time), so a fresh report is
        decided on within tens of milliseconds rather than up to a whole tick later.
        With nothing in the air (no track, alert, pending delivery, escalation or open
        lead procedure) it ticks only every `idle_tick_s`: a quiet node does not fill its
        journal with ticks. Ticks are journaled inputs, so their timing never makes a
        replay differ."""
        while True:
            now = self.clock.now()
            await self.append([Event(event_id=f"tick:{now.isoformat()}", kind=TICK_KIND, at=now)])
            started = time.monotonic()
            every = self.settings.tick_s if self.busy() else self.settings.idle_tick_s
            self.lag.ticked(every / self.settings.speed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tick_soon.wait(), timeout=every / self.settings.speed)
            self._tick_soon.clear()
            gap = self.settings.min_tick_gap_s - (time.monotonic() - started)
            if gap > 0:
                await asyncio.sleep(gap)

    async def _process_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._process_once()
                self._snapshot_if_due()
                await asyncio.sleep(0)  # let the ticker and the API in between chunks
            except Exception:
                log.exception("processing failed; retrying on next wake")
                await asyncio.sleep(0.1)
                self._wake.set()

    async def _process_once(self) -> None:
        async with self._turn:
            self._between_turns = False
            await self._turn_once()
            self._between_turns = True  # not reached if cancelled inside the turn

    async def _turn_once(self) -> None:
        # A backlog is folded a chunk at a time, giving the loop back in between, so the
        # ticker keeps journaling ticks on time and the API keeps answering while the node
        # catches up (chunking never changes a decision: see `Pipeline.process`).
        entries = await asyncio.to_thread(self.journal.read, self._pos, READ_CHUNK)
        if not entries:
            return
        if len(entries) == READ_CHUNK:
            self._wake.set()
        decisions = self.pipeline.process(entries)
        last = entries[-1].seq
        seqs = await self._append(decisions, follower=Pipeline.FOLLOWER, position=last)
        self._pos = last
        self.lag.appended(max(seqs, default=0))
        self.lag.decided(last)
        if decisions:
            self._wake.set()
        self.dispatcher.observe(entries)
        self.views.observe(entries)
        await self._announce(entries)
        attempts = self.dispatcher.due(self.clock.now(), self.console.reachable)
        if attempts:
            await self._append(attempts)
            await self._send(attempts)
        await self.outreach.step(entries, self.dispatcher.latest)

    async def settle(self, max_rounds: int = 1000) -> int:
        """Fold everything journaled so far, as the process loop would, until a turn
        leaves nothing new (at most `max_rounds` turns); return the turns taken. For a
        driver that moves a manual clock instead of running the loops (`warnline bench
        memory`): the node then does exactly the served loop's work, in order."""
        for rounds in range(1, max_rounds + 1):
            before = self._pos
            await self._process_once()
            if self._pos == before:
                return rounds
        return max_rounds

    async def _send(self, attempts: list[Event]) -> None:
        for ev in attempts:
            alert = self.dispatcher.latest[ev.payload["alert_id"]]
            if alert.version != ev.payload["version"]:
                continue
            user = ev.payload["recipient"]
            view = self.release.alert(
                self.accounts.partner_of(user), alert, self.dispatcher.acks_for(alert.alert_id)
            )
            if view is not None:
                await self.console.send(user, {"type": "alert", "alert": view})

    async def _announce(self, entries: list[Entry]) -> None:
        """Tell consoles about acknowledgements and assignments as they land."""
        for entry in entries:
            ev = entry.event
            if ev.kind == "ack.received":
                for user in self._recipients(ev.payload["partner"]):
                    await self.console.send(user, {"type": "ack", **ev.payload})
            elif ev.kind == ASSIGNMENT_KIND:
                a = from_json(Assignment, ev.payload)
                for user in self.console.online():
                    view = self.views.released_assignment(self.accounts.partner_of(user), a)
                    if view is not None:
                        await self.console.send(user, {"type": "assignment", "assignment": view})

    async def _picture_loop(self) -> None:
        """One picture per partner (its consoles share it), the event loop given back
        between partners: a large picture must not hold up decisions for all of them."""
        while True:
            await asyncio.sleep(self.settings.picture_push_s)
            by_partner: dict[str, list[str]] = {}
            for user in self.console.online():
                by_partner.setdefault(self.accounts.partner_of(user), []).append(user)
            for partner, users in sorted(by_partner.items()):
                picture = {"type": "picture", **self.views.picture_for(partner, tentative=False)}
                for user in users:
                    await self.console.send(user, picture)
                await asyncio.sleep(0)

    async def _lag_loop(self, every_s: float = 0.1) -> None:
        """Notice the event loop being held up (a wake-up that comes late)."""
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time() + every_s
            await asyncio.sleep(every_s)
            self.lag.woke_late(loop.time() - asked)

    def health(self) -> dict[str, Any]:
        """What `/healthz` says beyond "ok": how far behind each loop is, and why."""
        return self.lag.view()

    def busy(self) -> bool:
        """Something whose next step depends on time passing."""
        return bool(
            self.pipeline.picture.tracks()
            or self.pipeline.alerting.active
            or self.dispatcher.state.pending
            or self.outreach.escalator.pending()
            or self.pipeline.assigner.pending()
        )

    def wake(self) -> None:
        self._wake.set()

    def now(self) -> datetime:
        return self.clock.now()


__all__ = ["ALERT_KIND", "ATTEMPT_KIND", "Node", "NodeSettings"]
