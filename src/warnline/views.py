"""The read model as released: what the API and the console show each viewer.

It holds no state of its own: every view is built on demand from the pipeline's folded
state (which the journal determines) and passed through release, the one place that
decides what each partner may see.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shapely.geometry import mapping

from warnline.agreement.model import Agreement
from warnline.alerting.readback import AlertLog
from warnline.dispatch import Dispatcher
from warnline.domain import Alert, Assignment, Clock, MsgType, ThreatKind, TrackState
from warnline.errors import NotFoundError
from warnline.journal import Entry
from warnline.pipeline import Pipeline
from warnline.release import Release


class ReleasedViews:
    def __init__(
        self,
        *,
        agreement: Agreement,
        pipeline: Pipeline,
        dispatcher: Dispatcher,
        release: Release,
        clock: Clock,
    ) -> None:
        self.agreement = agreement
        self.pipeline = pipeline
        self.dispatcher = dispatcher
        self.release = release
        self.clock = clock
        self.alert_log = AlertLog(self._version)

    def _version(self, alert_id: str, version: int) -> Alert | None:
        versions = self.pipeline.alerting.history.get(alert_id, [])
        if 0 < version <= len(versions) and versions[version - 1].version == version:
            return versions[version - 1]
        return next((v for v in versions if v.version == version), None)

    def observe(self, entries: Iterable[Entry]) -> None:
        """Fold journal entries read back (alert versions, in journal order)."""
        self.alert_log.observe(entries)

    def alerts_since(self, viewer: str, cursor: int, limit: int) -> dict[str, Any]:
        """Every alert version released to `viewer` stored after `cursor`, oldest first
        (at most `limit`), each with its own `cursor`, and `next`: the cursor to pass on
        the next poll. Versions not released to the viewer advance `next` too, so a
        quiet poller does not rescan them."""
        out: list[dict[str, Any]] = []
        next_cursor = cursor
        for seq, alert in self.alert_log.after(cursor):
            view = self.release.alert(viewer, alert, self.dispatcher.acks_for(alert.alert_id))
            if view is not None:
                if len(out) >= limit:
                    break
                out.append(view | {"cursor": seq})
            next_cursor = seq
        return {"alerts": out, "next": next_cursor}

    def picture_for(self, viewer: str, *, tentative: bool = True) -> dict[str, Any]:
        """The picture as released to `viewer`. Without `tentative`, only tracks the
        picture has confirmed (what consoles draw: a one-report blip is not yet an
        object, and a partner flooding never-seen objects must not make every console
        push cost thousands of release checks)."""
        tracks = []
        for t in self.pipeline.picture.tracks():
            if not tentative and t.state is TrackState.TENTATIVE:
                continue
            v = self.release.track(viewer, t, self.pipeline.assessments.get(t.track_id))
            if v is not None:
                tracks.append(v)
        return {"at": self.clock.now().isoformat(), "tracks": tracks}

    def alerts_for(self, viewer: str, *, active_only: bool = False) -> list[dict[str, Any]]:
        out = []
        for alert_id, versions in sorted(self.pipeline.alerting.history.items()):
            latest = versions[-1]
            if active_only and latest.msg_type is MsgType.CANCEL:
                continue
            v = self.release.alert(viewer, latest, self.dispatcher.acks_for(alert_id))
            if v is not None:
                out.append(v)
        return out

    def alert_versions(self, alert_id: str) -> list[Alert]:
        versions = self.pipeline.alerting.history.get(alert_id)
        if not versions:
            raise NotFoundError(f"no alert {alert_id}")
        return versions

    def incidents_for(self, viewer: str) -> list[dict[str, Any]]:
        visible = {
            v["track_id"]: ThreatKind(v["kind"])
            for v in self.picture_for(viewer, tentative=False)["tracks"]
        }
        out = []
        incidents = self.pipeline.incidents.incidents.values()
        for inc in sorted(incidents, key=lambda i: (i.opened_at, i.incident_id)):
            alerts = [
                vs[-1]
                for vs in self.pipeline.alerting.history.values()
                if inc.incident_id in (vs[-1].incidents or (vs[-1].incident_id,))
            ]
            v = self.release.incident(viewer, inc, visible, alerts)
            if v is not None:
                out.append(v)
        return out

    def _incidents_seen(self, viewer: str) -> set[str]:
        return {v["incident_id"] for v in self.incidents_for(viewer)}

    def released_assignment(self, viewer: str, assignment: Assignment) -> dict[str, Any] | None:
        """One step of the lead procedure as `viewer` may see it, or None."""
        seen = assignment.incident_id in self._incidents_seen(viewer)
        return self.release.assignment(viewer, assignment, incident_visible=seen)

    def assignments_for(self, viewer: str) -> list[dict[str, Any]]:
        seen = self._incidents_seen(viewer)
        out = []
        for inc_id, a in sorted(self.pipeline.assigner.assignments.items()):
            v = self.release.assignment(viewer, a, incident_visible=inc_id in seen)
            if v is not None:
                out.append(v)
        return out

    def assignment_for(self, viewer: str, incident_id: str) -> dict[str, Any]:
        """404 alike for an unknown incident and for one the viewer may not see."""
        a = self.pipeline.assigner.current(incident_id)
        view = None if a is None else self.released_assignment(viewer, a)
        if view is None:
            raise NotFoundError(f"no lead procedure for incident {incident_id}")
        return view

    def areas_for(self, viewer: str) -> dict[str, Any]:
        """GeoJSON of the areas the viewer may know of (hidden members' are left out)."""
        feats = []
        for p in self.agreement.partners.values():
            if self.release.partner_label(viewer, p.code) != p.code:
                continue
            for a in p.areas:
                feats.append(
                    {
                        "type": "Feature",
                        "id": a.area_id,
                        "properties": {
                            "area_id": a.area_id,
                            "partner": p.code,
                            "name": a.name,
                            "kind": a.kind.value,
                        },
                        "geometry": mapping(a.geometry),
                    }
                )
        return {"type": "FeatureCollection", "features": feats}
