"""journal stage: durable, ordered, idempotent log of every input and decision."""

from warnline.journal.base import (
    GENESIS_HASH,
    Entry,
    Event,
    Journal,
    Sealer,
    canonical_json,
    chain_hash,
)
from warnline.journal.kinds import Kind
from warnline.journal.memory import MemoryJournal
from warnline.journal.sqlite import SQLiteJournal

__all__ = [
    "GENESIS_HASH",
    "Entry",
    "Event",
    "Journal",
    "Kind",
    "MemoryJournal",
    "SQLiteJournal",
    "Sealer",
    "canonical_json",
    "chain_hash",
]
