"""Payloads rebuilt by msgspec are the objects pydantic would have built."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_report
from tests.journal.test_payloads import SAMPLES
from tests.test_pipeline import inputs, run, two_partner_raid
from warnline.agreement.model import Agreement
from warnline.domain import Report
from warnline.domain.codec import _adapter, from_json, to_json
from warnline.journal import Kind
from warnline.journal.payloads import PAYLOADS


def by_pydantic(tp: type[Any], data: Any) -> Any:
    return _adapter(tp).validate_python(data)


def test_every_kind_decided_in_a_raid_rebuilds_as_pydantic_would(agreement: Agreement) -> None:
    """Reports, ticks, incidents, alerts and lead decisions of a two-partner raid."""
    events = inputs(two_partner_raid(), 240)
    decided = run(agreement, events)
    seen: set[str] = set()
    for ev in [*events, *decided]:
        tp = PAYLOADS[Kind(ev.kind)]
        ours = from_json(tp, ev.payload)
        assert ours == by_pydantic(tp, ev.payload)
        assert to_json(ours) == ev.payload  # and it dumps to what was stored
        seen.add(ev.kind)
    assert {Kind.REPORT, Kind.TICK, Kind.INCIDENT, Kind.ALERT, Kind.ASSIGNMENT} <= seen


@pytest.mark.parametrize("kind", sorted(SAMPLES, key=str))
def test_each_sample_payload_rebuilds_as_pydantic_would(kind: Kind) -> None:
    data = to_json(SAMPLES[kind])
    assert from_json(PAYLOADS[kind], data) == by_pydantic(PAYLOADS[kind], data)


def test_a_payload_that_breaks_a_domain_check_is_refused_naming_the_type() -> None:
    bad = to_json(make_report())
    bad["position"]["lat"] = 123.0  # Position.__post_init__ refuses it
    with pytest.raises(ValueError, match=r"not a Report: latitude out of range"):
        from_json(Report, bad)
    with pytest.raises(ValueError, match=r"not a Report: Object missing required field"):
        from_json(Report, {"report_id": "r1"})
