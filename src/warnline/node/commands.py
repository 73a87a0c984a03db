"""What people and partner systems ask a node to do: every input is checked here,
then journaled (nothing is decided here: the pipeline decides on what the journal
holds, so a replay decides the same).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from warnline.accounts import Accounts, Action, Role
from warnline.agreement.model import Agreement
from warnline.alerting.manual import DRAFT_STAGES, END_STAGES, may_approve
from warnline.dispatch import Dispatcher, ack_event, receipt_event
from warnline.dispatch.roster import takeover_event
from warnline.domain import Acknowledgement, Alert, AlertStage, Clock, Report, Takeover
from warnline.domain.manual import (
    DraftStatus,
    ManualApproval,
    ManualDraft,
    ManualEnd,
    ManualRejection,
    ManualReport,
)
from warnline.errors import (
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    RateLimitError,
    SchemaError,
)
from warnline.ingest import Intake
from warnline.ingest.batch import Batch
from warnline.ingest.manual import body_field, parse_manual
from warnline.ingest.signature import SignedRequest, Signer
from warnline.journal import Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import event
from warnline.node.inbox import Inbox
from warnline.node.views import ReleasedViews
from warnline.release import Release
from warnline.response import LeadProcedure
from warnline.response.inputs import answer_event, override_event, readiness_event


class Commands:
    def __init__(
        self,
        *,
        agreement: Agreement,
        clock: Clock,
        accounts: Accounts,
        intake: Intake,
        inbox: Inbox,
        dispatcher: Dispatcher,
        release: Release,
        views: ReleasedViews,
        assigner: LeadProcedure,
        recipients: Callable[[str], list[str]],
    ) -> None:
        self.agreement = agreement
        self.clock = clock
        self.accounts = accounts
        self.intake = intake
        self.inbox = inbox
        self.dispatcher = dispatcher
        self.release = release
        self.views = views
        self.assigner = assigner
        self.recipients = recipients

    # -- partners' reports ------------------------------------------------------------

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
            stored = await asyncio.to_thread(self.inbox.journal.stored, list(pending))
            self.intake.refuse_stored(batch, pending, stored)
            await self.inbox.append([ev for ev, _ in pending.values()])
        self.inbox.tick_soon.set()
        return batch

    async def submit_cap(self, request: SignedRequest) -> list[str]:
        """A signed CAP message from a partner's civil-defence system (ingest/cap_adapter)."""
        reports = self.intake.cap_submission(request)
        await self._journal_reports(reports)
        return [r.key for r in reports]

    async def submit_stream(self, reports: list[Report]) -> list[tuple[int, InputError]]:
        """Reports a partner's TAK system streamed (warnline.cot), its partner already
        known from the connection: those that pass are journaled as one submission; the
        others come back by index with why. A fault of the whole submission (rate, a
        reused id with other content) raises."""
        kept, refused = self.intake.stream_reports(reports)
        if kept:
            await self._journal_reports(kept)
        return refused

    async def submit_asterix(self, reports: list[Report]) -> list[InputError]:
        """Reports decoded from a partner's ASTERIX (ingest/asterix.py; the listener
        knows the partner): checked and journaled as a streamed submission is; returns
        why each refused one was (UDP has no one to answer, the listener counts them)."""
        try:
            kept, refused = self.intake.stream_reports(reports)
        except RateLimitError as exc:
            return [exc] * len(reports)
        errors = [e for _, e in refused]
        if not kept:
            return errors
        try:
            await self._journal_reports(kept)
        except InputError as exc:  # a reused id with other content, or the share while behind
            return errors + [exc] * len(kept)
        return errors

    async def _journal_reports(self, reports: list[Report], beside: Sequence[Event] = ()) -> None:
        """Journal one submission unless a report reuses a stored id with other content
        (409); while decisions lag, a partner over its share of the waiting reports is
        told to wait (429, ingest/checks.py). `beside`: entries journaled with it."""
        events = [*self.intake.events(reports, submission=uuid.uuid4().hex), *beside]
        with (
            self.intake.share.hold(reports[0].partner if reports else "", len(reports)),
            self.intake.claim(events),
        ):
            ids = [e.event_id for e in events]
            stored = await asyncio.to_thread(self.inbox.journal.stored, ids)
            self.intake.check_stored(events, stored)
            await self.inbox.append(events)
        self.inbox.tick_soon.set()

    async def manual_report(self, username: str, body: bytes) -> Report:
        """A report typed in by a watch officer: a report of their partner through the
        same checks as a partner system's, journaled with who entered it and from what
        source (ingest/manual.py)."""
        if not self.accounts.may(username, Action.MANUAL_REPORT):
            raise ForbiddenError(f"role {self.accounts.role_of(username)} may not enter reports")
        partner = self.accounts.partner_of(username)
        report, source = parse_manual(body, partner=partner, user=username)
        try:
            (report,) = self.intake.accept([report])
        except InputError as exc:
            raise body_field(exc) from None
        note = ManualReport(
            report_id=report.report_id, partner=partner, user=username, source=source
        )
        ev = event(
            Kind.MANUAL_REPORT, note, event_id=f"manual-report:{partner}:{report.report_id}",
            at=self.clock.now(),
        )  # fmt: skip
        await self._journal_reports([report], beside=[ev])
        return report

    # -- manual alerts ----------------------------------------------------------------

    async def draft_alert(
        self, username: str, areas: Sequence[str], stage: AlertStage, text: str
    ) -> ManualDraft:
        """A manual alert drafted: out at once if every area is the drafter's partner's,
        else pending a second person's approval (alerting/manual.py)."""
        if not self.accounts.may(username, Action.DRAFT_ALERT):
            raise ForbiddenError(f"role {self.accounts.role_of(username)} may not draft alerts")
        partner = self.accounts.partner_of(username)
        if stage not in DRAFT_STAGES:
            raise SchemaError("early_warning or alert (take shelter)", field="stage")
        if not text.strip():
            raise SchemaError("say why: the text goes into every message", field="text")
        if not areas or len(set(areas)) != len(areas):
            raise SchemaError("one or more areas, each once", field="areas")
        owners = []
        for i, area_id in enumerate(areas):
            owner = self.views.area_known_to(partner, area_id)
            if owner is None:
                raise SchemaError(f"no area {area_id!r}", field=f"areas.{i}")
            owners.append(owner)
        now = self.clock.now()
        rules = self.views.manual_rules
        draft = ManualDraft(
            draft_id=f"MD{uuid.uuid4().hex[:10]}", user=username, partner=partner,
            role=self.accounts.role_of(username).value, areas=tuple(areas),
            partners=tuple(sorted(set(owners))), stage=stage, text=text.strip(),
            drafted_at=now, expires_at=now + timedelta(seconds=rules.expire_after_s),
            needs_approval=any(o != partner for o in owners),
        )  # fmt: skip
        ev = event(Kind.MANUAL_DRAFT, draft, event_id=f"manual-draft:{draft.draft_id}", at=now)
        await self.inbox.append([ev])
        self.inbox.tick_soon.set()
        return draft

    async def decide_draft(
        self, username: str, draft_id: str, approve: bool, reason: str
    ) -> ManualApproval | ManualRejection:
        """A second person approves or rejects a pending draft: never its drafter (403);
        a draft already decided or lapsed is a conflict (409)."""
        if not self.accounts.may(username, Action.APPROVE_ALERT):
            raise ForbiddenError(f"role {self.accounts.role_of(username)} may not approve alerts")
        partner = self.accounts.partner_of(username)
        role = self.accounts.role_of(username).value
        draft, status = self.views.manual_draft(partner, draft_id)
        why = may_approve(
            draft, user=username, partner=partner, role=role,
            cell=self.agreement.coordination_cell, rules=self.views.manual_rules,
        )  # fmt: skip
        if why is not None:
            raise ForbiddenError(why)
        now = self.clock.now()
        if status is not DraftStatus.PENDING:
            raise ConflictError(f"draft {draft_id} is {status.value}", field="draft_id")
        if now >= draft.expires_at:
            raise ConflictError(f"draft {draft_id} expired unapproved", field="draft_id")
        if not approve and not reason.strip():
            raise SchemaError("a rejection says why", field="reason")
        fields = dict(draft_id=draft_id, user=username, partner=partner, role=role,
                      reason=reason.strip())  # fmt: skip
        if approve:
            decision: ManualApproval | ManualRejection = ManualApproval(**fields)
            kind = Kind.MANUAL_APPROVAL
        else:
            decision, kind = ManualRejection(**fields), Kind.MANUAL_REJECTION
        ev = event(kind, decision, event_id=f"{kind}:{draft_id}:{uuid.uuid4().hex}", at=now)
        await self.inbox.append([ev])
        self.inbox.tick_soon.set()
        return decision

    async def end_manual(
        self, username: str, draft_id: str, stage: AlertStage, reason: str
    ) -> ManualEnd:
        """A manual all-clear or cancel of an issued draft, by someone who may draft,
        of the drafter's partner or the cell."""
        if not self.accounts.may(username, Action.DRAFT_ALERT):
            raise ForbiddenError(f"role {self.accounts.role_of(username)} may not end alerts")
        partner = self.accounts.partner_of(username)
        _, status = self.views.manual_draft(partner, draft_id)
        if stage not in END_STAGES:
            raise SchemaError("all_clear or cancel", field="stage")
        if not reason.strip():
            raise SchemaError("say why the alert ends", field="reason")
        if status is not DraftStatus.ISSUED:
            raise ConflictError(f"draft {draft_id} is {status.value}, not issued", field="draft_id")
        end = ManualEnd(draft_id=draft_id, user=username, partner=partner, stage=stage,
                        reason=reason.strip())  # fmt: skip
        now = self.clock.now()
        ev = event(Kind.MANUAL_END, end, event_id=f"manual-end:{draft_id}", at=now)
        await self.inbox.append([ev])
        self.inbox.tick_soon.set()
        return end

    # -- acknowledgements and receipts --------------------------------------------------

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
        await self.inbox.append([ack_event(ack)])
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
        await self.inbox.append([ack_event(ack)])
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
        if alert is None or username not in self.recipients(alert.partner):
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
        await self.inbox.append([ev])

    # -- the roster -----------------------------------------------------------------------

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
        await self.inbox.append([takeover_event(t)])
        return t

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
        current = self.assigner.current(incident_id)
        hidden = current is not None and self.views.released_assignment(partner, current) is None
        if is_commander and hidden:
            raise NotFoundError(f"no lead procedure for incident {incident_id}")
        ev = answer_event(
            self.assigner, username=username, partner=partner,
            is_commander=is_commander,
            incident_id=incident_id, accept=accept, channel=channel, version=version,
            at=self.clock.now(),
        )  # fmt: skip
        await self.inbox.append([ev])
        self.inbox.tick_soon.set()
        return ev.payload | {"at": ev.at.isoformat()}

    async def override_lead(
        self, username: str, incident_id: str, lead: str, reason: str
    ) -> dict[str, Any]:
        """The coordination cell names the lead of a stuck (or any) incident."""
        ev = override_event(
            self.assigner, self.agreement, username=username,
            is_cell=self.is_cell(username), incident_id=incident_id,
            lead=lead, reason=reason, at=self.clock.now(),
        )  # fmt: skip
        await self.inbox.append([ev])
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
        await self.inbox.append([ev])
        return ev.payload

    def is_cell(self, username: str) -> bool:
        """The cell role counts only on an account of the coordination cell's partner
        (such an account elsewhere is refused at start as well: `check_cell_accounts`)."""
        return (
            self.accounts.may(username, Action.OVERRIDE_LEAD)
            and self.accounts.partner_of(username) == self.agreement.coordination_cell
        )
