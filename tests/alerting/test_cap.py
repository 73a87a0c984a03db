"""CAP 1.2 encoding: schema-valid in every shape, and right in the details a consumer reads."""

from __future__ import annotations

import dataclasses
import math
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from shapely.geometry import Polygon

from warnline.agreement.model import Agreement
from warnline.alerting.area_shapes import circle_of, polygons_of
from warnline.alerting.cap import CAP_NAMESPACE, cap_datetime, cap_identifier, encode_cap
from warnline.domain import Alert, AlertStatus, MsgType, Severity, ThreatKind, Urgency

SENDER = "hub@warnline.invalid"
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NS = {"cap": CAP_NAMESPACE}
# A box around Amman as (lon, lat) pairs, the order of every geometry in the domain.
AMMAN_RING = ((35.8123, 31.9), (36.05, 31.9), (36.05, 32.1), (35.8123, 32.1))


def make_alert(
    version: int = 1,
    *,
    msg_type: MsgType = MsgType.ALERT,
    status: AlertStatus = AlertStatus.ACTUAL,
    polygon: tuple[tuple[float, float], ...] = AMMAN_RING,
    time_to_arrival_s: float | None = 245.7,
    area_name: str = "Amman",
) -> Alert:
    sent = T0 + timedelta(seconds=20 * (version - 1))
    return Alert(
        alert_id="a-17",
        version=version,
        incident_id="inc-3",
        area_id="JOR-AMM",
        area_name=area_name,
        partner="JOR",
        msg_type=msg_type,
        status=status,
        sent_at=sent,
        severity=Severity.EXTREME,
        urgency=Urgency.IMMEDIATE,
        time_to_arrival_s=time_to_arrival_s,
        expected_at=None if time_to_arrival_s is None else sent + timedelta(seconds=245.7),
        kinds={ThreatKind.DRONE: 3, ThreatKind.CRUISE_MISSILE: 1},
        headline="Drones toward Amman",
        reason="4 objects on a path into Amman",
        area_polygons=(polygon,),
    )


def chain(msg_type: MsgType, status: AlertStatus = AlertStatus.ACTUAL) -> tuple[Alert, list[Alert]]:
    """An alert of `msg_type` and the earlier versions it must reference."""
    if msg_type is MsgType.ALERT:
        return make_alert(1, status=status), []
    earlier = [make_alert(1, status=status), make_alert(2, msg_type=MsgType.UPDATE, status=status)]
    return make_alert(3, msg_type=msg_type, status=status), earlier


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def text(root: etree._Element, path: str) -> str:
    found = root.find(path, NS)
    assert found is not None, path
    return str(found.text)


def param(info: etree._Element, name: str) -> str | None:
    for p in info.findall("cap:parameter", NS):
        if p.findtext("cap:valueName", namespaces=NS) == name:
            return str(p.findtext("cap:value", namespaces=NS))
    return None


@pytest.mark.parametrize("language", ["en", "ar", "he"])
@pytest.mark.parametrize("with_polygon", [True, False], ids=["polygon", "no-polygon"])
@pytest.mark.parametrize("status", [AlertStatus.ACTUAL, AlertStatus.EXERCISE])
@pytest.mark.parametrize("msg_type", [MsgType.ALERT, MsgType.UPDATE, MsgType.CANCEL])
def test_every_shape_validates_against_the_oasis_schema(
    cap_schema: etree.XMLSchema,
    msg_type: MsgType,
    status: AlertStatus,
    with_polygon: bool,
    language: str,
) -> None:
    alert, previous = chain(msg_type, status)
    if not with_polygon:
        alert = dataclasses.replace(alert, area_polygons=())
    xml = encode_cap(alert, sender=SENDER, previous=previous, languages=(language,))
    root = parse(xml)
    cap_schema.assertValid(root)
    assert root.tag == f"{{{CAP_NAMESPACE}}}alert"
    assert text(root, "cap:msgType") == msg_type.value
    assert text(root, "cap:status") == status.value
    assert (root.find("cap:info/cap:area/cap:polygon", NS) is not None) == with_polygon
    assert text(root, "cap:info/cap:area/cap:areaDesc") == "Amman"


def test_all_languages_in_one_message_validate(cap_schema: etree.XMLSchema) -> None:
    alert, previous = chain(MsgType.UPDATE)
    root = parse(encode_cap(alert, sender=SENDER, previous=previous, languages=("en", "ar", "he")))
    cap_schema.assertValid(root)
    langs = [i.findtext("cap:language", namespaces=NS) for i in root.findall("cap:info", NS)]
    assert langs == ["en-US", "ar", "he"]


def test_header_is_restricted_to_the_one_partner() -> None:
    alert, _ = chain(MsgType.ALERT)
    root = parse(encode_cap(alert, sender=SENDER))
    assert text(root, "cap:identifier") == "warnline-a-17-v1" == cap_identifier(alert)
    assert text(root, "cap:sender") == SENDER
    assert text(root, "cap:scope") == "Restricted"
    assert text(root, "cap:restriction") == "Releasable to coalition partner JOR only"
    assert text(root, "cap:addresses") == "JOR"
    assert text(root, "cap:incidents") == "inc-3"
    assert root.find("cap:references", NS) is None
    assert root.find("cap:note", NS) is None


def test_update_v3_references_v1_and_v2_in_order() -> None:
    alert, previous = chain(MsgType.UPDATE)
    root = parse(encode_cap(alert, sender=SENDER, previous=previous))
    assert text(root, "cap:references") == (
        "hub@warnline.invalid,warnline-a-17-v1,2026-11-25T12:00:00-00:00 "
        "hub@warnline.invalid,warnline-a-17-v2,2026-11-25T12:00:20-00:00"
    )
    assert text(root, "cap:sent") == "2026-11-25T12:00:40-00:00"


def test_cancel_is_an_all_clear_that_references_every_version() -> None:
    alert, previous = chain(MsgType.CANCEL)
    root = parse(encode_cap(alert, sender=SENDER, previous=previous, languages=("en", "he")))
    refs = text(root, "cap:references").split(" ")
    assert [r.split(",")[1] for r in refs] == ["warnline-a-17-v1", "warnline-a-17-v2"]
    for info in root.findall("cap:info", NS):
        assert info.findtext("cap:responseType", namespaces=NS) == "AllClear"
        assert info.findtext("cap:urgency", namespaces=NS) == "Past"
    en, he = root.findall("cap:info", NS)
    assert en.findtext("cap:instruction", namespaces=NS) == (
        "All clear. You may leave the protected space."
    )
    assert "Amman" in str(he.findtext("cap:headline", namespaces=NS))


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 11, 25, 12, 0, 0, 999_999, tzinfo=UTC),
        datetime(2026, 11, 25, 15, 0, 0, 1, tzinfo=timezone(timedelta(hours=3))),
    ],
    ids=["fraction", "offset"],
)
def test_sent_is_whole_seconds_in_utc_written_minus_zero(when: datetime) -> None:
    alert = dataclasses.replace(make_alert(), sent_at=when)
    sent = text(parse(encode_cap(alert, sender=SENDER)), "cap:sent")
    # CAP 1.2 3.3.2: no fractions, no "Z", and UTC is written "-00:00".
    assert sent == "2026-11-25T12:00:00-00:00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-00:00", sent)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        cap_datetime(datetime(2026, 11, 25, 12, 0))


def test_polygon_is_closed_lat_lon_rounded() -> None:
    root = parse(encode_cap(make_alert(), sender=SENDER))
    pairs = text(root, "cap:info/cap:area/cap:polygon").split(" ")
    assert len(pairs) == 5
    assert pairs[0] == pairs[-1] == "31.9000,35.8123"  # latitude first
    for pair in pairs:
        lat, lon = (float(v) for v in pair.split(","))
        assert 31 < lat < 33 and 35 < lon < 37


def test_closed_input_ring_is_not_closed_twice() -> None:
    alert = dataclasses.replace(make_alert(), area_polygons=((*AMMAN_RING, AMMAN_RING[0]),))
    polygon = text(parse(encode_cap(alert, sender=SENDER)), "cap:info/cap:area/cap:polygon")
    assert len(polygon.split(" ")) == 5


def test_long_ring_is_simplified_and_still_covers_the_area() -> None:
    ring = tuple(
        (
            36.0 + 0.3 * math.cos(2 * math.pi * i / 2000) * (1 + 0.05 * math.sin(37 * i)),
            31.9 + 0.2 * math.sin(2 * math.pi * i / 2000),
        )
        for i in range(2000)
    )
    alert = dataclasses.replace(make_alert(), area_polygons=(ring,))
    pairs = text(parse(encode_cap(alert, sender=SENDER)), "cap:info/cap:area/cap:polygon")
    points = [tuple(float(v) for v in p.split(",")) for p in pairs.split(" ")]
    assert 4 <= len(points) <= 100
    assert points[0] == points[-1]
    simplified = Polygon([(lon, lat) for lat, lon in points])
    original = Polygon(ring)
    # Nobody inside the area drops out of the warning (up to the 4-decimal rounding).
    assert simplified.buffer(1e-4).covers(original)
    assert simplified.area < original.area * 1.2


def test_degenerate_ring_gives_no_polygon(cap_schema: etree.XMLSchema) -> None:
    alert = dataclasses.replace(make_alert(), area_polygons=(((36.0, 31.9), (36.00001, 31.9)),))
    root = parse(encode_cap(alert, sender=SENDER))
    cap_schema.assertValid(root)
    assert root.find("cap:info/cap:area/cap:polygon", NS) is None


def test_info_block_content_in_english() -> None:
    root = parse(encode_cap(make_alert(), sender=SENDER))
    info = root.find("cap:info", NS)
    assert info is not None
    assert [c.text for c in info.findall("cap:category", NS)] == ["Security", "Safety"]
    assert text(info, "cap:event") == "Aerial threat"
    assert text(info, "cap:responseType") == "Shelter"
    assert text(info, "cap:urgency") == "Immediate"
    assert text(info, "cap:severity") == "Extreme"
    assert text(info, "cap:certainty") == "Observed"
    assert text(info, "cap:senderName") == "Warnline coordination hub"
    assert text(info, "cap:expires") == "2026-11-25T12:14:05-00:00"  # expected_at + 10 min
    assert text(info, "cap:headline") == (
        "Aerial threat to Amman: take shelter now, arrival in 4 minutes"
    )
    description = text(info, "cap:description")
    assert "4 objects on a path into Amman" in description
    assert "drone 3, cruise missile 1" in description
    assert text(info, "cap:instruction").startswith("Take shelter now.")
    assert param(info, "timeToArrival") == "245"
    assert param(info, "expectedAt") == "2026-11-25T12:04:05-00:00"
    assert param(info, "threatKinds") == "drone=3 cruise_missile=1"
    assert param(info, "warnlineAlertId") == "a-17"
    assert param(info, "warnlineVersion") == "1"


def test_without_time_to_arrival_expires_after_thirty_minutes() -> None:
    alert = make_alert(time_to_arrival_s=None)
    info = parse(encode_cap(alert, sender=SENDER)).find("cap:info", NS)
    assert info is not None
    assert text(info, "cap:expires") == "2026-11-25T12:30:00-00:00"
    assert param(info, "timeToArrival") is None and param(info, "expectedAt") is None
    assert text(info, "cap:headline") == "Aerial threat to Amman: take shelter now"


@pytest.mark.parametrize(
    ("language", "headline", "instruction"),
    [
        ("ar", "تهديد جوي — احتمِ فوراً: Amman، الوصول خلال 4 دقائق", "احتمِ فوراً"),
        ("he", "איום אווירי — היכנסו למרחב המוגן מיד: Amman, הגעה בעוד 4 דקות", "היכנסו"),
    ],
)
def test_arabic_and_hebrew_texts(language: str, headline: str, instruction: str) -> None:
    info = parse(encode_cap(make_alert(), sender=SENDER, languages=(language,))).find(
        "cap:info", NS
    )
    assert info is not None
    assert text(info, "cap:headline") == headline
    assert text(info, "cap:instruction").startswith(instruction)
    assert "3" in text(info, "cap:description")


def test_arabic_minutes_agree_with_the_numeral() -> None:
    def arabic_headline(seconds: float) -> str:
        alert = make_alert(time_to_arrival_s=seconds)
        root = parse(encode_cap(alert, sender=SENDER, languages=("ar",)))
        return text(root, "cap:info/cap:headline")

    assert arabic_headline(30).endswith("أقل من دقيقة")
    assert arabic_headline(61).endswith("دقيقة واحدة")
    assert arabic_headline(150).endswith("دقيقتين")
    assert arabic_headline(660).endswith("11 دقيقة")


@pytest.mark.parametrize("language", ["en", "ar", "he"])
def test_exercise_is_marked_first_in_headline_and_description(language: str) -> None:
    alert, _ = chain(MsgType.ALERT, AlertStatus.EXERCISE)
    root = parse(encode_cap(alert, sender=SENDER, languages=(language,)))
    assert text(root, "cap:note") == "EXERCISE EXERCISE EXERCISE"
    assert text(root, "cap:info/cap:headline").startswith("EXERCISE EXERCISE EXERCISE")
    assert text(root, "cap:info/cap:description").startswith("EXERCISE EXERCISE EXERCISE")


def test_exercise_note_replaces_the_mark() -> None:
    alert, _ = chain(MsgType.ALERT, AlertStatus.EXERCISE)
    note = "EXERCISE DESERT SHIELD"
    root = parse(encode_cap(alert, sender=SENDER, exercise_note=note, languages=("en", "ar")))
    assert text(root, "cap:note") == note
    for info in root.findall("cap:info", NS):
        assert text(info, "cap:headline").startswith(note)
        assert text(info, "cap:description").startswith(note)


def test_exercise_note_on_an_actual_alert_is_refused() -> None:
    with pytest.raises(ValueError, match="not an exercise"):
        encode_cap(make_alert(), sender=SENDER, exercise_note="EXERCISE")


@pytest.mark.parametrize("language", ["en", "ar", "he"])
def test_headline_stays_within_160_characters(language: str) -> None:
    alert = dataclasses.replace(
        make_alert(status=AlertStatus.EXERCISE), area_name="Greater Amman Municipality " * 8
    )
    root = parse(encode_cap(alert, sender=SENDER, languages=(language,)))
    headline = text(root, "cap:info/cap:headline")
    assert len(headline) <= 160
    assert headline.startswith("EXERCISE EXERCISE EXERCISE")
    assert "…" in headline  # the area name gave way, not the time left
    assert headline.endswith({"en": "4 minutes", "ar": "4 دقائق", "he": "4 דקות"}[language])


def test_update_without_earlier_versions_is_refused() -> None:
    alert = make_alert(2, msg_type=MsgType.UPDATE)
    with pytest.raises(ValueError, match="earlier versions"):
        encode_cap(alert, sender=SENDER)


def test_a_first_alert_references_nothing_whatever_history_is_passed() -> None:
    alert, previous = chain(MsgType.UPDATE)
    first = dataclasses.replace(previous[0])
    root = parse(encode_cap(first, sender=SENDER, previous=[*previous, alert]))
    assert root.find("cap:references", NS) is None


def test_previous_versions_must_be_earlier_and_of_the_same_alert() -> None:
    alert, previous = chain(MsgType.UPDATE)
    with pytest.raises(ValueError, match="oldest first"):
        encode_cap(alert, sender=SENDER, previous=list(reversed(previous)))
    other = dataclasses.replace(previous[0], alert_id="a-99")
    with pytest.raises(ValueError, match="another alert"):
        encode_cap(alert, sender=SENDER, previous=[other, previous[1]])


@pytest.mark.parametrize("sender", ["hub warnline", "hub,warnline", ""])
def test_sender_must_be_a_cap_token(sender: str) -> None:
    with pytest.raises(ValueError, match="sender"):
        encode_cap(make_alert(), sender=sender)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        encode_cap(make_alert(), sender=SENDER, languages=("fr",))


def test_every_default_area_is_one_cap_area_with_a_polygon_per_part(
    agreement: Agreement, cap_schema: etree.XMLSchema
) -> None:
    """Bahrain's islands, Saudi Arabia's and the Emirates' too: each part is a <polygon>
    of the one <area>, together covering the whole area, with the covering circle."""
    for area in agreement.areas:
        if area.geometry.is_empty:
            continue
        rings = polygons_of(area.geometry)
        alert = dataclasses.replace(
            make_alert(area_name=area.name),
            area_id=area.area_id,
            area_polygons=rings,
            area_circle=circle_of(area.geometry),
        )
        root = parse(encode_cap(alert, sender=SENDER, languages=("en", "ar")))
        cap_schema.assertValid(root)
        for info in root.findall("cap:info", NS):
            (cap_area,) = info.findall("cap:area", NS)
            polygons = [str(p.text) for p in cap_area.findall("cap:polygon", NS)]
            assert len(polygons) == len(rings), area.area_id
            drawn = shapely.union_all(
                [
                    Polygon([(float(lon), float(lat)) for lat, lon in
                             (pair.split(",") for pair in p.split(" "))])
                    for p in polygons
                ]
            )  # fmt: skip
            assert drawn.covers(area.geometry), area.area_id
            assert len(cap_area.findall("cap:circle", NS)) == 1
    assert len(polygons_of(agreement.area("BHR").geometry)) > 1


@given(micros=st.integers(min_value=0, max_value=999_999), secs=st.integers(0, 86_399))
def test_sent_is_the_decision_time_to_the_second_never_later(micros: int, secs: int) -> None:
    when = T0 + timedelta(seconds=secs, microseconds=micros)
    root = parse(encode_cap(dataclasses.replace(make_alert(), sent_at=when), sender=SENDER))
    sent = datetime.fromisoformat(text(root, "cap:sent"))
    assert sent <= when < sent + timedelta(seconds=1)
    info = root.find("cap:info", NS)
    assert info is not None
    full = param(info, "warnlineSentAt")
    assert full is not None and datetime.fromisoformat(full) == when


def test_cap_incidents_names_every_incident_behind_the_alert() -> None:
    alert = dataclasses.replace(make_alert(), incidents=("I00001", "I00002"))
    assert text(parse(encode_cap(alert, sender=SENDER)), "cap:incidents") == "I00001 I00002"
