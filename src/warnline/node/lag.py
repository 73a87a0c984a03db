"""Is the node keeping up? The reasons `/healthz` gives for "degraded".

Three loops can fall behind, each in its own way: the decision loop (entries journaled
but not yet decided on: how long the oldest has waited), the tick loop (a tick overdue)
and the event loop itself (a wake-up that came late, e.g. a long fold holding it). A
node that still answers 202 while it has stopped deciding must say so; this is where
it finds out. Wall time only (a monotonic clock passed in): lag is about the machine,
not about scenario time.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

MARK_EVERY_S = 0.05  # at most one (seq, time) mark per this: bounded memory under load
MAX_MARKS = 4096


class LagWatch:
    def __init__(
        self,
        *,
        now: Callable[[], float] = time.monotonic,
        max_lag_s: float = 1.0,
        window_s: float = 10.0,
        reports: Callable[[], int] = lambda: 0,
    ) -> None:
        self.now = now
        self.reports = reports  # how many reports the decisions rest on (read when decided)
        self._decided_reports = 0
        self.max_lag_s = max_lag_s
        self.window_s = window_s
        self._marks: deque[tuple[int, float]] = deque(maxlen=MAX_MARKS)  # (seq, appended at)
        self._position = 0
        self._last_seq = 0
        self._tick_due: float | None = None
        self._stalls: deque[tuple[float, float]] = deque(maxlen=MAX_MARKS)  # (at, lag)
        self.max_decision_lag_s = 0.0  # worst seen, for benchmarks

    def appended(self, last_seq: int) -> None:
        """The journal now holds entries up to `last_seq`."""
        if last_seq <= self._last_seq:
            return
        self._last_seq = last_seq
        t = self.now()
        if not self._marks or t - self._marks[-1][1] >= MARK_EVERY_S:
            self._marks.append((last_seq, t))

    def decided(self, position: int) -> None:
        """The decision loop has folded everything up to `position`."""
        self.max_decision_lag_s = max(self.max_decision_lag_s, self.decision_lag_s())
        self._position = max(self._position, position)
        self._decided_reports = self.reports()
        popped: tuple[int, float] | None = None
        while self._marks and self._marks[0][0] <= self._position:
            popped = self._marks.popleft()
        if popped is not None and not self._marks and self.behind():
            # Entries after `position` arrived within MARK_EVERY_S of the popped mark.
            self._marks.append((self._last_seq, popped[1]))

    def ticked(self, next_within_s: float) -> None:
        """A tick was journaled; the next is due within `next_within_s`."""
        self._tick_due = self.now() + next_within_s

    def woke_late(self, lag_s: float) -> None:
        """The event loop ran a timer `lag_s` later than asked."""
        if lag_s > 0.0:
            self._stalls.append((self.now(), lag_s))

    @property
    def position(self) -> int:
        """How far the decision loop has folded the journal."""
        return self._position

    def behind(self) -> int:
        return max(0, self._last_seq - self._position)

    def decision_lag_s(self) -> float:
        """How long the oldest entry not yet decided on has waited (0 when caught up)."""
        if self.behind() == 0:
            return 0.0
        # The oldest mark after the position, or (if marks were dropped) the oldest kept.
        return self.now() - self._marks[0][1] if self._marks else 0.0

    def event_loop_lag_s(self) -> float:
        """The longest late wake-up within the last `window_s`."""
        since = self.now() - self.window_s
        while self._stalls and self._stalls[0][0] < since:
            self._stalls.popleft()
        return max((lag for _, lag in self._stalls), default=0.0)

    def reasons(self) -> list[str]:
        out = []
        lag = self.decision_lag_s()
        if lag > self.max_lag_s:
            out.append(f"decision loop {self.behind()} entries behind, oldest waiting {lag:.1f} s")
        if self._tick_due is not None and self.now() - self._tick_due > self.max_lag_s:
            out.append(f"clock tick {self.now() - self._tick_due:.1f} s overdue")
        stall = self.event_loop_lag_s()
        if stall > self.max_lag_s:
            out.append(f"event loop held up {stall:.1f} s within the last {self.window_s:g} s")
        return out

    def view(self) -> dict[str, Any]:
        """`decided_seq` and `decided_reports` say how far the decisions have come (the
        journal position folded, and the reports the picture has taken by then), both
        read after the decisions were journaled: a client that knows what it sent can
        tell when its reports were decided on (`warnline bench ingest`)."""
        return {
            "decided_seq": self._position,
            "decided_reports": self._decided_reports,
            "decision_lag_entries": self.behind(),
            "decision_lag_s": round(self.decision_lag_s(), 3),
            "event_loop_lag_s": round(self.event_loop_lag_s(), 3),
            "reasons": self.reasons(),
        }
