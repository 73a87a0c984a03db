"""What each partner sees of the lead-partner procedure: the cell everything; the partners
involved the explanation and ranking, with hidden members left out; others only steps of
incidents they see in which no hidden member plays a part."""

from __future__ import annotations

from dataclasses import replace

from tests.factories import T0
from warnline.agreement.model import Agreement
from warnline.domain import Assignment, AssignmentStatus
from warnline.domain.incident import Readiness, ReadinessStatus
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
    assert cell is not None and qat is not None
    assert cell["offered_to"] == "QAT" and cell["ranking"] == list(a.ranking)
    assert qat["offered_to"] == "QAT" and qat["explanation"] == a.explanation
    assert are is None and jor is None  # not even "a coalition partner" is offered


def test_consent_asked_of_a_hidden_member_is_not_shown_to_the_one_it_is_for(
    agreement: Agreement,
) -> None:
    rel = Release(agreement)
    ask = replace(offer("QAT"), purpose="consent", on_behalf="SAU")
    assert rel.assignment("SAU", ask) is None and rel.assignment("JOR", ask) is None
    granted = replace(offer("SAU"), explanation="Lead offered to SAU under the sector rule.")
    view = rel.assignment("SAU", granted)
    assert view is not None and view["offered_to"] == "SAU"


def test_involved_partner_sees_ranking_without_hidden_members(
    agreement: Agreement,
) -> None:
    rel = Release(agreement)
    a = offer("ARE", ranking=("1. QAT (sector): #3; passed: declined", "2. ARE (sector): #1"))
    view = rel.assignment("ARE", a)
    assert view is not None
    assert view["ranking"] == ["1. ARE (sector): #1"]  # renumbered: no gap tells of QAT
    # The explanation names Doha, an area of the hidden member: not told.
    assert view["explanation"] == "Decided under the agreement's sector rule."
    assert COALITION_PARTNER not in str(view) and "Doha" not in str(view)


def test_readiness_is_seen_by_its_partner_and_the_cell(agreement: Agreement) -> None:
    rel = Release(agreement)
    r = Readiness(partner="JOR", sector="levant", status=ReadinessStatus.READY,
                  time_to_respond_s=60)  # fmt: skip
    assert rel.readiness("JOR", r) is not None and rel.readiness("USA", r) is not None
    assert rel.readiness("ISR", r) is None
