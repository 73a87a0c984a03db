"""Entries people make by hand: a report a watch officer types in (a call from a border
post), and a manual alert with its two-person approval.

A manual report travels as an ordinary `Report` of the officer's partner; `ManualReport`
is the record beside it of who entered it and from what source. A manual alert is a
`ManualDraft` until it is issued: one that reaches beyond the drafter's own partner
waits for a second, different person (`ManualApproval`), may be refused
(`ManualRejection`) or run out of time (`ManualExpiry`); `ManualIssue` is the node's
decision that put it out, `ManualEnd` the person's all-clear or cancel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from warnline.domain.alert import AlertStage


@dataclass(frozen=True, kw_only=True, slots=True)
class ManualReport:
    """Who typed report `report_id` of `partner` into the console, and from what source
    ("call from border post 7"): the record names the person behind a manual report."""

    report_id: str
    partner: str
    user: str
    source: str


class DraftStatus(StrEnum):
    PENDING = "pending_approval"  # coalition-wide: waits for a second person
    ISSUED = "issued"  # out through alerting, release and dispatch
    REJECTED = "rejected"
    EXPIRED = "expired"  # nobody approved it in time
    ENDED = "ended"  # issued, then ended by a manual all-clear or cancel


@dataclass(frozen=True, kw_only=True, slots=True)
class ManualDraft:
    """A manual alert as drafted: `areas` to warn (territories or defended areas, each
    of a partner named in `partners`), the `stage` people are told (early warning or
    take shelter), and the drafter's `text`. `needs_approval` when `partners` holds any
    partner but the drafter's own (coalition-wide); it then lapses at `expires_at`."""

    draft_id: str
    user: str
    partner: str
    role: str
    areas: tuple[str, ...]
    partners: tuple[str, ...]
    stage: AlertStage
    text: str
    drafted_at: datetime
    expires_at: datetime
    needs_approval: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class ManualApproval:
    """A second person approves a pending draft (never its drafter)."""

    draft_id: str
    user: str
    partner: str
    role: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ManualRejection:
    draft_id: str
    user: str
    partner: str
    role: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ManualExpiry:
    """The node's decision: nobody approved the draft before `expires_at`."""

    draft_id: str
    expires_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class ManualIssue:
    """The node's decision: the draft is out, as these alerts (one per area);
    `approved_by` is None for a draft to the drafter's own partner only."""

    draft_id: str
    alert_ids: tuple[str, ...]
    approved_by: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ManualEnd:
    """A person ends an issued manual alert: `stage` all_clear (the event is over) or
    cancel (it was a mistake, or the threat went elsewhere)."""

    draft_id: str
    user: str
    partner: str
    stage: AlertStage
    reason: str
