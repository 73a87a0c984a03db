"""`warnline bench console` at a tiny size: a served node, a Chromium page and six
stream consoles get alert versions and pictures, and every figure is there (not timed)."""

from __future__ import annotations

import math
import os

import pytest

from warnline.bench.console import run, schedule, watchers
from warnline.bench.console_watch import PARSE_PICTURES


def test_watch_officers_are_spread_over_the_partners() -> None:
    users = watchers(["EGY", "JOR"], 5)
    assert [p for _, p in users] == ["EGY", "JOR", "EGY", "JOR", "EGY"]
    assert len({u for u, _ in users}) == 5


def test_the_peer_replays_the_page_frames_compressed_in_order() -> None:
    page = {
        "alerts": [["a", 1, "x", 1_000.0, 500], ["a", 2, "x", 21_000.0, 600]],
        "pictures": [[None, 11_000.0, 90_000, []]],
    }
    plan = schedule(page, span_s=10.0)
    assert plan == [[0.0, "alert", 500], [5.0, "picture", 90_000], [10.0, "alert", 600]]


def _finite(p: dict[str, float]) -> bool:
    return p["n"] > 0 and all(math.isfinite(p[k]) and p[k] >= 0 for k in ("p50", "p99", "max"))


@pytest.mark.slow
def test_the_console_bench_reports_every_figure() -> None:
    out = run(objects=15, raid_s=12.0, consoles=PARSE_PICTURES + 1, peer_s=3.0)
    page, consoles, peer = out["page"], out["consoles"], out["peer"]
    assert out["feed"]["answers"].keys() == {"202"}
    assert page["alert_versions_issued"] > 0
    assert page["alert_versions_seen"] >= page["alert_versions_issued"]
    assert consoles["consoles"] == PARSE_PICTURES + 1 and consoles["alert_versions_seen"] > 0
    assert page["pictures"] > 0 and page["picture_tracks_max"] > 0
    for p in (page["alert_ms"], consoles["alert_ms"], page["picture_age_ms"]):
        assert _finite(p)
        assert p["p99"] < 60_000  # on one machine's clock: seconds, not hours
    handler = page["page_handler_ms"]
    assert _finite(handler["picture"]) and _finite(handler["alert"]) and _finite(handler["frame"])
    assert _finite(consoles["picture_age_ms"]) and _finite(page["picture_transit_ms"])
    # The last console reads pictures by their head: each still counted and timed.
    assert consoles["picture_transit_ms"]["n"] == consoles["pictures"] > 0
    assert 0 < out["cpu"]["node_s"] <= (os.cpu_count() or 1) * out["cpu"]["window_s"]
    assert _finite(peer["page_alert_ms"]) and _finite(peer["consoles_alert_ms"])
    assert peer["consoles_alert_ms"]["n"] == (PARSE_PICTURES + 1) * peer["page_alert_ms"]["n"]
    assert [v["figure"] for v in out["verdicts"]] == [
        "page_alert_p99_ms",
        "consoles_alert_p99_ms",
        "page_missed",
    ]
    assert all(isinstance(v["pass"], bool) for v in out["verdicts"])
