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
from warnline.errors import ConflictError, InputError, PayloadTooLargeError
from warnline.ingest.batch import Batch
from warnline.ingest.cap_adapter import MAX_CAP_BYTES, parse_cap
from warnline.ingest.checks import JournalShare, RateLimiter, check_reports, report_fault
from warnline.ingest.fast import parse_batch_fast
from warnline.ingest.json_adapter import parse_batch, parse_submission
from warnline.ingest.signature import SignatureVerifier, SignedRequest
from warnline.ingest.strict_json import check_unique_keys
from warnline.journal import Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import Received, event, payload

MAX_BODY_BYTES = 2 * 1024 * 1024

# A batch's journal inputs by event id, each with the indices of the reports it stands for.
Pending = dict[str, tuple[Event, list[int]]]


def report_event(report: Report, *, received_at: datetime, submission: str) -> Event:
    """The journal input for one report; its id makes a resent report a no-op."""
    return event(
        Kind.REPORT,
        Received(report=report, submission=submission),
        event_id=f"report:{report.partner}:{report.report_id}",
        at=received_at,
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
        self._in_flight: dict[str, tuple[Event, int]] = {}  # report event id -> first, holders

    def json_submission(self, request: SignedRequest) -> list[Report]:
        """Verify and parse a signed JSON submission; raises an InputError subclass."""
        if len(request.body) > MAX_BODY_BYTES:
            raise PayloadTooLargeError(f"body larger than {MAX_BODY_BYTES} bytes", field="body")
        partner = self.verifier.verify(request).partner
        reports = parse_submission(request.body, partner=partner)
        return self.accept(reports)

    def json_batch(self, request: SignedRequest) -> Batch:
        """Verify a signed JSON submission and keep the reports that pass on their own,
        refusing the others by index; raises an InputError subclass for a fault of the
        whole request (signature, envelope, size, rate) or when no report passes."""
        if len(request.body) > MAX_BODY_BYTES:
            raise PayloadTooLargeError(f"body larger than {MAX_BODY_BYTES} bytes", field="body")
        partner = self.verifier.verify(request).partner
        check_unique_keys(request.body)
        default = self.agreement.partners[partner].releasability
        batch = parse_batch_fast(request.body, partner=partner, default=default) or parse_batch(
            request.body, partner=partner
        )
        batch.keep_some()
        now = self.clock.now()
        for i, r in list(batch.reports.items()):
            fault = report_fault(r, index=i, agreement=self.agreement, now=now)
            if fault is not None:
                batch.refuse(i, fault)
        batch.keep_some()
        self.limiter.take(partner, len(batch.reports), now)
        batch.reports = {i: self._with_default(r) for i, r in batch.reports.items()}
        return batch

    def cap_submission(self, request: SignedRequest) -> list[Report]:
        """Verify and parse a signed CAP message from a partner's civil-defence system."""
        if len(request.body) > MAX_CAP_BYTES:
            raise PayloadTooLargeError(f"body larger than {MAX_CAP_BYTES} bytes", field="body")
        partner = self.verifier.verify(request).partner
        return self.accept(parse_cap(request.body, partner=partner))

    def stream_reports(
        self, reports: Sequence[Report]
    ) -> tuple[list[Report], list[tuple[int, InputError]]]:
        """Reports a partner's system streamed (CoT over a listener that knows the
        partner: its certificate, or its loopback listener's config): each checked on its
        own, as a JSON batch's are, so one bad event does not refuse its neighbours; the
        rest rate-limited together and given the partner's default releasability."""
        now = self.clock.now()
        kept: list[Report] = []
        refused: list[tuple[int, InputError]] = []
        for i, r in enumerate(reports):
            fault = report_fault(r, index=i, agreement=self.agreement, now=now)
            if fault is None:
                kept.append(r)
            else:
                refused.append((i, fault))
        if kept:
            self.limiter.take(kept[0].partner, len(kept), now)
        return [self._with_default(r) for r in kept], refused

    def accept(self, reports: Sequence[Report]) -> list[Report]:
        """Checks common to every format; fills in partner default releasability."""
        now = self.clock.now()
        check_reports(reports, agreement=self.agreement, now=now)
        if reports:
            self.limiter.take(reports[0].partner, len(reports), now)
        return [self._with_default(r) for r in reports]

    def _with_default(self, r: Report) -> Report:
        if r.releasability is not None:
            return r
        default = self.agreement.partners[r.partner].releasability
        return dataclasses.replace(r, releasability=default)

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

    def batch_events(self, batch: Batch, *, submission: str) -> Pending:
        """`events` for a batch: one event per report id with the indices of the reports
        it stands for; a later report reusing an id of the batch with other content is
        refused alone (409), the first one stands."""
        now = self.clock.now()
        out: Pending = {}
        for i, r in sorted(batch.reports.items()):
            ev = report_event(r, received_at=now, submission=submission)
            first = out.get(ev.event_id)
            if first is None:
                out[ev.event_id] = (ev, [i])
            elif _content(first[0]) == _content(ev):
                first[1].append(i)
            else:
                batch.refuse(
                    i,
                    ConflictError(
                        f"report id {r.report_id!r} appears twice with different content",
                        field=f"reports.{i}.report_id",
                    ),
                )
        return out

    @contextmanager
    def claim_batch(self, batch: Batch, pending: Pending) -> Iterator[None]:
        """`claim` for a batch: a report whose id another submission is storing with
        other content is refused alone; the others are held."""
        for event_id, (ev, _) in list(pending.items()):
            held = self._in_flight.get(event_id)
            if held is not None and _content(held[0]) != _content(ev):
                _refuse(batch, pending.pop(event_id), "is being stored with different content")
        batch.keep_some()
        with self.claim([ev for ev, _ in pending.values()]):
            yield

    @staticmethod
    def refuse_stored(batch: Batch, pending: Pending, stored: Mapping[str, Event]) -> None:
        """`check_stored` for a batch: a report whose id the journal holds with other
        content is refused alone (409); the identical resend stays accepted."""
        for event_id, (ev, _) in list(pending.items()):
            old = stored.get(event_id)
            if old is not None and _content(old) != _content(ev):
                _refuse(batch, pending.pop(event_id), "was already accepted with different content")
        batch.keep_some()

    @contextmanager
    def claim(self, events: Sequence[Event]) -> Iterator[None]:
        """Hold these reports' ids while they are checked and journaled, so two
        concurrent submissions cannot store different content under one id."""
        claimed: list[str] = []
        try:
            for i, ev in enumerate(events):
                held = self._in_flight.get(ev.event_id)
                if held is not None and _content(held[0]) != _content(ev):
                    raise _conflict(ev, i, "is being stored with different content")
                # The first holder's event is kept: its content is encoded only when
                # another submission brings the same id (rare), not for every report.
                self._in_flight[ev.event_id] = (
                    held[0] if held else ev,
                    (held[1] if held else 0) + 1,
                )
                claimed.append(ev.event_id)
            yield
        finally:
            for event_id in claimed:
                first, holders = self._in_flight[event_id]
                if holders <= 1:
                    del self._in_flight[event_id]
                else:
                    self._in_flight[event_id] = (first, holders - 1)

    @staticmethod
    def check_stored(events: Sequence[Event], stored: Mapping[str, Event]) -> None:
        """A report id already journaled with other content is refused (409): the
        journal keeps the first, and silently dropping the second would lose it.
        The identical resend is a no-op, as before."""
        for i, ev in enumerate(events):
            old = stored.get(ev.event_id)
            if old is not None and _content(old) != _content(ev):
                raise _conflict(ev, i, "was already accepted with different content")


def _content(ev: Event) -> Report:
    return payload(ev, Received).report


def _refuse(batch: Batch, held: tuple[Event, list[int]], what: str) -> None:
    ev, indices = held
    for i in indices:
        batch.refuse(i, _conflict(ev, i, what))


def _conflict(ev: Event, index: int, what: str) -> ConflictError:
    rid = payload(ev, Received).report.report_id
    return ConflictError(
        f"report id {rid!r} {what}; use a new id for a new observation",
        field=f"reports.{index}.report_id",
    )
