"""Lifecycle invariants over random raids (hypothesis): every raised alert is eventually
cancelled or still valid, no update without a prior alert, versions strictly increase, a
step back from shelter only when what remains is beyond the limit, at most one live alert
per (area, status), and the CAP `references` chain of every version names exactly the
earlier ones."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.factories import T0, make_assessment, make_track
from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.alerting.cap import CAP_NAMESPACE, cap_identifier, encode_cap
from warnline.domain import Alert, AlertStage, AlertStatus, MsgType

AREAS = ("JOR-amman", "JOR")
NS = {"cap": CAP_NAMESPACE}

# One step: seconds elapsed, then per track slot either None (out of every corridor),
# "lost", or the time to arrival at each area (None = not at risk).
tta = st.one_of(st.none(), st.floats(min_value=0, max_value=2000))
slot = st.one_of(st.none(), st.just("lost"), st.tuples(tta, tta))
step = st.tuples(st.floats(min_value=0.5, max_value=40), st.tuples(slot, slot))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=40), live=st.booleans())
def test_lifecycle_invariants(
    agreement: Agreement, steps: list[tuple[float, tuple[object, object]]], live: bool
) -> None:
    """In a live coalition, slot 1 is an injected exercise feed in its own incident."""
    if live:
        agreement = dataclasses.replace(agreement, exercise=False)
    book, alerting = IncidentBook(join_km=50), Alerting(agreement=agreement)
    now = T0
    live_ids: dict[int, str] = {}
    slot_of: dict[str, int] = {}
    generation = 0
    issued: list[Alert] = []
    for dt, slots in steps:
        now += timedelta(seconds=dt)
        changed, lost, assessments = [], [], {}
        for i, s in enumerate(slots):
            if s == "lost":
                if i in live_ids:
                    lost.append(live_ids.pop(i))
                continue
            if i not in live_ids:
                generation += 1
                live_ids[i] = f"T{generation:06d}"
                slot_of[live_ids[i]] = i
            tr = make_track(live_ids[i], t=now, lat=31.95 + 1.0 * i)
            if i == 1:
                tr = dataclasses.replace(
                    tr,
                    contributors=tuple(
                        dataclasses.replace(c, sensor=f"exercise:{c.sensor}")
                        for c in tr.contributors
                    ),
                )
            changed.append(tr)
            risks = (
                []
                if s is None
                else [(a, "JOR", t) for a, t in zip(AREAS, s, strict=True) if t is not None]
            )
            assessments[tr.track_id] = make_assessment(tr, now, risks)
        book.update(changed, lost, now)
        issued += alerting.evaluate(book, assessments, now)
        # One live alert per (area, status).
        keys = [(a.area_id, a.status) for a in alerting.active.values()]
        assert len(keys) == len(set(keys))
        # A real alert always overrides an exercise: never both active in one area.
        real = {a.area_id for a in alerting.active.values() if a.status is AlertStatus.ACTUAL}
        assert not any(
            a.area_id in real
            for a in alerting.active.values()
            if a.status is not AlertStatus.ACTUAL
        )
    # The raid ends: every track is lost, and every alert must end with it once nothing
    # endangered its area for the clear period.
    now += timedelta(seconds=1)
    book.update([], list(live_ids.values()), now)
    issued += alerting.evaluate(book, {}, now)
    issued += alerting.evaluate(book, {}, now + timedelta(seconds=alerting.policy.clear_after_s))
    assert alerting.active == {}

    chains: dict[str, list[Alert]] = {}
    for a in issued:
        chains.setdefault(a.alert_id, []).append(a)
    for alert_id, chain in chains.items():
        assert [a.version for a in chain] == list(range(1, len(chain) + 1)), alert_id
        assert chain[0].msg_type is MsgType.ALERT
        assert len({a.status for a in chain}) == 1, f"{alert_id} changed status mid-chain"
        real_slot = slot_of[chain[0].tracks[0]] == 0
        assert (chain[0].status is AlertStatus.ACTUAL) is (live and real_slot)
        assert all(a.msg_type is MsgType.UPDATE for a in chain[1:-1])
        assert chain[-1].msg_type is MsgType.CANCEL and chain[-1].stage.final
        assert all(a.sent_at <= b.sent_at for a, b in itertools.pairwise(chain))
        sheltering = False
        for a in chain:
            if a.stage is AlertStage.UPDATE or a.stage is AlertStage.ALL_CLEAR:
                assert sheltering, f"{a.stage} without a prior alert in {alert_id}"
            if a.stage is AlertStage.EARLY_WARNING and sheltering:
                # A step back only once what remains is beyond the limit and its band.
                limit = alerting._limit(a.area_id) + alerting.policy.step_back_band_s
                assert a.time_to_arrival_s is not None and a.time_to_arrival_s > limit
                assert "stepped back" in a.reason, a.reason
                sheltering = False
            sheltering = sheltering or a.stage.shelter
            assert a.reason and a.time_to_shelter_s is not None
        # References: each version names every earlier one, oldest first.
        for n, a in enumerate(chain):
            doc = etree.fromstring(encode_cap(a, sender="hub", previous=chain[:n]))
            refs = doc.findtext("cap:references", namespaces=NS)
            if n == 0:
                assert refs is None
            else:
                assert refs is not None
                named = [r.split(",")[1] for r in refs.split()]
                assert named == [cap_identifier(p) for p in chain[:n]]
