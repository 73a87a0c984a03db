"""What people and partner systems ask a node to do: every input is checked here,
then journaled (nothing is decided here: the pipeline decides on what the journal
holds, so a replay decides the same).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from warnline.accounts import Accounts, Action, Role
from warnline.agreement.model import Agreement
from warnline.dispatch import Dispatcher, ack_event, receipt_event
from warnline.dispatch.roster import takeover_event
from warnline.domain import Acknowledgement, Alert, Clock, Report, Takeover
from warnline.errors import ForbiddenError, InputError, NotFoundError
from warnline.ingest import Intake
from warnline.ingest.batch import Batch
from warnline.ingest.signature import SignedRequest, Signer
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
            stored = await asyncio.to_thread(self.inbox.journal.stored, ids)
            self.intake.check_stored(events, stored)
            await self.inbox.append(events)
        self.inbox.tick_soon.set()

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
