"""`warnline bench restart` is registered and runs only when named (it takes minutes)."""

from warnline.bench import BENCHMARKS, OPT_IN
from warnline.bench.restart import LARGE, SIZES


def test_restart_runs_only_when_named_and_1m_is_opt_in() -> None:
    assert "restart" in BENCHMARKS and "restart" in OPT_IN
    assert SIZES == (10_000, 100_000) and LARGE not in SIZES
