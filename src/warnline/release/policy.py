"""The one place that decides what each partner may see.

Every outbound view (API, WebSocket, CAP, feeds, messages) is built here, for one
viewer. Rules, from the agreement:
- The coordination cell sees everything (it operates the hub).
- A report's data goes only to partners its releasability names; a contributor the
  viewer may not learn of is left out, and an anonymous one is shown as
  "coalition source".
- A track is shown only if at least one contributor released to the viewer; when
  not every contributor did, the viewer gets the position last reported by a
  releasing contributor, not the fused estimate (which would carry withheld data).
- A partner whose membership is not visible is never named to others.
- Fields a contributor withholds (accuracy, altitude, velocity) are left out of every
  view built from its data for anyone but itself and the cell.
- Alerts go to the partner whose area they concern (and the cell); they name tracks
  and areas, never sources. A partner is warned of every threat to its areas, even one
  seen only in reports not released to it, but such a track is not named: the alert
  keeps only the area, stage, kinds with counts and the earliest arrival
  (docs/decisions.md, "The release rule for alerts").
- Incident summaries name and count only the tracks the viewer may see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from warnline.agreement.model import Agreement
from warnline.domain import (
    Acknowledgement,
    Alert,
    Assessment,
    Assignment,
    Attribution,
    Incident,
    MsgType,
    ThreatKind,
    Track,
)
from warnline.domain.codec import to_json
from warnline.domain.incident import Readiness
from warnline.domain.manual import ManualDraft

COALITION_SOURCE = "coalition source"
COALITION_PARTNER = "coalition partner"


class Release:
    def __init__(self, agreement: Agreement) -> None:
        self.agreement = agreement
        self.cell = agreement.coordination_cell

    def is_cell(self, viewer: str) -> bool:
        return viewer == self.cell

    def partner_label(self, viewer: str, code: str) -> str:
        if viewer in (code, self.cell) or self.agreement.partners[code].membership_visible:
            return code
        return COALITION_PARTNER

    # -- picture -----------------------------------------------------------------

    def track(
        self, viewer: str, track: Track, assessment: Assessment | None = None
    ) -> dict[str, Any] | None:
        released = [
            c
            for c in track.contributors
            if self._sees(viewer, c.partner, c.releasability.releases_to(viewer))
        ]
        if not released:
            return None
        full = len(released) == len(track.contributors)
        if full:
            pos, vel, sigma = track.position, track.velocity, track.sigma_m
        else:
            latest = max(released, key=lambda c: (c.last_report_at, c.partner, c.sensor))
            pos, vel, sigma = latest.last_position, None, None
        sources = sorted(
            {
                c.partner
                if c.releasability.attribution is Attribution.NAMED
                or self.is_cell(viewer)
                or c.partner == viewer
                else COALITION_SOURCE
                for c in released
            }
        )
        # A hidden member's report is a coalition source, whatever its attribution: even
        # "coalition partner" would tell that a member is hidden.
        sources = [
            s if s != COALITION_SOURCE and self.partner_label(viewer, s) == s else COALITION_SOURCE
            for s in sources
        ]
        withheld = set()
        if not self.is_cell(viewer):
            withheld = {
                f for c in released if c.partner != viewer for f in c.releasability.withhold
            }
        position = to_json(pos)
        if "altitude" in withheld:
            position["alt_m"] = None
        view: dict[str, Any] = {
            "track_id": track.track_id,
            "state": track.state.value,
            "updated_at": track.updated_at.isoformat(),
            "position": position,
            "velocity": None if vel is None or "velocity" in withheld else to_json(vel),
            "sigma_m": None if "accuracy" in withheld else sigma,
            "kind": track.kind.value,
            "identity": track.identity.value,
            "sources": sorted(set(sources)),
            "fused": full,
        }
        if assessment is not None and full:
            view["areas_at_risk"] = [
                {
                    "area_id": a.area_id,
                    "name": a.name,
                    "partner": self.partner_label(viewer, a.partner),
                    "time_to_arrival_s": a.time_to_arrival_s,
                    "expected_at": a.expected_at.isoformat(),
                }
                for a in assessment.areas
                if self._area_visible(viewer, a.partner)
            ]
            view["corridor"] = [list(p) for p in assessment.corridor]
        return view

    def track_visible(self, viewer: str, track: Track) -> bool:
        """Whether `track(viewer, track)` releases anything, without building the view
        (which incidents a viewer may see is asked per lead-procedure step)."""
        return any(
            self._sees(viewer, c.partner, c.releasability.releases_to(viewer))
            for c in track.contributors
        )

    def _sees(self, viewer: str, source: str, released: bool) -> bool:
        return self.is_cell(viewer) or viewer == source or released

    def _area_visible(self, viewer: str, owner: str) -> bool:
        return viewer in (owner, self.cell) or self.agreement.partners[owner].membership_visible

    # -- alerts ------------------------------------------------------------------

    def alert_visible(self, viewer: str, alert: Alert) -> bool:
        return viewer in (alert.partner, self.cell)

    def alert_for(self, viewer: str, alert: Alert) -> Alert | None:
        """The alert as `viewer` may learn it, for every encoding (JSON, CAP, messages).

        The area's owner is warned of every threat to its area, but a track built only
        from reports not released to it is not named: its id leaves `tracks` and the
        reason is rewritten from what the rule allows (area, stage, kinds with counts,
        earliest arrival), since the stored reason names tracks and their kinematics."""
        if not self.alert_visible(viewer, alert):
            return None
        if self.is_cell(viewer) or not alert.withheld_tracks:
            return alert
        withheld = set(alert.withheld_tracks)
        shown = tuple(t for t in alert.tracks if t not in withheld)
        reason = alert.reason  # a Cancel's reason names no track
        if alert.msg_type is not MsgType.CANCEL:
            reason = _unnamed_reason(viewer, alert, shown, len(withheld))
        return replace(alert, tracks=shown, reason=reason, withheld_tracks=())

    def alert(
        self, viewer: str, alert: Alert, acks: list[Acknowledgement] | None = None
    ) -> dict[str, Any] | None:
        released = self.alert_for(viewer, alert)
        if released is None:
            return None
        alert = released
        view = to_json(alert)
        if not self.is_cell(viewer):
            view.pop("withheld_tracks", None)
        view["version_key"] = alert.version_key
        # The area as GeoJSON (every part; rings in lon/lat), and the covering circle.
        view["area"] = {
            "type": "MultiPolygon",
            "coordinates": [[[list(p) for p in ring]] for ring in alert.area_polygons],
        }
        circle = alert.area_circle
        view["circle"] = (
            None if circle is None else {"lon": circle[0], "lat": circle[1], "radius_km": circle[2]}
        )
        view["acknowledged_by"] = sorted({a.user for a in acks or [] if a.version == alert.version})
        return view

    def incident(
        self,
        viewer: str,
        incident: Incident,
        visible_tracks: Mapping[str, ThreatKind],
        alerts: list[Alert],
    ) -> dict[str, Any] | None:
        """`visible_tracks`: the kind of each live track the viewer may see; the summary
        names and counts only those (the cell's counts are the incident's own)."""
        mine = [a for a in alerts if self.alert_visible(viewer, a)]
        tracks = [t for t in incident.track_ids if t in visible_tracks]
        if not (self.is_cell(viewer) or mine or tracks):
            return None
        kinds = (
            incident.kinds
            if self.is_cell(viewer)
            else dict(sorted(Counter(visible_tracks[t] for t in tracks).items()))
        )
        return {
            "incident_id": incident.incident_id,
            "opened_at": incident.opened_at.isoformat(),
            "updated_at": incident.updated_at.isoformat(),
            "track_ids": tracks,
            "kinds": {k.value: n for k, n in kinds.items()},
            "confirmed_hostile": incident.confirmed_hostile,
            "ended": incident.ended,
            "alerts": sorted(a.alert_id for a in mine),
        }

    def assignment(
        self, viewer: str, assignment: Assignment, *, incident_visible: bool = True
    ) -> dict[str, Any] | None:
        """The cell sees every step in full. A partner involved (lead, offered the lead or
        asked for consent, or the one consent is for, unless it may not learn who is
        asked) sees the explanation and ranking, with hidden members' lines left out.
        Others see a step only of an incident they may see (`incident_visible`) and only
        when no member they may not learn of plays a part in it: then they learn who
        leads and who is offered, under which rule. A step that involves a hidden member
        is not shown to them at all, since even "a coalition partner asked to consent"
        over a territory tells whose territory it is."""
        view = to_json(assignment)
        if self.is_cell(viewer):
            return view
        parts = [p for p in (assignment.lead, assignment.offered_to, assignment.on_behalf) if p]
        hidden = [p for p in parts if self.partner_label(viewer, p) != p]
        involved = viewer in (assignment.lead, assignment.offered_to) or (
            viewer == assignment.on_behalf and assignment.offered_to not in hidden
        )
        if not involved and (hidden or not incident_visible):
            return None
        for key in ("lead", "offered_to", "on_behalf"):
            if view[key] is not None:
                view[key] = self.partner_label(viewer, view[key])
        view["by"] = assignment.by if involved else None
        if not involved or self._mentions_hidden(viewer, assignment.explanation):
            view["explanation"] = f"Decided under the agreement's {assignment.rule} rule."
        shown = [
            line.split(". ", 1)[-1]
            for line in assignment.ranking
            if not self._mentions_hidden(viewer, line)
        ]
        view["ranking"] = [f"{n}. {line}" for n, line in enumerate(shown, 1)] if involved else []
        return view

    def _mentions_hidden(self, viewer: str, text: str) -> bool:
        """Does `text` name a member hidden from `viewer`, its country or one of its areas?"""
        return any(marker in text for marker in self._hidden_markers(viewer))

    def _hidden_markers(self, viewer: str) -> list[str]:
        return [
            marker
            for code, p in self.agreement.partners.items()
            if not self._area_visible(viewer, code)
            for marker in (code, p.name, *(a.area_id for a in p.areas), *(a.name for a in p.areas))
        ]

    def manual_draft_visible(self, viewer: str, draft: ManualDraft) -> bool:
        """A manual draft is its drafter's partner's business and the cell's: the areas
        it would warn learn of it when it is issued, as an alert like any other."""
        return viewer in (draft.partner, self.cell)

    def readiness(self, viewer: str, readiness: Readiness) -> dict[str, Any] | None:
        """A partner's readiness is its own business and the cell's."""
        if viewer in (readiness.partner, self.cell):
            return to_json(readiness)
        return None


def _unnamed_reason(viewer: str, alert: Alert, shown: tuple[str, ...], withheld: int) -> str:
    """A reason from the facts the release rule allows, for an alert that rests on tracks
    the viewer may not learn of."""
    what = ", ".join(f"{n} {k.value.replace('_', ' ')}" for k, n in alert.kinds.items())
    when = "" if alert.time_to_arrival_s is None else f" in {alert.time_to_arrival_s:.0f} s"
    named = f" Tracks: {', '.join(shown)}." if shown else ""
    stage = alert.stage.value.replace("_", " ").capitalize()
    return (
        f"{stage}: {sum(alert.kinds.values())} threat(s) ({what}) predicted to reach "
        f"{alert.area_name}{when}.{named} {withheld} of them seen only in reports not "
        f"released to {viewer}: warned of without their source, under the agreement's "
        "release rule."
    )
