"""Lead assignment: sovereignty first, escalation when nobody may lead; always explained."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.factories import T0

from warnline.agreement.model import Agreement
from warnline.domain import (
    Alert,
    AlertStatus,
    AssignmentStatus,
    Incident,
    MsgType,
    Severity,
    ThreatKind,
    Urgency,
)
from warnline.response import LeadAssigner


def incident(hostile: bool = True) -> Incident:
    return Incident(
        incident_id="I00001",
        opened_at=T0,
        updated_at=T0,
        track_ids=("T000001",),
        confirmed_hostile=hostile,
    )


def alert(area_id: str, partner: str, tta: float, name: str = "Area") -> Alert:
    return Alert(
        alert_id=f"A-I00001-{area_id}",
        version=1,
        incident_id="I00001",
        area_id=area_id,
        area_name=name,
        partner=partner,
        msg_type=MsgType.ALERT,
        status=AlertStatus.EXERCISE,
        sent_at=T0,
        severity=Severity.SEVERE,
        urgency=Urgency.IMMEDIATE,
        time_to_arrival_s=tta,
        expected_at=T0 + timedelta(seconds=tta),
        kinds={ThreatKind.DRONE: 1},
        headline="h",
        reason="r",
    )


def test_first_threatened_partner_leads_with_explanation(agreement: Agreement) -> None:
    a = LeadAssigner(agreement=agreement)
    alerts = {
        x.alert_id: x
        for x in (
            alert("SAU-riyadh", "SAU", 600, "Riyadh"),
            alert("JOR-amman", "JOR", 300, "Amman"),
        )
    }
    (decision,) = a.evaluate([incident()], alerts, T0)
    assert decision.status is AssignmentStatus.LEAD and decision.lead == "JOR"
    assert decision.rule == "sovereignty" and "Amman" in decision.explanation
    assert a.evaluate([incident()], alerts, T0 + timedelta(seconds=5)) == []  # at most one lead


def test_partner_that_may_not_lead_is_passed(agreement: Agreement) -> None:
    barred = next(c for c, p in agreement.partners.items() if not p.can_lead)
    a = LeadAssigner(agreement=agreement)
    alerts = {x.alert_id: x for x in (alert(barred, barred, 100), alert("SAU-riyadh", "SAU", 600))}
    (decision,) = a.evaluate([incident()], alerts, T0)
    assert decision.lead == "SAU" and barred in decision.explanation


def test_nobody_eligible_escalates_to_the_cell(agreement: Agreement) -> None:
    barred = next(c for c, p in agreement.partners.items() if not p.can_lead)
    a = LeadAssigner(agreement=agreement)
    (decision,) = a.evaluate([incident()], {"x": alert(barred, barred, 100)}, T0)
    assert decision.status is AssignmentStatus.ESCALATED and decision.lead is None
    assert decision.rule == "escalation" and "coordination cell" in decision.explanation


def test_no_threatened_area_escalates_after_the_agreed_time(agreement: Agreement) -> None:
    a = LeadAssigner(agreement=agreement, decide_within_s=30)
    assert a.evaluate([incident()], {}, T0) == []
    assert a.evaluate([incident()], {}, T0 + timedelta(seconds=29)) == []
    (decision,) = a.evaluate([incident()], {}, T0 + timedelta(seconds=30))
    assert decision.status is AssignmentStatus.ESCALATED and "30 s" in decision.explanation


def test_cancelled_alerts_and_unconfirmed_incidents_do_not_count(agreement: Agreement) -> None:
    a = LeadAssigner(agreement=agreement)
    cancelled = replace(alert("JOR-amman", "JOR", 100), msg_type=MsgType.CANCEL)
    assert a.evaluate([incident(hostile=False)], {"x": alert("JOR-amman", "JOR", 100)}, T0) == []
    assert a.evaluate([incident()], {"x": cancelled}, T0) == []
