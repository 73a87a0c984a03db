"""`warnline bench cot`, tiny: both servers, real TAK client sockets in their own process."""

from __future__ import annotations

from warnline.bench.cot import run, table


def test_a_tiny_fan_out_is_held_by_both_and_tabled() -> None:
    result = run(clients=(3,), rates=(20, 40), trial_s=0.5)
    rows = {(r["server"], r["clients"]): r for r in result["table"]}
    assert set(rows) == {("warnline", 3), ("taky", 3)}
    for r in rows.values():
        assert r["held_rate"] == 40 and r["deliveries_per_s"] == 120
        assert r["p99_ms"] is not None and r["p99_ms"] < 1000
    assert result["ratio_vs_taky_at_3"] == 1.0 and "ratio vs taky" in table(result)
