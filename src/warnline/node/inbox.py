"""The one way into the journal for a running node: append, then wake the loops.

Commands append inputs; the runner appends decisions together with its follower
position (atomically, so a crash never leaves a decision without its position) and
delivery attempts. Either way the lag watch learns the newest entry and the process
loop is woken.
"""

from __future__ import annotations

import asyncio

from warnline.journal import Event, Journal
from warnline.node.lag import LagWatch


class Inbox:
    def __init__(self, journal: Journal, lag: LagWatch) -> None:
        self.journal = journal
        self.lag = lag
        self.wake = asyncio.Event()  # something new to fold
        self.tick_soon = asyncio.Event()  # a submission wants a clock tick soon

    async def append(self, events: list[Event]) -> list[int]:
        """Durably journal inputs, then wake the pipeline."""
        if not events:
            return []
        seqs = await self.store(events)
        self.lag.appended(max(seqs, default=0))
        self.wake.set()
        return seqs

    async def store(
        self, events: list[Event], follower: str | None = None, position: int = 0
    ) -> list[int]:
        """Journal without waking: the journal's own writer (SQLite's group commit)
        commits and fsyncs off the event loop; this awaits its word that it is durable."""
        fut = self.journal.submit(events, follower=follower, position=position)
        return await asyncio.wrap_future(fut)
