"""The decision follower's part in manual alerts: each journaled draft, approval,
rejection or end decided at once, in journal order, like commanders' answers; expiries
at a tick. What comes out is journaled as decisions (`manual.issued`, `manual.expired`,
`alert.issued`), so a replay meets every input where it was first met."""

from __future__ import annotations

from datetime import datetime

from warnline.alerting.lifecycle import Alerting
from warnline.alerting.manual import ManualBook
from warnline.domain import Alert
from warnline.domain.manual import (
    ManualApproval,
    ManualDraft,
    ManualEnd,
    ManualIssue,
    ManualRejection,
)
from warnline.journal import Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import event, payload

MANUAL_INPUTS = frozenset(
    {Kind.MANUAL_DRAFT, Kind.MANUAL_APPROVAL, Kind.MANUAL_REJECTION, Kind.MANUAL_END}
)


def alert_event(alert: Alert) -> Event:
    """An alert version as the journal keeps it (its id makes a replay a no-op)."""
    return event(
        Kind.ALERT, alert, event_id=f"alert:{alert.alert_id}:v{alert.version}", at=alert.sent_at
    )


def fold_manual_input(ev: Event, book: ManualBook, alerting: Alerting) -> list[Event]:
    """A draft to the drafter's partner alone, or one approved by a second person, goes
    out as alerts here, into release and dispatch; an end closes them."""
    if ev.kind == Kind.MANUAL_DRAFT:
        draft = payload(ev, ManualDraft)
        if book.draft(draft):
            return _issue(draft, book, alerting, ev.at, approved_by=None)
        return []
    if ev.kind == Kind.MANUAL_APPROVAL:
        approval = payload(ev, ManualApproval)
        approved = book.approve(approval, ev.at)
        if approved is None:  # too late, decided already, or not theirs to approve
            return []
        return _issue(approved, book, alerting, ev.at, approved_by=approval.user)
    if ev.kind == Kind.MANUAL_REJECTION:
        book.reject(payload(ev, ManualRejection), ev.at)
        return []
    end = payload(ev, ManualEnd)
    return [alert_event(a) for a in alerting.end_manual(book.end(end), end, ev.at)]


def manual_expiries(book: ManualBook, at: datetime) -> list[Event]:
    return [
        event(Kind.MANUAL_EXPIRY, e, event_id=f"manual-expired:{e.draft_id}", at=at)
        for e in book.expire(at)
    ]


def _issue(
    draft: ManualDraft,
    book: ManualBook,
    alerting: Alerting,
    at: datetime,
    *,
    approved_by: str | None,
) -> list[Event]:
    alerts = alerting.issue_manual(draft, at, approved=approved_by is not None)
    issue = ManualIssue(
        draft_id=draft.draft_id,
        alert_ids=tuple(a.alert_id for a in alerts),
        approved_by=approved_by,
    )
    book.issued(draft.draft_id, issue.alert_ids)
    decision = event(Kind.MANUAL_ISSUE, issue, event_id=f"manual-issued:{draft.draft_id}", at=at)
    return [decision, *(alert_event(a) for a in alerts)]
