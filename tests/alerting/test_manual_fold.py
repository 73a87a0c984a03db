"""Manual alerts as the decision follower folds them: the two-person rule re-checked on
the journal (so a replay agrees), expiry on the ticks' time, alerts beside the automatic
chain that only a person ends, and an automatic all-clear held under a manual order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.factories import T0, make_assessment, make_track
from tests.test_pipeline import make_pipeline, tick
from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.domain import AlertStage, MsgType
from warnline.domain.manual import (
    DraftStatus,
    ManualApproval,
    ManualDraft,
    ManualEnd,
    ManualRejection,
)
from warnline.journal import Entry, Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import Tick, event


def draft(areas: tuple[str, ...] = ("ISR-eilat",), **over: Any) -> ManualDraft:
    fields: dict[str, Any] = dict(
        draft_id="MD1", user="jor-cmd", partner="JOR", role="commander", areas=areas,
        partners=tuple(sorted({a.split("-")[0] for a in areas})), stage=AlertStage.ALERT,
        text="drones at post 7", drafted_at=T0, expires_at=T0 + timedelta(seconds=600),
        needs_approval=any(not a.startswith("JOR") for a in areas),
    )  # fmt: skip
    return ManualDraft(**(fields | over))


def approval(user: str, partner: str, role: str) -> ManualApproval:
    return ManualApproval(draft_id="MD1", user=user, partner=partner, role=role, reason="ok")


def entries(*events: Event) -> list[Entry]:
    return [at(i + 1, e) for i, e in enumerate(events)]


def at(seq: int, e: Event) -> Entry:
    return Entry(seq=seq, event=e, prev_hash="", hash="")


def ev(kind: Kind, obj: object, s: float, n: int) -> Event:
    return event(kind, obj, event_id=f"{kind}:{n}", at=T0 + timedelta(seconds=s))


def kinds(out: list[Event]) -> list[str]:
    return [str(e.kind) for e in out]


def test_self_approval_and_wrong_roles_do_not_count_in_the_fold(agreement: Agreement) -> None:
    """Even journaled (an old node, a forged entry), a drafter's own approval, a watch
    officer's and another partner's commander's change nothing; the cell's issues."""
    p = make_pipeline(agreement)
    out = p.process(entries(
        ev(Kind.MANUAL_DRAFT, draft(), 0, 1),
        ev(Kind.MANUAL_APPROVAL, approval("jor-cmd", "JOR", "commander"), 1, 2),
        ev(Kind.MANUAL_APPROVAL, approval("jor-watch", "JOR", "watch"), 2, 3),
        ev(Kind.MANUAL_APPROVAL, approval("isr-cmd", "ISR", "commander"), 3, 4),
    ))  # fmt: skip
    assert out == [] and p.manual.status["MD1"] is DraftStatus.PENDING
    out = p.process([at(5, ev(Kind.MANUAL_APPROVAL, approval("usa-watch", "USA", "cell"), 4, 5))])
    assert kinds(out) == ["manual.issued", "alert.issued"]
    alert = p.alerting.active["M-MD1-ISR-eilat"]
    assert (alert.partner, alert.stage, alert.msg_type) == ("ISR", AlertStage.ALERT, MsgType.ALERT)
    # A second approval, racing the first, issues nothing more.
    again = ev(Kind.MANUAL_APPROVAL, approval("jor-cmd2", "JOR", "commander"), 5, 6)
    assert p.process([at(6, again)]) == []


def test_partner_only_draft_issues_at_once_and_replay_decides_the_same(
    agreement: Agreement,
) -> None:
    journal = entries(
        ev(Kind.MANUAL_DRAFT, draft(("JOR-amman", "JOR"), needs_approval=False), 0, 1),
        ev(Kind.TICK, Tick(), 1, 2),
        ev(Kind.MANUAL_END, ManualEnd(draft_id="MD1", user="jor-watch", partner="JOR",
                                      stage=AlertStage.CANCEL, reason="airliner"), 30, 3),
    )  # fmt: skip
    first, second = make_pipeline(agreement), make_pipeline(agreement)
    out1, out2 = first.process(journal), second.process(journal)
    assert [(e.event_id, e.payload) for e in out1] == [(e.event_id, e.payload) for e in out2]
    alerts = [e.payload for e in out1 if e.kind == Kind.ALERT]
    assert [(a["area_id"], a["msg_type"]) for a in alerts] == [
        ("JOR-amman", "Alert"), ("JOR", "Alert"), ("JOR-amman", "Cancel"), ("JOR", "Cancel"),
    ]  # fmt: skip
    assert alerts[2]["stage"] == "cancel" and "airliner" in alerts[2]["reason"]
    assert first.alerting.active == {} and first.manual.status["MD1"] is DraftStatus.ENDED


def test_a_pending_draft_expires_at_the_first_tick_after_its_time(agreement: Agreement) -> None:
    p = make_pipeline(agreement)
    p.process(entries(ev(Kind.MANUAL_DRAFT, draft(), 0, 1)))
    assert p.process([at(2, tick(T0 + timedelta(seconds=599)))]) == []
    out = p.process([at(3, tick(T0 + timedelta(seconds=600)))])
    assert kinds(out) == ["manual.expired"] and out[0].payload["draft_id"] == "MD1"
    late = ev(Kind.MANUAL_APPROVAL, approval("usa-watch", "USA", "cell"), 601, 4)
    assert p.process([at(4, late)]) == []  # too late: nothing issued


def test_a_rejected_draft_cannot_be_approved(agreement: Agreement) -> None:
    p = make_pipeline(agreement)
    reject = ManualRejection(draft_id="MD1", user="jor-cmd2", partner="JOR", role="commander",
                             reason="an airliner")  # fmt: skip
    out = p.process(entries(
        ev(Kind.MANUAL_DRAFT, draft(user="jor-watch", role="watch"), 0, 1),
        ev(Kind.MANUAL_REJECTION, reject, 1, 2),
        ev(Kind.MANUAL_APPROVAL, approval("usa-watch", "USA", "cell"), 2, 3),
    ))  # fmt: skip
    assert out == [] and p.manual.status["MD1"] is DraftStatus.REJECTED
    assert p.manual.decided_by["MD1"] == ("jor-cmd2", "an airliner")


def test_the_lifecycle_never_ends_a_manual_alert_and_holds_the_areas_all_clear(
    agreement: Agreement,
) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    manual = alerting.issue_manual(draft(("JOR-amman",), needs_approval=False), T0, approved=False)
    tr = make_track()
    book.update([tr], [], T0)
    raised = alerting.evaluate(
        book, {tr.track_id: make_assessment(tr, T0, [("JOR-amman", "JOR", 60)])}, T0
    )
    assert [a.stage for a in raised] == [AlertStage.ALERT]  # the automatic chain, beside
    empty = {tr.track_id: make_assessment(tr, T0, [])}
    for s in (10, 40, 400):  # nothing endangers Amman any more
        out = alerting.evaluate(book, empty, T0 + timedelta(seconds=s))
        assert out == [], "no all-clear while a person's shelter order stands"
    assert manual[0].alert_id in alerting.active
    end = ManualEnd(draft_id="MD1", user="jor-watch", partner="JOR", stage=AlertStage.ALL_CLEAR,
                    reason="over")  # fmt: skip
    ended = alerting.end_manual([manual[0].alert_id], end, T0 + timedelta(seconds=401))
    assert [(a.stage, a.version) for a in ended] == [(AlertStage.ALL_CLEAR, 2)]
    out = alerting.evaluate(book, empty, T0 + timedelta(seconds=402))
    assert [(a.area_id, a.msg_type) for a in out] == [("JOR-amman", MsgType.CANCEL)]
