"""Whatever the contributors and their releasability, a partner's CoT frames carry only
the tracks release gives it, never a source it may not learn, and withheld fields as
unknown (a property over release and the CoT encoding together)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.factories import T0, make_track
from warnline.agreement.load import default_agreement
from warnline.cot.frames import PictureFrames
from warnline.domain import Attribution, Releasability
from warnline.release import Release

AGREEMENT = default_agreement()
PARTNERS = sorted(AGREEMENT.partners)
RELEASE = Release(AGREEMENT)

releasability = st.builds(
    Releasability,
    release_to=st.one_of(st.none(), st.lists(st.sampled_from(PARTNERS), max_size=3).map(tuple)),
    attribution=st.sampled_from(list(Attribution)),
    withhold=st.lists(st.sampled_from(["accuracy", "altitude", "velocity"]), max_size=3).map(tuple),
)
contributors = st.lists(
    st.tuples(st.sampled_from(PARTNERS), releasability), min_size=1, max_size=3,
    unique_by=lambda c: c[0],
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(contributors, min_size=1, max_size=6), st.sampled_from(PARTNERS))
def test_a_partners_frames_carry_only_what_release_gives_it(
    tracks: list[list[tuple[str, Releasability]]], viewer: str
) -> None:
    made = [make_track(f"T{i:06d}", contributors=tuple(c)) for i, c in enumerate(tracks)]
    views = [v for t in made if (v := RELEASE.track(viewer, t)) is not None]
    frame = PictureFrames().frame({"tracks": views}, [], T0)
    shown = etree.fromstring(b"<s>" + frame.data + b"</s>")
    ids = {e.get("uid").removeprefix("warnline.track.") for e in shown if e.get("type")[0] == "a"}
    cell = viewer == AGREEMENT.coordination_cell
    allowed = {t.track_id for t in made if cell or t.released_to(viewer)}
    assert ids == allowed
    atoms = {e.get("uid"): e for e in shown if e.get("type")[0] == "a"}
    for v in views:  # a withheld field goes out as CoT's "unknown", or not at all
        atom = atoms[f"warnline.track.{v['track_id']}"]
        assert (atom.find("point").get("hae") == "9999999.0") == (v["position"]["alt_m"] is None)
        assert (atom.find("point").get("ce") == "9999999.0") == (v["sigma_m"] is None)
        assert (atom.find("detail/track") is None) == (v["velocity"] is None)
    hidden = {p for p in PARTNERS if not AGREEMENT.partners[p].membership_visible} - {viewer}
    for e in shown:
        hint = e.find("detail/__warnline")
        if hint is not None and not cell:
            assert not set(hint.get("sources", "").split(",")) & hidden
