"""The lead-partner procedure: who leads the response to each confirmed hostile incident.

This assigns responsibility between partners; it controls nothing. For each confirmed
hostile incident the candidates are ranked (`ranking.py`) and lead is offered to the first
eligible one; a decline or an offer left unanswered for `offer_timeout_s` passes to the
next; a candidate that would act over another partner's territory without standing
consent first has that partner's consent asked, through the same offer mechanism; when
nobody is left, or nobody leads within `decide_within_s` of confirmation, the incident is
escalated to the coordination cell, which can also override at any time. When a threat
with a lead crosses into another response sector, the new sector's first candidate is
offered a hand-over; the current lead keeps the lead until someone accepts.

Every step is one `Assignment` record (the latest is the state), with the rule that
decided and the whole ranking. Inputs are the tick's incidents and alerts, commanders'
answers, overrides and readiness declarations, all journaled; no clock is read.

Memory stays bounded over a long raid: a case whose incident is no longer open is
forgotten `retain_s` later, once it is settled (a lead, or escalated to the cell, and
no offer waiting); its records stay in the journal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warnline.agreement.model import Agreement
from warnline.domain import Alert, Assignment, AssignmentStatus, Incident, Position
from warnline.domain.incident import Readiness
from warnline.response.ranking import Candidate, Situation, rank, sector_at, situation

ESCALATION = "escalation"
DEADLINE = "deadline"
OVERRIDE = "override"
HANDOVER = "handover"


@dataclass
class _Case:
    """The procedure's working state for one incident (mutable, private)."""

    incident_id: str
    confirmed_at: datetime
    last: Assignment | None = None
    lead: str | None = None
    sector: str | None = None
    handover: bool = False  # the open round looks for a successor to `lead`
    pinned: bool = False  # the cell overrode: no automatic hand-over any more
    tried: dict[str, str] = field(default_factory=dict)  # partner -> why passed this round
    consented: set[str] = field(default_factory=set)

    @property
    def offering(self) -> bool:
        return self.last is not None and self.last.status is AssignmentStatus.OFFERED

    @property
    def escalated(self) -> bool:
        return self.last is not None and self.last.status is AssignmentStatus.ESCALATED


class LeadProcedure:
    def __init__(self, *, agreement: Agreement, retain_s: float = 900.0) -> None:
        self.agreement = agreement
        self.retain_s = retain_s
        self._closed: dict[str, datetime] = {}  # case -> since when its incident is not open
        self.rules = agreement.response
        self.readiness: dict[tuple[str, str], Readiness] = {
            (r.partner, r.sector): r for p in agreement.partners.values() for r in p.readiness
        }
        self._cases: dict[str, _Case] = {}
        self._alerts: dict[str, list[Alert]] = {}
        self._positions: Mapping[str, Position] = {}

    # -- read side -----------------------------------------------------------------

    @property
    def assignments(self) -> dict[str, Assignment]:
        """The latest record per incident."""
        return {i: c.last for i, c in sorted(self._cases.items()) if c.last is not None}

    def current(self, incident_id: str) -> Assignment | None:
        case = self._cases.get(incident_id)
        return case.last if case else None

    def open_offers(self, partner: str) -> list[Assignment]:
        """Offers (lead or consent) waiting for `partner`'s commander, e.g. to read out on
        a phone call before the keypad answer."""
        return [
            c.last
            for _, c in sorted(self._cases.items())
            if c.offering and c.last is not None and c.last.offered_to == partner
        ]

    def pending(self) -> bool:
        """True while some incident still waits for a lead or an escalation."""
        return any(c.offering or (c.lead is None and not c.escalated) for c in self._cases.values())

    # -- inputs --------------------------------------------------------------------

    def declare(self, readiness: Readiness) -> None:
        self.readiness[(readiness.partner, readiness.sector)] = readiness

    def evaluate(
        self,
        incidents: Sequence[Incident],
        active_alerts: Mapping[str, Alert],
        at: datetime,
        positions: Mapping[str, Position] | None = None,
    ) -> list[Assignment]:
        """One clock tick: open cases, time offers out, enforce the deadline, hand over."""
        self._alerts = {}
        for alert in active_alerts.values():
            # One alert per area groups threats of several incidents: each counts it.
            for inc_id in alert.incidents or (alert.incident_id,):
                self._alerts.setdefault(inc_id, []).append(alert)
        self._positions = positions or {}
        out: list[Assignment] = []
        for inc in sorted(incidents, key=lambda i: i.incident_id):
            if inc.confirmed_hostile and inc.incident_id not in self._cases:
                case = self._cases[inc.incident_id] = _Case(inc.incident_id, confirmed_at=at)
                out += self._advance(case, at, trigger="confirmed")
        for case in list(self._cases.values()):
            out += self._on_tick(case, at)
        self._forget(at, {i.incident_id for i in incidents})
        return out

    def _forget(self, at: datetime, open_ids: set[str]) -> None:
        for inc_id, case in list(self._cases.items()):
            if inc_id in open_ids:
                self._closed.pop(inc_id, None)
                continue
            since = self._closed.setdefault(inc_id, at)
            settled = not case.offering and (case.lead is not None or case.escalated)
            if settled and (at - since).total_seconds() >= self.retain_s:
                del self._cases[inc_id], self._closed[inc_id]

    def answer(
        self,
        incident_id: str,
        partner: str,
        accept: bool,
        user: str,
        at: datetime,
        version: int | None = None,
    ) -> list[Assignment]:
        """A commander's accept or decline; ignored unless it answers the open offer (the
        offer `version` it was given for, when it names one: a phone answer can arrive
        after the offer it answers was superseded)."""
        case = self._cases.get(incident_id)
        if case is None or not case.offering or case.last is None:
            return []
        offer = case.last
        if offer.offered_to != partner or version not in (None, offer.version):
            return []
        if offer.purpose == "consent":
            assert offer.on_behalf is not None
            if accept:
                case.consented.add(offer.on_behalf)
                return self._advance(case, at, trigger="consent_granted", by=user)
            case.tried[offer.on_behalf] = f"{partner} refused consent"
            return self._advance(case, at, trigger="consent_refused", by=user)
        if not accept:
            case.tried[partner] = "declined"
            return self._advance(case, at, trigger="declined", by=user)
        previous = case.lead
        case.lead, case.sector, case.handover = partner, self._sector_now(case, offer.sector), False
        case.tried.clear()
        handed = previous is not None and previous != partner
        text = (
            f"{partner} accepted the lead ({offer.rule} rule)"
            + (f", taking over from {previous} under the handover rule" if handed else "")
            + f". {offer.explanation}"
        )
        rule = HANDOVER if handed else offer.rule
        return [
            self._record(
                case,
                at,
                AssignmentStatus.LEAD,
                partner,
                rule,
                text,
                "accepted",
                sector=offer.sector,
                ranking=offer.ranking,
                by=user,
            )
        ]

    def override(
        self, incident_id: str, lead: str, user: str, reason: str, at: datetime
    ) -> list[Assignment]:
        """The coordination cell names the lead; any open offer lapses."""
        case = self._cases.get(incident_id)
        if case is None:
            return []
        previous = case.lead
        case.lead, case.handover, case.pinned = lead, False, True
        case.sector = self._sector_now(case, case.sector)
        case.tried.clear()
        text = (
            f"The coordination cell ({user}) assigned the lead to {lead}"
            + (f" instead of {previous}" if previous and previous != lead else "")
            + f" under the override rule: {reason or 'no reason given'}."
        )
        return [
            self._record(
                case,
                at,
                AssignmentStatus.LEAD,
                lead,
                OVERRIDE,
                text,
                "override",
                sector=case.sector,
                by=user,
            )
        ]

    # -- the procedure -------------------------------------------------------------

    def _on_tick(self, case: _Case, at: datetime) -> list[Assignment]:
        last = case.last
        overdue = (at - case.confirmed_at).total_seconds() >= self.rules.decide_within_s
        if case.lead is None and not case.escalated and overdue:
            return [self._escalate(case, at, DEADLINE, "deadline")]
        if last is not None and last.status is AssignmentStatus.OFFERED:
            if last.expires_at is not None and at >= last.expires_at:
                who = last.on_behalf if last.purpose == "consent" else last.offered_to
                assert who is not None
                case.tried[who] = (
                    f"{last.offered_to} did not answer the consent request in time"
                    if last.purpose == "consent"
                    else "did not answer in time"
                )
                return self._advance(case, at, trigger="timed_out")
            return []
        if case.lead is None and not case.escalated:
            return self._advance(case, at, trigger="confirmed")
        if case.lead is not None and not case.pinned:
            sector = sector_at(self.agreement, self._positions.get(case.incident_id))
            if sector is not None and sector.sector_id != case.sector:
                case.sector = sector.sector_id
                sit = self._situation(case, at)
                ranked = rank(self.agreement, sit, self.readiness, {})
                first = next((c for c in ranked if c.passed is None), None)
                if first is None or first.partner == case.lead:
                    return []  # the lead stays the first choice in the new sector
                case.handover = True
                case.tried = {case.lead: "leads already"}
                return self._advance(case, at, trigger=HANDOVER)
        return []

    def _sector_now(self, case: _Case, fallback: str | None) -> str | None:
        """The sector the threat is in now (hand-over compares against this)."""
        sector = sector_at(self.agreement, self._positions.get(case.incident_id))
        return sector.sector_id if sector is not None else fallback

    def _situation(self, case: _Case, at: datetime) -> Situation:
        return situation(
            self.agreement,
            case.incident_id,
            self._alerts.get(case.incident_id, []),
            self._positions.get(case.incident_id),
            at,
        )

    def _advance(
        self, case: _Case, at: datetime, *, trigger: str, by: str | None = None
    ) -> list[Assignment]:
        """Offer to the next eligible candidate, or close the round."""
        sit = self._situation(case, at)
        waited = (at - case.confirmed_at).total_seconds()
        if trigger == "confirmed" and not sit.alerts and waited < self.rules.await_threat_s:
            return []  # no area threatened yet: give the sovereignty rule its chance
        ranked = rank(self.agreement, sit, self.readiness, case.tried)
        lines = tuple(c.line(n) for n, c in enumerate(ranked, start=1))
        sector = sit.sector.sector_id if sit.sector else None
        pick = next((c for c in ranked if c.passed is None), None)
        if pick is None:
            if case.handover:
                case.handover = False
                case.tried.clear()
                text = (
                    f"Nobody in sector {sector} took over; under the handover rule "
                    f"{case.lead} keeps the lead."
                )
                return [
                    self._record(
                        case,
                        at,
                        AssignmentStatus.LEAD,
                        case.lead,
                        HANDOVER,
                        text,
                        trigger,
                        sector=case.sector,
                        ranking=lines,
                        by=by,
                    )
                ]
            if not ranked and trigger == "confirmed":
                return []  # nothing threatened yet: wait, at most until the deadline
            case.sector = sector or case.sector
            return [self._escalate(case, at, ESCALATION, trigger, lines, by)]
        expires = at + timedelta(seconds=self.rules.offer_timeout_s)
        why = _why(pick, sit)
        offered_to, purpose, on_behalf = pick.partner, "lead", None
        if pick.consent_from is not None and pick.partner not in case.consented:
            offered_to, purpose, on_behalf = pick.consent_from, "consent", pick.partner
            text = (
                f"{pick.consent_from} is asked to consent to {pick.partner} leading over its "
                f"territory; {pick.partner} is next under the {pick.rule} rule: {why}"
            )
        else:
            text = f"Lead offered to {pick.partner} under the {pick.rule} rule: {why}"
            if case.handover:
                text = f"Hand-over offered ({case.lead} leads until accepted). " + text
        return [
            self._record(
                case,
                at,
                AssignmentStatus.OFFERED,
                case.lead,
                pick.rule,
                text,
                trigger,
                sector=sector,
                ranking=lines,
                by=by,
                expires=expires,
                offered_to=offered_to,
                purpose=purpose,
                on_behalf=on_behalf,
            )
        ]

    def _escalate(
        self,
        case: _Case,
        at: datetime,
        rule: str,
        trigger: str,
        ranking: tuple[str, ...] = (),
        by: str | None = None,
    ) -> Assignment:
        waited = (at - case.confirmed_at).total_seconds()
        if rule == DEADLINE:
            text = (
                f"No lead {waited:.0f} s after confirmation (the agreement allows "
                f"{self.rules.decide_within_s:.0f} s): escalated to the coordination cell "
                f"under the deadline rule."
            )
        else:
            text = (
                "Nobody left to offer the lead to: escalated to the coordination cell "
                "under the escalation rule."
            )
        return self._record(
            case,
            at,
            AssignmentStatus.ESCALATED,
            None,
            rule,
            text,
            trigger,
            sector=case.sector,
            ranking=ranking,
            by=by,
        )

    def _record(
        self,
        case: _Case,
        at: datetime,
        status: AssignmentStatus,
        lead: str | None,
        rule: str,
        explanation: str,
        trigger: str,
        *,
        sector: str | None,
        ranking: tuple[str, ...] = (),
        by: str | None = None,
        expires: datetime | None = None,
        offered_to: str | None = None,
        purpose: str = "lead",
        on_behalf: str | None = None,
    ) -> Assignment:
        version = case.last.version + 1 if case.last else 1
        record = Assignment(
            incident_id=case.incident_id,
            status=status,
            lead=lead,
            rule=rule,
            explanation=explanation,
            decided_at=at,
            version=version,
            trigger=trigger,
            offered_to=offered_to,
            purpose=purpose,
            on_behalf=on_behalf,
            sector=sector,
            expires_at=expires,
            ranking=ranking,
            by=by,
        )
        case.last = record
        return record


def _why(pick: Candidate, sit: Situation) -> str:
    parts = [pick.why]
    if sit.sector is not None:
        parts.append(f"sector {sit.sector.name} ({sit.sector_basis})")
    parts.append(pick.consent_basis)
    return "; ".join(parts) + "."


__all__ = ["DEADLINE", "ESCALATION", "HANDOVER", "OVERRIDE", "LeadProcedure"]
