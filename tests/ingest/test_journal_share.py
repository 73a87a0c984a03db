"""A partner's share of the journal (issue 10): reports waiting to be written are
capped per partner, so one partner's queue never stands in front of the others'."""

from __future__ import annotations

import pytest

from warnline.errors import RateLimitError
from warnline.ingest.checks import JournalShare


def test_past_its_share_a_partner_is_told_to_retry_and_others_pass() -> None:
    share = JournalShare(max_in_flight=2000)
    with share.hold("BHR", 1500):
        with (
            pytest.raises(RateLimitError, match="BHR has 1500 reports waiting") as refused,
            share.hold("BHR", 600),
        ):
            pass
        assert refused.value.status == 429
        with share.hold("JOR", 1900):  # another partner's share is its own
            assert share.in_flight("JOR") == 1900
        with share.hold("BHR", 500):  # within the share
            assert share.in_flight("BHR") == 2000
    assert share.in_flight("BHR") == 0 and share.in_flight("JOR") == 0
    with share.hold("BHR", 600):
        assert share.in_flight("BHR") == 600


def test_one_large_batch_always_passes_when_nothing_else_waits() -> None:
    share = JournalShare(max_in_flight=100)
    with share.hold("ISR", 5000), pytest.raises(RateLimitError), share.hold("ISR", 1):
        pass
    assert share.in_flight("ISR") == 0


def test_a_failed_write_gives_the_share_back() -> None:
    share = JournalShare(max_in_flight=10)
    with pytest.raises(OSError), share.hold("QAT", 8):
        raise OSError("disk full")
    assert share.in_flight("QAT") == 0


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_while_decisions_lag_the_partner_over_its_fair_share_waits_and_others_pass() -> None:
    clock, behind = Clock(), [False]
    share = JournalShare(window_s=10.0, behind=lambda: behind[0], now=clock)
    for _ in range(9):  # BHR floods; JOR and ISR report a raid side by side
        with share.hold("BHR", 500):
            pass
    for partner in ("JOR", "ISR", "JOR"):
        with share.hold(partner, 1):
            pass
    behind[0] = True
    with (
        pytest.raises(RateLimitError, match="BHR sent 100% of the last 10 s") as refused,
        share.hold("BHR", 500),
    ):
        pass
    assert refused.value.status == 429 and share.shed == 1
    with share.hold("JOR", 1):  # the raid's reports do not wait behind the flood
        pass
    with share.hold("ISR", 1):  # nor do the other raid partner's
        pass
    behind[0] = False
    with share.hold("BHR", 500):  # caught up: the flood flows again
        pass
    behind[0] = True
    clock.t = 20.0  # the window has passed: nobody is over a share of nothing
    with share.hold("BHR", 500):
        pass
