"""CoT 2.0 XML for what release lets a partner see: tracks, shapes, alerts, deletions.

Pure functions of released views (the dicts `ReleasedViews` hands the console), so the
CoT stream can carry nothing the console of that partner would not show. Written by
hand rather than through an XML library: every value is a number we format or a string
we escape (`quoteattr`/`escape`), the shapes are fixed, and a raid's frame is encoded
once per partner and push, not once per client.

An event is split into its `Cot` parts so a frame can tell a changed event from a
refresh of an unchanged one and stamp the times at the moment it is sent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from warnline.cot.types import air_type
from warnline.domain import Identity, ThreatKind

__all__ = [
    "UNKNOWN_ERROR",
    "Cot",
    "alert_events",
    "cot_time",
    "deletion",
    "error_event",
    "pong",
    "track_events",
]

UID_PREFIX = "warnline."
UNKNOWN_ERROR = 9999999.0  # CoT's "not known" for hae, ce and le
DELETE_TYPE = "t-x-d-d"
ALERT_TYPE = "b-a-g"  # alarm: a geofence (here: the alerted area) is breached
SHAPE_TYPE = "u-d-f"  # drawing, free form: a polygon from its <link point> vertices
CHAT_TYPE = "b-t-f"  # GeoChat: what a sender's TAK client shows as a message
STAGE_COLOUR = {  # ARGB as TAK's signed 32-bit integers
    "early_warning": -256,  # yellow
    "alert": -65536,  # red
    "update": -65536,
    "all_clear": -16711936,  # green
}
CORRIDOR_COLOUR = -23296  # orange


@dataclass(frozen=True, slots=True)
class Cot:
    """One CoT event without its times: `body` is everything inside <event>."""

    uid: str
    type: str
    how: str
    start: datetime
    stale: datetime
    lat: float
    lon: float
    body: str
    hae: float = UNKNOWN_ERROR
    ce: float = UNKNOWN_ERROR
    le: float = UNKNOWN_ERROR

    @property
    def key(self) -> tuple[object, ...]:
        """What makes two versions of the event differ for a TAK client."""
        return (self.type, self.how, self.stale, self.lat, self.lon, self.hae, self.body)

    def render(self, now: datetime) -> bytes:
        return (
            f'<event version="2.0" uid={quoteattr(self.uid)} type="{self.type}" '
            f'how="{self.how}" time="{cot_time(now)}" start="{cot_time(self.start)}" '
            f'stale="{cot_time(self.stale)}"><point lat="{self.lat:.6f}" lon="{self.lon:.6f}" '
            f'hae="{self.hae:.1f}" ce="{self.ce:.1f}" le="{self.le:.1f}"/>'
            f"<detail>{self.body}</detail></event>"
        ).encode()


def cot_time(t: datetime) -> str:
    """CoT's W3C time: UTC, milliseconds, Z."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def track_uid(track_id: str) -> str:
    return f"{UID_PREFIX}track.{track_id}"


def track_events(track: dict[str, Any], *, coast_after_s: float, drop_after_s: float) -> list[Cot]:
    """A released track as its CoT atom, and its corridor (if released) as a shape.

    Stale rule: a confirmed track is stale `coast_after_s` after its last report (when
    the picture would start coasting it); a coasting one `drop_after_s` after (when the
    picture would drop it). A TAK client that stops hearing from the node thus ages
    tracks out exactly as the picture would."""
    updated = datetime.fromisoformat(track["updated_at"])
    coasting = track["state"] == "coasting"
    stale = updated + timedelta(seconds=drop_after_s if coasting else coast_after_s)
    kind, identity = ThreatKind(track["kind"]), Identity(track["identity"])
    pos, vel = track["position"], track["velocity"]
    alt = pos.get("alt_m")
    sigma = track.get("sigma_m")
    uid = track_uid(track["track_id"])
    callsign = f"{track['track_id']} {kind.value.replace('_', ' ')}"
    parts = [f"<contact callsign={quoteattr(callsign)}/>"]
    if vel is not None:
        speed, course = _course_speed(vel)
        parts.append(f'<track course="{course:.1f}" speed="{speed:.1f}"/>')
    risks = track.get("areas_at_risk") or []
    remarks = "; ".join(
        f"{a['name']} ({a['partner']}) in {a['time_to_arrival_s']:.0f} s" for a in risks
    )
    if remarks:
        parts.append(f"<remarks>{escape('At risk: ' + remarks)}</remarks>")
    parts.append(
        f"<__warnline track_id={quoteattr(track['track_id'])} state={quoteattr(track['state'])} "
        f'kind="{kind.value}" identity="{identity.value}" '
        f"sources={quoteattr(','.join(track['sources']))} "
        f'fused="{"true" if track["fused"] else "false"}"/>'
    )
    atom = Cot(
        uid=uid,
        type=air_type(kind, identity),
        how="m-f",  # machine, fused
        start=updated,
        stale=stale,
        lat=pos["lat"],
        lon=pos["lon"],
        hae=UNKNOWN_ERROR if alt is None else float(alt),
        ce=UNKNOWN_ERROR if sigma is None else float(sigma),
        le=UNKNOWN_ERROR if alt is None or sigma is None else float(sigma),
        body="".join(parts),
    )
    out = [atom]
    corridor = track.get("corridor")
    if corridor:
        out.append(
            _shape(
                f"{uid}.corridor", corridor, start=updated, stale=stale,
                colour=CORRIDOR_COLOUR, label=f"{track['track_id']} corridor", link=atom,
            )
        )  # fmt: skip
    return out


def alert_events(alert: dict[str, Any], *, now: datetime, stale_s: float) -> list[Cot]:
    """A live alert as a CoT alarm at its area, and the alerted area's outline(s) as
    shapes (one per ring), stale `stale_s` from now unless sent again."""
    stale = now + timedelta(seconds=stale_s)
    sent = datetime.fromisoformat(alert["sent_at"])
    rings = [poly[0] for poly in alert["area"]["coordinates"] if poly and poly[0]]
    circle = alert.get("circle")
    if circle is not None:
        lat, lon = float(circle["lat"]), float(circle["lon"])
    elif rings:
        lon, lat = (float(v) for v in rings[0][0])
    else:
        return []
    uid = f"{UID_PREFIX}alert.{alert['alert_id']}"
    stage = str(alert["stage"])
    tta = alert.get("time_to_arrival_s")
    text = str(alert["headline"]) + (f" (arrival in {tta:.0f} s)" if tta is not None else "")
    body = (
        f"<contact callsign={quoteattr(str(alert['area_name']))}/>"
        f"<remarks>{escape(text)}</remarks>"
        f"<__warnline alert_id={quoteattr(str(alert['alert_id']))} "
        f'version="{int(alert["version"])}" stage={quoteattr(stage)} '
        f"msg_type={quoteattr(str(alert['msg_type']))} "
        f"area_id={quoteattr(str(alert['area_id']))} "
        f"tracks={quoteattr(','.join(alert.get('tracks', ())))} "
        f"status={quoteattr(str(alert['status']))}/>"
    )
    alarm = Cot(
        uid=uid, type=ALERT_TYPE, how="m-f", start=sent, stale=stale, lat=lat, lon=lon,
        body=body,
    )  # fmt: skip
    colour = STAGE_COLOUR.get(stage, -65536)
    shapes = [
        _shape(
            f"{UID_PREFIX}area.{alert['area_id']}.{i}", ring, start=sent, stale=stale,
            colour=colour, label=str(alert["area_name"]), link=alarm,
        )
        for i, ring in enumerate(rings)
    ]  # fmt: skip
    return [alarm, *shapes]


def _shape(
    uid: str,
    ring: Sequence[Sequence[float]],
    *,
    start: datetime,
    stale: datetime,
    colour: int,
    label: str,
    link: Cot,
) -> Cot:
    """A closed polygon (lon/lat ring) as a TAK drawing shape."""
    vertices = "".join(f'<link point="{p[1]:.6f},{p[0]:.6f}"/>' for p in ring)
    fill = (colour & 0x00FFFFFF) | 0x40000000  # the same colour, a quarter opaque
    fill = fill - (1 << 32) if fill >= 1 << 31 else fill
    body = (
        f'{vertices}<strokeColor value="{colour}"/><strokeWeight value="2.0"/>'
        f'<fillColor value="{fill}"/><closed value="true"/>'
        f"<contact callsign={quoteattr(label)}/>"
        f'<link uid={quoteattr(link.uid)} type="{link.type}" relation="p-p"/>'
    )
    lon, lat = _centre(ring)
    return Cot(
        uid=uid, type=SHAPE_TYPE, how="h-e", start=start, stale=stale, lat=lat, lon=lon,
        body=body,
    )  # fmt: skip


def deletion(uid: str, type_: str, *, now: datetime, stale_s: float = 60.0) -> Cot:
    """Tell TAK clients to remove `uid` (an ended track, a cancelled alert)."""
    return Cot(
        uid=f"{uid}.delete", type=DELETE_TYPE, how="m-g", start=now,
        stale=now + timedelta(seconds=stale_s), lat=0.0, lon=0.0,
        body=f'<link uid={quoteattr(uid)} type="{type_}" relation="none"/><__forcedelete/>',
    )  # fmt: skip


def error_event(
    sender_uid: str | None, reason: str, *, serial: int, now: datetime, stale_s: float = 300.0
) -> bytes:
    """A refusal the sender's TAK client shows as a chat message from Warnline."""
    about = sender_uid or "unknown"
    body = (
        '<__chat chatroom="Warnline" id="warnline" senderCallsign="Warnline"/>'
        f'<remarks source="warnline" time="{cot_time(now)}">'
        f"{escape('Warnline refused an event (uid ' + about + '): ' + reason)}</remarks>"
        f'<__warnline error="refused" uid={quoteattr(about)} reason={quoteattr(reason)}/>'
    )
    return Cot(
        uid=f"GeoChat.warnline.error.{serial}", type=CHAT_TYPE, how="h-e", start=now,
        stale=now + timedelta(seconds=stale_s), lat=0.0, lon=0.0, body=body,
    ).render(now)  # fmt: skip


def pong(now: datetime) -> bytes:
    """The answer to a TAK client's ping (`t-x-c-t`)."""
    return Cot(
        uid="warnline.pong", type="t-x-c-t-r", how="h-g-i-g-o", start=now,
        stale=now + timedelta(seconds=20), lat=0.0, lon=0.0, body="",
    ).render(now)  # fmt: skip


def _course_speed(vel: dict[str, Any]) -> tuple[float, float]:
    east, north = float(vel["east"]), float(vel["north"])
    return math.hypot(east, north), math.degrees(math.atan2(east, north)) % 360.0


def _centre(ring: Iterable[Sequence[float]]) -> tuple[float, float]:
    pts = list(ring)
    if len(pts) > 1 and list(pts[0]) == list(pts[-1]):
        pts = pts[:-1]
    return (
        sum(float(p[0]) for p in pts) / len(pts),
        sum(float(p[1]) for p in pts) / len(pts),
    )
