"""Small submissions: a batch looks closely only at the tracks near it, and decides
exactly as if it had fitted every report against every track."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from warnline.bench.picture import START, raid_reports
from warnline.bench.picture_small import filled, plot
from warnline.domain.plane import regional_plane
from warnline.picture import Picture, hypothesiser, merger
from warnline.picture.measurements import make_batch
from warnline.picture.predictor import GatingView, Predictor


def test_one_report_beside_2000_tracks_gathers_only_its_neighbours(monkeypatch):
    plane = regional_plane()
    picture, x, y = filled(plane, 2000)
    viewed: list[int] = []
    view = Predictor.view

    def spy(self: Predictor, store, slots) -> GatingView:
        viewed.append(len(slots))
        return view(self, store, slots)

    monkeypatch.setattr(Predictor, "view", spy)
    for track in (True, False):
        report = picture_report(plane, x[700], y[700], track=track)
        changed = picture.ingest([report])
        assert [t.report_count for t in changed] == [3 if track else 4]
    assert viewed
    assert max(viewed) <= 2  # the track itself (and at most one more), never the 2,000


def picture_report(plane, x, y, *, track):
    ident = "700-x" if track else "700-y"
    return plot(plane, x + 50.0, y - 30.0, 2.5, partner="P0", ident=ident, track=track)


@pytest.fixture(scope="module")
def raided():
    """A picture 20 s into a cluttered raid, and the next second's reports."""
    batches = raid_reports(120, 5, 21, 8, clutter=0.02, wrong_kind=0.15)
    picture = Picture()
    for second, batch in enumerate(batches[:-1]):
        picture.ingest(batch)
        picture.expire(START + timedelta(seconds=second + 1))
    return picture, batches[-1]


def test_a_batch_gets_the_hypotheses_every_pair_would_give(raided, monkeypatch):
    picture, last = raided
    store = picture._store
    batch = make_batch(picture._plane, last)
    h = picture._hypothesiser
    rng = np.random.default_rng(3)
    found = 0
    for size in (*(1, 2, 5, 8) * 10, 40, 200, len(batch)):
        reports = np.sort(rng.choice(len(batch), size, replace=False))
        near = h.hypothesise(store, batch, reports, store.live())
        with monkeypatch.context() as m:
            m.setattr(hypothesiser, "DENSE_PAIRS", 10**12)
            every = h.hypothesise(store, batch, reports, store.live())
        found += len(every)
        for name in ("report", "slot", "d2", "cost"):
            assert np.array_equal(getattr(near, name), getattr(every, name))
    assert found > 50


def test_touched_tracks_merge_as_if_compared_with_every_track(raided, monkeypatch):
    picture, _ = raided
    store = picture._store
    live = store.live()
    at_t = float(store.t[live].max())
    rng = np.random.default_rng(4)
    merges = 0
    # A twin beside some tracks (its state, moved up to 0.95 of the gate off) must be
    # found by the cheap pass.
    for slot in rng.choice(live, 12, replace=False).tolist():
        twin = store.allocate()
        store.xh[twin], store.ph[twin] = store.xh[slot], store.ph[slot]
        store.xv[twin], store.pv[twin], store.t[twin] = store.xv[slot], store.pv[slot], at_t
        store.t[slot] = at_t
        var = 0.5 * (store.ph[slot, 0, 0] + store.ph[slot, 1, 1])
        store.xh[twin, 0] += rng.uniform(0.5, 0.95) * np.sqrt(picture._merger.threshold * 2 * var)
        store.records[twin] = store.records[slot]
    live = store.live()
    for size in (*(1, 3, 8) * 10, 40, len(live)):
        touched = np.sort(rng.choice(live, size, replace=False))
        near = picture._merger.merges(store, touched, at_t, apart=lambda a, b: False)
        with monkeypatch.context() as m:
            m.setattr(merger, "DENSE_PAIRS", 10**12)
            every = picture._merger.merges(store, touched, at_t, apart=lambda a, b: False)
        assert near == every
        merges += len(every)
    assert merges > 0
