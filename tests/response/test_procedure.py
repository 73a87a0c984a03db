"""The lead-partner procedure step by step: offer, accept, decline, time-out, consent,
readiness, hand-over, override and escalation, each explained by the rule that decided."""

from __future__ import annotations

from dataclasses import replace

from tests.response.helpers import AMMAN, CAIRO, RIYADH, alert, at, by_id, incident
from warnline.agreement.model import Agreement
from warnline.domain import AssignmentStatus, MsgType
from warnline.domain.incident import Readiness, ReadinessStatus
from warnline.response import LeadProcedure

OFFERED, LEAD, ESCALATED = (
    AssignmentStatus.OFFERED,
    AssignmentStatus.LEAD,
    AssignmentStatus.ESCALATED,
)


def amman_raid() -> dict[str, object]:
    return {
        "alerts": by_id(
            alert("SAU-riyadh", "SAU", 900, "Riyadh"), alert("JOR-amman", "JOR", 300, "Amman")
        ),
        "positions": {"I00001": AMMAN},
    }


def test_first_threatened_partner_is_offered_then_accepts(agreement: Agreement) -> None:
    p = LeadProcedure(agreement=agreement)
    raid = amman_raid()
    (offer,) = p.evaluate([incident()], raid["alerts"], at(0), raid["positions"])  # type: ignore[arg-type]
    assert offer.status is OFFERED and offer.offered_to == "JOR" and offer.lead is None
    assert offer.rule == "sovereignty" and "sovereignty rule" in offer.explanation
    assert "Amman" in offer.explanation and offer.sector == "levant"
    assert offer.ranking[0].startswith("1. JOR (sovereignty)")
    assert p.open_offers("JOR") == [offer] and p.open_offers("ISR") == []
    assert p.answer("I00001", "ISR", True, "isr-cmd", at(2)) == []  # not offered to ISR
    (lead,) = p.answer("I00001", "JOR", True, "jor-cmd", at(3))
    assert lead.status is LEAD and lead.lead == "JOR" and lead.by == "jor-cmd"
    assert lead.version == 2 and "sovereignty rule" in lead.explanation
    assert p.evaluate([incident()], raid["alerts"], at(60), raid["positions"]) == []  # type: ignore[arg-type]
    assert not p.pending()


def test_an_answer_to_a_superseded_offer_version_is_ignored(agreement: Agreement) -> None:
    """A phone answer can arrive after the offer it answers was superseded: it answers
    only the version it names."""
    p = LeadProcedure(agreement=agreement)
    raid = amman_raid()
    (offer,) = p.evaluate([incident()], raid["alerts"], at(0), raid["positions"])  # type: ignore[arg-type]
    assert p.answer("I00001", "JOR", True, "jor-cmd", at(2), version=offer.version + 1) == []
    assert p.current("I00001") == offer
    (lead,) = p.answer("I00001", "JOR", True, "jor-cmd", at(3), version=offer.version)
    assert lead.status is LEAD and lead.lead == "JOR"


def test_decline_and_time_out_pass_to_the_next(agreement: Agreement) -> None:
    p = LeadProcedure(agreement=agreement)
    raid = amman_raid()
    p.evaluate([incident()], raid["alerts"], at(0), raid["positions"])  # type: ignore[arg-type]
    (nxt,) = p.answer("I00001", "JOR", False, "jor-cmd", at(2))
    assert nxt.trigger == "declined" and nxt.offered_to == "SAU" and nxt.rule == "sovereignty"
    assert any(line.startswith("1. JOR") and "declined" in line for line in nxt.ranking)
    timeout = agreement.response.offer_timeout_s
    assert p.evaluate([incident()], raid["alerts"], at(2 + timeout - 1), raid["positions"]) == []  # type: ignore[arg-type]
    (third,) = p.evaluate([incident()], raid["alerts"], at(2 + timeout), raid["positions"])  # type: ignore[arg-type]
    assert third.trigger == "timed_out" and third.offered_to == "ISR"
    assert third.rule == "sector" and "sector rule" in third.explanation


def test_partner_that_may_not_lead_is_passed_and_named(agreement: Agreement) -> None:
    barred = next(c for c, p in agreement.partners.items() if not p.can_lead)
    p = LeadProcedure(agreement=agreement)
    alerts = by_id(alert(barred, barred, 100), alert("SAU-riyadh", "SAU", 600, "Riyadh"))
    (offer,) = p.evaluate([incident()], alerts, at(0))
    assert offer.offered_to == "SAU"
    assert any(barred in line and "may not lead" in line for line in offer.ranking)


def test_slow_or_unavailable_partners_are_passed(agreement: Agreement) -> None:
    p = LeadProcedure(agreement=agreement)
    # Riyadh 40 s away: SAU (arabia, 60 s to respond) is too slow; JOR is limited there.
    alerts = by_id(alert("SAU-riyadh", "SAU", 40, "Riyadh"))
    p.declare(
        Readiness(partner="USA", sector="arabia", status=ReadinessStatus.UNAVAILABLE,
                  time_to_respond_s=0)
    )  # fmt: skip
    (rec,) = p.evaluate([incident()], alerts, at(0), {"I00001": RIYADH})
    assert rec.status is ESCALATED and rec.rule == "escalation"
    assert "escalation rule" in rec.explanation
    joined = "\n".join(rec.ranking)
    assert "time to respond 60 s exceeds the threat's time to arrival 40 s" in joined
    assert "declared unavailable in sector arabia" in joined


def test_limited_readiness_ranks_after_ready(agreement: Agreement) -> None:
    p = LeadProcedure(agreement=agreement)
    # Arabia sector order is SAU, JOR, USA; JOR is only "limited" there. With no area
    # threatened, the sector order applies once the sovereignty rule had its chance.
    assert p.evaluate([incident()], {}, at(0), {"I00001": RIYADH}) == []
    (offer,) = p.evaluate([incident()], {}, at(10), {"I00001": RIYADH})
    assert offer.offered_to == "SAU" and offer.rule == "sector"
    order = [line.split(" ")[1] for line in offer.ranking]
    assert order == ["SAU", "USA", "JOR"]


def test_consent_is_asked_of_the_territory_owner(agreement: Agreement) -> None:
    assert agreement.partners["EGY"].consents_to == ()
    p = LeadProcedure(agreement=agreement)
    alerts = by_id(alert("EGY", "EGY", 200, "Egypt"), alert("EGY-cairo", "EGY", 400, "Cairo"))
    (offer,) = p.evaluate([incident()], alerts, at(0), {"I00001": CAIRO})
    assert offer.offered_to == "EGY" and offer.purpose == "lead"
    # Nile sector: EGY, SAU, USA; SAU is only "limited" there, so USA comes first.
    (ask,) = p.answer("I00001", "EGY", False, "egy-cmd", at(1))
    assert ask.purpose == "consent" and ask.offered_to == "EGY" and ask.on_behalf == "USA"
    assert "consent" in ask.explanation and "sector rule" in ask.explanation
    (offer2,) = p.answer("I00001", "EGY", True, "egy-cmd", at(2))
    assert offer2.trigger == "consent_granted" and offer2.offered_to == "USA"
    assert offer2.purpose == "lead"
    (lead,) = p.answer("I00001", "USA", True, "usa-cmd", at(3))
    assert lead.lead == "USA"


def test_refused_consent_passes_the_candidate(agreement: Agreement) -> None:
    p = LeadProcedure(agreement=agreement)
    alerts = by_id(alert("EGY", "EGY", 200, "Egypt"))
    p.evaluate([incident()], alerts, at(0), {"I00001": CAIRO})
    p.answer("I00001", "EGY", False, "egy-cmd", at(1))  # EGY declines the lead
    (nxt,) = p.answer("I00001", "EGY", False, "egy-cmd", at(2))  # and refuses USA consent
    assert nxt.trigger == "consent_refused"
    assert nxt.purpose == "consent" and nxt.on_behalf == "SAU"  # SAU's consent asked next
    assert any("USA" in line and "EGY refused consent" in line for line in nxt.ranking)
    (esc,) = p.answer("I00001", "EGY", False, "egy-cmd", at(3))
    assert esc.status is ESCALATED and "escalation rule" in esc.explanation


def test_hand_over_when_the_threat_crosses_into_another_sector(agreement: Agreement) -> None:
    p = LeadProcedure(agreement=agreement)
    raid = amman_raid()
    p.evaluate([incident()], raid["alerts"], at(0), raid["positions"])  # type: ignore[arg-type]
    p.answer("I00001", "JOR", True, "jor-cmd", at(1))
    riyadh_only = by_id(alert("SAU-riyadh", "SAU", 300, "Riyadh", sent_at=at(30)))
    (offer,) = p.evaluate([incident()], riyadh_only, at(30), {"I00001": RIYADH})
    assert offer.status is OFFERED and offer.lead == "JOR" and offer.offered_to == "SAU"
    assert offer.trigger == "handover" and "Hand-over offered (JOR leads" in offer.explanation
    (lead,) = p.answer("I00001", "SAU", True, "sau-cmd", at(33))
    assert lead.lead == "SAU" and lead.rule == "handover" and "handover rule" in lead.explanation
    assert "taking over from JOR" in lead.explanation


def test_declined_hand_over_leaves_the_lead_in_place(agreement: Agreement) -> None:
    p = LeadProcedure(agreement=agreement)
    raid = amman_raid()
    p.evaluate([incident()], raid["alerts"], at(0), raid["positions"])  # type: ignore[arg-type]
    p.answer("I00001", "JOR", True, "jor-cmd", at(1))
    p.declare(
        Readiness(partner="USA", sector="arabia", status=ReadinessStatus.UNAVAILABLE,
                  time_to_respond_s=0)
    )  # fmt: skip
    riyadh = by_id(alert("SAU-riyadh", "SAU", 300, "Riyadh", sent_at=at(30)))
    p.evaluate([incident()], riyadh, at(30), {"I00001": RIYADH})
    (stay,) = p.answer("I00001", "SAU", False, "sau-cmd", at(31))
    assert stay.status is LEAD and stay.lead == "JOR" and stay.rule == "handover"
    assert "JOR keeps the lead" in stay.explanation


def test_cell_override_replaces_an_open_offer(agreement: Agreement) -> None:
    p = LeadProcedure(agreement=agreement)
    raid = amman_raid()
    p.evaluate([incident()], raid["alerts"], at(0), raid["positions"])  # type: ignore[arg-type]
    (rec,) = p.override("I00001", "ISR", "usa-watch", "closest asset", at(4))
    assert rec.status is LEAD and rec.lead == "ISR" and rec.rule == "override"
    assert "override rule" in rec.explanation and "closest asset" in rec.explanation
    assert p.answer("I00001", "JOR", True, "jor-cmd", at(5)) == []  # the offer lapsed


def test_no_lead_within_the_agreed_time_escalates(agreement: Agreement) -> None:
    p = LeadProcedure(agreement=agreement)
    limit = agreement.response.decide_within_s
    assert p.evaluate([incident()], {}, at(0)) == []  # nothing threatened, no sector yet
    assert p.pending()
    assert p.evaluate([incident()], {}, at(limit - 1)) == []
    (rec,) = p.evaluate([incident()], {}, at(limit))
    assert rec.status is ESCALATED and rec.rule == "deadline" and "deadline rule" in rec.explanation
    assert p.answer("I00001", "JOR", True, "jor-cmd", at(limit + 1)) == []


def test_sovereignty_opt_out_and_unconfirmed_or_cancelled(agreement: Agreement) -> None:
    assert not agreement.partners["QAT"].sovereignty
    p = LeadProcedure(agreement=agreement)
    (offer,) = p.evaluate([incident()], by_id(alert("QAT-doha", "QAT", 400, "Doha")), at(0))
    assert offer.offered_to != "QAT" and offer.rule == "sector"  # gulf sector: ARE first
    q = LeadProcedure(agreement=agreement)
    amman = alert("JOR-amman", "JOR", 100)
    assert q.evaluate([incident(hostile=False)], by_id(amman), at(0)) == []
    cancelled = replace(amman, msg_type=MsgType.CANCEL)
    assert q.evaluate([incident()], by_id(cancelled), at(0)) == []


def test_an_alert_grouping_two_incidents_counts_for_both(agreement: Agreement) -> None:
    """One alert per area groups threats of several raids: each raid's lead procedure
    sees the area threatened (the sovereignty rule offers JOR the lead of both)."""
    p = LeadProcedure(agreement=agreement)
    shared = alert("JOR-amman", "JOR", 300, "Amman", incidents=("I00001", "I00002"))
    offers = p.evaluate(
        [incident("I00001"), incident("I00002")],
        by_id(shared),
        at(0),
        {"I00001": AMMAN, "I00002": AMMAN},
    )
    assert sorted((o.incident_id, o.offered_to, o.rule) for o in offers) == [
        ("I00001", "JOR", "sovereignty"),
        ("I00002", "JOR", "sovereignty"),
    ]
    assert all("Amman" in o.explanation for o in offers)
    # An incident the alert does not name is not threatened by it.
    q = LeadProcedure(agreement=agreement)
    assert q.evaluate([incident("I00003")], by_id(shared), at(0), {"I00003": AMMAN}) == []


def test_settled_cases_of_ended_incidents_are_forgotten_after_retention(
    agreement: Agreement,
) -> None:
    p = LeadProcedure(agreement=agreement, retain_s=300)
    raid = amman_raid()
    for n in range(30):  # one incident a minute, led at once, over a minute later
        inc = replace(incident(), incident_id=f"I{n:05d}")
        alerts = {
            a.alert_id: replace(a, incident_id=inc.incident_id, incidents=(inc.incident_id,))
            for a in raid["alerts"].values()
        }  # type: ignore[attr-defined]
        p.evaluate([inc], alerts, at(60 * n), raid["positions"])  # type: ignore[arg-type]
        p.override(inc.incident_id, "JOR", "usa-watch", "", at(60 * n + 1))
        p.evaluate([], {}, at(60 * n + 30))
    assert len(p.assignments) <= 7 and "I00029" in p.assignments and "I00000" not in p.assignments


def test_a_case_still_waiting_is_kept_after_its_incident_ended(agreement: Agreement) -> None:
    p = LeadProcedure(agreement=agreement, retain_s=60)
    raid = amman_raid()
    p.evaluate([incident()], raid["alerts"], at(0), raid["positions"])  # type: ignore[arg-type]
    p.evaluate([], {}, at(61))  # ended, but the offer to JOR still waits for an answer
    assert "I00001" in p.assignments
