"""The demo tells a newcomer how long a lead offer stays open and whose offers to take."""

from warnline.agreement.load import default_agreement
from warnline.exercise import offer_hint


def test_the_hint_gives_the_agreements_offer_in_raid_and_wall_seconds() -> None:
    agreement = default_agreement()
    hint = offer_hint(agreement, 5.0)
    assert agreement.response.offer_timeout_s == 60
    assert "60 s of raid (12 s here)" in hint
    assert "egy-cmd" in hint  # the commander the exercise never has answer (`_temper`)
    assert "(60 s here)" in offer_hint(agreement, 1.0)
