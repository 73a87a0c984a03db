"""Partial acceptance at the intake: a report's own fault refuses it alone, a fault of
the request (or of every report) refuses all exactly as the all-or-nothing path does."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import T0, signed_request, wire_report
from warnline.agreement.model import Agreement
from warnline.domain import ManualClock
from warnline.errors import (
    ConflictError,
    InputError,
    RateLimitError,
    SanityError,
    SchemaError,
    SignatureError,
    StaleReportError,
)
from warnline.ingest import Intake
from warnline.ingest.batch import Batch
from warnline.ingest.json_adapter import parse_batch
from warnline.ingest.signature import SignedRequest

FAST = {"velocity": {"east": 9000.0, "north": 0.0}}


@pytest.fixture
def intake(agreement: Agreement) -> Intake:
    return Intake(agreement=agreement, clock=ManualClock(T0 + timedelta(seconds=1)))


def _refusals(batch: Batch) -> list[tuple[int, str | None, str | None, int]]:
    return [(r.index, r.report_id, r.error.field, r.error.status) for r in batch.refusals()]


def test_each_fault_refuses_its_report_alone(intake: Intake) -> None:
    payload = [
        wire_report("g0"),
        wire_report("s1", position={"lat": "31.9", "lon": 36.6}),  # a string is not a number
        wire_report("g2"),
        wire_report("o3", t=T0 - timedelta(minutes=10)),
        wire_report("f4", **FAST),
        wire_report("p5", partner="ISR"),
        wire_report("g6"),
    ]
    batch = intake.json_batch(signed_request(payload))
    assert sorted(batch.reports) == [0, 2, 6]
    assert [r.report_id for r in batch.reports.values()] == ["g0", "g2", "g6"]
    assert _refusals(batch) == [
        (1, "s1", "reports.1.position.lat", 422),
        (3, "o3", "reports.3.observed_at", 422),
        (4, "f4", "reports.4.velocity", 422),
        (5, "p5", "reports.5.partner", 422),
    ]
    assert isinstance(batch.refusals()[1].error, StaleReportError)
    assert isinstance(batch.refusals()[2].error, SanityError)
    assert all(r.releasability is not None for r in batch.reports.values())  # defaults filled


def test_a_good_batch_is_what_the_all_or_nothing_path_returns(intake: Intake) -> None:
    payload = {"reports": [wire_report("a"), wire_report("b"), wire_report("a")]}
    batch = intake.json_batch(signed_request(payload))
    again = Intake(agreement=intake.agreement, clock=intake.clock)
    assert list(batch.reports.values()) == again.json_submission(signed_request(payload))
    assert batch.refused == []


def test_an_unreadable_report_has_no_id(intake: Intake) -> None:
    payload = [wire_report("g0"), 7, wire_report("bad id", kind="x"), {"report_id": 5}]
    batch = intake.json_batch(signed_request(payload))
    assert list(batch.reports) == [0]
    assert [(i, rid) for i, rid, _, _ in _refusals(batch)] == [(1, None), (2, None), (3, None)]
    assert _refusals(batch)[1][2] == "reports.2.report_id"
    named = intake.json_batch(signed_request([wire_report("g0"), wire_report("k1", kind="x")]))
    assert _refusals(named) == [(1, "k1", "reports.1.kind", 422)]


@pytest.mark.parametrize(
    "payload",
    [
        [wire_report("a", accuracy_m=-1), wire_report("b", kind="spaceship")],
        [wire_report("a", **FAST), wire_report("b", accuracy_m=-1)],  # the schema speaks first
        [wire_report("a", t=T0 - timedelta(hours=1)), wire_report("b", **FAST)],
        [wire_report("a", partner="ISR"), wire_report("b", position={"lat": 95, "lon": 0})],
        [wire_report("a", accuracy_m=-1)],
        wire_report("a", accuracy_m=-1),
        wire_report("a", **FAST),
    ],
)
def test_a_batch_refused_in_full_raises_as_before(intake: Intake, payload: Any) -> None:
    with pytest.raises(InputError) as before:
        intake.json_submission(signed_request(payload))
    with pytest.raises(InputError) as now:
        intake.json_batch(signed_request(payload))
    assert type(now.value) is type(before.value)
    assert (now.value.field, now.value.reason) == (before.value.field, before.value.reason)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"[{not json", "body"),
        (b"5", "body"),
        (b'{"reports": 5}', "reports"),
        (b'{"reports": []}', "reports"),
        (b"[]", "reports"),
        (json.dumps({"reports": [wire_report(), 7], "extra": 1}).encode(), "extra"),
    ],
)
def test_a_fault_of_the_envelope_refuses_all(intake: Intake, body: bytes, field: str) -> None:
    with pytest.raises(SchemaError) as err:
        intake.json_batch(signed_request(body))
    assert err.value.field == field


def test_a_key_twice_in_one_report_refuses_the_batch(intake: Intake) -> None:
    good = json.dumps(wire_report("g0")).encode()
    twice = (
        json.dumps(wire_report("d1"))
        .encode()
        .replace(b'{"report_id"', b'{"kind": "jet", "kind"', 1)
    )
    with pytest.raises(SchemaError) as err:
        intake.json_batch(signed_request(b"[" + good + b"," + twice + b"]"))
    assert err.value.field == "kind" and "duplicate key" in err.value.reason


def test_more_reports_than_a_submission_holds_refuses_all() -> None:
    one = json.dumps(wire_report("x", kind="spaceship")).encode()  # bad too: still the count
    with pytest.raises(SchemaError) as err:
        parse_batch(b"[" + b",".join([one] * 5001) + b"]", partner="JOR")
    assert err.value.field == "reports"


def test_a_bad_signature_refuses_all(intake: Intake) -> None:
    request = signed_request([wire_report("g0"), wire_report("b1", accuracy_m=-1)])
    tampered = SignedRequest(
        method=request.method,
        target=request.target,
        headers=request.headers,
        body=request.body.replace(b"g0", b"g9"),
    )
    with pytest.raises(SignatureError):
        intake.json_batch(tampered)


def test_the_rate_counts_the_reports_kept(agreement: Agreement) -> None:
    slow = replace(agreement.partners["JOR"], max_reports_per_s=1.0)  # a bucket of four
    ag = replace(agreement, partners={**agreement.partners, "JOR": slow})
    intake = Intake(agreement=ag, clock=ManualClock(T0))
    bad = [wire_report(f"b{i}", accuracy_m=-1) for i in range(6)]
    batch = intake.json_batch(signed_request([*bad, *(wire_report(f"g{i}") for i in range(4))]))
    assert len(batch.reports) == 4
    with pytest.raises(RateLimitError):  # the bucket is empty: the whole request waits
        intake.json_batch(signed_request([wire_report("g9"), wire_report("b9", accuracy_m=-1)]))


def test_an_id_reused_within_the_batch_refuses_the_later_report(intake: Intake) -> None:
    moved = wire_report("same", position={"lat": 31.0, "lon": 36.6})
    payload = [wire_report("same"), wire_report("other"), moved, wire_report("same")]
    batch = intake.json_batch(signed_request(payload))
    pending = intake.batch_events(batch, submission="s1")
    assert {k: idx for k, (_, idx) in pending.items()} == {
        "report:JOR:same": [0, 3],
        "report:JOR:other": [1],
    }
    assert _refusals(batch) == [(2, "same", "reports.2.report_id", 409)]
    assert isinstance(batch.refused[0].error, ConflictError)
    (ev,) = (ev for ev, _ in pending.values() if ev.event_id == "report:JOR:same")
    assert ev.payload["report"]["position"]["lat"] == 31.95


def test_stored_and_in_flight_conflicts_refuse_their_reports(intake: Intake) -> None:
    first = intake.json_batch(signed_request([wire_report("held")]))
    held = intake.batch_events(first, submission="s0")
    stored = intake.json_batch(signed_request([wire_report("kept", accuracy_m=9.0)]))
    journal = {k: ev for k, (ev, _) in intake.batch_events(stored, submission="s").items()}
    payload = [
        wire_report("held", accuracy_m=5.0),
        wire_report("kept"),
        wire_report("new"),
        wire_report("kept"),
    ]
    batch = intake.json_batch(signed_request(payload))
    pending = intake.batch_events(batch, submission="s1")
    with intake.claim_batch(first, held), intake.claim_batch(batch, pending):
        intake.refuse_stored(batch, pending, journal)
        assert list(pending) == ["report:JOR:new"]
    assert list(batch.reports) == [2]
    assert [(i, f, s) for i, _, f, s in _refusals(batch)] == [
        (0, "reports.0.report_id", 409),
        (1, "reports.1.report_id", 409),
        (3, "reports.3.report_id", 409),
    ]
    assert "being stored" in batch.refusals()[0].error.reason
    assert "already accepted" in batch.refusals()[1].error.reason


def test_every_report_conflicting_raises_the_first_conflict(intake: Intake) -> None:
    stored = intake.json_batch(signed_request([wire_report("kept", accuracy_m=9.0)]))
    journal = {k: ev for k, (ev, _) in intake.batch_events(stored, submission="s").items()}
    batch = intake.json_batch(signed_request([wire_report("kept")]))
    pending = intake.batch_events(batch, submission="s1")
    with pytest.raises(ConflictError) as err, intake.claim_batch(batch, pending):
        intake.refuse_stored(batch, pending, journal)
    assert err.value.field == "reports.0.report_id"
    assert intake.json_batch(signed_request([wire_report("kept")]))  # the claim was let go


mutations = st.dictionaries(
    st.sampled_from(list(wire_report())),
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.floats() | st.text(max_size=8),
    max_size=2,
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.none() | mutations, min_size=1, max_size=6))
def test_each_report_is_judged_as_if_sent_alone(
    agreement: Agreement, changes: list[dict[str, object] | None]
) -> None:
    payload = [wire_report(f"r{i}") | (c or {}) for i, c in enumerate(changes)]
    clock = ManualClock(T0 + timedelta(seconds=1))
    alone: dict[int, InputError | None] = {}
    for i, item in enumerate(payload):
        try:
            Intake(agreement=agreement, clock=clock).json_submission(signed_request([item]))
            alone[i] = None
        except InputError as exc:
            alone[i] = exc
    try:
        batch = Intake(agreement=agreement, clock=clock).json_batch(signed_request(payload))
    except InputError:
        assert all(alone.values())  # refused whole only when no report stands alone
        return
    assert sorted(batch.reports) == [i for i, exc in alone.items() if exc is None]
    for r in batch.refused:
        exc = alone[r.index]
        assert exc is not None and type(exc) is type(r.error)
        assert r.error.field == (exc.field or "").replace("reports.0", f"reports.{r.index}", 1)
