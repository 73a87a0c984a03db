"""`warnline bench delivery` at a small size: every channel hands off to its real peer and
the console fan-out reaches every client."""

from __future__ import annotations

import pytest

from warnline.bench.delivery import run

pytestmark = pytest.mark.slow


def test_delivery_bench_small() -> None:
    figures = run(trials=5, voice_trials=1, sizes=[50])
    handoff = figures["handoff"]
    assert set(handoff) == {"webhook", "email", "sms", "apprise", "voice", "peer_bare_http_post"}
    for name, f in handoff.items():
        assert f["n"] >= 1 and 0 < f["p50_ms"] <= f["p99_ms"], name
    (console,) = figures["console_fanout"]
    assert console["recipients"] == 50 and console["console"]["n"] == 50
    assert figures["console_recipients_p99_under_1s"] == 50
