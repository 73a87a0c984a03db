"""The ingest front door: verify, parse, check, and turn reports into journal events.

It decides nothing about threats: a report that passes is journaled as it came
(with the partner's default releasability filled in), and the picture decides.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime

from warnline.agreement.model import Agreement
from warnline.domain import Clock, Report
from warnline.domain.codec import to_json
from warnline.errors import PayloadTooLargeError
from warnline.ingest.cap_adapter import MAX_CAP_BYTES, parse_cap
from warnline.ingest.checks import JournalShare, RateLimiter, check_reports
from warnline.ingest.json_adapter import parse_submission
from warnline.ingest.signature import SignatureVerifier
from warnline.journal import Event

MAX_BODY_BYTES = 2 * 1024 * 1024
REPORT_KIND = "report.received"


def report_event(report: Report, *, received_at: datetime, submission: str) -> Event:
    """The journal input for one report; its id makes a resent report a no-op."""
    return Event(
        event_id=f"report:{report.partner}:{report.report_id}",
        kind=REPORT_KIND,
        at=received_at,
        payload={"report": to_json(report), "submission": submission},
    )


class Intake:
    def __init__(
        self,
        *,
        agreement: Agreement,
        clock: Clock,
        rate_limiter: RateLimiter | None = None,
        share: JournalShare | None = None,
    ) -> None:
        self.agreement = agreement
        self.clock = clock
        self.verifier = SignatureVerifier(agreement)
        self.limiter = rate_limiter or RateLimiter(
            rates={code: p.max_reports_per_s for code, p in agreement.partners.items()}
        )
        self.share = share or JournalShare()

    def json_submission(self, body: bytes, headers: Mapping[str, str]) -> list[Report]:
        """Verify and parse a signed JSON submission; raises an InputError subclass."""
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLargeError(f"body larger than {MAX_BODY_BYTES} bytes", field="body")
        partner = self.verifier.verify(body, headers)
        reports = parse_submission(body, partner=partner)
        return self.accept(reports)

    def cap_submission(self, body: bytes, headers: Mapping[str, str]) -> list[Report]:
        """Verify and parse a signed CAP message from a partner's civil-defence system."""
        if len(body) > MAX_CAP_BYTES:
            raise PayloadTooLargeError(f"body larger than {MAX_CAP_BYTES} bytes", field="body")
        partner = self.verifier.verify(body, headers)
        return self.accept(parse_cap(body, partner=partner))

    def accept(self, reports: Sequence[Report]) -> list[Report]:
        """Checks common to every format; fills in partner default releasability."""
        now = self.clock.now()
        check_reports(reports, agreement=self.agreement, now=now)
        if reports:
            self.limiter.take(reports[0].partner, len(reports), now)
        out = []
        for r in reports:
            if r.releasability is None:
                default = self.agreement.partners[r.partner].releasability
                r = dataclasses.replace(r, releasability=default)
            out.append(r)
        return out

    def events(self, reports: Sequence[Report], *, submission: str) -> list[Event]:
        now = self.clock.now()
        return [report_event(r, received_at=now, submission=submission) for r in reports]
