"""What a commander is told of a lead offer on the phone: the incident, the sector, the
deadline and how to answer, never the ranking or a member the partner may not learn of."""

from __future__ import annotations

from dataclasses import replace

from tests.dispatch.test_offers import offer
from warnline.agreement.load import default_agreement
from warnline.release import Release
from warnline.release.messages import offer_message

AG = default_agreement()


def test_lead_offer_text_says_incident_sector_deadline_and_how_to_answer() -> None:
    view = Release(AG).assignment("JOR", offer())
    assert view is not None
    m = offer_message(view, sector="Levant", language="en", code="K7Q2MX")
    assert m.text == (
        "EXERCISE. Lead offer: incident I00001, sector Levant. Answer by 12:00:20 UTC. "
        "Reply ACCEPT K7Q2MX or DECLINE K7Q2MX."
    )
    assert "ISR" not in m.text and "rule" not in m.text  # neither ranking nor explanation
    assert "Press 1 to accept, 2 to decline" in m.spoken and m.spoken_language == "en"
    assert "K7Q2MX" not in m.spoken  # the call is its own answer: no code to say


def test_consent_request_names_a_hidden_member_only_as_the_release_does() -> None:
    # QAT's membership is not visible: JOR, asked to consent, learns only "coalition partner".
    ask = replace(offer(), purpose="consent", on_behalf="QAT", explanation="QAT (Qatar) ...")
    view = Release(AG).assignment("JOR", ask)
    assert view is not None
    for language in ("en", "ar", "he"):
        m = offer_message(view, sector="Levant", language=language, code="K7Q2MX")
        for marker in ("QAT", "Qatar", "Doha"):
            assert marker not in m.text and marker not in m.spoken, (language, marker)
        assert "coalition partner" in m.text
        assert "ACCEPT K7Q2MX" in m.text and "DECLINE K7Q2MX" in m.text


def test_arabic_and_hebrew_texts_and_speech() -> None:
    view = Release(AG).assignment("JOR", offer())
    assert view is not None
    ar = offer_message(view, sector="Levant", language="ar", code="K7Q2MX", exercise=False)
    assert ar.text.startswith("عرض قيادة") and ar.spoken_language == "ar"
    he = offer_message(view, sector="Levant", language="he", code="K7Q2MX")
    assert he.text.startswith("תרגיל. הצעת הובלה")
    assert he.spoken_language == "en"  # espeak reads unpointed Hebrew badly (decision 30)
    spoken = offer_message(
        view, sector="Levant", language="he", code="X", prompts={"offer": "[[x]] {incident}"}
    )
    assert spoken.spoken == "[[x]] I00001" and spoken.spoken_language == "he"
