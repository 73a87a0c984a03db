"""The msgspec decoder accepts nothing pydantic refuses, and gives the same reports."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from warnline.domain.codec import to_json
from warnline.errors import SchemaError
from warnline.ingest.fast import parse_batch_fast
from warnline.ingest.json_adapter import parse_batch

GOOD: dict[str, Any] = {
    "report_id": "r-1",
    "sensor": "radar-1",
    "observed_at": "2026-12-01T06:00:00.250Z",
    "position": {"lat": 31.5, "lon": 35, "alt_m": 150},
    "velocity": {"east": -60, "north": 0.5},
    "accuracy_m": 200,
    "kind": "drone",
    "identity": "hostile",
    "confidence": 0.8,
    "releasability": {"release_to": ["USA", "ISR"], "attribution": "anonymous"},
}

# Values each field may take: valid, invalid and borderline ones alike.
FIELD_VALUES: dict[str, list[Any]] = {
    "report_id": ["r-2", "", "r\n", "r 1", "x" * 128, "x" * 129, 5, None, "r٣"],
    "partner": ["JOR", "ISR", "jor", "JORD", None, "JOR\n"],
    "sensor": ["s", "s/1", "", 1.5],
    "sensor_track": ["t1", None, "", "t\n"],
    "observed_at": [
        "2026-12-01T06:00:00Z", "2026-12-01T06:00:00+03:00", "2026-12-01T06:00:00.1234567Z",
        "2026-12-01T06:00:00", "2026-12-01 06:00:00Z", "2026-12-01T24:00:00Z",
        "2026-12-01T06:00:00+24:00", "2026-12-01T06:00:00z", "٢٠٢٦-12-01T06:00:00Z",
        "2026-02-30T06:00:00Z", 1764568800, "2026-12-01T06:00:00-00:00", "2026-12-01",
    ],
    "position": [
        {"lat": 90, "lon": -180}, {"lat": 90.0001, "lon": 0}, {"lat": True, "lon": 0},
        {"lat": "1", "lon": 0}, {"lat": 1, "lon": 2, "alt_m": None}, {"lat": 1},
        {"lat": 1, "lon": 2, "alt_m": -501}, {"lat": 1, "lon": 2, "x": 1}, [1, 2],
    ],
    "velocity": [None, {"east": 1, "north": 2, "up": 3}, {"east": 10_001, "north": 0},
                 {"east": 1}, {"east": 1, "north": False}],
    "accuracy_m": [0, 0.001, 100_000, 100_001, -1, "5", None],
    "kind": ["drone", "ballistic_missile", "DRONE", "bird", None, 1],
    "identity": ["unknown", "hostile", "enemy"],
    "confidence": [0, 1, 1.01, -0.1, True],
    "releasability": [
        None, {}, {"release_to": "all"}, {"release_to": "ALL"}, {"release_to": []},
        {"release_to": ["usa"]}, {"withhold": ["velocity", "accuracy"]}, {"withhold": ["x"]},
        {"attribution": "named", "extra": 1},
    ],
    "extra_field": [1],
}  # fmt: skip


@st.composite
def report(draw: st.DrawFn) -> dict[str, Any]:
    r = dict(GOOD, report_id=f"r-{draw(st.integers(0, 10**6))}")
    for name in draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), max_size=3)):
        if draw(st.booleans()) and name in r:
            del r[name]
        else:
            r[name] = draw(st.sampled_from(FIELD_VALUES[name]))
    return r


def same(body: bytes) -> None:
    fast = parse_batch_fast(body, partner="JOR")
    if fast is None:
        return  # pydantic's path decides, as before
    try:
        slow = parse_batch(body, partner="JOR")
    except SchemaError as exc:  # one report refused is the submission refused
        assert not fast.reports and fast.refused[0].error.field == exc.field
        assert str(fast.refused[0].error) == str(exc)
        return
    assert sorted(fast.reports) == sorted(slow.reports)
    for i, r in fast.reports.items():
        assert r == slow.reports[i]
        assert to_json(r) == to_json(slow.reports[i])
    assert [x.view() for x in fast.refusals()] == [x.view() for x in slow.refusals()]


@settings(max_examples=400, deadline=None)
@given(st.lists(report(), min_size=1, max_size=4), st.sampled_from(["list", "envelope", "one"]))
def test_fast_accepts_only_what_pydantic_accepts_and_gives_the_same_reports(
    reports: list[dict[str, Any]], shape: str
) -> None:
    if shape == "one":
        same(json.dumps(reports[0]).encode())
    elif shape == "envelope":
        same(json.dumps({"reports": reports}).encode())
    else:
        same(json.dumps(reports).encode())


def test_a_good_batch_takes_the_fast_path() -> None:
    body = json.dumps([GOOD, dict(GOOD, report_id="r-2", partner="ISR")]).encode()
    batch = parse_batch_fast(body, partner="JOR")
    assert batch is not None and list(batch.reports) == [0]
    assert batch.refused[0].error.field == "reports.1.partner"
    same(body)


def test_a_bad_report_leaves_the_batch_to_pydantic() -> None:
    body = json.dumps([GOOD, dict(GOOD, report_id="r-2", position={"lat": 91, "lon": 0})])
    assert parse_batch_fast(body.encode(), partner="JOR") is None
    slow = parse_batch(body.encode(), partner="JOR")
    assert slow.refused[0].error.field == "reports.1.position.lat"
