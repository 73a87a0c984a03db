"""One live alert per (recipient, area): it groups every threat heading there, whatever
raid it belongs to, steps back only when its causes are gone, and never all-clears while
something still endangers the area or an overlapping area of the partner still shelters."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from tests.factories import T0, make_assessment, make_track
from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.domain import Alert, AlertStage, Assessment, Identity, MsgType, ThreatKind, Track

AREA = "JOR-amman"


def _risk(
    tracks: dict[Track, float | None], at: datetime, area: str = AREA
) -> dict[str, Assessment]:
    return {
        t.track_id: make_assessment(t, at, [] if tta is None else [(area, "JOR", tta)])
        for t, tta in tracks.items()
    }


def test_threats_of_two_incidents_give_one_alert_with_both(agreement: Agreement) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    drone = make_track("T000001")  # east of Amman
    missile = make_track("T000002", lat=29.0, lon=39.0, kind=ThreatKind.CRUISE_MISSILE)
    book.update([drone, missile], [], T0)
    assert len(book.open_incidents()) == 2
    out = alerting.evaluate(book, _risk({drone: 580, missile: 500}, T0), T0)
    assert len(out) == 1
    (alert,) = out
    assert alert.alert_id == f"A-{AREA}" and alert.area_id == AREA
    assert alert.kinds == {ThreatKind.DRONE: 1, ThreatKind.CRUISE_MISSILE: 1}
    assert alert.tracks == ("T000001", "T000002")
    first, second = book.track_incident["T000001"], book.track_incident["T000002"]
    assert alert.incidents == tuple(sorted((first, second)))
    # The earliest credible arrival is the missile's, and so is incident_id.
    assert alert.time_to_arrival_s == 500 and alert.incident_id == second
    assert f"incidents {', '.join(sorted((first, second)))}" in alert.reason
    assert list(alerting.active) == [f"A-{AREA}"]


def test_each_track_counts_with_its_own_arrival(agreement: Agreement) -> None:
    """A slow drone far out does not inherit the raid's earliest arrival elsewhere."""
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    drone, missile = make_track("T000001"), make_track("T000002", lat=31.96)
    book.update([drone, missile], [], T0)
    assessments = {
        drone.track_id: make_assessment(drone, T0, [(AREA, "JOR", 580)]),
        missile.track_id: make_assessment(missile, T0, [("JOR-irbid", "JOR", 100)]),
    }
    by_area = {a.area_id: a for a in alerting.evaluate(book, assessments, T0)}
    assert by_area[AREA].stage is AlertStage.EARLY_WARNING
    assert by_area[AREA].time_to_arrival_s == 580
    assert by_area["JOR-irbid"].stage is AlertStage.ALERT


def test_no_cancel_while_another_track_still_endangers(agreement: Agreement) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    first, second = make_track("T000001"), make_track("T000002", lat=29.0, lon=39.0)
    book.update([first, second], [], T0)
    alerting.evaluate(book, _risk({first: 100, second: 300}, T0), T0)
    # The first track ends; the second, from another raid, still heads for Amman.
    out: list[Alert] = []
    for s in range(5, 200, 5):
        t = T0 + timedelta(seconds=s)
        if s == 5:
            book.update([], [first.track_id], t)
        out += alerting.evaluate(book, _risk({second: max(0.0, 300 - s)}, t), t)
    assert all(a.msg_type is not MsgType.CANCEL for a in out)
    assert alerting.active[f"A-{AREA}"].tracks == ("T000002",)
    # Once it too is gone for the clear period: one all-clear.
    t = T0 + timedelta(seconds=400)
    book.update([], [second.track_id], t)
    out = alerting.evaluate(book, {}, t)
    out += alerting.evaluate(book, {}, t + timedelta(seconds=alerting.policy.clear_after_s))
    assert [(a.msg_type, a.stage) for a in out] == [(MsgType.CANCEL, AlertStage.ALL_CLEAR)]


def test_shelter_steps_back_once_every_cause_is_gone(agreement: Agreement) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    limit = alerting._limit(AREA)
    band = alerting.policy.step_back_band_s
    near, far = make_track("T000001"), make_track("T000002", lat=29.0, lon=39.0)
    book.update([near, far], [], T0)
    (alert,) = alerting.evaluate(book, _risk({near: 60, far: 700}, T0), T0)
    assert alert.stage is AlertStage.ALERT
    # The near track's estimate wobbles out past the limit: no step back, it still counts.
    t1 = T0 + timedelta(seconds=15)
    wobble = alerting.evaluate(book, _risk({near: limit + band + 60, far: 685}, t1), t1)
    assert all(a.stage is not AlertStage.EARLY_WARNING for a in wobble)
    # The near track turns away: what remains is far beyond the limit -> early warning.
    t2 = T0 + timedelta(seconds=40)
    (back,) = alerting.evaluate(book, _risk({near: None, far: 660}, t2), t2)
    assert (back.msg_type, back.stage, back.version) == (
        MsgType.UPDATE,
        AlertStage.EARLY_WARNING,
        alert.version + 1 + len(wobble),
    )
    assert "stepped back" in back.reason and "T000001" in back.reason
    assert back.tracks == ("T000002",)
    # And it escalates again once the remaining track comes within the limit.
    t3 = T0 + timedelta(seconds=45)
    (again,) = alerting.evaluate(book, _risk({far: limit - 10}, t3), t3)
    assert again.stage is AlertStage.ALERT


def test_no_step_back_inside_the_band(agreement: Agreement) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    limit = alerting._limit(AREA)
    near, other = make_track("T000001"), make_track("T000002", lat=29.0, lon=39.0)
    book.update([near, other], [], T0)
    alerting.evaluate(book, _risk({near: 60, other: limit + 30}, T0), T0)
    t1 = T0 + timedelta(seconds=20)
    out = alerting.evaluate(book, _risk({near: None, other: limit + 10}, t1), t1)
    assert all(a.stage.shelter for a in out)
    assert alerting.active[f"A-{AREA}"].stage.shelter


def test_defended_area_keeps_its_alert_while_its_territory_shelters(
    agreement: Agreement,
) -> None:
    """Amman is inside Jordan: a cancel for Amman while Jordan is told to shelter would
    contradict it; Amman's alert ends only with Jordan's, in the same tick."""
    assert "JOR" in Alerting(agreement=agreement).overlapping(AREA)
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    tr = make_track()
    book.update([tr], [], T0)
    both = {tr.track_id: make_assessment(tr, T0, [(AREA, "JOR", 200), ("JOR", "JOR", 60)])}
    assert len(alerting.evaluate(book, both, T0)) == 2
    only_jordan = {tr.track_id: make_assessment(tr, T0, [("JOR", "JOR", 60)])}
    for s in range(5, 120, 5):
        t = T0 + timedelta(seconds=s)
        out = alerting.evaluate(book, only_jordan, t)
        assert all(a.msg_type is not MsgType.CANCEL for a in out), (s, out)
    assert set(alerting.active) == {f"A-{AREA}", "A-JOR"}
    t = T0 + timedelta(seconds=130)
    book.update([], [tr.track_id], t)
    out = alerting.evaluate(book, {}, t)
    out += alerting.evaluate(book, {}, t + timedelta(seconds=alerting.policy.clear_after_s))
    assert sorted(a.area_id for a in out if a.msg_type is MsgType.CANCEL) == ["JOR", AREA]
    assert len({a.sent_at for a in out}) == 1 and alerting.active == {}


def test_another_partners_area_does_not_hold(agreement: Agreement) -> None:
    """Overlap holds only within one recipient: another partner's alert is not a
    contradiction of this one (Muwaffaq Salti is a USA site in Jordan)."""
    alerting = Alerting(agreement=agreement)
    assert "USA-muwaffaq-salti-air-base" not in alerting.overlapping("JOR")
    assert alerting.overlapping("USA-muwaffaq-salti-air-base") == frozenset()


def test_raise_after_cancel_takes_a_new_suffix_and_ids_never_repeat(
    agreement: Agreement,
) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    tr = make_track()
    book.update([tr], [], T0)
    ids = []
    t = T0
    for _ in range(3):
        (a,) = alerting.evaluate(book, _risk({tr: 600}, t), t)
        ids.append(a.alert_id)
        alerting.evaluate(
            book, _risk({tr: None}, t + timedelta(seconds=1)), t + timedelta(seconds=1)
        )
        t += timedelta(seconds=30)
        (end,) = alerting.evaluate(book, _risk({tr: None}, t), t)
        assert end.msg_type is MsgType.CANCEL
        t += timedelta(seconds=30)
    assert ids == [f"A-{AREA}", f"A-{AREA}-2", f"A-{AREA}-3"]


def test_an_identity_change_to_friend_stops_counting(agreement: Agreement) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    tr = make_track()
    book.update([tr], [], T0)
    alerting.evaluate(book, _risk({tr: 100}, T0), T0)
    friend = dataclasses.replace(tr, identity=Identity.FRIEND)
    t1 = T0 + timedelta(seconds=2)
    book.update([friend], [], t1)
    out = alerting.evaluate(book, _risk({friend: 98}, t1), t1)
    out += alerting.evaluate(
        book, _risk({friend: 60}, t1 + timedelta(seconds=25)), t1 + timedelta(seconds=25)
    )
    assert [a.msg_type for a in out] == [MsgType.CANCEL]


def test_nothing_is_raised_for_a_far_off_arrival(agreement: Agreement) -> None:
    """Twenty-five minutes out a prediction is a guess: no early warning yet; within the
    area's horizon (twelve minutes) one is raised."""
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    drone = make_track("T000001")
    book.update([drone], [], T0)
    assert alerting.evaluate(book, _risk({drone: 1500}, T0), T0) == []
    later = T0 + timedelta(seconds=900)
    (alert,) = alerting.evaluate(book, _risk({drone: 599}, later), later)
    assert alert.stage is AlertStage.EARLY_WARNING


def test_fewer_threats_are_no_news_more_are(agreement: Agreement) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    one, two = make_track("T000001"), make_track("T000002", lat=31.96)
    book.update([one, two], [], T0)
    (first,) = alerting.evaluate(book, _risk({one: 500, two: 500}, T0), T0)
    assert first.kinds == {ThreatKind.DRONE: 2}
    t1 = T0 + timedelta(seconds=30)
    assert alerting.evaluate(book, _risk({one: 470, two: None}, t1), t1) == []
    t2 = T0 + timedelta(seconds=60)
    three = make_track("T000003", lat=31.97, kind=ThreatKind.CRUISE_MISSILE)
    book.update([three], [], t2)
    (update,) = alerting.evaluate(book, _risk({one: 440, two: None, three: 440}, t2), t2)
    assert update.kinds == {ThreatKind.DRONE: 1, ThreatKind.CRUISE_MISSILE: 1}


def test_a_threat_past_fifteen_minutes_neither_joins_nor_holds_an_alert(
    agreement: Agreement,
) -> None:
    """A warning is judged on the quarter hour after it: a drone 20 minutes out is not
    news for this area yet, so it joins no version and alone keeps no alert up."""
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    near, far = make_track("T000001"), make_track("T000002", lat=29.0, lon=39.0)
    book.update([near, far], [], T0)
    (alert,) = alerting.evaluate(book, _risk({near: 500, far: 1200}, T0), T0)
    assert alert.tracks == ("T000001",)
    # The near one turns away; only the far one, 19 minutes out, still heads there.
    out: list[Alert] = []
    for s in range(5, 60, 5):
        t = T0 + timedelta(seconds=s)
        out += alerting.evaluate(book, _risk({near: None, far: 1200 - s}, t), t)
    assert [a.stage for a in out] == [AlertStage.CANCEL]  # it turned away, never came
    assert f"A-{AREA}" not in alerting.active
