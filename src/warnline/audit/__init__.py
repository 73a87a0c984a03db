"""audit stage: the hash-chained, signed record built from the journal, and its verifier.

Anyone holding the hub's public key can check a record; docs/audit-format.md specifies
the format precisely enough for partners to write their own verifier.
"""

from warnline.audit.journal_check import verify_journal
from warnline.audit.record import RecordSummary, export_record, verify_record

__all__ = ["RecordSummary", "export_record", "verify_journal", "verify_record"]
