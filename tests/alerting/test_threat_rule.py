"""The agreement's kinematic threat rule: an unidentified track warns when it moves like a
threat (an inbound ballistic trajectory, a fast object from outside heading in), never a
friend, never a slow unknown, never a tentative blip; and the alert says why."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from tests.factories import T0, make_assessment, make_track
from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.alerting.threat import ThreatRuleCheck
from warnline.domain import Identity, Position, ThreatKind, Track, TrackState, Velocity

AREA = "JOR-amman"


def _track(
    *,
    identity: Identity = Identity.UNKNOWN,
    east: float = -2000.0,
    up: float = -500.0,
    alt: float = 60_000.0,
    lat: float = 31.95,
    lon: float = 36.6,
    state: TrackState = TrackState.CONFIRMED,
) -> Track:
    tr = make_track(kind=ThreatKind.BALLISTIC_MISSILE, identity=identity, state=state, lat=lat)
    return dataclasses.replace(
        tr,
        position=Position(lat=lat, lon=lon, alt_m=alt),
        velocity=Velocity(east=east, north=0.0, up=up),
    )


def _run(agreement: Agreement, track: Track, risks: list[tuple[str, str, float]]) -> list[str]:
    book = IncidentBook(threat_rule=ThreatRuleCheck(agreement))
    alerting = Alerting(agreement=agreement)
    assessments = {track.track_id: make_assessment(track, T0, risks)}
    book.update([track], [], T0, assessments)
    return [a.reason for a in alerting.evaluate(book, assessments, T0)]


INBOUND = [(AREA, "JOR", 90), ("JOR", "JOR", 60)]


def test_unknown_ballistic_track_alerts_under_the_rule(agreement: Agreement) -> None:
    reasons = _run(agreement, _track(), INBOUND)
    assert len(reasons) == 2
    for reason in reasons:
        assert (
            "T000001 treated as suspect under the agreement's threat rule: inbound ballistic "
            "trajectory, 2.1 km/s" in reason
        )


def test_pending_high_but_slow_track_alerts_by_altitude(agreement: Agreement) -> None:
    track = _track(identity=Identity.PENDING, east=-400.0, up=0.0, alt=80_000.0)
    (reason, _) = _run(agreement, track, INBOUND)
    assert "inbound ballistic trajectory, 80 km high" in reason


def test_friend_and_neutral_never_alert_whatever_their_motion(agreement: Agreement) -> None:
    for identity in (Identity.FRIEND, Identity.ASSUMED_FRIEND, Identity.NEUTRAL):
        assert _run(agreement, _track(identity=identity), INBOUND) == [], identity


def test_slow_low_unknown_does_not_alert(agreement: Agreement) -> None:
    slow = _track(east=-50.0, up=0.0, alt=150.0, lon=39.5, lat=33.5)  # outside, but slow
    assert _run(agreement, slow, INBOUND) == []


def test_ballistic_not_heading_into_a_territory_does_not_alert(agreement: Agreement) -> None:
    # Only a defended area is at risk: the rule needs a territory ahead.
    assert _run(agreement, _track(), [(AREA, "JOR", 90)]) == []
    assert _run(agreement, _track(), []) == []


def test_fast_object_from_outside_heading_in_alerts(agreement: Agreement) -> None:
    # 250 m/s at 5 km, over Iraq (outside every partner territory), heading for Jordan.
    fast = _track(east=-250.0, up=0.0, alt=5000.0, lon=40.5, lat=32.5)
    (reason,) = _run(agreement, fast, [("JOR", "JOR", 600)])
    assert "fast object (250 m/s) from outside every partner territory heading into" in reason


def test_fast_object_already_inside_a_territory_is_not_suspect(agreement: Agreement) -> None:
    # The same jet over Jordan is coalition air traffic unless someone labels it.
    inside = _track(east=-250.0, up=0.0, alt=5000.0, lon=36.6, lat=31.95)
    assert _run(agreement, inside, [("JOR", "JOR", 600)]) == []


def test_rule_switched_off_leaves_alerts_to_labels(agreement: Agreement) -> None:
    off = dataclasses.replace(
        agreement, threat_rule=dataclasses.replace(agreement.threat_rule, enabled=False)
    )
    assert _run(off, _track(), INBOUND) == []
    hostile = _track(identity=Identity.HOSTILE)
    reasons = _run(off, hostile, INBOUND)
    assert len(reasons) == 2 and "threat rule" not in reasons[0]


def test_tentative_tracks_never_alert_coasting_ones_do(agreement: Agreement) -> None:
    """A tentative track (clutter until proven otherwise) must not warn; a coasting one was
    confirmed - the picture never lets a tentative track coast (tests/picture)."""
    blip = dataclasses.replace(
        _track(identity=Identity.HOSTILE, state=TrackState.TENTATIVE), report_count=1
    )
    assert _run(agreement, blip, INBOUND) == []
    coasting = _track(identity=Identity.HOSTILE, state=TrackState.COASTING)
    assert len(_run(agreement, coasting, INBOUND)) == 2


def test_coasting_after_confirmation_keeps_alerting(agreement: Agreement) -> None:
    book = IncidentBook(threat_rule=ThreatRuleCheck(agreement))
    alerting = Alerting(agreement=agreement)
    track = _track(identity=Identity.HOSTILE)
    a0 = {track.track_id: make_assessment(track, T0, INBOUND)}
    book.update([track], [], T0, a0)
    assert len(alerting.evaluate(book, a0, T0)) == 2
    t1 = T0 + timedelta(seconds=30)
    coasting = dataclasses.replace(track, state=TrackState.COASTING)
    a1 = {track.track_id: make_assessment(coasting, t1, INBOUND)}
    book.update([coasting], [], t1, a1)
    assert book.threat_reason(track.track_id) == "identified hostile"
    assert all(a.stage.shelter for a in alerting.active.values())
