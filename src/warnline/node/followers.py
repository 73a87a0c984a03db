"""The folds that follow the journal (decision pipeline, dispatcher, read views,
outreach), where they have got to, and how that state survives a restart.

Restart loads the newest snapshot that verifies and folds only the journal's tail
after it; snapshots are captured between two turns of the process loop (never inside
one, or some folds would be ahead of others) and written in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from warnline.accounts import Accounts
from warnline.agreement.model import Agreement
from warnline.dispatch import Dispatcher
from warnline.errors import JournalCorruptError, JournalError, SnapshotError
from warnline.journal import GENESIS_HASH, Entry, Journal
from warnline.journal.retention import Retention
from warnline.journal.snapshots import SnapshotStore
from warnline.journal.sqlite import SQLiteJournal
from warnline.node.aside import CaptureAside, can_fork
from warnline.node.follower_state import (
    capture,
    code_fingerprint,
    context_fingerprint,
    restore,
)
from warnline.node.lag import LagWatch
from warnline.node.recovery import OUTREACH_STATE, Recovery, SnapshotPolicy, replay_tail
from warnline.node.settings import NodeSettings
from warnline.node.views import ReleasedViews
from warnline.outreach import Outreach
from warnline.picture.remote import PictureProcess
from warnline.pipeline import Pipeline

log = logging.getLogger("warnline.node")


class Followers:
    def __init__(
        self,
        *,
        agreement: Agreement,
        accounts: Accounts,
        settings: NodeSettings,
        journal: Journal,
        lag: LagWatch,
        pipeline: Pipeline,
        dispatcher: Dispatcher,
        views: ReleasedViews,
        outreach: Outreach,
        snapshots: SnapshotStore | None,
        collaborators: Callable[[], Mapping[str, object]],
        forbidden: tuple[type, ...],
        retention: Retention | None = None,
    ) -> None:
        self.agreement = agreement
        self.accounts = accounts
        self.settings = settings
        self.journal = journal
        self.lag = lag
        self.pipeline = pipeline
        self.dispatcher = dispatcher
        self.views = views
        self.outreach = outreach
        self.snapshots = snapshots
        self.retention = retention
        self._collaborators = collaborators
        self._forbidden = (Agreement, SQLiteJournal, asyncio.Task, *forbidden)
        self.pos = 0  # the last journal entry every fold has taken in
        self.turn = asyncio.Lock()  # one turn of the process loop, or a snapshot's capture
        self.between_turns = True
        self.policy = SnapshotPolicy(
            every_entries=settings.snapshot_entries, every_s=settings.snapshot_s
        )
        self._writing: asyncio.Task[None] | None = None
        self.capture_aside = True  # periodic captures in a forked child (`aside`)

    def observe(self, entries: list[Entry]) -> None:
        """The folds after the pipeline, in the order the process loop runs them."""
        self.dispatcher.observe(entries)
        self.views.observe(entries)
        self.outreach.observe(entries)

    # -- restart ---------------------------------------------------------------------

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
                self.journal, code=code_fingerprint(), context=self.context(), upto=stored
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
            followers=(self.pipeline.process, self.observe),
        )
        if healed:  # cannot happen with atomic append_from; heal rather than diverge
            log.warning("re-stored %d decisions missing from the journal", healed)
        self.pos = stored
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
        self.policy.taken(recovery.snapshot_seq or 0)
        log.info("%s", recovery.describe())
        return recovery

    # -- snapshots -----------------------------------------------------------------

    def context(self) -> str:
        """What the folded state depends on besides the journal: the agreement, who the
        accounts are, the settings and the person channels configured."""
        users = sorted((u.username, u.partner, u.role.value) for u in self.accounts.users())
        return context_fingerprint(
            self.agreement, users, self.settings, sorted(self.outreach.channels)
        )

    def _state(self) -> dict[str, dict[str, Any]]:
        return {
            "pipeline": vars(self.pipeline),
            "dispatcher": vars(self.dispatcher),
            "alert_log": vars(self.views.alert_log),
            "incident_index": vars(self.views.incident_index),
            "outreach": {k: getattr(self.outreach, k) for k in OUTREACH_STATE},
            "offers": vars(self.outreach.offers.escalator),  # lead offers by phone
        }

    def _apply(self, parts: dict[str, dict[str, Any]]) -> None:
        before, after = self.pipeline.picture, parts["pipeline"].get("picture")
        if isinstance(before, PictureProcess) and isinstance(after, PictureProcess):
            after.adopt(before)  # the child started early serves the restored state
        vars(self.pipeline).update(parts["pipeline"])
        vars(self.dispatcher).update(parts["dispatcher"])
        vars(self.views.alert_log).update(parts["alert_log"])
        vars(self.views.incident_index).update(parts["incident_index"])
        for k in OUTREACH_STATE:
            setattr(self.outreach, k, parts["outreach"][k])
        vars(self.outreach.offers.escalator).update(parts["offers"])

    @contextlib.asynccontextmanager
    async def _picture_prepared(self) -> AsyncIterator[tuple[int, ...]]:
        """Around one capture: a picture in its own process hands over its state first
        (no turn runs in between: the capture sees the same position); yields the
        descriptors a forked capture must keep open, and closes this process's end
        after (a forked capture holds its own copy)."""
        picture = self.pipeline.picture
        if not isinstance(picture, PictureProcess):
            yield ()
            return
        await picture.prepare_capture_async()
        try:
            yield picture.capture_fds()
        finally:
            picture.release_capture()

    def _capture(self) -> tuple[int, bytes]:
        """The followers' state after entry `pos`, taken between two turns."""
        return self.pos, self._body()

    def _body(self) -> bytes:
        return capture(self._state(), self._collaborators(), forbidden=self._forbidden)

    def _write(self, seq: int, body: bytes) -> None:
        """Store a captured state (in a worker thread: hashing and fsync take time)."""
        assert self.snapshots is not None
        entry = self.journal.entry(seq) if seq else None
        self.snapshots.write(
            seq=seq,
            entry_hash="" if entry is None else entry.hash,
            code=code_fingerprint(),
            context=self.context(),
            body=body,
        )
        if self.retention is not None:  # a new replay floor: older segments may go
            try:
                step = self.retention.step()
            except (OSError, JournalError) as exc:  # the journal still holds everything
                log.warning("retention step after the snapshot at %d not done: %s", seq, exc)
            else:
                if step.segments:
                    log.info("%s", step.describe())

    async def snapshot_if_due(self) -> None:
        """Between turns: capture the state as it is now and write it in a worker
        thread; at most one capture or write in flight. The capture runs in a forked
        child (`aside`), so the loop pauses for the fork, not for the pickling; a
        picture in its own process pickles itself there first, awaited."""
        if self.snapshots is None or not self.policy.due(self.pos):
            return
        if self._writing is not None and not self._writing.done():
            return
        seq = self.pos
        async with self._picture_prepared() as keep:
            if self.capture_aside and can_fork():
                try:
                    pending: CaptureAside | bytes = CaptureAside(self._body, keep=keep)
                except OSError as exc:  # no process to spare: capture here, as before
                    log.warning("snapshot capture cannot fork (%s); capturing on the loop", exc)
                    pending = self._body()
            else:
                pending = self._body()
        self.policy.taken(seq)
        self._writing = asyncio.create_task(self._write_logged(seq, pending))

    async def _write_logged(self, seq: int, pending: CaptureAside | bytes) -> None:
        try:
            await asyncio.to_thread(self._finish_write, seq, pending)
        except (OSError, SnapshotError) as exc:  # the journal still holds everything
            log.warning("snapshot at entry %d not written: %s", seq, exc)

    def _finish_write(self, seq: int, pending: CaptureAside | bytes) -> None:
        body = pending if isinstance(pending, bytes) else pending.result()
        self._write(seq, body)

    async def snapshot(self) -> int | None:
        """Take a snapshot now (between turns) and wait until it is on disk; the entry
        it was taken at, or None without a snapshot store."""
        if self.snapshots is None:
            return None
        async with self.turn, self._picture_prepared():
            seq, body = self._capture()
        if self._writing is not None:
            await self._writing
        await asyncio.to_thread(self._write, seq, body)
        self.policy.taken(seq)
        return seq

    async def finish(self, stopped: bool) -> None:
        """After the loops stopped: a last snapshot (a clean stop restarts from where it
        stopped) unless the process loop was stopped inside a turn: then the folds may
        be at different places, and the last periodic snapshot stands."""
        if self._writing is not None:
            await self._writing
        if stopped and self.between_turns and self.policy.behind(self.pos):
            try:
                await self.snapshot()
            except (OSError, SnapshotError) as exc:
                log.warning("snapshot at stop not written: %s", exc)
