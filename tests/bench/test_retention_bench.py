"""`warnline bench retention` is registered, runs only when named, and (in small) shows
what it is for: journal.db stops growing once steps run, the archive grows instead."""

from pathlib import Path

import pytest

from warnline.bench import BENCHMARKS, OPT_IN
from warnline.bench import retention as bench
from warnline.journal.retention import RetentionPolicy


def test_retention_runs_only_when_named() -> None:
    assert "retention" in BENCHMARKS and "retention" in OPT_IN


def test_in_small_the_database_plateaus_while_the_archive_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "SNAPSHOT_EVERY", 1000)
    monkeypatch.setattr(bench, "POLICY", RetentionPolicy(segment_entries=500, keep_entries=2000))
    rows, snap = bench._fill(tmp_path, 8000, retain=True)
    assert snap == 8000 and [r["entries"] for r in rows] == list(range(1000, 8001, 1000))
    # The newest 2,000 stay: at 3,000 entries 1..1,000 may go (two segments), and so on.
    assert [r["archived"] for r in rows] == [0, 0, 1000, 2000, 3000, 4000, 5000, 6000]
    late = [r["db_mb"] for r in rows[4:]]
    assert max(late) - min(late) <= 0.1  # freed pages reused: no growth to speak of
    assert rows[-1]["archive_mb"] > rows[4]["archive_mb"] > 0
    assert rows[-1]["free_pages"] > 0
