"""Verify a journal's own hash chain in place (the SQLite file a node writes).

The exported record (`record.py`) is what partners receive; this check is for the
operator holding the journal itself, e.g. after a crash or before an export: every
entry's hash must follow from its content and its predecessor's hash.
"""

from __future__ import annotations

from pathlib import Path

from warnline.audit.record import RecordSummary, _check_journal_entry
from warnline.errors import AuditError, JournalCorruptError
from warnline.journal import GENESIS_HASH, SQLiteJournal


def verify_journal(path: Path) -> RecordSummary:
    """Walk the chain of a SQLite journal; AuditError names the first bad entry."""
    if not path.is_file():
        raise AuditError(0, f"no journal at {path}")
    journal = SQLiteJournal(path)
    try:
        prev, seq = GENESIS_HASH, 0
        for entry in journal.iter_all():
            seq += 1
            try:
                _check_journal_entry(entry, seq, prev)
            except JournalCorruptError as exc:
                raise AuditError(exc.seq, exc.reason) from None
            prev = entry.hash
    finally:
        journal.close()
    return RecordSummary(entries=seq, checkpoints=0, last_seq=seq, head_hash=prev)
