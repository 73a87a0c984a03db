"""Restart: the followers' state from a snapshot and the journal's tail after it.

The tail is folded a chunk at a time exactly as the process loop folds it (pipeline
first, then the folds that read the same entries), and nothing of it is kept beyond the
chunk: memory at restart is the followers' state plus one chunk, whatever the journal's
length. Decisions a replayed chunk gives are checked against the journal and stored
again only if missing (which atomic `append_from` rules out; healing beats diverging).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from warnline.errors import JournalCorruptError
from warnline.journal import GENESIS_HASH, Entry, Event, Journal, chain_hash

__all__ = ["OUTREACH_STATE", "REPLAY_CHUNK", "Recovery", "SnapshotPolicy", "replay_tail"]

REPLAY_CHUNK = 500  # entries per fold at restart: the process loop's chunk (node.READ_CHUNK)
# What of `Outreach` is folded state (its channels, tasks and figures are not).
OUTREACH_STATE = ("escalator", "health", "codes", "_forgotten")


@dataclass(frozen=True, kw_only=True, slots=True)
class Recovery:
    """What a start loaded: the snapshot's entry (None: none, a full replay), how many
    entries of tail were folded, the followers' stored position and the journal's end,
    the snapshots passed over and why, and the time it took."""

    snapshot_seq: int | None
    tail: int
    position: int
    journal_seq: int
    passed_over: tuple[str, ...] = ()
    seconds: float = 0.0

    def describe(self) -> str:
        loaded = (
            f"snapshot at seq {self.snapshot_seq} + tail of {self.tail} entries"
            if self.snapshot_seq is not None
            else f"no snapshot, full replay of {self.tail} entries"
        )
        skipped = f"; passed over: {'; '.join(self.passed_over)}" if self.passed_over else ""
        return (
            f"recovered from {loaded} in {self.seconds:.2f} s; decisions at {self.position}, "
            f"journal at {self.journal_seq}{skipped}"
        )


def replay_tail(
    journal: Journal,
    after: int,
    upto: int,
    *,
    after_hash: str = GENESIS_HASH,
    followers: tuple[Callable[[Sequence[Entry]], list[Event]], Callable[[list[Entry]], object]],
    chunk: int = REPLAY_CHUNK,
) -> tuple[int, int]:
    """Fold entries `after` < seq <= `upto` through the decision fold, then the others;
    return (entries folded, decisions re-stored because the journal lacked them). Each
    entry is checked against the chain from `after_hash` (the hash of entry `after`)
    before it is folded: JournalCorruptError names the first that does not follow."""
    decide, observe = followers
    folded = healed = 0
    prev = after_hash
    while after < upto:
        entries = journal.read(after, min(chunk, upto - after))
        if not entries:
            break
        prev = _check_chain(entries, after, prev)
        decisions = decide(entries)
        if decisions:
            have = journal.contains([e.event_id for e in decisions])
            lost = [e for e in decisions if e.event_id not in have]
            if lost:
                journal.append(lost)
                healed += len(lost)
        observe(entries)
        folded += len(entries)
        after = entries[-1].seq
    return folded, healed


def _check_chain(entries: Sequence[Entry], after: int, prev: str) -> str:
    for n, entry in enumerate(entries, start=after + 1):
        if entry.seq != n:
            raise JournalCorruptError(
                n, f"expected entry {n}, found {entry.seq}; refusing to start"
            )
        if entry.prev_hash != prev or chain_hash(prev, n, entry.event) != entry.hash:
            raise JournalCorruptError(
                n, "does not follow from the entry before it (changed); refusing to start"
            )
        prev = entry.hash
    return prev


class SnapshotPolicy:
    """When to take the next snapshot: after `every_entries` folded entries, or after
    `every_s` (monotonic seconds) once anything at all was folded since the last."""

    def __init__(
        self,
        *,
        every_entries: int,
        every_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every_entries = every_entries
        self.every_s = every_s
        self._monotonic = monotonic
        self._seq = 0
        self._at = monotonic()

    def taken(self, seq: int) -> None:
        self._seq, self._at = seq, self._monotonic()

    def behind(self, position: int) -> bool:
        return position > self._seq

    def due(self, position: int) -> bool:
        if not self.behind(position):
            return False
        if position - self._seq >= self.every_entries:
            return True
        return self._monotonic() - self._at >= self.every_s
