"""What each partner may learn of an incident's record: which steps, and which entries.

The timeline of an incident lists journal entries (reports, alert versions, lead
offers and answers, acknowledgements, deliveries), each with its place in the signed
record. Two questions per step, both answered here so no other module decides them:
- is the step shown to the viewer at all (`*_shown`), and
- is the journal entry itself disclosed (`discloses`): only when the viewer's released
  view of it is the entry unchanged. Otherwise the viewer gets the entry's seq, hash
  and inclusion proof but not its body, which may name what release keeps from it
  (another partner's sensor, a withheld track, a hidden member in a ranking).

The coordination cell sees and receives everything, as everywhere else.
"""

from __future__ import annotations

from warnline.domain import Acknowledgement, Alert, Assignment, Attribution, Report
from warnline.domain.codec import to_json
from warnline.domain.delivery import Attempt, AttemptResult, OfferAttempt, OfferResult
from warnline.domain.incident import Answer, Override
from warnline.release.policy import COALITION_SOURCE, Release

__all__ = ["StepRelease"]


class StepRelease:
    def __init__(self, release: Release) -> None:
        self.release = release

    # -- reports ---------------------------------------------------------------------

    def report_source(self, viewer: str, report: Report) -> str | None:
        """How a report's source is named to `viewer` (its partner, or "coalition
        source"), or None when the report is not released to it: the same rule as the
        contributors of a track (`Release.track`)."""
        r = self.release
        rel = report.releasability
        own = viewer == report.partner
        if not (r.is_cell(viewer) or own or rel is None or rel.releases_to(viewer)):
            return None
        named = rel is None or rel.attribution is Attribution.NAMED
        if r.is_cell(viewer) or own:
            return report.partner
        if named and r.partner_label(viewer, report.partner) == report.partner:
            return report.partner
        return COALITION_SOURCE

    def names_sensor(self, viewer: str, report: Report) -> bool:
        """Sensor ids are for their owner and the cell: no track view names them."""
        return self.release.is_cell(viewer) or viewer == report.partner

    # -- alerts, acknowledgements, deliveries ---------------------------------------

    def alert_shown(self, viewer: str, alert: Alert) -> bool:
        return self.release.alert_visible(viewer, alert)

    def ack_shown(self, viewer: str, ack: Acknowledgement, alert_partner: str) -> bool:
        """An acknowledgement of an alert the viewer sees (its cards name who acked)."""
        return viewer in (alert_partner, self.release.cell)

    def delivery_shown(
        self, viewer: str, delivery: Attempt | AttemptResult, alert_partner: str
    ) -> bool:
        """Deliveries made for the viewer's alert (a console receipt names no partner:
        it is the alert's)."""
        return viewer in ((delivery.partner or alert_partner), self.release.cell)

    # -- the lead procedure ------------------------------------------------------------

    def answer_shown(self, viewer: str, answer: Answer) -> bool:
        return viewer in (answer.partner, self.release.cell)

    def override_shown(self, viewer: str, override: Override) -> bool:
        """The cell's own act; partners see the step of the procedure it made."""
        return self.release.is_cell(viewer)

    def offer_shown(self, viewer: str, offer: OfferAttempt | OfferResult) -> bool:
        return viewer in (offer.partner, self.release.cell)

    # -- the entries themselves ---------------------------------------------------------

    def discloses(
        self,
        viewer: str,
        obj: object,
        *,
        alert_partner: str | None = None,
        incident_visible: bool = False,
    ) -> bool:
        """May `viewer` receive the journal entry whose payload is `obj` as it stands?
        `alert_partner`: the partner of the alert an acknowledgement or delivery is of;
        `incident_visible`: the viewer sees the incident a lead step is of."""
        r = self.release
        if r.is_cell(viewer):
            return True
        if isinstance(obj, Report):
            return obj.partner == viewer
        if isinstance(obj, Alert):
            return r.alert_for(viewer, obj) == obj
        if isinstance(obj, Acknowledgement):
            return alert_partner is not None and self.ack_shown(viewer, obj, alert_partner)
        if isinstance(obj, Attempt | AttemptResult):
            return alert_partner is not None and self.delivery_shown(viewer, obj, alert_partner)
        if isinstance(obj, Assignment):
            view = r.assignment(viewer, obj, incident_visible=incident_visible)
            return view is not None and view == to_json(obj)
        if isinstance(obj, Answer):
            return self.answer_shown(viewer, obj)
        if isinstance(obj, OfferAttempt | OfferResult):
            return self.offer_shown(viewer, obj)
        return False  # incidents (every track id), overrides, inputs of others, ticks
