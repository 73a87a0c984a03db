"""What each partner sees of the lead-partner procedure: the cell everything; the partners
involved the explanation and ranking, with hidden members withheld; others labels only."""

from __future__ import annotations

from tests.factories import T0
from warnline.agreement.model import Agreement, Readiness, ReadinessStatus
from warnline.domain import Assignment, AssignmentStatus
from warnline.release import Release
from warnline.release.policy import COALITION_PARTNER


def offer(to: str, lead: str | None = None, ranking: tuple[str, ...] = ()) -> Assignment:
    return Assignment(
        incident_id="I00001", status=AssignmentStatus.OFFERED, lead=lead,
        rule="sector", explanation=f"Lead offered to {to} under the sector rule: Doha.",
        decided_at=T0, offered_to=to, sector="gulf", ranking=ranking,
    )  # fmt: skip


def test_hidden_member_is_never_named_to_others(agreement: Agreement) -> None:
    assert not agreement.partners["QAT"].membership_visible
    rel = Release(agreement)
    a = offer("QAT", ranking=("1. ARE (sector): #1; passed: declined", "2. QAT (sector): #3; ok"))
    cell, qat, are, jor = (rel.assignment(v, a) for v in ("USA", "QAT", "ARE", "JOR"))
    assert cell["offered_to"] == "QAT" and cell["ranking"] == list(a.ranking)
    assert qat["offered_to"] == "QAT" and qat["explanation"] == a.explanation
    for view in (are, jor):
        assert view["offered_to"] == COALITION_PARTNER and "QAT" not in str(view)
        assert view["explanation"] == "Decided under the agreement's sector rule."
        assert view["ranking"] == []


def test_involved_partner_sees_ranking_with_hidden_members_withheld(
    agreement: Agreement,
) -> None:
    rel = Release(agreement)
    a = offer("ARE", ranking=("1. QAT (sector): #3; passed: declined", "2. ARE (sector): #1"))
    view = rel.assignment("ARE", a)
    assert view["ranking"] == [f"1. {COALITION_PARTNER} (withheld)", "2. ARE (sector): #1"]
    assert view["explanation"] == a.explanation


def test_readiness_is_seen_by_its_partner_and_the_cell(agreement: Agreement) -> None:
    rel = Release(agreement)
    r = Readiness(partner="JOR", sector="levant", status=ReadinessStatus.READY,
                  time_to_respond_s=60)  # fmt: skip
    assert rel.readiness("JOR", r) is not None and rel.readiness("USA", r) is not None
    assert rel.readiness("ISR", r) is None
