"""audit stage: the hash-chained, signed record built from the journal, and its verifier.

Anyone holding the hub's public key can check a record; docs/audit-format.md specifies
the format precisely enough for partners to write their own verifier. Signed tree heads
(`heads.py`) let a partner hold the hub to the record it saw earlier, and inclusion
proofs (`proofs.py`) show one entry to be in the record a head names.
"""

from warnline.audit.heads import HeadSigner, TreeHead, parse_head, verify_head
from warnline.audit.journal_check import JournalSummary, verify_journal
from warnline.audit.proofs import SubtreeRoots, inclusion_path, verify_inclusion
from warnline.audit.record import RecordSummary, export_record, verify_record

__all__ = [
    "HeadSigner",
    "JournalSummary",
    "RecordSummary",
    "SubtreeRoots",
    "TreeHead",
    "export_record",
    "inclusion_path",
    "parse_head",
    "verify_head",
    "verify_inclusion",
    "verify_journal",
    "verify_record",
]
