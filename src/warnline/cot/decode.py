"""CoT events from a partner's TAK server or client, as that partner's reports.

Both encodings a TAK endpoint speaks arrive here: CoT 2.0 XML and TAK protocol v1
protobuf (its `TakMessage`, decoded by `takproto`'s generated classes). Either becomes
one `CotEvent`, and an air atom (`a-?-A-...`) becomes one `Report`:

- `uid` is the sender's track: it becomes the sensor track, and with the event's `time`
  the report id (`<uid>:<ms since 1970>`), so a resent event is journaled once;
- `point` lat/lon/hae give the position (hae in metres above the ellipsoid;
  9999999, CoT's "unknown", means the sensor measured no altitude), `ce` the accuracy;
- `detail/track` course (degrees true), speed (m/s) and, if given, slope (degrees up;
  speed is then along the path) give the velocity;
- the type gives kind and identity (`warnline.cot.types`); the producing sensor is the
  parent link (`<link relation="p-p" uid=...>`), else "cot";
- Warnline's own `<__warnline confidence=.../>` may carry a confidence.

The XML is hostile until proven otherwise: the size is checked before parsing; a DTD
or entity declaration is refused; the parser resolves no entity and opens no network
or file; the root must be `event`. Every refusal is a `SchemaError` naming the field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from lxml import etree

from warnline.cot.types import kind_and_identity
from warnline.domain import Position, Report, Velocity
from warnline.errors import SchemaError

__all__ = ["MAX_EVENT_BYTES", "CotEvent", "from_proto", "from_xml", "to_report"]

MAX_EVENT_BYTES = 64 * 1024
UNKNOWN = 9999999.0
UNKNOWN_CE_M = 1000.0  # an air track's accuracy when the sender does not know it
_IDENT = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
_HOW = re.compile(r"^[hm](-[a-z]){1,4}$")
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class CotEvent:
    """What Warnline reads of one CoT event, whichever encoding it came in."""

    uid: str
    type: str
    how: str
    time: datetime
    lat: float
    lon: float
    hae: float
    ce: float
    course: float | None = None
    speed: float | None = None  # with `slope`, along the path; without, over ground
    slope: float | None = None  # degrees above the horizontal
    sensor: str | None = None
    confidence: float | None = None


def from_xml(data: bytes) -> CotEvent:
    root = _parse_safely(data, "event")
    if root.tag != "event":
        raise SchemaError(f"root element is {root.tag!r}, not a CoT event", field="event")
    point = root.find("point")
    if point is None:
        raise SchemaError("a CoT event needs a point", field="event.point")
    detail = root.find("detail")
    return _event(
        uid=root.get("uid"), type_=root.get("type"), how=root.get("how"),
        time=_time(root.get("time"), "event.time"),
        point={k: point.get(k) for k in ("lat", "lon", "hae", "ce")},
        detail=detail,
    )  # fmt: skip


def from_proto(payload: bytes) -> CotEvent:
    """A TAK protocol v1 message (the bytes after the stream header and length)."""
    from google.protobuf.message import DecodeError
    from takproto.proto import TakMessage

    msg = TakMessage()
    try:
        msg.ParseFromString(payload)
    except DecodeError:
        raise SchemaError("not a TAK protocol v1 message", field="takmessage") from None
    if not msg.HasField("cotEvent"):
        raise SchemaError("a TAK message without a CoT event", field="takmessage.cotEvent")
    ev = msg.cotEvent
    try:
        sent = datetime.fromtimestamp(ev.sendTime / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        sent = None
    if ev.sendTime <= 0 or sent is None:
        raise SchemaError("missing or not a time", field="event.time")
    detail = None
    xml_detail = ev.detail.xmlDetail
    if xml_detail:
        wrapped = f"<detail>{xml_detail}</detail>".encode()
        detail = _parse_safely(wrapped, "event.detail")
    parsed = _event(
        uid=ev.uid, type_=ev.type, how=ev.how,
        time=sent,
        point={"lat": ev.lat, "lon": ev.lon, "hae": ev.hae, "ce": ev.ce},
        detail=detail,
    )  # fmt: skip
    if ev.detail.HasField("track"):
        course, speed = ev.detail.track.course, ev.detail.track.speed
        parsed = _with_track(parsed, course, speed)
    return parsed


def to_report(ev: CotEvent, *, partner: str) -> Report:
    """The partner's report of an air atom; SchemaError for any other type."""
    found = kind_and_identity(ev.type)
    if found is None:
        raise SchemaError(
            f"type {ev.type!r} is not an air track (a-<affiliation>-A-...)", field="event.type"
        )
    kind, identity = found
    velocity = None
    if ev.course is not None and ev.speed is not None:
        rad, up = math.radians(ev.course), math.radians(ev.slope or 0.0)
        ground = ev.speed * math.cos(up)
        velocity = Velocity(
            east=ground * math.sin(rad), north=ground * math.cos(rad), up=ev.speed * math.sin(up)
        )
    measured = ev.hae < UNKNOWN
    ms = int(ev.time.timestamp() * 1000)
    return Report(
        report_id=f"{ev.uid}:{ms}",
        partner=partner,
        sensor=ev.sensor or "cot",
        observed_at=ev.time,
        position=Position(lat=ev.lat, lon=ev.lon, alt_m=ev.hae if measured else 0.0),
        accuracy_m=UNKNOWN_CE_M if ev.ce >= UNKNOWN else ev.ce,
        kind=kind,
        identity=identity,
        confidence=0.5 if ev.confidence is None else ev.confidence,
        velocity=velocity,
        sensor_track=ev.uid,
        source_format="cot",
        altitude_measured=measured,
    )


def _parse_safely(data: bytes, where: str) -> etree._Element:
    if len(data) > MAX_EVENT_BYTES:
        raise SchemaError(f"larger than {MAX_EVENT_BYTES} bytes", field=where)
    if _DTD.search(data):
        raise SchemaError("DTDs and entity declarations are not accepted", field=where)
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise SchemaError(f"not well-formed XML: {exc.msg}", field=where) from None
    doc = root.getroottree()
    if doc.docinfo.doctype or doc.docinfo.internalDTD is not None:
        raise SchemaError("DTDs and entity declarations are not accepted", field=where)
    if any(isinstance(n, etree._Entity) for n in root.iter()):
        raise SchemaError("entity references are not accepted", field=where)
    return root


def _event(
    *,
    uid: object,
    type_: object,
    how: object,
    time: datetime,
    point: dict[str, object],
    detail: etree._Element | None,
) -> CotEvent:
    if not isinstance(uid, str) or not _IDENT.match(uid):
        raise SchemaError(
            "must be 1-100 of A-Z a-z 0-9 . _ : - (it names the sensor track)", field="event.uid"
        )
    if not isinstance(type_, str) or not type_ or len(type_) > 64:
        raise SchemaError("missing or longer than 64 characters", field="event.type")
    if not isinstance(how, str) or not _HOW.match(how):
        raise SchemaError(f"{how!r} is not a CoT how (h-... or m-...)", field="event.how")
    lat = _number(point["lat"], "event.point.lat", -90.0, 90.0)
    lon = _number(point["lon"], "event.point.lon", -180.0, 180.0)
    hae = _number(point["hae"], "event.point.hae", -1000.0, UNKNOWN)
    ce = _number(point["ce"], "event.point.ce", 0.0, UNKNOWN)
    if ce <= 0.0:
        raise SchemaError("must be a positive number of metres", field="event.point.ce")
    ev = CotEvent(uid=uid, type=type_, how=how, time=time, lat=lat, lon=lon, hae=hae, ce=ce)
    if detail is None:
        return ev
    track = detail.find("track")
    if track is not None and track.get("course") is not None and track.get("speed") is not None:
        ev = _with_track(
            ev,
            _number(track.get("course"), "event.detail.track.course", 0.0, 360.0),
            _number(track.get("speed"), "event.detail.track.speed", 0.0, 1e5),
        )
        if track.get("slope") is not None:
            ev = replace(ev, slope=_number(track.get("slope"), "event.detail.track.slope", -90, 90))
    sensor = next((ln.get("uid") for ln in detail.iter("link") if ln.get("relation") == "p-p"),
                  None)  # fmt: skip
    if sensor is not None and not _IDENT.match(sensor):
        raise SchemaError("the producing sensor's uid is not an identifier", field="event.link")
    hint = detail.find("__warnline")
    confidence = None
    if hint is not None and hint.get("confidence") is not None:
        confidence = _number(hint.get("confidence"), "event.detail.__warnline.confidence", 0, 1)
    return replace(ev, sensor=sensor, confidence=confidence)


def _with_track(ev: CotEvent, course: float, speed: float) -> CotEvent:
    if not (math.isfinite(course) and 0.0 <= course <= 360.0):
        raise SchemaError("course must be 0-360 degrees", field="event.detail.track.course")
    if not (math.isfinite(speed) and speed >= 0.0):
        raise SchemaError("speed must be metres per second", field="event.detail.track.speed")
    return replace(ev, course=course, speed=speed)


def _number(raw: object, where: str, low: float, high: float) -> float:
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SchemaError(f"{raw!r} is not a number", field=where) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise SchemaError(f"{value!r} is outside {low:g} to {high:g}", field=where)
    return value


def _time(raw: str | None, where: str) -> datetime:
    if not raw:
        raise SchemaError("missing", field=where)
    try:
        t = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise SchemaError(f"{raw!r} is not a W3C time", field=where) from None
    if t.tzinfo is None or t.utcoffset() != timedelta(0):
        raise SchemaError("must be UTC (ending in Z)", field=where)
    return t.astimezone(UTC)
