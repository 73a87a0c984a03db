"""The exercise's border-post sighting names an area its reporter may know of."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warnline.agreement.model import Agreement
from warnline.sim.manual import choose_sighting
from warnline.sim.scenario import build_scenario


@pytest.mark.parametrize("seed", [3, 7, 11, 23])
def test_the_sighting_is_of_a_visible_members_area(agreement: Agreement, seed: int) -> None:
    scenario = build_scenario(agreement, start=datetime(2026, 12, 2, tzinfo=UTC), seed=seed)
    hidden = {c for c, p in agreement.partners.items() if not p.membership_visible}
    assert hidden  # the default coalition has a member that must not be seen
    seen = choose_sighting(scenario, agreement, 30.0)
    assert seen is not None
    assert seen.owner not in hidden and seen.owner != seen.reporter
    assert agreement.area(seen.area_id).kind.value == "defended"
