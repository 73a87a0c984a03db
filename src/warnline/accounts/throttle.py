"""Growing delays after failed sign-ins, per (user name, source address) and per source.

A hard lock-out per user name lets anyone who knows a duty officer's name keep that
officer out. Here failures only slow down the place they come from: after a few free
tries, each further failure from the same source for the same name doubles the wait
before that pair may try again, and a source that fails across many names is slowed
as a whole. The rightful user, signing in from their own console, is never held by
someone else's guesses.

Nothing sleeps: a try made before its time is refused at once with the seconds left
(the API answers 429 with Retry-After), against the clock the caller passes in. The
table is bounded (least recently failed entries are dropped first) and entries are
forgotten a while after their last failure, so guessing cannot grow memory.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from warnline.errors import SignInDelayError


@dataclass(frozen=True, kw_only=True)
class ThrottlePolicy:
    """How patient the sign-in is with failures (defaults: a typo costs nothing,
    a guesser at one address gets at most one try a minute after some twenty)."""

    free_per_pair: int = 3  # failures of one name from one source before any delay
    free_per_source: int = 20  # failures of all names from one source before any delay
    first_delay_s: float = 1.0  # the first delay; each further failure doubles it
    max_delay_s: float = 60.0
    forget_after_s: float = 15 * 60.0  # an entry without a new failure this long goes
    max_entries: int = 10_000  # bounded memory: least recently failed go first


@dataclass(kw_only=True)
class _Failures:
    count: int
    last_at: datetime
    not_before: datetime


class SignInThrottle:
    """Counts failures per key and says when a key may try again."""

    def __init__(self, policy: ThrottlePolicy | None = None) -> None:
        self.policy = policy or ThrottlePolicy()
        self._table: OrderedDict[tuple[str, ...], _Failures] = OrderedDict()

    def __len__(self) -> int:
        return len(self._table)

    @staticmethod
    def _keys(username: str, source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (username, source), (source,)

    def check(self, username: str, source: str, now: datetime) -> None:
        """Refuse a try made before its pair or its source may try again."""
        self._expire(now)
        wait = 0.0
        for key in self._keys(username, source):
            entry = self._table.get(key)
            if entry is not None and entry.not_before > now:
                wait = max(wait, (entry.not_before - now).total_seconds())
        if wait > 0:
            raise SignInDelayError(
                "too many failed sign-ins from this address; try again later",
                retry_after_s=wait,
            )

    def failed(self, username: str, source: str, now: datetime) -> None:
        pair, src = self._keys(username, source)
        self._count(pair, self.policy.free_per_pair, now)
        self._count(src, self.policy.free_per_source, now)

    def succeeded(self, username: str, source: str) -> None:
        """The pair starts afresh; the source's tally stays (one good password does not
        excuse a thousand guesses at other names)."""
        self._table.pop(self._keys(username, source)[0], None)

    def _count(self, key: tuple[str, ...], free: int, now: datetime) -> None:
        entry = self._table.pop(key, None)
        count = 1 if entry is None else entry.count + 1
        over = count - free
        delay = (
            0.0
            if over <= 0
            else min(self.policy.max_delay_s, self.policy.first_delay_s * 2 ** (over - 1))
        )
        self._table[key] = _Failures(
            count=count, last_at=now, not_before=now + timedelta(seconds=delay)
        )
        while len(self._table) > self.policy.max_entries:
            self._table.popitem(last=False)

    def _expire(self, now: datetime) -> None:
        """Drop entries whose last failure is older than the forget window (the table is
        ordered by last failure, so only its head needs looking at)."""
        horizon = now - timedelta(seconds=self.policy.forget_after_s)
        while self._table:
            key, entry = next(iter(self._table.items()))
            if entry.last_at > horizon:
                break
            del self._table[key]


__all__ = ["SignInThrottle", "ThrottlePolicy"]
