"""audit stage: the hash-chained, signed record built from the journal, and its verifier.

Anyone holding the hub's public key can check a record; docs/audit-format.md specifies
the format precisely enough for partners to write their own verifier. Signed tree heads
(`heads.py`) let a partner hold the hub to the record it saw earlier.
"""

from warnline.audit.heads import HeadSigner, TreeHead, parse_head, verify_head
from warnline.audit.journal_check import JournalSummary, verify_journal
from warnline.audit.record import RecordSummary, export_record, verify_record

__all__ = [
    "HeadSigner",
    "JournalSummary",
    "RecordSummary",
    "TreeHead",
    "export_record",
    "parse_head",
    "verify_head",
    "verify_journal",
    "verify_record",
]
