"""CAP 1.2 from a partner's civil-defence system, as an input like any other report.

Many partners' civil-defence and early-warning systems already emit CAP. We accept a
CAP `alert` whose `info` blocks each describe one observation: the observed position
is the centre of the info's `area/circle` (its radius is the accuracy), and the rest
comes from `parameter`s named `warnline:kind`, `warnline:identity`, `warnline:sensor`,
`warnline:velocity` ("east north up", m/s), `warnline:altitude` (m),
`warnline:observedAt`, `warnline:confidence` and `warnline:sensorTrack`. The report id
is the CAP identifier plus the info's index, so a resent message is journaled once.
A message with status Exercise comes in as an exercise sensor ("exercise:<sensor>").

The XML is hostile until proven otherwise: the size is checked before parsing; any
DTD (and so any entity declaration: billion laughs, external entities) is refused;
the parser resolves no entity and opens no network or file; and the root must be a
CAP 1.2 `alert`. Every refusal names the field and the reason.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from lxml import etree

from warnline.alerting.cap import CAP_NAMESPACE, cap_datetime
from warnline.domain import Identity, Position, Report, ThreatKind, Velocity
from warnline.errors import SchemaError

__all__ = ["MAX_CAP_BYTES", "encode_observations", "parse_cap"]

MAX_CAP_BYTES = 512 * 1024
MAX_INFOS = 1000
EXERCISE_SENSOR_PREFIX = "exercise:"
P = "warnline:"
_NS = {"cap": CAP_NAMESPACE}
_IDENT = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ACCEPTED_STATUS = ("Actual", "Exercise")
_ACCEPTED_TYPES = ("Alert", "Update")
E = TypeVar("E", ThreatKind, Identity)


def parse_cap(body: bytes, *, partner: str) -> list[Report]:
    """Reports from one CAP message signed by `partner`; SchemaError naming the field."""
    root = _parse_safely(body)
    identifier = _text(root, "identifier")
    if not _IDENT.match(identifier):
        raise SchemaError(
            "must be 1-100 of A-Z a-z 0-9 . _ : - (it becomes the report id)",
            field="alert.identifier",
        )
    status = _text(root, "status")
    if status not in _ACCEPTED_STATUS:
        raise SchemaError(f"{status!r} carries no observation", field="alert.status")
    msg_type = _text(root, "msgType")
    if msg_type not in _ACCEPTED_TYPES:
        raise SchemaError(f"{msg_type!r} carries no observation", field="alert.msgType")
    sent = _time(_text(root, "sent"), "alert.sent")
    infos = root.findall("cap:info", _NS)
    if not infos:
        raise SchemaError("at least one info block is needed", field="alert.info")
    if len(infos) > MAX_INFOS:
        raise SchemaError(f"more than {MAX_INFOS} info blocks", field="alert.info")
    reports = [
        _report(info, partner=partner, identifier=identifier, sent=sent, index=i)
        for i, info in enumerate(infos)
    ]
    if status == "Exercise":
        # An exercise message feeds the picture as an injected exercise sensor, so in a
        # live coalition its alerts are marked Exercise and a real alert overrides them.
        reports = [
            r
            if r.sensor.startswith(EXERCISE_SENSOR_PREFIX)
            else dataclasses.replace(r, sensor=EXERCISE_SENSOR_PREFIX + r.sensor)
            for r in reports
        ]
    return reports


def _parse_safely(body: bytes) -> etree._Element:
    if len(body) > MAX_CAP_BYTES:
        raise SchemaError(f"larger than {MAX_CAP_BYTES} bytes", field="body")
    if not body.strip():
        raise SchemaError("empty body", field="body")
    if _DTD.search(body):
        raise SchemaError("DTDs and entity declarations are not accepted", field="body")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SchemaError(f"not well-formed XML: {exc.msg}", field="body") from None
    doc = root.getroottree()
    if doc.docinfo.doctype or doc.docinfo.internalDTD is not None:  # e.g. a UTF-16 body
        raise SchemaError("DTDs and entity declarations are not accepted", field="body")
    if any(isinstance(n, etree._Entity) for n in root.iter()):
        raise SchemaError("entity references are not accepted", field="body")
    if root.tag != f"{{{CAP_NAMESPACE}}}alert":
        raise SchemaError(
            f"root element is {root.tag!r}, not a CAP 1.2 alert ({{{CAP_NAMESPACE}}}alert)",
            field="alert",
        )
    return root


def _report(
    info: etree._Element, *, partner: str, identifier: str, sent: datetime, index: int
) -> Report:
    where = f"alert.info.{index}"
    params: dict[str, str] = {}
    for el in info.findall("cap:parameter", _NS):
        name = _text(el, "valueName", where=f"{where}.parameter")
        if name.startswith(P):
            params[name[len(P) :]] = _text(el, "value", where=f"{where}.parameter.{name}")
    circles = info.findall("cap:area/cap:circle", _NS)
    if len(circles) != 1:
        raise SchemaError(
            "exactly one area circle (the observed position and accuracy) is needed",
            field=f"{where}.area.circle",
        )
    lat, lon, radius_km = _circle(circles[0].text or "", f"{where}.area.circle")

    def param(name: str) -> str | None:
        return params.get(name)

    kind = _enum(ThreatKind, param("kind") or "unknown", f"{where}.parameter.{P}kind")
    identity = _enum(Identity, param("identity") or "unknown", f"{where}.parameter.{P}identity")
    sensor = param("sensor") or "civil-defence"
    track = param("sensorTrack")
    for name, value in (("sensor", sensor), ("sensorTrack", track)):
        if value is not None and not _IDENT.match(value):
            raise SchemaError("not an identifier", field=f"{where}.parameter.{P}{name}")
    observed = param("observedAt")
    return Report(
        report_id=f"{identifier}.{index}" if index else identifier,
        partner=partner,
        sensor=sensor,
        sensor_track=track,
        observed_at=sent if observed is None else _time(observed, f"{where}.{P}observedAt"),
        position=Position(
            lat=lat, lon=lon, alt_m=_number(param("altitude") or "0", f"{where}.{P}altitude")
        ),
        altitude_measured=param("altitude") is not None,
        accuracy_m=max(1.0, radius_km * 1000.0),
        kind=kind,
        identity=identity,
        confidence=_unit(param("confidence") or "0.5", f"{where}.parameter.{P}confidence"),
        velocity=_velocity(param("velocity"), f"{where}.parameter.{P}velocity"),
        source_format="cap",
    )


def encode_observations(
    reports: Sequence[Report], *, identifier: str, sender: str, sent: datetime, status: str
) -> bytes:
    """One CAP message carrying `reports` in the profile `parse_cap` reads (what a
    partner's civil-defence gateway sends; used by the exercise and the tests)."""
    root = etree.Element(f"{{{CAP_NAMESPACE}}}alert", nsmap={None: CAP_NAMESPACE})
    for tag, text in (
        ("identifier", identifier),
        ("sender", sender),
        ("sent", cap_datetime(sent)),
        ("status", status),
        ("msgType", "Alert"),
        ("scope", "Restricted"),
        ("restriction", "Coalition early-warning exchange only"),
    ):
        _sub(root, tag, text)
    for r in reports:
        info = _sub(root, "info")
        for tag, text in (
            ("category", "Security"),
            ("event", "Aerial object observed"),
            ("urgency", "Immediate"),
            ("severity", "Severe"),
            ("certainty", "Observed"),
        ):
            _sub(info, tag, text)
        values = {
            "kind": r.kind.value,
            "identity": r.identity.value,
            "sensor": r.sensor,
            "observedAt": r.observed_at.isoformat(),
            "altitude": f"{r.position.alt_m:.1f}",
            "confidence": f"{r.confidence:.3f}",
        }
        if not r.altitude_measured:
            del values["altitude"]
        if r.sensor_track:
            values["sensorTrack"] = r.sensor_track
        if r.velocity is not None:
            v = r.velocity
            values["velocity"] = f"{v.east:.2f} {v.north:.2f} {v.up:.2f}"
        for name, value in values.items():
            p = _sub(info, "parameter")
            _sub(p, "valueName", P + name)
            _sub(p, "value", value)
        area = _sub(info, "area")
        _sub(area, "areaDesc", f"Observation {r.report_id}")
        radius = max(r.accuracy_m / 1000.0, 0.001)
        _sub(area, "circle", f"{r.position.lat:.6f},{r.position.lon:.6f} {radius:.3f}")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{CAP_NAMESPACE}}}{tag}")
    if text is not None:
        child.text = text
    return child


def _text(el: etree._Element, tag: str, *, where: str = "alert") -> str:
    child = el.find(f"cap:{tag}", _NS)
    if child is None or not (child.text or "").strip():
        raise SchemaError("required element missing or empty", field=f"{where}.{tag}")
    return (child.text or "").strip()


def _time(text: str, field: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SchemaError(f"not a date-time: {text[:40]!r}", field=field) from None
    if when.tzinfo is None:
        raise SchemaError("time zone required", field=field)
    return when


def _number(text: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SchemaError(f"not a number: {text[:40]!r}", field=field) from None
    if not math.isfinite(value):
        raise SchemaError("not a finite number", field=field)
    return value


def _unit(text: str, field: str) -> float:
    value = _number(text, field)
    if not 0.0 <= value <= 1.0:
        raise SchemaError("must be between 0 and 1", field=field)
    return value


def _circle(text: str, field: str) -> tuple[float, float, float]:
    """CAP circle "lat,lon radius_km"."""
    try:
        centre, radius_text = text.split()
        lat_text, lon_text = centre.split(",")
    except ValueError:
        raise SchemaError('expected "lat,lon radius_km"', field=field) from None
    lat, lon = _number(lat_text, field), _number(lon_text, field)
    radius = _number(radius_text, field)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise SchemaError("latitude or longitude out of range", field=field)
    if not 0 < radius <= 100:
        raise SchemaError("radius (accuracy) must be within (0, 100] km", field=field)
    return lat, lon, radius


def _velocity(text: str | None, field: str) -> Velocity | None:
    if text is None:
        return None
    parts = text.split()
    if len(parts) not in (2, 3):
        raise SchemaError('expected "east north [up]" in m/s', field=field)
    values = [_number(p, field) for p in parts]
    if any(abs(v) > 10_000 for v in values):
        raise SchemaError("component above 10000 m/s", field=field)
    return Velocity(east=values[0], north=values[1], up=values[2] if len(values) == 3 else 0.0)


def _enum(tp: type[E], text: str, field: str) -> E:
    try:
        return tp(text)
    except ValueError:
        allowed = ", ".join(m.value for m in tp)
        raise SchemaError(f"{text[:40]!r} is not one of {allowed}", field=field) from None
