"""A bounded fuzzing run of every parser of outside input: whatever the bytes, the
only way out is our own error type (no crash, no other exception, nothing stored)."""

from __future__ import annotations

import contextlib
import json
from importlib.resources import files

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import T0, signed_request, wire_report
from warnline.agreement.load import parse_agreement
from warnline.agreement.model import Agreement
from warnline.domain import ManualClock
from warnline.errors import ConfigError, InputError
from warnline.ingest import Intake
from warnline.ingest.json_adapter import parse_batch, parse_submission

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
DEFAULT_TOML = (files("warnline.agreement") / "data" / "default.toml").read_text()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


@FUZZ
@given(st.binary(max_size=2000))
def test_submission_parser_random_bytes(body: bytes) -> None:
    with contextlib.suppress(InputError):
        parse_submission(body, partner="JOR")


@FUZZ
@given(json_values)
def test_submission_parser_random_json(value: object) -> None:
    with contextlib.suppress(InputError):
        parse_submission(json.dumps(value).encode(), partner="JOR")


@FUZZ
@given(st.binary(max_size=2000) | json_values.map(lambda v: json.dumps(v).encode()))
def test_batch_parser_random_input(body: bytes) -> None:
    with contextlib.suppress(InputError):
        batch = parse_batch(body, partner="JOR")
        seen = [*batch.reports, *(r.index for r in batch.refused)]
        assert len(seen) == len(set(seen))  # a report is kept or refused, never both


@FUZZ
@given(st.lists(json_values, min_size=1, max_size=5))
def test_batch_parser_lists_of_random_reports(items: list[object]) -> None:
    with contextlib.suppress(InputError):
        batch = parse_batch(json.dumps([wire_report(), *items]).encode(), partner="JOR")
        assert sorted([*batch.reports, *(r.index for r in batch.refused)]) == list(
            range(len(items) + 1)
        )


@FUZZ
@given(st.dictionaries(st.sampled_from(list(wire_report())), json_values, max_size=4))
def test_signed_submission_with_mutated_fields(
    agreement: Agreement, mutation: dict[str, object]
) -> None:
    intake = Intake(agreement=agreement, clock=ManualClock(T0))
    try:
        reports = intake.json_submission(signed_request([wire_report() | mutation]))
    except InputError:
        return
    assert len(reports) == 1 and reports[0].partner == "JOR"


@FUZZ
@given(st.data())
def test_agreement_parser_with_lines_dropped_or_garbled(data: st.DataObject) -> None:
    lines = DEFAULT_TOML.splitlines()
    i = data.draw(st.integers(0, len(lines) - 1))
    action = data.draw(st.sampled_from(["drop", "garble", "truncate"]))
    if action == "drop":
        del lines[i]
    elif action == "garble":
        lines[i] = data.draw(st.text(max_size=40))
    else:
        lines = lines[:i]
    with contextlib.suppress(ConfigError):
        parse_agreement("\n".join(lines), source="fuzz")
