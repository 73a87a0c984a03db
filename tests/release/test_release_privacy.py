"""Membership privacy as a property: whatever the track, alert, incident or lead step,
no view built for another partner names a member whose membership is private, its
country, its areas, or even that a hidden member exists ("coalition partner")."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import T0, make_assessment, make_track
from warnline.agreement.load import load_agreement
from warnline.agreement.model import Agreement
from warnline.domain import (
    Alert,
    AlertStatus,
    Assignment,
    AssignmentStatus,
    Attribution,
    Incident,
    MsgType,
    Releasability,
    Severity,
    ThreatKind,
    Urgency,
)
from warnline.release import COALITION_PARTNER, Release

AGREEMENT = load_agreement(None)
CODES = sorted(AGREEMENT.partners)
HIDDEN = [c for c, p in AGREEMENT.partners.items() if not p.membership_visible]
CELL = AGREEMENT.coordination_cell
OTHERS = [c for c in CODES if c not in HIDDEN and c != CELL]
AREAS = [(a.area_id, a.partner, a.name) for a in AGREEMENT.areas]


def markers(agreement: Agreement) -> list[str]:
    """Everything that names a hidden member."""
    out = []
    for code in HIDDEN:
        p = agreement.partners[code]
        out += [code, p.name, *(a.area_id for a in p.areas), *(a.name for a in p.areas)]
    return out


MARKERS = markers(AGREEMENT)
FRAGMENTS = st.sampled_from(
    [*MARKERS, "Amman", "JOR", "ISR-tel-aviv", "threatened first", "sector gulf", "ok"]
)
text = st.lists(FRAGMENTS, max_size=4).map(" ".join)
code_or_none = st.one_of(st.none(), st.sampled_from(CODES))


def assert_private(view: object, *, label_too: bool = True) -> None:
    dumped = json.dumps(view)
    for marker in MARKERS:
        assert marker not in dumped, marker
    if label_too:
        assert COALITION_PARTNER not in dumped


assignments = st.builds(
    Assignment,
    incident_id=st.just("Iabc"),
    status=st.sampled_from(list(AssignmentStatus)),
    lead=code_or_none,
    rule=st.sampled_from(["sovereignty", "sector", "override"]),
    explanation=text,
    decided_at=st.just(T0),
    offered_to=code_or_none,
    purpose=st.sampled_from(["lead", "consent"]),
    on_behalf=code_or_none,
    ranking=st.lists(
        st.tuples(st.sampled_from(CODES), text).map(lambda t: f"{t[0]} (sector): {t[1]}"),
        max_size=4,
    ).map(lambda lines: tuple(f"{n}. {line}" for n, line in enumerate(lines, 1))),
)


@settings(max_examples=300, deadline=None)
@given(a=assignments, viewer=st.sampled_from(OTHERS), seen=st.booleans())
def test_no_lead_step_tells_of_a_hidden_member(a: Assignment, viewer: str, seen: bool) -> None:
    view = Release(AGREEMENT).assignment(viewer, a, incident_visible=seen)
    if view is None:
        return
    involved = viewer in (a.lead, a.offered_to, a.on_behalf)
    # An involved partner may be told "coalition partner" for a hidden lead it works with.
    assert_private(view, label_too=not involved)
    if not involved:
        assert seen and not {a.lead, a.offered_to, a.on_behalf} & set(HIDDEN)


policies = st.builds(
    Releasability,
    release_to=st.one_of(st.none(), st.lists(st.sampled_from(CODES), max_size=4).map(tuple)),
    attribution=st.sampled_from(list(Attribution)),
)


@settings(max_examples=300, deadline=None)
@given(
    contributors=st.lists(
        st.tuples(st.sampled_from(CODES), policies), min_size=1, max_size=4,
        unique_by=lambda c: c[0],
    ),
    risks=st.lists(st.sampled_from(AREAS), max_size=4, unique=True),
    viewer=st.sampled_from(OTHERS),
)  # fmt: skip
def test_no_track_view_tells_of_a_hidden_member(
    contributors: list[tuple[str, Releasability]],
    risks: list[tuple[str, str, str]],
    viewer: str,
) -> None:
    track = make_track(contributors=tuple(contributors))
    assessment = make_assessment(track, T0, [(area, owner, 300.0) for area, owner, _ in risks])
    view = Release(AGREEMENT).track(viewer, track, assessment)
    assert_private(view)


@settings(max_examples=300, deadline=None)
@given(
    contributors=st.lists(
        st.tuples(st.sampled_from(CODES), policies), min_size=1, max_size=4,
        unique_by=lambda c: c[0],
    ),
    viewer=st.sampled_from(CODES),
)  # fmt: skip
def test_track_visible_says_whether_a_view_is_released(
    contributors: list[tuple[str, Releasability]], viewer: str
) -> None:
    """The short answer the incident list uses agrees with building the view."""
    track = make_track(contributors=tuple(contributors))
    release = Release(AGREEMENT)
    assert release.track_visible(viewer, track) == (release.track(viewer, track) is not None)


@settings(max_examples=300, deadline=None)
@given(
    area=st.sampled_from(AREAS),
    tracks=st.lists(st.sampled_from(["T000001", "T000002", "T000003"]), min_size=1, unique=True),
    data=st.data(),
    viewer=st.sampled_from(CODES),
)
def test_alerts_reach_only_their_partner_and_name_no_withheld_track(
    area: tuple[str, str, str], tracks: list[str], data: st.DataObject, viewer: str
) -> None:
    area_id, owner, name = area
    withheld = data.draw(st.lists(st.sampled_from(tracks), unique=True))
    reason = f"1 threat track(s) of incident Iabc (1 drone: {', '.join(tracks)}) enter {name}"
    alert = Alert(
        alert_id=f"A-{area_id}", version=1, incident_id="Iabc", area_id=area_id,
        area_name=name, partner=owner, msg_type=MsgType.ALERT, status=AlertStatus.EXERCISE,
        sent_at=T0, severity=Severity.SEVERE, urgency=Urgency.IMMEDIATE,
        time_to_arrival_s=300.0, expected_at=T0, kinds={ThreatKind.DRONE: len(tracks)},
        headline=f"Take shelter: {name}", reason=reason, tracks=tuple(tracks),
        withheld_tracks=tuple(sorted(withheld)),
    )  # fmt: skip
    release = Release(AGREEMENT)
    view = release.alert(viewer, alert)
    if viewer not in (owner, CELL):
        assert view is None
        return
    assert view is not None
    if viewer == CELL:
        assert view["tracks"] == tracks
        return
    dumped = json.dumps(view)
    assert all(t not in dumped for t in withheld)
    assert view["tracks"] == [t for t in tracks if t not in withheld]
    assert view["kinds"] == {"drone": len(tracks)}  # warned of every threat, counted


@settings(max_examples=200, deadline=None)
@given(
    members=st.dictionaries(
        st.sampled_from([f"T00000{i}" for i in range(1, 8)]),
        st.sampled_from(list(ThreatKind)),
        min_size=1,
    ),
    data=st.data(),
    viewer=st.sampled_from(OTHERS),
)
def test_incident_summary_counts_only_what_the_viewer_sees(
    members: dict[str, ThreatKind], data: st.DataObject, viewer: str
) -> None:
    visible = data.draw(st.lists(st.sampled_from(sorted(members)), unique=True))
    incident = Incident(
        incident_id="Iabc", opened_at=T0, updated_at=T0, track_ids=tuple(sorted(members)),
        kinds={k: list(members.values()).count(k) for k in set(members.values())},
    )  # fmt: skip
    view = Release(AGREEMENT).incident(viewer, incident, {t: members[t] for t in visible}, [])
    if not visible:
        assert view is None
        return
    assert view is not None
    assert view["track_ids"] == sorted(visible)
    assert sum(view["kinds"].values()) == len(visible)
