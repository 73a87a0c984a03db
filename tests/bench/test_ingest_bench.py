"""`warnline bench ingest` at a tiny size: every figure present and sane (not timed)."""

from __future__ import annotations

import pytest

from warnline.bench.ingest import MODES, TARGETS, run


@pytest.mark.slow
def test_the_ingest_bench_reports_every_figure() -> None:
    out = run(duration_s=0.5, scale=0.01)
    for who in ("node", "peer"):
        for mode, _, _ in MODES:
            fig = out[who][mode]
            assert fig["accepted"] > 0 and fig["reports_per_s"] > 0
            assert set(fig["statuses"]) == {"202"}  # nothing refused at this size
            assert fig["healthz_ms"]["n"] > 0
    for mode, _, _ in MODES:
        assert out["node"][mode]["decided_reports_per_s"] > 0
        assert out["node"][mode]["undecided_after_30s"] == 0
        assert out["peer_ratios"][mode] > 0
    latency = out["node"]["latency"]
    assert latency["decision_ms"]["n"] > 0 and latency["decision_ms"]["p99"] > 0
    assert [v["figure"] for v in out["verdicts"]] == list(TARGETS)
    assert all(isinstance(v["pass"], bool) for v in out["verdicts"])
    far = out["picture_process"]  # the same node phases, the picture in a child process
    for mode, _, _ in MODES:
        assert far[mode]["decided_reports_per_s"] > 0 and far[mode]["undecided_after_30s"] == 0
    assert far["latency"]["decision_ms"]["n"] > 0
