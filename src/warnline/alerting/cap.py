"""CAP 1.2 encoding of one alert version, for partners whose warning systems speak CAP.

Each version of an alert becomes one CAP message: the first as `Alert`, later ones as
`Update` or `Cancel` that reference every earlier version, so a CAP consumer that missed a
message can still tie the chain together. Scope is always `Restricted` to the one partner
the alert was released to: a CAP message is an outbound byte like any other, and the release
stage has already decided that this partner may see it.

The human texts come from a small fixed phrase table per language rather than from free
translation: a duty officer reading Arabic or Hebrew must get the same short, vetted
sentence every time, with only the area name and the numbers filled in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from lxml import etree
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from warnline.alerting.cap_phrases import (
    EXERCISE_MARK,
    LANGUAGE_ALIASES,
    PHRASES,
    TEST_MARK,
    Phrases,
)
from warnline.domain.alert import Alert, AlertStage, AlertStatus, MsgType
from warnline.domain.report import ThreatKind

__all__ = ["CAP_NAMESPACE", "cap_datetime", "cap_identifier", "cap_polygon", "encode_cap"]

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
SENDER_NAME = "Warnline coordination hub"
HEADLINE_MAX = 160  # CAP 1.2 suggests 160 characters as a target for the headline
MAX_POLYGON_POINTS = 100  # many CAP consumers (and sirens' controllers) choke on long rings
EXPIRES_AFTER_ARRIVAL = timedelta(minutes=10)
EXPIRES_WITHOUT_ARRIVAL = timedelta(minutes=30)

# CAP forbids spaces and commas in identifiers and senders (they delimit `references`),
# and the restricted XML characters '<' and '&'.
_CAP_TOKEN = re.compile(r"^[^\s,<&]+$")


def cap_identifier(alert: Alert) -> str:
    """The CAP identifier of one alert version, unique per (alert, version)."""
    identifier = f"warnline-{alert.alert_id}-v{alert.version}"
    _require_token(identifier, "identifier")
    return identifier


def cap_datetime(when: datetime) -> str:
    """A CAP 1.2 DateTime: whole seconds, in UTC, written with the "-00:00" offset.

    CAP 1.2 (3.3.2) forbids "Z" and requires UTC to be written "-00:00" (the schema's
    pattern alone would also accept "+00:00", but strict consumers check the rule). The
    schema's pattern admits no fraction of a second, so whole seconds is as precise as
    CAP allows; the fraction is dropped, never rounded up, so a message never claims to
    have been sent after the decision was taken (the full time travels in the
    `warnlineSentAt` parameter).
    """
    if when.tzinfo is None:
        raise ValueError("CAP times need a timezone-aware datetime")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def encode_cap(
    alert: Alert,
    *,
    sender: str,
    previous: Sequence[Alert] = (),
    languages: Sequence[str] = ("en",),
    exercise_note: str | None = None,
) -> bytes:
    """One CAP 1.2 message (UTF-8 XML bytes) for one version of `alert`.

    `previous` are the earlier versions of the same alert, oldest first; an Update or
    Cancel references all of them (an Alert ignores them). Each of `languages` ("en",
    "ar", "he") gets an info block. `exercise_note` replaces the "EXERCISE EXERCISE
    EXERCISE" mark of an exercise alert. Raises ValueError for a message that would
    mislead a consumer (an Update without earlier versions, an exercise note on an
    actual alert, a naive time...).
    """
    _check_previous(alert, previous)
    if exercise_note is not None and alert.status is not AlertStatus.EXERCISE:
        raise ValueError("exercise_note given for an alert that is not an exercise")
    _require_token(sender, "sender")
    _require_token(alert.partner, "partner code")
    phrases = [_phrases(lang) for lang in dict.fromkeys(languages)]
    if not phrases:
        raise ValueError("at least one language is needed")

    root = etree.Element(_q("alert"), nsmap={None: CAP_NAMESPACE})
    _sub(root, "identifier", cap_identifier(alert))
    _sub(root, "sender", sender)
    _sub(root, "sent", cap_datetime(alert.sent_at))
    _sub(root, "status", alert.status.value)
    _sub(root, "msgType", alert.msg_type.value)
    _sub(root, "scope", "Restricted")
    _sub(root, "restriction", f"Releasable to coalition partner {alert.partner} only")
    _sub(root, "addresses", alert.partner)
    if alert.status is AlertStatus.EXERCISE:
        _sub(root, "note", exercise_note or EXERCISE_MARK)
    elif alert.status is AlertStatus.TEST:
        _sub(root, "note", TEST_MARK)
    if alert.msg_type is not MsgType.ALERT:
        refs = (f"{sender},{cap_identifier(p)},{cap_datetime(p.sent_at)}" for p in previous)
        _sub(root, "references", " ".join(refs))
    incidents = alert.incidents or (alert.incident_id,)
    _sub(root, "incidents", " ".join(_cap_list_item(i) for i in incidents))
    polygons = [c for c in (cap_polygon(r) for r in alert.area_polygons) if c is not None]
    for p in phrases:
        _add_info(root, alert, p, exercise_note=exercise_note, polygons=polygons)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def cap_polygon(
    ring: Sequence[tuple[float, float]], *, max_points: int = MAX_POLYGON_POINTS
) -> str | None:
    """A CAP polygon ("lat,lon lat,lon ...", closed) from a lon/lat ring, or None.

    `Alert.area_polygons` hold (lon, lat) pairs like every geometry in the domain; CAP
    wants latitude first. A ring longer than `max_points` is simplified outwards (the
    result still covers the whole area: nobody inside the area is left out of a warning).
    """
    points = [(float(lon), float(lat)) for lon, lat in ring]
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        return None
    if len(points) + 1 > max_points:
        simplified = _simplify_outwards(points, max_points)
        if simplified is None:
            return None
        points = simplified
    pairs: list[str] = []
    for lon, lat in points:
        pair = f"{_coord(lat)},{_coord(lon)}"
        if not pairs or pairs[-1] != pair:
            pairs.append(pair)
    while len(pairs) > 1 and pairs[0] == pairs[-1]:
        pairs.pop()
    if len(set(pairs)) < 3:
        return None
    pairs.append(pairs[0])
    return " ".join(pairs)


def info_texts(alert: Alert, languages: Sequence[str]) -> dict[str, dict[str, str]]:
    """Per language, the headline, description and instruction exactly as `encode_cap`
    writes that language's info block: a console shows the words of the CAP message."""
    out = {}
    for lang in dict.fromkeys(languages):
        p = _phrases(lang)
        mark = None
        if alert.status is AlertStatus.EXERCISE:
            mark = p.exercise_mark
        elif alert.status is AlertStatus.TEST:
            mark = p.test_mark
        out[lang] = {
            "headline": _headline(alert, p, mark),
            "description": _description(alert, p, mark),
            "instruction": _instruction(alert, p),
        }
    return out


def _add_info(
    root: etree._Element,
    alert: Alert,
    p: Phrases,
    *,
    exercise_note: str | None,
    polygons: Sequence[str],
) -> None:
    info = _sub(root, "info")
    _sub(info, "language", p.cap_language)
    _sub(info, "category", "Security")
    _sub(info, "category", "Safety")
    _sub(info, "event", p.event)
    _sub(info, "responseType", _RESPONSE[_texts(alert)])
    # An all-clear is about something that has passed; the domain urgency describes the threat.
    _sub(info, "urgency", "Past" if alert.msg_type is MsgType.CANCEL else alert.urgency.value)
    _sub(info, "severity", alert.severity.value)
    _sub(info, "certainty", "Observed")
    _sub(info, "expires", cap_datetime(_expires(alert)))
    _sub(info, "senderName", SENDER_NAME)
    mark = None
    if alert.status is AlertStatus.EXERCISE:
        mark = exercise_note or p.exercise_mark
    elif alert.status is AlertStatus.TEST:
        mark = p.test_mark
    _sub(info, "headline", _headline(alert, p, mark))
    _sub(info, "description", _description(alert, p, mark))
    _sub(info, "instruction", _instruction(alert, p))
    for name, value in _parameters(alert):
        param = _sub(info, "parameter")
        _sub(param, "valueName", name)
        _sub(param, "value", value)
    area = _sub(info, "area")
    _sub(area, "areaDesc", alert.area_name)
    # One area, one polygon per part (islands included): CAP 1.2 lets <polygon> repeat,
    # and a consumer draws their union.
    for polygon in polygons:
        _sub(area, "polygon", polygon)
    if alert.area_circle is not None:
        lon, lat, radius_km = alert.area_circle
        _sub(area, "circle", f"{_coord(lat)},{_coord(lon)} {radius_km:.1f}")


# Which set of texts a version gets: what the person must do, not how CAP chains it.
_SHELTER, _EARLY, _ALL_CLEAR, _WITHDRAWN = "shelter", "early", "all_clear", "withdrawn"
_RESPONSE = {_SHELTER: "Shelter", _EARLY: "Prepare", _ALL_CLEAR: "AllClear", _WITHDRAWN: "None"}


def _texts(alert: Alert) -> str:
    if alert.msg_type is MsgType.CANCEL:
        return _WITHDRAWN if alert.stage is AlertStage.CANCEL else _ALL_CLEAR
    return _EARLY if alert.stage is AlertStage.EARLY_WARNING else _SHELTER


def _instruction(alert: Alert, p: Phrases) -> str:
    texts = _texts(alert)
    shelter = p.seconds(_whole_seconds(alert.time_to_shelter_s or 0.0))
    if texts == _ALL_CLEAR:
        return p.instruction_cancel
    if texts == _WITHDRAWN and alert.superseded_by is not None:
        return p.instruction_superseded
    if texts == _WITHDRAWN:
        return p.instruction_withdrawn
    if texts == _EARLY:
        return p.instruction_early.format(shelter=shelter)
    if alert.time_to_shelter_s is None:
        return p.instruction
    return f"{p.instruction} {p.shelter_time.format(shelter=shelter)}"


def _headline(alert: Alert, p: Phrases, mark: str | None) -> str:
    """The headline within HEADLINE_MAX characters, shortening the area name first: the
    full name is in areaDesc, while "take shelter" and the time left must stay whole."""
    texts = _texts(alert)
    if texts == _ALL_CLEAR:
        template, eta = p.headline_cancel, ""
    elif texts == _WITHDRAWN and alert.superseded_by is not None:
        template, eta = p.headline_superseded, ""
    elif texts == _WITHDRAWN:
        template, eta = p.headline_withdrawn, ""
    elif alert.time_to_arrival_s is None:
        template, eta = p.headline_no_eta, ""
    elif texts == _EARLY:
        template, eta = p.headline_early, _eta(alert.time_to_arrival_s, p)
    else:
        template, eta = p.headline, _eta(alert.time_to_arrival_s, p)
    if mark:
        template = f"{mark} {template}"
    area = alert.area_name
    text = template.format(area=area, eta=eta)
    overflow = len(text) - HEADLINE_MAX
    if overflow > 0 and len(area) > overflow + 1:
        text = template.format(area=area[: len(area) - overflow - 1].rstrip() + "…", eta=eta)
    return text if len(text) <= HEADLINE_MAX else text[: HEADLINE_MAX - 1].rstrip() + "…"


def _description(alert: Alert, p: Phrases, mark: str | None) -> str:
    lines = [mark] if mark else []
    texts = _texts(alert)
    if texts == _ALL_CLEAR:
        lines.append(p.summary_cancel.format(area=alert.area_name))
    elif texts == _WITHDRAWN and alert.superseded_by is not None:
        lines.append(p.headline_superseded.format(area=alert.area_name) + ".")
    elif texts == _WITHDRAWN:
        lines.append(p.summary_withdrawn.format(area=alert.area_name))
    elif alert.time_to_arrival_s is None:
        lines.append(p.summary_no_eta.format(area=alert.area_name))
    else:
        eta = _eta(alert.time_to_arrival_s, p)
        summary = p.summary_early if texts == _EARLY else p.summary
        lines.append(summary.format(area=alert.area_name, eta=eta))
    counts = [(p.kinds[kind], n) for kind, n in _kind_counts(alert)]
    if counts:
        lines.append(p.threats.format(counts=p.list_separator.join(f"{k} {n}" for k, n in counts)))
    if alert.reason:
        lines.append(p.reason.format(reason=alert.reason))
    return "\n".join(lines)


def _parameters(alert: Alert) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = [("alertStage", alert.stage.value)]
    if alert.time_to_shelter_s is not None:
        params.append(("timeToShelter", str(_whole_seconds(alert.time_to_shelter_s))))
    if alert.time_to_arrival_s is not None:
        params.append(("timeToArrival", str(_whole_seconds(alert.time_to_arrival_s))))
    if alert.expected_at is not None:
        params.append(("expectedAt", cap_datetime(alert.expected_at)))
    kinds = _kind_counts(alert)
    if kinds:
        params.append(("threatKinds", " ".join(f"{k.value}={n}" for k, n in kinds)))
    if alert.superseded_by is not None:
        params.append(("supersededBy", alert.superseded_by))
    params.append(("warnlineSentAt", alert.sent_at.astimezone(UTC).isoformat()))
    params.append(("warnlineAlertId", alert.alert_id))
    params.append(("warnlineVersion", str(alert.version)))
    return params


def _kind_counts(alert: Alert) -> list[tuple[ThreatKind, int]]:
    """Counts by kind in the enum's fixed order, so the text is the same on every run."""
    return [(k, alert.kinds[k]) for k in ThreatKind if alert.kinds.get(k, 0) > 0]


def _expires(alert: Alert) -> datetime:
    if alert.expected_at is not None:
        return alert.expected_at + EXPIRES_AFTER_ARRIVAL
    return alert.sent_at + EXPIRES_WITHOUT_ARRIVAL


def _whole_seconds(seconds: float) -> int:
    """Rounded down: telling someone they have more time than they have is the worse error."""
    return max(0, math.floor(seconds))


def _eta(seconds: float, p: Phrases) -> str:
    minutes = _whole_seconds(seconds) // 60
    return p.under_a_minute if minutes < 1 else p.minutes(minutes)


def _check_previous(alert: Alert, previous: Sequence[Alert]) -> None:
    """An Update or Cancel must name the versions it supersedes, and only those: a wrong
    reference would make a consumer cancel or replace the wrong message. (A first Alert
    references nothing, so whatever history a caller passes along with it is ignored.)"""
    if alert.msg_type is MsgType.ALERT:
        return
    if not previous:
        raise ValueError(f"an {alert.msg_type.value} must reference the earlier versions")
    last = 0
    for p in previous:
        if p.alert_id != alert.alert_id:
            raise ValueError(f"previous version of another alert: {p.alert_id!r}")
        if not last < p.version < alert.version:
            raise ValueError(
                f"previous versions of {alert.alert_id!r} must be earlier than "
                f"v{alert.version}, oldest first, each once (got v{p.version} after v{last})"
            )
        last = p.version


def _simplify_outwards(
    points: list[tuple[float, float]], max_points: int
) -> list[tuple[float, float]] | None:
    """A ring of at most `max_points` vertices (closed) that covers the original one,
    or None if the original encloses no area.

    Buffering by the tolerance before simplifying keeps the simplified boundary outside
    the original (Douglas-Peucker moves the boundary by at most the tolerance).
    """
    shape: BaseGeometry = Polygon(points)
    if not shape.is_valid:
        shape = shape.convex_hull
    if not isinstance(shape, Polygon) or shape.is_empty:
        return None
    minx, miny, maxx, maxy = shape.bounds
    tolerance = max(maxx - minx, maxy - miny, 1e-6) / 1000.0
    while True:
        simple = shape.buffer(tolerance, quad_segs=2).simplify(tolerance, preserve_topology=True)
        if isinstance(simple, Polygon) and len(simple.exterior.coords) <= max_points:
            return [(float(x), float(y)) for x, y in simple.exterior.coords[:-1]]
        tolerance *= 1.5


def _phrases(language: str) -> Phrases:
    key = LANGUAGE_ALIASES.get(language, language)
    if key not in PHRASES:
        raise ValueError(f"no CAP texts for language {language!r}; have {sorted(PHRASES)}")
    return PHRASES[key]


def _require_token(value: str, what: str) -> None:
    if not _CAP_TOKEN.match(value):
        raise ValueError(f"CAP {what} must not be empty or contain spaces, commas, '<' or '&'")


def _cap_list_item(value: str) -> str:
    """CAP lists are space-separated; an item containing spaces is double-quoted."""
    return f'"{value}"' if any(c.isspace() for c in value) else value


def _coord(value: float) -> str:
    text = f"{value:.4f}"
    return "0.0000" if text == "-0.0000" else text


def _q(tag: str) -> str:
    return f"{{{CAP_NAMESPACE}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, _q(tag))
    if text is not None:
        child.text = text
    return child
