"""The journal: a durable, ordered, idempotent log of every input and decision.

Every stage's output is an `Event`; the journal gives it a sequence number and
chains it to its predecessor by hash (so the audit stage can prove nothing was
changed, dropped, inserted or reordered). A follower stores how far it has read in
the same write as its outputs, so a restart resumes exactly once.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any, Protocol

import msgspec

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """Something to journal. `event_id` is the idempotency key: appending an event
    whose id is already stored is a no-op that returns the stored entry's seq."""

    event_id: str
    kind: str
    at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Entry:
    """A journaled event with its place in the log and its chain hash."""

    seq: int
    event: Event
    prev_hash: str
    hash: str


def canonical_json(obj: Any) -> bytes:
    """Deterministic JSON bytes: the form that is hashed and signed.

    The form is `json.dumps(obj, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`. msgspec writes the same bytes five times faster for plain JSON
    values, except that it writes NaN and infinities as null and exponents its own way
    (1e16 for 1e+16, 0.00001 for 1e-05): so it is used only for plain values whose floats
    Python writes without an exponent (0, or 1e-4 <= |x| < 1e16), json otherwise
    (`tests/journal/test_canonical_json.py`)."""
    if _plain(obj):
        try:
            return _ENCODE(obj)
        except (OverflowError, UnicodeEncodeError, TypeError, ValueError):
            pass  # json's way says what is wrong (or writes it)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


_ENCODE = msgspec.json.Encoder(order="sorted").encode


def _plain(obj: Any) -> bool:
    """JSON's own types only, str keys, floats that repr writes without an exponent
    (NaN and infinities fail `1e-4 <= |x| < 1e16` too). A loop, not recursion: this
    runs for every journaled payload."""
    stack = [obj]
    while stack:
        o = stack.pop()
        t = type(o)
        if t is dict:
            for k, v in o.items():
                if type(k) is not str:
                    return False
                stack.append(v)
        elif t is list or t is tuple:
            stack.extend(o)
        elif t is float:
            if o and not 1e-4 <= abs(o) < 1e16:
                return False
        elif not (t is str or t is int or t is bool or o is None):
            return False
    return True


def entry_body(seq: int, event: Event) -> dict[str, Any]:
    """The hashed content of an entry (documented in docs/audit-format.md)."""
    return {
        "seq": seq,
        "event_id": event.event_id,
        "kind": event.kind,
        "at": event.at.isoformat(),
        "payload": event.payload,
    }


def chain_hash(prev_hash: str, seq: int, event: Event) -> str:
    """SHA-256 over the previous hash and the canonical body of this entry."""
    h = hashlib.sha256(bytes.fromhex(prev_hash))
    h.update(canonical_json(entry_body(seq, event)))
    return h.hexdigest()


def chain_hash_of(prev_hash: str, seq: int, event: Event, payload_json: bytes) -> str:
    """`chain_hash` given the payload's canonical JSON, which a writer makes anyway for
    the stored column: the body's bytes are put together around it (its keys sorted,
    as `canonical_json` would), so the payload is encoded once, not twice."""
    h = hashlib.sha256(bytes.fromhex(prev_hash))
    h.update(b'{"at":')
    h.update(_json_str(event.at.isoformat()))
    h.update(b',"event_id":')
    h.update(_json_str(event.event_id))
    h.update(b',"kind":')
    h.update(_json_str(event.kind))
    h.update(b',"payload":')
    h.update(payload_json)
    h.update(b',"seq":%d}' % seq)
    return h.hexdigest()


def _json_str(text: str) -> bytes:
    return encode_basestring(text).encode()  # what json.dumps(text, ensure_ascii=False) is


class Sealer(Protocol):
    """Signs the journal's state in the same write as every commit.

    The chain alone proves only that entries follow from each other: whoever can write
    the file can append a well-chained entry, or recompute the whole chain. A seal is a
    signed tree head over all entries plus the followers' positions, written in the
    commit that made them, so an entry or a position changed without the hub's key no
    longer matches it. The audit stage implements this (`warnline.audit.HeadSigner`).
    """

    @property
    def size(self) -> int:
        """How many entry hashes the sealer has folded in."""
        ...

    def resume(self, hashes: Iterable[str]) -> None:
        """Start over from the hashes of every stored entry, seq 1 first."""

    def seal(self, hashes: Sequence[str], positions: Mapping[str, int]) -> tuple[str, str]:
        """Fold in the hashes of newly stored entries; return what to store: the signed
        tree head and the signed positions, each as JSON text."""
        ...

    def state(self) -> str:
        """The accumulator as text, stored with each seal so a restart need not fold
        every stored hash again."""
        ...

    def restore(self, state: str, head: str) -> bool:
        """Take up `state` if it is the tree that `head` (the stored seal) signs;
        False (and unchanged) otherwise: the caller resumes from the hashes."""
        ...

    def head_over(self, state: str, head: str, hashes: Sequence[str]) -> tuple[str, str]:
        """The signed tree head over the tree `state` describes ("" for the empty one)
        extended by `hashes`, and that tree's state; the sealer's own tree is left as
        it is. `head` is the signed head `state` must be the tree of (the previous
        segment's): nothing is signed on top of a tree that is not the one signed.
        Retention signs each archived segment's end with it."""
        ...


class Journal(ABC):
    """Interface every backend (SQLite embedded, JetStream coalition) implements."""

    @abstractmethod
    def append(self, events: Sequence[Event]) -> list[int]:
        """Durably store `events` in order; return each one's seq. Returns only once
        the events are on stable storage, so callers may then acknowledge them."""

    @abstractmethod
    def append_from(self, follower: str, position: int, events: Sequence[Event]) -> list[int]:
        """Store a follower's outputs and its new read position in one write."""

    def submit(
        self, events: Sequence[Event], *, follower: str | None = None, position: int = 0
    ) -> Future[list[int]]:
        """Store `events` (and a follower's new position, as `append_from`); the future
        completes once they are durable. A backend with a writer of its own (SQLite's
        group commit) completes it from that writer, so a caller on an event loop awaits
        it without blocking; this default stores them in place."""
        done: Future[list[int]] = Future()
        try:
            if follower is None:
                done.set_result(self.append(events))
            else:
                done.set_result(self.append_from(follower, position, events))
        except Exception as exc:  # handed to the caller with the future, as a writer would
            done.set_exception(exc)
        return done

    @abstractmethod
    def position(self, follower: str) -> int:
        """The last seq the follower has processed (0 if none)."""

    @abstractmethod
    def read(self, after: int = 0, limit: int | None = None) -> list[Entry]:
        """Entries with seq > `after`, in order."""

    def read_held(self, after: int, limit: int | None = None) -> list[Entry] | None:
        """`read`, answered only from what this journal holds in memory, without
        waiting on storage; None when only `read` can answer. A follower on an event
        loop reads with it first and goes to a thread for None: the hop to a thread and
        back cost a busy served node 10-14 ms a decision turn (the thread waits for the
        interpreter lock), for entries it had just committed itself."""
        return None

    def read_kind(self, kind: str, after: int, upto: int, limit: int) -> list[Entry]:
        """Entries of one `kind` with `after` < seq <= `upto`, in order, at most `limit`:
        what a follower that forgot old outputs reads back (an old read-back cursor).
        Backends with an index or a query language do better than this scan."""
        out: list[Entry] = []
        while after < upto and len(out) < limit:
            chunk = self.read(after, min(5000, upto - after))
            if not chunk:
                break
            out.extend(e for e in chunk if e.event.kind == kind and e.seq <= upto)
            after = chunk[-1].seq
        return out[:limit]

    def entry(self, seq: int) -> Entry | None:
        """The entry at `seq`, or None if the journal does not hold it."""
        found = self.read(seq - 1, 1) if seq > 0 else []
        return found[0] if found and found[0].seq == seq else None

    @abstractmethod
    def last_seq(self) -> int: ...

    @abstractmethod
    def contains(self, event_ids: Sequence[str]) -> set[str]:
        """Which of `event_ids` are stored."""

    @abstractmethod
    def stored(self, event_ids: Sequence[str]) -> dict[str, Event]:
        """The stored events among `event_ids`, by id (an input resent under a known
        id is checked against what the journal kept)."""

    @abstractmethod
    def close(self) -> None: ...

    def tree_head(self) -> dict[str, Any] | None:
        """The latest signed tree head, or None for a journal that keeps none."""
        return None

    def positions(self) -> dict[str, int]:
        """Every follower's stored position."""
        return {}

    def iter_all(self, batch: int = 5000) -> Iterator[Entry]:
        after = 0
        while True:
            chunk = self.read(after, batch)
            if not chunk:
                return
            yield from chunk
            after = chunk[-1].seq
