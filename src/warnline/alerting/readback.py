"""Every alert version in journal order, for read-back without loss.

A partner's system polls `GET /api/v1/alerts?since=CURSOR`; the cursor is the journal
sequence number of the `alert.issued` entry of the last version it got. Versions are
folded in here only as their entries are read back from the journal, in sequence order,
so a version stored later always has a larger cursor than any already handed out: a
poller that passes back the `next` it was given can never skip one, even while versions
are issued between (or during) its polls. The log shares the lifecycle's version objects
(a payload is parsed only if the history lacks it).

Memory stays bounded over a long raid: with `retain_s`, a version sent longer ago than
that (by the journal's own times) leaves the log, and `forgotten` says up to which cursor;
a poller behind that reads the older versions back from the journal
(`Journal.read_kind`), so an old cursor still gets every version after it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta

from warnline.domain import Alert
from warnline.journal import Entry
from warnline.journal.kinds import Kind
from warnline.journal.payloads import payload

__all__ = ["AlertLog"]


class AlertLog:
    def __init__(
        self, lookup: Callable[[str, int], Alert | None], *, retain_s: float | None = None
    ) -> None:
        self._lookup = lookup
        self.retain_s = retain_s
        self._seqs: list[int] = []
        self._alerts: list[Alert] = []
        self._newest: datetime | None = None
        self.forgotten = 0  # versions stored at or before this cursor have left the log

    def observe(self, entries: Iterable[Entry]) -> None:
        """Fold journal entries in (in journal order; entries seen before are ignored)."""
        for entry in entries:
            ev = entry.event
            if self._newest is None or ev.at > self._newest:
                self._newest = ev.at
            if ev.kind != Kind.ALERT or entry.seq <= max(self.last, self.forgotten):
                continue
            key = (str(ev.payload["alert_id"]), int(ev.payload["version"]))
            self._seqs.append(entry.seq)
            self._alerts.append(self._lookup(*key) or payload(ev, Alert))
        self._forget()

    def _forget(self) -> None:
        if self.retain_s is None or self._newest is None or not self._seqs:
            return
        cutoff = self._newest - timedelta(seconds=self.retain_s)
        n = 0
        while n < len(self._alerts) and self._alerts[n].sent_at < cutoff:
            n += 1
        if n:
            self.forgotten = self._seqs[n - 1]
            del self._seqs[:n], self._alerts[:n]

    def __len__(self) -> int:
        return len(self._seqs)

    @property
    def last(self) -> int:
        """The cursor of the newest version (0 before the first)."""
        return self._seqs[-1] if self._seqs else self.forgotten

    def after(self, cursor: int) -> Iterator[tuple[int, Alert]]:
        """(cursor, version) of every version held stored after `cursor`, oldest first
        (those up to `forgotten` are the journal's to give)."""
        for i in range(bisect.bisect_right(self._seqs, cursor), len(self._seqs)):
            yield self._seqs[i], self._alerts[i]
