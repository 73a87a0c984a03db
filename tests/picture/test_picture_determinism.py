"""Replaying the same inputs gives the same tracks, ids and states: the journal relies on it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import numpy as np

from warnline.bench.picture import START, raid_reports, run
from warnline.picture import Picture


def replay(batches, order_seed: int | None = None):
    """Everything the picture says, batch by batch, optionally shuffling each batch."""
    picture = Picture()
    rng = None if order_seed is None else np.random.default_rng(order_seed)
    said = []
    for second, batch in enumerate(batches):
        if rng is not None:
            batch = [batch[i] for i in rng.permutation(len(batch))]
        said.append(picture.ingest(batch))
        said.append(picture.expire(START + timedelta(seconds=second + 1)))
    said.append(picture.tracks())
    return said


def test_same_inputs_same_outputs():
    batches = raid_reports(n_objects=40, partners=4, seconds=30, seed=1)
    first = replay(batches)
    assert first == replay(batches)
    assert sum(len(step) for step in first) > 100


def test_arrival_order_within_a_batch_does_not_matter():
    batches = raid_reports(n_objects=40, partners=4, seconds=20, seed=2)
    assert replay(batches) == replay(batches, order_seed=9)


def test_bench_runs_and_finds_the_objects():
    figures = run(n_objects=50, partners=4, seconds=20, seed=3)
    assert set(figures) == {
        "reports",
        "reports_per_s",
        "batch_p50_ms",
        "batch_p99_ms",
        "tracks",
        "objects",
    }
    assert figures["objects"] == 50
    assert figures["reports"] > 1500
    assert abs(figures["tracks"] - 50) <= 5


_DIGEST = """
import hashlib
import os
import subprocess
import sys
from datetime import timedelta
from warnline.picture import Picture
from warnline.bench.picture import START, raid_reports
picture = Picture()
h = hashlib.sha256()
for second, batch in enumerate(raid_reports(n_objects=30, partners=3, seconds=20, seed=4)):
    h.update(repr(picture.ingest(batch)).encode())
    h.update(repr(picture.expire(START + timedelta(seconds=second + 1))).encode())
print(h.hexdigest())
"""


def test_string_hashing_does_not_change_decisions():
    """No decision may depend on the order of a set or dict of strings."""
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _DIGEST], env=env, capture_output=True, text=True, check=True
        )
        digests.add(done.stdout.strip())
    assert len(digests) == 1
