"""Who leads the response to each confirmed hostile incident (a first rule set).

This assigns responsibility between partners; it controls nothing. The rule here is
the sovereignty rule: the partner whose area the threat reaches first leads, if the
agreement lets it lead; if no partner is threatened within `decide_within_s` of
confirmation, or none may lead, the incident is escalated to the coordination cell.
Every decision carries the rule that made it and a plain explanation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from warnline.agreement.model import Agreement
from warnline.domain import Alert, Assignment, AssignmentStatus, Incident, MsgType


class LeadAssigner:
    def __init__(self, *, agreement: Agreement, decide_within_s: float = 30.0) -> None:
        self.agreement = agreement
        self.decide_within_s = decide_within_s
        self.assignments: dict[str, Assignment] = {}
        self._confirmed_at: dict[str, datetime] = {}

    def evaluate(
        self,
        incidents: Sequence[Incident],
        active_alerts: Mapping[str, Alert],
        at: datetime,
    ) -> list[Assignment]:
        by_incident: dict[str, list[Alert]] = {}
        for alert in active_alerts.values():
            if alert.msg_type is not MsgType.CANCEL:
                by_incident.setdefault(alert.incident_id, []).append(alert)
        out = []
        for inc in sorted(incidents, key=lambda i: i.incident_id):
            if not inc.confirmed_hostile or inc.incident_id in self.assignments:
                continue
            since = self._confirmed_at.setdefault(inc.incident_id, at)
            decision = self._decide(inc, by_incident.get(inc.incident_id, []), since, at)
            if decision is not None:
                self.assignments[inc.incident_id] = decision
                out.append(decision)
        return out

    def _decide(
        self, inc: Incident, alerts: list[Alert], since: datetime, at: datetime
    ) -> Assignment | None:
        ranked = sorted(alerts, key=lambda a: (a.expected_at or at, a.area_id))
        passed: list[str] = []
        for alert in ranked:
            partner = self.agreement.partners[alert.partner]
            if partner.can_lead:
                return Assignment(
                    incident_id=inc.incident_id,
                    status=AssignmentStatus.LEAD,
                    lead=partner.code,
                    rule="sovereignty",
                    explanation=(
                        f"{alert.area_name} ({partner.code}) is the first area the threat reaches "
                        f"(expected {alert.expected_at:%H:%M:%S}Z); under the sovereignty rule its "
                        f"owner leads." + (f" Passed: {', '.join(passed)}." if passed else "")
                    ),
                    decided_at=at,
                )
            passed.append(f"{partner.code} (may not lead under the agreement)")
        waited = (at - since).total_seconds()
        if alerts or waited >= self.decide_within_s:
            return Assignment(
                incident_id=inc.incident_id,
                status=AssignmentStatus.ESCALATED,
                lead=None,
                rule="escalation",
                explanation=(
                    "No threatened partner may lead: " + ", ".join(passed)
                    if passed
                    else f"No partner area threatened {waited:.0f} s after confirmation"
                )
                + "; escalated to the coordination cell.",
                decided_at=at,
            )
        return None
