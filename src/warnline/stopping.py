"""SIGINT and SIGTERM as a request to stop, for the commands that run until stopped.

From `install()` on, a signal is only recorded (no KeyboardInterrupt out of whatever
code was running, no death by SIGTERM before children are stopped); inside the event
loop `bound()` turns it into an `asyncio.Event` the command's main job waits on, so
the command stops its work in order and exits with the conventional 128 + signal.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """The stop signals a process received; `on_again` runs for every one after the
    first (a second Ctrl-C during a slow clean-up)."""

    def __init__(self, on_again: Callable[[int], None] | None = None) -> None:
        self.received: list[int] = []
        self.on_again = on_again
        self._event: asyncio.Event | None = None

    def install(self) -> StopSignals:
        """Record stop signals from now on (outside an event loop too)."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._record)
        return self

    @property
    def first(self) -> int | None:
        return self.received[0] if self.received else None

    @property
    def name(self) -> str:
        return signal.Signals(self.received[0]).name if self.received else ""

    def exit_code(self, otherwise: int) -> int:
        """128 + the first signal, as a shell reports a process a signal ended."""
        return 128 + self.received[0] if self.received else otherwise

    def _record(self, signum: int, frame: FrameType | None) -> None:
        self._note(signum)

    def _note(self, signum: int) -> None:
        self.received.append(signum)
        if len(self.received) > 1 and self.on_again is not None:
            self.on_again(signum)
        if self._event is not None:
            self._event.set()

    @asynccontextmanager
    async def bound(self) -> AsyncIterator[asyncio.Event]:
        """An event set by the first stop signal (already set if one came before the
        loop ran); the loop's own handlers wake it even while it waits in select."""
        loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        if self.received:
            self._event.set()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self._note, sig)
        try:
            yield self._event
        finally:
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)
            self._event = None
            self.install()  # the loop's removal restored the defaults: record again
