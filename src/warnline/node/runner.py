"""The node's loops: ticks, the decision turn, picture pushes and the lag watch.

They only move entries from the journal through the folds they were given:

    inputs (reports, acks, receipts, ticks) -> journal -> pipeline -> decisions -> journal
    journal -> dispatcher -> attempts -> journal -> channels
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from warnline.accounts import Accounts
from warnline.channels import ConsoleChannel
from warnline.domain import Acknowledgement, Assignment, Attempt, Clock, StepFired
from warnline.journal import Entry, Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import payload
from warnline.node.followers import Followers
from warnline.node.inbox import Inbox
from warnline.node.settings import READ_CHUNK, NodeSettings
from warnline.picture.remote import PictureProcessError
from warnline.pipeline import Pipeline
from warnline.release import Release

log = logging.getLogger("warnline.node")


def through_first_tick(entries: list[Entry]) -> list[Entry]:
    """The entries of one turn: up to and including the first clock tick. A node that
    fell behind holds several ticks in one read; folded together, the alerts of the
    first waited for the assessments of all the others before anyone heard of them
    (at 300 objects a tick's assessment is ~80 ms). Chunking never changes a decision
    (`Pipeline.process`); the rest is the next turn's, at once."""
    for i, entry in enumerate(entries):
        if entry.event.kind == Kind.TICK:
            return entries[: i + 1]
    return entries


class Runner:
    def __init__(
        self,
        *,
        settings: NodeSettings,
        clock: Clock,
        accounts: Accounts,
        inbox: Inbox,
        followers: Followers,
        release: Release,
        console: ConsoleChannel,
        recipients: Callable[[str], list[str]],
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.accounts = accounts
        self.inbox = inbox
        self.followers = followers
        self.release = release
        self.console = console
        self.recipients = recipients
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._process_loop(), name="process"),
            asyncio.create_task(self._tick_loop(), name="tick"),
            asyncio.create_task(self._picture_loop(), name="picture-push"),
            asyncio.create_task(self._lag_loop(), name="lag"),
        ]

    async def stop(self) -> bool:
        """Cancel the loops and wait for them; whether any were running."""
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        stopped = bool(self._tasks)
        self._tasks = []
        return stopped

    async def _tick_loop(self) -> None:
        """Journal a clock tick every `tick_s` of scenario time, and soon after any
        submission (at most one per `min_tick_gap_s` of wall time), so a fresh report is
        decided on within tens of milliseconds rather than up to a whole tick later.
        With nothing in the air (no track, alert, pending delivery, escalation or open
        lead procedure) it ticks only every `idle_tick_s`: a quiet node does not fill its
        journal with ticks. Ticks are journaled inputs, so their timing never makes a
        replay differ."""
        soon = self.inbox.tick_soon
        while True:
            now = self.clock.now()
            await self.inbox.append(
                [Event(event_id=f"tick:{now.isoformat()}", kind=Kind.TICK, at=now)]
            )
            started = time.monotonic()
            every = self.settings.tick_s if self.busy() else self.settings.idle_tick_s
            self.inbox.lag.ticked(every / self.settings.speed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(soon.wait(), timeout=every / self.settings.speed)
            soon.clear()
            gap = self.settings.min_tick_gap_s - (time.monotonic() - started)
            if gap > 0:
                await asyncio.sleep(gap)

    async def _process_loop(self) -> None:
        wake = self.inbox.wake
        while True:
            await wake.wait()
            wake.clear()
            try:
                await self.process_once()
                await self.followers.snapshot_if_due()
                await asyncio.sleep(0)  # let the ticker and the API in between chunks
            except PictureProcessError as exc:
                # Its state is gone: deciding on would be deciding on an empty picture.
                # Decisions stop (health shows them falling behind) until a restart.
                log.critical("decisions stopped: %s; restart the node", exc)
                return
            except Exception:
                log.exception("processing failed; retrying on next wake")
                await asyncio.sleep(0.1)
                wake.set()

    async def process_once(self) -> None:
        f = self.followers
        async with f.turn:
            f.between_turns = False
            await self._turn_once()
            f.between_turns = True  # not reached if cancelled inside the turn

    async def _turn_once(self) -> None:
        # A backlog is folded a chunk at a time, giving the loop back in between, so the
        # ticker keeps journaling ticks on time and the API keeps answering while the node
        # catches up (chunking never changes a decision: see `Pipeline.process`).
        f, inbox = self.followers, self.inbox
        read = inbox.journal.read_held(f.pos, READ_CHUNK)  # just committed: in memory
        if read is None:
            read = await asyncio.to_thread(inbox.journal.read, f.pos, READ_CHUNK)
        if not read:
            return
        entries = through_first_tick(read)
        if len(entries) < len(read) or len(read) == READ_CHUNK:
            inbox.wake.set()
        decisions = await f.pipeline.process_async(entries)
        last = entries[-1].seq
        seqs = await inbox.store(decisions, follower=Pipeline.FOLLOWER, position=last)
        f.pos = last
        inbox.lag.appended(max(seqs, default=0))
        inbox.lag.decided(last)
        if decisions:
            inbox.wake.set()
        f.dispatcher.observe(entries)
        f.views.observe(entries)
        await self._announce(entries)
        attempts = f.dispatcher.due(self.clock.now(), self.console.reachable)
        if attempts:
            await inbox.store(attempts)
            await self._send(attempts)
        await f.outreach.step(entries, f.dispatcher.latest)

    async def settle(self, max_rounds: int = 1000) -> int:
        """Fold everything journaled so far, as the process loop would, until a turn
        leaves nothing new (at most `max_rounds` turns); return the turns taken. For a
        driver that moves a manual clock instead of running the loops (`warnline bench
        memory`): the node then does exactly the served loop's work, in order."""
        for rounds in range(1, max_rounds + 1):
            before = self.followers.pos
            await self.process_once()
            if self.followers.pos == before:
                return rounds
        return max_rounds

    async def _send(self, attempts: list[Event]) -> None:
        dispatcher = self.followers.dispatcher
        for ev in attempts:
            attempt = payload(ev, Attempt)
            alert = dispatcher.latest[attempt.alert_id]
            if alert.version != attempt.version:
                continue
            user = attempt.recipient
            view = self.followers.views.alert_view(self.accounts.partner_of(user), alert)
            if view is not None:
                await self.console.send(user, {"type": "alert", "alert": view})

    async def _announce(self, entries: list[Entry]) -> None:
        """Tell consoles about acknowledgements and assignments as they land."""
        views = self.followers.views
        for entry in entries:
            ev = entry.event
            if ev.kind == Kind.ACK:
                ack = payload(ev, Acknowledgement)
                for user in self.recipients(ack.partner):
                    progress = views.acknowledgement_for(
                        self.accounts.partner_of(user), ack.alert_id
                    )
                    await self.console.send(
                        user, {"type": "ack", **ev.payload, "acknowledgement": progress}
                    )
            elif ev.kind == Kind.ESCALATION_STEP:
                # The escalation reached its next step (a phone call, an SMS): its
                # partner's consoles and the cell show who is being called now.
                fired = payload(ev, StepFired)
                for user in self.recipients(fired.partner):
                    progress = views.acknowledgement_for(
                        self.accounts.partner_of(user), fired.alert_id
                    )
                    if progress is not None:
                        msg = {"type": "ack.progress", "alert_id": fired.alert_id}
                        await self.console.send(user, msg | {"acknowledgement": progress})
            elif ev.kind == Kind.ASSIGNMENT:
                # Released once per partner, not per console: whether a partner may see
                # the incident is worked out from its whole released picture.
                a = payload(ev, Assignment)
                for partner, users in self._online_by_partner().items():
                    view = views.released_assignment(partner, a)
                    if view is not None:
                        await self.console.send_many(
                            users, {"type": "assignment", "assignment": view}
                        )

    async def _picture_loop(self) -> None:
        """One picture per partner (its consoles share it), the event loop given back
        between partners: a large picture must not hold up decisions for all of them."""
        views = self.followers.views
        while True:
            await asyncio.sleep(self.settings.picture_push_s)
            for partner, users in self._online_by_partner().items():
                picture = {"type": "picture", **views.picture_for(partner, tentative=False)}
                await self.console.send_many(users, picture)
                await asyncio.sleep(0)

    def _online_by_partner(self) -> dict[str, list[str]]:
        """The users with an open console, by partner (sorted)."""
        by_partner: dict[str, list[str]] = {}
        for user in self.console.online():
            by_partner.setdefault(self.accounts.partner_of(user), []).append(user)
        return dict(sorted(by_partner.items()))

    async def _lag_loop(self, every_s: float = 0.1) -> None:
        """Notice the event loop being held up (a wake-up that comes late)."""
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time() + every_s
            await asyncio.sleep(every_s)
            self.inbox.lag.woke_late(loop.time() - asked)

    def busy(self) -> bool:
        """Something whose next step depends on time passing."""
        f = self.followers
        return bool(
            f.pipeline.picture.tracks()
            or f.pipeline.alerting.active
            or f.dispatcher.state.pending
            or f.outreach.escalator.pending()
            or f.pipeline.assigner.pending()
        )
