"""`warnline bench asterix`: the decode rates beside the JSON path's, in one run."""

from __future__ import annotations

from warnline.bench import BENCHMARKS, OPT_IN
from warnline.bench.asterix import run


def test_the_bench_decodes_every_report_and_reports_both_paths() -> None:
    figures = run(n=20, rounds=2)
    for name in ("cat062_tracks", "cat048_plots"):
        assert figures[name]["reports_per_s_cpu"] > 0 and figures[name]["datagrams"] == 1
    assert figures["json_peer"]["fast_path_reports_per_s_cpu"] > 0
    assert figures["tracks_over_json_fast"] > 0 and figures["library_cold_import_cpu_s"] > 0
    assert "asterix" in BENCHMARKS and "asterix" not in OPT_IN
