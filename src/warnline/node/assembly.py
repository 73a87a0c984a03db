"""The composition root: the one place where a node's stages are chosen and joined.

Everything else is handed its collaborators. A node is its commands (what may be
asked of it), its views (what each viewer may read), the followers that fold the
journal and the runner that drives them; the HTTP layer talks to commands and views.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from warnline.accounts import Accounts, Role, check_cell_accounts
from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.alerting.area_shapes import warm
from warnline.alerting.threat import ThreatRuleCheck
from warnline.assess import Assessor
from warnline.channels import ConsoleChannel
from warnline.channels.base import PersonChannel
from warnline.dispatch import Dispatcher
from warnline.domain import Clock
from warnline.domain.plane import regional_plane
from warnline.ingest import Intake
from warnline.ingest.checks import JournalShare
from warnline.journal import Journal
from warnline.journal.retention import Retention
from warnline.journal.snapshots import SnapshotStore
from warnline.node.commands import Commands
from warnline.node.followers import Followers
from warnline.node.inbox import Inbox
from warnline.node.lag import LagWatch
from warnline.node.recovery import Recovery
from warnline.node.runner import Runner
from warnline.node.settings import NodeSettings
from warnline.node.views import ReleasedViews
from warnline.outreach import Outreach
from warnline.picture import Picture
from warnline.picture.remote import PictureProcess
from warnline.pipeline import Pipeline
from warnline.release import Release
from warnline.response import LeadProcedure


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
        retention: Retention | None = None,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        check_cell_accounts(accounts.users(), agreement.coordination_cell)
        self.agreement = agreement
        self.journal = journal
        self.clock = clock
        self.accounts = accounts
        self.settings = s = settings or NodeSettings()
        plane = regional_plane()
        self.lag = LagWatch(max_lag_s=s.max_lag_s, reports=lambda: self.pipeline.reports_seen)
        self.inbox = Inbox(journal, self.lag)
        # While decisions lag, a partner over its fair share waits (ingest/checks.py).
        share = JournalShare(behind=lambda: self.lag.decision_lag_s() > s.shed_lag_s)
        self.intake = Intake(agreement=agreement, clock=clock, share=share)
        picture = Picture(plane=plane)
        self.pipeline = Pipeline(
            picture=PictureProcess(picture) if s.picture_process else picture,
            assessor=Assessor(agreement=agreement, plane=plane),
            incidents=IncidentBook(plane=plane, threat_rule=ThreatRuleCheck(agreement)),
            alerting=Alerting(agreement=agreement),
            assigner=LeadProcedure(agreement=agreement),
        )
        self.release = Release(agreement)
        self.console = ConsoleChannel(send_deadline_s=s.console_send_deadline_s)
        self.dispatcher = Dispatcher(
            recipients=self.recipients,
            partner_of=accounts.partner_of,
            # The dispatcher runs on the node's clock; a receipt comes back in wall time
            # (network, a browser, a loaded machine). At 5x, 10 clock seconds were 2 wall
            # seconds, and a console that answered in 2.1 s got the version twice.
            retry_s=s.retry_s * s.speed,
        )
        self.outreach = Outreach(
            agreement=agreement,
            release=self.release,
            channels=channels or {},
            append=self.inbox.append,
            now=clock.now,
            role_of=self.role_of,
            notify_cell=self._notify_cell,
        )
        self.views = ReleasedViews(
            agreement=agreement,
            pipeline=self.pipeline,
            dispatcher=self.dispatcher,
            release=self.release,
            clock=clock,
            journal=journal,
            speed=s.speed,
            # Not bound to today's health object: a snapshot's restore replaces it.
            channel_health=lambda: self.outreach.health.view(),
            loop_health=self.lag.view,
            role_of=self.role_of,
            escalation_of=lambda alert_id: self.outreach.escalator.escalations.get(alert_id),
        )
        self.commands = Commands(
            agreement=agreement,
            clock=clock,
            accounts=accounts,
            intake=self.intake,
            inbox=self.inbox,
            dispatcher=self.dispatcher,
            release=self.release,
            views=self.views,
            assigner=self.pipeline.assigner,
            recipients=self.recipients,
        )
        self.followers = Followers(
            agreement=agreement,
            accounts=accounts,
            settings=s,
            journal=journal,
            lag=self.lag,
            pipeline=self.pipeline,
            dispatcher=self.dispatcher,
            views=self.views,
            outreach=self.outreach,
            snapshots=snapshots,
            retention=retention,
            collaborators=self._collaborators,
            forbidden=(Node, Inbox),
        )
        self.runner = Runner(
            settings=s,
            clock=clock,
            accounts=accounts,
            inbox=self.inbox,
            followers=self.followers,
            release=self.release,
            console=self.console,
            recipients=self.recipients,
        )
        self._plane = plane
        self._announce_line = announce
        self.recovery: Recovery | None = None
        self.ready = asyncio.Event()

    # -- wiring the stages need from each other ----------------------------------------

    def recipients(self, partner: str) -> list[str]:
        """Who is told of a partner's alerts: its own accounts and the cell's."""
        users = self.accounts.of_partner(partner)
        if partner != self.agreement.coordination_cell:
            users += self.accounts.of_partner(self.agreement.coordination_cell)
        return users

    def role_of(self, user: str) -> str | None:
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

    def _collaborators(self) -> dict[str, object]:
        """What the followers use but do not own: written by name, never by value."""
        return {
            "node": self,
            "inbox": self.inbox,
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

    # -- life cycle ----------------------------------------------------------------

    async def start(self) -> None:
        # The alert outlines of every area, made beside recovery and the first decisions
        # rather than on the loop at each area's first alert (alerting/area_shapes.py).
        geometries = [a.geometry for a in self.agreement.areas]
        threading.Thread(target=warm, args=(geometries,), name="area-shapes", daemon=True).start()
        if isinstance(self.pipeline.picture, PictureProcess):
            self.pipeline.picture.start()  # importing takes the child a moment: beside recovery
        self.recovery = await asyncio.to_thread(self.followers.recover)
        if self._announce_line is not None:
            self._announce_line(self.recovery.describe())
        self.runner.start()
        self.ready.set()

    def recover(self) -> Recovery:
        """Rebuild the followers' state without starting the loops (see `Followers`)."""
        return self.followers.recover()

    async def snapshot(self) -> int | None:
        return await self.followers.snapshot()

    async def settle(self, max_rounds: int = 1000) -> int:
        return await self.runner.settle(max_rounds)

    async def stop(self) -> None:
        """Stop the loops, then take a last snapshot (`Followers.finish`)."""
        stopped = await self.runner.stop()
        await self.followers.finish(stopped)
        await self.outreach.stop()
        if isinstance(self.pipeline.picture, PictureProcess):
            await asyncio.to_thread(self.pipeline.picture.close)

    def wake(self) -> None:
        self.inbox.wake.set()

    def now(self) -> datetime:
        return self.clock.now()
