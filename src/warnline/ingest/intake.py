"""The ingest front door: verify, parse, check, and turn reports into journal events.

It decides nothing about threats: a report that passes is journaled as it came
(with the partner's default releasability filled in), and the picture decides.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime

from warnline.agreement.model import Agreement
from warnline.domain import Clock, Report
from warnline.domain.codec import to_json
from warnline.errors import ConflictError, PayloadTooLargeError
from warnline.ingest.cap_adapter import MAX_CAP_BYTES, parse_cap
from warnline.ingest.checks import JournalShare, RateLimiter, check_reports
from warnline.ingest.json_adapter import parse_submission
from warnline.ingest.signature import SignatureVerifier, SignedRequest
from warnline.journal import Event
from warnline.journal.base import canonical_json

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
        self.verifier = SignatureVerifier(agreement, clock)
        self.limiter = rate_limiter or RateLimiter(
            rates={code: p.max_reports_per_s for code, p in agreement.partners.items()}
        )
        self.share = share or JournalShare()
        self._in_flight: dict[str, tuple[bytes, int]] = {}  # report event id -> content, holders

    def json_submission(self, request: SignedRequest) -> list[Report]:
        """Verify and parse a signed JSON submission; raises an InputError subclass."""
        if len(request.body) > MAX_BODY_BYTES:
            raise PayloadTooLargeError(f"body larger than {MAX_BODY_BYTES} bytes", field="body")
        partner = self.verifier.verify(request).partner
        reports = parse_submission(request.body, partner=partner)
        return self.accept(reports)

    def cap_submission(self, request: SignedRequest) -> list[Report]:
        """Verify and parse a signed CAP message from a partner's civil-defence system."""
        if len(request.body) > MAX_CAP_BYTES:
            raise PayloadTooLargeError(f"body larger than {MAX_CAP_BYTES} bytes", field="body")
        partner = self.verifier.verify(request).partner
        return self.accept(parse_cap(request.body, partner=partner))

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
        """One event per report id; the same id twice in one submission must carry the
        same content (then it is one report), else the submission is a conflict."""
        now = self.clock.now()
        out: dict[str, Event] = {}
        for i, r in enumerate(reports):
            ev = report_event(r, received_at=now, submission=submission)
            first = out.setdefault(ev.event_id, ev)
            if first is not ev and _content(first) != _content(ev):  # only a repeated id
                raise ConflictError(
                    f"report id {r.report_id!r} appears twice with different content",
                    field=f"reports.{i}.report_id",
                )
        return list(out.values())

    @contextmanager
    def claim(self, events: Sequence[Event]) -> Iterator[None]:
        """Hold these reports' ids while they are checked and journaled, so two
        concurrent submissions cannot store different content under one id."""
        claimed: list[str] = []
        try:
            for i, ev in enumerate(events):
                content = _content(ev)
                held = self._in_flight.get(ev.event_id)
                if held is not None and held[0] != content:
                    raise _conflict(ev, i, "is being stored with different content")
                self._in_flight[ev.event_id] = (content, (held[1] if held else 0) + 1)
                claimed.append(ev.event_id)
            yield
        finally:
            for event_id in claimed:
                content, holders = self._in_flight[event_id]
                if holders <= 1:
                    del self._in_flight[event_id]
                else:
                    self._in_flight[event_id] = (content, holders - 1)

    @staticmethod
    def check_stored(events: Sequence[Event], stored: Mapping[str, Event]) -> None:
        """A report id already journaled with other content is refused (409): the
        journal keeps the first, and silently dropping the second would lose it.
        The identical resend is a no-op, as before."""
        for i, ev in enumerate(events):
            old = stored.get(ev.event_id)
            if old is not None and _content(old) != _content(ev):
                raise _conflict(ev, i, "was already accepted with different content")


def _content(ev: Event) -> bytes:
    return canonical_json(ev.payload["report"])


def _conflict(ev: Event, index: int, what: str) -> ConflictError:
    rid = ev.payload["report"]["report_id"]
    return ConflictError(
        f"report id {rid!r} {what}; use a new id for a new observation",
        field=f"reports.{index}.report_id",
    )
