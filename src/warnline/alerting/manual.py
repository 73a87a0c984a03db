"""Manual alerts: drafts, their two-person approval, and the alerts they become.

A person may warn areas the picture does not (yet) show endangered - a border post
calls in a drone nobody's radar holds. What such an alert reaches decides who must
agree: a draft whose areas all belong to the drafter's own partner is that partner's
business and goes out at once; one that reaches any other partner (coalition-wide)
waits for a second, different person with the right to approve (`ManualRules`), and
lapses after `ManualRules.expire_after_s`. The fold is pure and clock-free: it moves
only on journaled inputs and on the ticks' time, so a replay reaches the same state.

An issued draft becomes one alert per area, `M-<draft>-<area>`, in the alert lifecycle
beside the automatic one (`Alerting.issue_manual`): it goes through release and
dispatch like any alert, the automatic lifecycle never ends it (it rests on a person's
judgement, not on tracks), and it ends only by a person's all-clear or cancel.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from warnline.domain import (
    Alert,
    AlertStage,
    AlertStatus,
    MsgType,
    Severity,
    Urgency,
)
from warnline.domain.manual import (
    DraftStatus,
    ManualApproval,
    ManualDraft,
    ManualEnd,
    ManualExpiry,
    ManualRejection,
)

DRAFT_STAGES = (AlertStage.EARLY_WARNING, AlertStage.ALERT)  # what a person may order
END_STAGES = (AlertStage.ALL_CLEAR, AlertStage.CANCEL)


@dataclass(frozen=True, kw_only=True)
class ManualRules:
    """Who may draft and who may approve (role names of `accounts.Role`), and how long a
    draft waits. A watch officer drafts (they take the call); approving a coalition-wide
    order is for a commander of the drafter's partner or the coordination cell - the
    people who answer for what their partner tells the coalition, or for the
    coalition's picture. Never the drafter."""

    draft_roles: frozenset[str] = frozenset({"watch", "commander", "cell"})
    approve_roles: frozenset[str] = frozenset({"commander", "cell"})
    expire_after_s: float = 600.0  # ten minutes: a warning not approved by then is stale


def may_approve(
    draft: ManualDraft, *, user: str, partner: str, role: str, cell: str, rules: ManualRules
) -> str | None:
    """Why `user` may not approve or reject `draft` (None: they may). The same rule is
    checked by the command (to answer 403) and by the fold (so a replay agrees)."""
    if user == draft.user:
        return "the drafter cannot approve or reject their own draft"
    if role not in rules.approve_roles:
        return f"role {role} may not approve a manual alert"
    if partner not in (draft.partner, cell):
        return "only the drafter's partner or the coordination cell may approve"
    return None


class ManualBook:
    """The drafts and what became of them."""

    def __init__(self, *, cell: str, rules: ManualRules | None = None) -> None:
        self.cell = cell
        self.rules = rules or ManualRules()
        self.drafts: dict[str, ManualDraft] = {}
        self.status: dict[str, DraftStatus] = {}
        self.decided_by: dict[str, tuple[str, str]] = {}  # draft -> (user, reason)
        self.alert_ids: dict[str, tuple[str, ...]] = {}  # issued draft -> its alerts

    def draft(self, d: ManualDraft) -> bool:
        """Take in a draft; True when it goes out at once (partner-only)."""
        if d.draft_id in self.drafts:
            return False
        self.drafts[d.draft_id] = d
        self.status[d.draft_id] = DraftStatus.PENDING
        return not d.needs_approval

    def pending(self, draft_id: str) -> ManualDraft | None:
        if self.status.get(draft_id) is not DraftStatus.PENDING:
            return None
        return self.drafts[draft_id]

    def approve(self, a: ManualApproval, at: datetime) -> ManualDraft | None:
        """The draft to issue, if this approval counts: first in journal order, before
        the draft lapsed, by someone other than the drafter with the right role."""
        d = self.pending(a.draft_id)
        if d is None or at >= d.expires_at or self._refused(d, a.user, a.partner, a.role):
            return None
        self.decided_by[d.draft_id] = (a.user, a.reason)
        return d

    def reject(self, r: ManualRejection, at: datetime) -> bool:
        d = self.pending(r.draft_id)
        if d is None or at >= d.expires_at or self._refused(d, r.user, r.partner, r.role):
            return False
        self.status[d.draft_id] = DraftStatus.REJECTED
        self.decided_by[d.draft_id] = (r.user, r.reason)
        return True

    def _refused(self, d: ManualDraft, user: str, partner: str, role: str) -> bool:
        why = may_approve(
            d, user=user, partner=partner, role=role, cell=self.cell, rules=self.rules
        )
        return why is not None

    def issued(self, draft_id: str, alert_ids: tuple[str, ...]) -> None:
        self.status[draft_id] = DraftStatus.ISSUED
        self.alert_ids[draft_id] = alert_ids

    def expire(self, at: datetime) -> list[ManualExpiry]:
        """Pending drafts whose time ran out by `at`, in draft id order."""
        out = []
        for draft_id in sorted(self.drafts):
            d = self.drafts[draft_id]
            if self.status[draft_id] is DraftStatus.PENDING and d.expires_at <= at:
                self.status[draft_id] = DraftStatus.EXPIRED
                out.append(ManualExpiry(draft_id=draft_id, expires_at=d.expires_at))
        return out

    def end(self, e: ManualEnd) -> tuple[str, ...]:
        """The alerts an all-clear or cancel ends ((): not an issued draft)."""
        if self.status.get(e.draft_id) is not DraftStatus.ISSUED:
            return ()
        self.status[e.draft_id] = DraftStatus.ENDED
        return self.alert_ids.get(e.draft_id, ())


def manual_alert_id(draft_id: str, area_id: str) -> str:
    return f"M-{draft_id}-{area_id}"


def manual_headline(stage: AlertStage, status: AlertStatus, area: str) -> str:
    mark = "" if status is AlertStatus.ACTUAL else f"{status.value.upper()}: "
    if stage is AlertStage.EARLY_WARNING:
        text = f"Early warning for {area} (manual): be ready to take shelter"
    elif stage.shelter:
        text = f"Take shelter now in {area} (manual alert)"
    elif stage is AlertStage.ALL_CLEAR:
        text = f"All clear for {area}: the event has ended, you may leave the shelter"
    else:
        text = f"Manual warning cancelled for {area}"
    return mark + text


def manual_reason(draft: ManualDraft, approved: bool) -> str:
    """Why: the drafter's words, and that a second person agreed. Names of people stay in
    the record (`manual.*` entries), not in what every recipient reads: a partner whose
    membership is hidden must not be named to others by its officer's alert."""
    who = "approved by a second officer" if approved else "for the drafter's own partner"
    return f"Manual alert ({who}; record {draft.draft_id}): {draft.text}"


def build_manual_alert(
    draft: ManualDraft,
    *,
    area_id: str,
    area_name: str,
    partner: str,
    status: AlertStatus,
    at: datetime,
    approved: bool,
    time_to_shelter_s: float,
    polygons: tuple[tuple[tuple[float, float], ...], ...],
    circle: tuple[float, float, float] | None,
) -> Alert:
    stage = draft.stage
    return Alert(
        alert_id=manual_alert_id(draft.draft_id, area_id),
        version=1,
        incident_id=draft.draft_id,
        area_id=area_id,
        area_name=area_name,
        partner=partner,
        msg_type=MsgType.ALERT,
        status=status,
        sent_at=at,
        severity=Severity.EXTREME if stage.shelter else Severity.SEVERE,
        urgency=Urgency.IMMEDIATE if stage.shelter else Urgency.EXPECTED,
        time_to_arrival_s=None,
        expected_at=None,
        kinds={},
        headline=manual_headline(stage, status, area_name),
        reason=manual_reason(draft, approved),
        area_polygons=polygons,
        area_circle=circle,
        stage=stage,
        time_to_shelter_s=time_to_shelter_s,
        incidents=(draft.draft_id,),
    )


def end_manual_alert(prev: Alert, end: ManualEnd, at: datetime) -> Alert:
    """The last version. An all-clear tells people to leave the shelter, so it follows a
    take-shelter order only: an early warning asked to be all-cleared is withdrawn, as
    the automatic lifecycle withdraws one."""
    stage = end.stage if prev.stage.shelter else AlertStage.CANCEL
    label = "All clear" if stage is AlertStage.ALL_CLEAR else "Cancelled"
    if stage is AlertStage.CANCEL and prev.stage is AlertStage.EARLY_WARNING:
        label = "Early warning withdrawn"
    return replace(
        prev,
        version=prev.version + 1,
        msg_type=MsgType.CANCEL,
        sent_at=at,
        urgency=Urgency.EXPECTED,
        stage=stage,
        headline=manual_headline(stage, prev.status, prev.area_name),
        reason=f"{label} (manual, record {end.draft_id}): {end.reason}",
    )
