"""Enveloped XML signatures on CAP: round trip, tampering caught, wrong key refused,
still valid CAP 1.2, and verifiable once taken out of the Atom feed."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from tests.alerting.test_cap import SENDER, make_alert
from warnline.alerting.cap import encode_cap
from warnline.alerting.cap_sign import DSIG_NAMESPACE, exercise_cap_signer, verify_cap
from warnline.domain import AlertStage, AlertStatus, MsgType
from warnline.errors import SignatureError

HUB = exercise_cap_signer()


def signed_alert() -> bytes:
    return HUB.sign(encode_cap(make_alert(), sender=SENDER, languages=("en", "ar", "he")))


def test_round_trip_and_schema(cap_schema: etree.XMLSchema) -> None:
    xml = signed_alert()
    root = verify_cap(xml, HUB.certificate_pem)
    assert root.tag.endswith("}alert")
    doc = etree.fromstring(xml)
    assert doc[-1].tag == f"{{{DSIG_NAMESPACE}}}Signature"  # last child of alert (CAP 3.3.2.1)
    cap_schema.assertValid(doc)


def test_the_exercise_key_is_the_same_on_every_run() -> None:
    again = exercise_cap_signer()
    raw = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert HUB.key.public_key().public_bytes(*raw) == again.key.public_key().public_bytes(*raw)
    assert exercise_cap_signer("JOR").key.public_key().public_bytes(*raw) != (
        HUB.key.public_key().public_bytes(*raw)
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<msgType>Alert</msgType>", b"<msgType>Cancel</msgType>"),
        (b"<status>Actual</status>", b"<status>Exercise</status>"),
        (b"Amman", b"Ammam"),
        (b"<value>245</value>", b"<value>945</value>"),
    ],
)
def test_tampered_message_fails(old: bytes, new: bytes) -> None:
    xml = signed_alert()
    assert old in xml
    with pytest.raises(SignatureError):
        verify_cap(xml.replace(old, new, 1), HUB.certificate_pem)


def test_other_key_and_unsigned_fail() -> None:
    other = exercise_cap_signer("MALLORY")
    with pytest.raises(SignatureError):
        verify_cap(signed_alert(), other.certificate_pem)
    with pytest.raises(SignatureError):
        verify_cap(encode_cap(make_alert(), sender=SENDER), HUB.certificate_pem)
    # A message re-signed by someone else, carrying their certificate, is still refused.
    forged = other.sign(encode_cap(make_alert(), sender=SENDER))
    with pytest.raises(SignatureError):
        verify_cap(forged, HUB.certificate_pem)


def test_stage_texts_and_parameters_in_every_language(cap_schema: etree.XMLSchema) -> None:
    ew = dataclasses.replace(make_alert(), stage=AlertStage.EARLY_WARNING, time_to_shelter_s=90)
    doc = etree.fromstring(encode_cap(ew, sender=SENDER, languages=("en", "ar", "he")))
    cap_schema.assertValid(doc)
    ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert doc.xpath("//c:info/c:responseType/text()", namespaces=ns) == ["Prepare"] * 3
    params = dict(
        zip(
            doc.xpath("//c:info[1]/c:parameter/c:valueName/text()", namespaces=ns),
            doc.xpath("//c:info[1]/c:parameter/c:value/text()", namespaces=ns),
            strict=True,
        )
    )
    assert params["alertStage"] == "early_warning" and params["timeToShelter"] == "90"
    assert params["timeToArrival"] == "245"
    assert "Early warning" in doc.xpath("//c:info[1]/c:headline/text()", namespaces=ns)[0]
    assert "90 seconds" in doc.xpath("//c:info[1]/c:instruction/text()", namespaces=ns)[0]
    withdrawn = dataclasses.replace(
        make_alert(3, msg_type=MsgType.CANCEL, time_to_arrival_s=None), stage=AlertStage.CANCEL
    )
    earlier = [make_alert(1), make_alert(2, msg_type=MsgType.UPDATE)]
    doc = etree.fromstring(encode_cap(withdrawn, sender=SENDER, previous=earlier))
    cap_schema.assertValid(doc)
    assert doc.xpath("//c:info/c:responseType/text()", namespaces=ns) == ["None"]
    assert "cancelled" in doc.xpath("//c:info/c:headline/text()", namespaces=ns)[0]


def test_circle_written_lat_first() -> None:
    alert = dataclasses.replace(make_alert(), area_circle=(35.93, 31.95, 15.2))
    doc = etree.fromstring(encode_cap(alert, sender=SENDER))
    ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert doc.xpath("//c:area/c:circle/text()", namespaces=ns) == ["31.9500,35.9300 15.2"]


def test_signed_message_verifies_after_extraction_from_an_atom_feed() -> None:
    feed = etree.Element("{http://www.w3.org/2005/Atom}feed")
    entry = etree.SubElement(feed, "{http://www.w3.org/2005/Atom}entry")
    content = etree.SubElement(entry, "{http://www.w3.org/2005/Atom}content")
    content.append(etree.fromstring(signed_alert()))
    text = etree.tostring(feed)
    alert = etree.fromstring(text).find(".//{urn:oasis:names:tc:emergency:cap:1.2}alert")
    assert alert is not None
    verify_cap(etree.tostring(alert), HUB.certificate_pem)


def test_an_exercise_alert_ended_by_a_real_one_says_so(cap_schema: etree.XMLSchema) -> None:
    earlier = [make_alert(1, status=AlertStatus.EXERCISE)]
    ended = dataclasses.replace(
        make_alert(2, msg_type=MsgType.CANCEL, status=AlertStatus.EXERCISE, time_to_arrival_s=None),
        stage=AlertStage.CANCEL,
        superseded_by="A-JOR-amman-2",
    )
    doc = etree.fromstring(
        encode_cap(ended, sender=SENDER, previous=earlier, languages=("en", "ar", "he"))
    )
    cap_schema.assertValid(doc)
    ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
    headline = doc.xpath("//c:info[1]/c:headline/text()", namespaces=ns)[0]
    assert (
        headline.startswith("EXERCISE EXERCISE EXERCISE") and "REAL alert is in force" in headline
    )
    assert "A-JOR-amman-2" in doc.xpath("//c:parameter/c:value/text()", namespaces=ns)
