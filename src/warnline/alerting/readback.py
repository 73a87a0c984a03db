"""Every alert version in journal order, for read-back without loss.

A partner's system polls `GET /api/v1/alerts?since=CURSOR`; the cursor is the journal
sequence number of the `alert.issued` entry of the last version it got. Versions are
folded in here only as their entries are read back from the journal, in sequence order,
so a version stored later always has a larger cursor than any already handed out: a
poller that passes back the `next` it was given can never skip one, even while versions
are issued between (or during) its polls. The log keeps keys only; the versions
themselves are the lifecycle's history (a payload is parsed only if that lacks one).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator

from warnline.domain import Alert
from warnline.domain.codec import from_json
from warnline.journal import Entry

__all__ = ["ALERT_KIND", "AlertLog"]

ALERT_KIND = "alert.issued"


class AlertLog:
    def __init__(self, lookup: Callable[[str, int], Alert | None]) -> None:
        self._lookup = lookup
        self._seqs: list[int] = []
        self._keys: list[tuple[str, int]] = []
        self._parsed: dict[tuple[str, int], Alert] = {}

    def observe(self, entries: Iterable[Entry]) -> None:
        """Fold journal entries in (in journal order; entries seen before are ignored)."""
        for entry in entries:
            ev = entry.event
            if ev.kind != ALERT_KIND or (self._seqs and entry.seq <= self._seqs[-1]):
                continue
            key = (str(ev.payload["alert_id"]), int(ev.payload["version"]))
            if self._lookup(*key) is None:
                self._parsed[key] = from_json(Alert, ev.payload)
            self._seqs.append(entry.seq)
            self._keys.append(key)

    def __len__(self) -> int:
        return len(self._seqs)

    @property
    def last(self) -> int:
        """The cursor of the newest version (0 before the first)."""
        return self._seqs[-1] if self._seqs else 0

    def after(self, cursor: int) -> Iterator[tuple[int, Alert]]:
        """(cursor, version) of every version stored after `cursor`, oldest first."""
        for i in range(bisect.bisect_right(self._seqs, cursor), len(self._seqs)):
            key = self._keys[i]
            alert = self._parsed.get(key) or self._lookup(*key)
            assert alert is not None, key
            yield self._seqs[i], alert
