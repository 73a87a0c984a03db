"""Release: nobody receives what was not released to them."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import make_track
from warnline.agreement.model import Agreement
from warnline.domain import Assignment, AssignmentStatus, Attribution, Releasability
from warnline.domain.codec import to_json
from warnline.domain.report import WITHHOLDABLE
from warnline.release import COALITION_PARTNER, COALITION_SOURCE, Release

CODES = ["USA", "ISR", "SAU", "QAT", "EGY", "ARE", "BHR", "JOR"]


def test_cell_sees_every_contributor(agreement: Agreement) -> None:
    r = Release(agreement)
    tr = make_track(
        contributors=(("BHR", Releasability(release_to=("USA",))), ("JOR", Releasability()))
    )
    view = r.track("USA", tr)
    assert view is not None and view["sources"] == ["BHR", "JOR"] and view["fused"]


def test_unreleased_contributor_hidden_and_fused_estimate_withheld(agreement: Agreement) -> None:
    r = Release(agreement)
    tr = make_track(
        contributors=(("BHR", Releasability(release_to=("USA",))), ("JOR", Releasability()))
    )
    view = r.track("ISR", tr)
    assert view is not None
    assert view["sources"] == ["JOR"] and not view["fused"] and view["velocity"] is None
    jor = next(c for c in tr.contributors if c.partner == "JOR")
    assert view["position"]["lat"] == jor.last_position.lat


def test_track_only_from_unreleased_sources_invisible(agreement: Agreement) -> None:
    r = Release(agreement)
    tr = make_track(
        contributors=(
            (
                "BHR",
                Releasability(release_to=("USA", "SAU")),
            ),
        )
    )
    assert r.track("ISR", tr) is None
    assert r.track("SAU", tr) is not None
    assert r.track("BHR", tr) is not None  # a partner always sees its own


def test_anonymous_source_and_hidden_membership(agreement: Agreement) -> None:
    r = Release(agreement)
    tr = make_track(contributors=(("SAU", Releasability(attribution=Attribution.ANONYMOUS)),))
    view = r.track("ISR", tr)
    assert view is not None and view["sources"] == [COALITION_SOURCE]
    hidden = [c for c, p in agreement.partners.items() if not p.membership_visible]
    assert hidden, "the default coalition has a partner whose membership is private"
    assert r.partner_label("ISR", hidden[0]) == COALITION_PARTNER
    assert r.partner_label(agreement.coordination_cell, hidden[0]) == hidden[0]


def test_assignment_explanation_only_for_cell_and_lead(agreement: Agreement) -> None:
    r = Release(agreement)
    hidden = next(c for c, p in agreement.partners.items() if not p.membership_visible)
    a = Assignment(
        incident_id="I1",
        status=AssignmentStatus.LEAD,
        lead=hidden,
        rule="sovereignty",
        explanation=f"Doha ({hidden}) first",
        decided_at=make_track().updated_at,
    )
    assert r.assignment("ISR", a) is None  # a step a hidden member plays a part in
    own = r.assignment(hidden, a)
    assert own is not None and own["explanation"] == a.explanation
    public = dataclasses.replace(a, lead="JOR", explanation="Amman (JOR) first")
    other = r.assignment("ISR", public)
    assert other is not None and other["lead"] == "JOR"
    assert other["explanation"] == "Decided under the agreement's sovereignty rule."
    assert r.assignment("ISR", public, incident_visible=False) is None


policies = st.builds(
    Releasability,
    release_to=st.one_of(st.none(), st.lists(st.sampled_from(CODES), max_size=4).map(tuple)),
    attribution=st.sampled_from(list(Attribution)),
    withhold=st.lists(st.sampled_from(WITHHOLDABLE), max_size=3).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(
    contributors=st.lists(
        st.tuples(st.sampled_from(CODES), policies),
        min_size=1,
        max_size=5,
        unique_by=lambda c: c[0],
    ),
    viewer=st.sampled_from(CODES),
)
def test_no_viewer_learns_of_an_unreleased_or_hidden_source(
    agreement: Agreement, contributors: list, viewer: str
) -> None:  # type: ignore[type-arg]
    r = Release(agreement)
    tr = make_track(contributors=tuple(contributors))
    view = r.track(viewer, tr)
    released = [
        p
        for p, rel in contributors
        if viewer in (p, agreement.coordination_cell) or rel.releases_to(viewer)
    ]
    if not released:
        assert view is None
        return
    assert view is not None
    for p, rel in contributors:
        named = p in view["sources"]
        if named:
            assert p in released
            assert viewer in (p, agreement.coordination_cell) or (
                rel.attribution is Attribution.NAMED and agreement.partners[p].membership_visible
            )
    others = [rel for p, rel in contributors if p in released and p != viewer]
    if viewer != agreement.coordination_cell:
        if any("velocity" in rel.withhold for rel in others):
            assert view["velocity"] is None
        if any("accuracy" in rel.withhold for rel in others):
            assert view["sigma_m"] is None
        if any("altitude" in rel.withhold for rel in others):
            assert view["position"]["alt_m"] is None
    if len(released) < len(contributors):
        assert not view["fused"] and view["velocity"] is None
        released_positions = [
            to_json(c.last_position) for c in tr.contributors if c.partner in released
        ]
        assert {**view["position"], "alt_m": None} in [
            {**p, "alt_m": None} for p in released_positions
        ]


def test_withheld_fields_never_reach_others(agreement: Agreement) -> None:
    r = Release(agreement)
    tr = make_track(
        contributors=(
            ("ISR", Releasability(withhold=("accuracy", "velocity"))),
            ("JOR", Releasability()),
        )
    )
    for viewer in ("JOR", "SAU"):
        view = r.track(viewer, tr)
        assert view is not None and view["sigma_m"] is None and view["velocity"] is None
        assert view["position"]["alt_m"] is not None
    own = r.track("ISR", tr)
    assert own is not None and own["sigma_m"] is not None and own["velocity"] is not None
    cell = r.track("USA", tr)
    assert cell is not None and cell["sigma_m"] is not None
