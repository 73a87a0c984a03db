"""In-memory journal behind the same interface: for unit tests and fast replays."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from warnline.journal.base import GENESIS_HASH, Entry, Event, Journal, chain_hash


class MemoryJournal(Journal):
    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self._ids: dict[str, int] = {}
        self._positions: dict[str, int] = {}
        self._lock = threading.Lock()

    def append(self, events: Sequence[Event]) -> list[int]:
        with self._lock:
            return self._append(events)

    def append_from(self, follower: str, position: int, events: Sequence[Event]) -> list[int]:
        with self._lock:
            seqs = self._append(events)
            self._positions[follower] = position
            return seqs

    def _append(self, events: Sequence[Event]) -> list[int]:
        seqs = []
        for ev in events:
            known = self._ids.get(ev.event_id)
            if known is not None:
                seqs.append(known)
                continue
            seq = len(self._entries) + 1
            prev = self._entries[-1].hash if self._entries else GENESIS_HASH
            self._entries.append(
                Entry(seq=seq, event=ev, prev_hash=prev, hash=chain_hash(prev, seq, ev))
            )
            self._ids[ev.event_id] = seq
            seqs.append(seq)
        return seqs

    def position(self, follower: str) -> int:
        return self._positions.get(follower, 0)

    def positions(self) -> dict[str, int]:
        return dict(self._positions)

    def read(self, after: int = 0, limit: int | None = None) -> list[Entry]:
        with self._lock:
            end = len(self._entries) if limit is None else min(len(self._entries), after + limit)
            return self._entries[after:end]

    def read_held(self, after: int, limit: int | None = None) -> list[Entry] | None:
        return self.read(after, limit)

    def last_seq(self) -> int:
        return len(self._entries)

    def contains(self, event_ids: Sequence[str]) -> set[str]:
        return {e for e in event_ids if e in self._ids}

    def stored(self, event_ids: Sequence[str]) -> dict[str, Event]:
        with self._lock:
            return {e: self._entries[self._ids[e] - 1].event for e in event_ids if e in self._ids}

    def close(self) -> None:
        pass
