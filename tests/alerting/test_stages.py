"""Alert stages: early warning -> alert -> update -> all-clear, or a cancel, each with its why."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from tests.factories import T0, make_assessment, make_track
from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.alerting.exposure import COURSE_SHOWN_S
from warnline.bench.cap import grouping
from warnline.domain import AlertStage, AlertStatus, MsgType, ThreatKind, Track, Urgency

AREA = "JOR-amman"


def test_early_warning_escalates_to_alert_at_time_to_shelter_plus_margin(
    agreement: Agreement,
) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    shelter = agreement.area(AREA).time_to_shelter_s
    limit = alerting.policy.limit_s(shelter)
    tr = make_track()
    book.update([tr], [], T0)
    first = alerting.evaluate(
        book, {tr.track_id: make_assessment(tr, T0, [(AREA, "JOR", 500)])}, T0
    )
    assert [(a.msg_type, a.stage) for a in first] == [(MsgType.ALERT, AlertStage.EARLY_WARNING)]
    ew = first[0]
    assert ew.urgency is Urgency.EXPECTED and ew.time_to_shelter_s == shelter
    assert ew.headline.startswith("EXERCISE — Early warning for Amman")
    assert "Early warning" in ew.reason and f"{limit:.0f} s" in ew.reason
    assert ew.area_circle is not None and ew.tracks == (tr.track_id,)
    # Arrival steady, still outside the limit: nothing.
    t1 = T0 + timedelta(seconds=12)
    steady = {tr.track_id: make_assessment(tr, t1, [(AREA, "JOR", 488)])}
    assert alerting.evaluate(book, steady, t1) == []
    # Arrival now within the limit: escalation at once (2 s after the last version).
    t2 = T0 + timedelta(seconds=14)
    near = {tr.track_id: make_assessment(tr, t2, [(AREA, "JOR", limit - 1)])}
    out = alerting.evaluate(book, near, t2)
    assert [(a.msg_type, a.stage, a.version) for a in out] == [
        (MsgType.UPDATE, AlertStage.ALERT, 2)
    ]
    assert out[0].urgency is Urgency.IMMEDIATE and "escalated" in out[0].reason
    assert "Take shelter now in Amman" in out[0].headline
    # A material change after the alert is an update, and an estimate moving back out
    # never steps down to an early warning.
    t3 = T0 + timedelta(seconds=40)
    later = {tr.track_id: make_assessment(tr, t3, [(AREA, "JOR", limit + 400)])}
    upd = alerting.evaluate(book, later, t3)
    assert [(a.stage, a.version) for a in upd] == [(AlertStage.UPDATE, 3)]
    assert "moved by" in upd[0].reason
    # The threat arrives, then the incident ends: all-clear.
    t4 = T0 + timedelta(seconds=limit + 500)
    book.update([], [tr.track_id], t4)
    assert alerting.evaluate(book, {}, t4) == []
    end = alerting.evaluate(book, {}, t4 + timedelta(seconds=alerting.policy.clear_after_s))
    assert [(a.msg_type, a.stage, a.version) for a in end] == [
        (MsgType.CANCEL, AlertStage.ALL_CLEAR, 4)
    ]
    assert end[0].reason.startswith("All clear: threat ended") and "All clear for Amman" in (
        end[0].headline
    )


def test_a_threat_that_turns_away_is_cancelled_not_all_cleared(agreement: Agreement) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    tr = make_track()
    book.update([tr], [], T0)
    alerting.evaluate(book, {tr.track_id: make_assessment(tr, T0, [(AREA, "JOR", 100)])}, T0)
    empty = {tr.track_id: make_assessment(tr, T0, [])}
    out = alerting.evaluate(book, empty, T0 + timedelta(seconds=1))
    out += alerting.evaluate(book, empty, T0 + timedelta(seconds=25))
    assert [(a.stage, a.version) for a in out] == [(AlertStage.CANCEL, 2)]
    assert "outside every predicted corridor" in out[0].reason
    assert (
        out[0].headline
        == "EXERCISE — Warning cancelled for Amman: the threat is no longer expected"
    )


def test_an_early_warning_never_escalated_is_withdrawn(agreement: Agreement) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    tr = make_track()
    book.update([tr], [], T0)
    alerting.evaluate(book, {tr.track_id: make_assessment(tr, T0, [(AREA, "JOR", 550)])}, T0)
    t1 = T0 + timedelta(seconds=3)
    book.update([], [tr.track_id], t1)
    out = alerting.evaluate(book, {}, t1)
    out += alerting.evaluate(book, {}, t1 + timedelta(seconds=alerting.policy.clear_after_s))
    assert [a.stage for a in out] == [AlertStage.CANCEL]
    assert out[0].reason.startswith("Early warning withdrawn: threat ended")


def test_kinds_change_is_an_update_that_says_from_what_to_what(agreement: Agreement) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    tr = make_track()
    book.update([tr], [], T0)
    alerting.evaluate(book, {tr.track_id: make_assessment(tr, T0, [(AREA, "JOR", 200)])}, T0)
    t1 = T0 + timedelta(seconds=15)
    tr2 = make_track("T000002", lat=31.96)
    book.update([tr2], [], t1)
    risks = {t.track_id: make_assessment(t, t1, [(AREA, "JOR", 185)]) for t in (tr, tr2)}
    out = alerting.evaluate(book, risks, t1)
    assert [(a.stage, a.kinds) for a in out] == [(AlertStage.UPDATE, {ThreatKind.DRONE: 2})]
    assert "threats changed from 1 drone to 2 drone" in out[0].reason


def _exercise_track(track_id: str, lat: float) -> Track:
    tr = make_track(track_id, lat=lat)
    injected = tuple(dataclasses.replace(c, sensor=f"exercise:{c.sensor}") for c in tr.contributors)
    return dataclasses.replace(tr, contributors=injected)


def test_a_real_alert_always_overrides_an_exercise(agreement: Agreement) -> None:
    live = dataclasses.replace(agreement, exercise=False)
    book, alerting = IncidentBook(join_km=5), Alerting(agreement=live)
    drill = _exercise_track("T000001", 31.95)
    book.update([drill], [], T0)
    out = alerting.evaluate(
        book, {drill.track_id: make_assessment(drill, T0, [(AREA, "JOR", 150)])}, T0
    )
    assert [(a.status, a.stage) for a in out] == [(AlertStatus.EXERCISE, AlertStage.ALERT)]
    assert out[0].headline.startswith("EXERCISE — ")
    drill_id = out[0].alert_id
    # A real threat (seen by a real sensor) heads for the same area, 100 km away: a
    # separate incident. The real alert is raised and the exercise alert ends at once.
    t1 = T0 + timedelta(seconds=2)
    real = make_track("T000002", lat=32.9)
    book.update([real], [], t1)
    both = {t.track_id: make_assessment(t, t1, [(AREA, "JOR", 140)]) for t in (drill, real)}
    out = alerting.evaluate(book, both, t1)
    by_status = {a.status: a for a in out}
    assert by_status[AlertStatus.ACTUAL].msg_type is MsgType.ALERT
    assert by_status[AlertStatus.ACTUAL].headline.startswith("Take shelter now in Amman")
    ended = by_status[AlertStatus.EXERCISE]
    assert ended.alert_id == drill_id and ended.msg_type is MsgType.CANCEL
    assert ended.superseded_by == by_status[AlertStatus.ACTUAL].alert_id
    assert "real alert" in ended.reason and "REAL alert is in force" in ended.headline
    # While the real alert stands, the drill raises nothing in that area.
    t2 = T0 + timedelta(seconds=30)
    assert all(
        a.status is AlertStatus.ACTUAL
        for a in alerting.evaluate(
            book,
            {t.track_id: make_assessment(t, t2, [(AREA, "JOR", 110)]) for t in (drill, real)},
            t2,
        )
    )
    assert {a.status for a in alerting.active.values()} == {AlertStatus.ACTUAL}


def test_exercise_mark_on_every_version_in_an_exercise_coalition(agreement: Agreement) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    tr = make_track()  # a real sensor, but the whole coalition is in exercise
    book.update([tr], [], T0)
    out = alerting.evaluate(book, {tr.track_id: make_assessment(tr, T0, [(AREA, "JOR", 100)])}, T0)
    book.update([], [tr.track_id], T0 + timedelta(seconds=300))
    out += alerting.evaluate(book, {}, T0 + timedelta(seconds=300))
    out += alerting.evaluate(book, {}, T0 + timedelta(seconds=330))
    assert len(out) == 2
    assert all(a.status is AlertStatus.EXERCISE and a.headline.startswith("EXERCISE") for a in out)


def test_a_raid_of_300_tracks_gives_each_partner_a_few_alerts_with_counts() -> None:
    g = grouping(300)
    assert g["alerts"] == 3 and g["alerts_by_partner"] == {"ISR": 1, "JOR": 2}
    assert g["peer_track_area_pairs"] == 750


def test_a_later_arrival_in_an_early_warning_is_no_news(agreement: Agreement) -> None:
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    tr = make_track()
    book.update([tr], [], T0)
    first = alerting.evaluate(
        book, {tr.track_id: make_assessment(tr, T0, [(AREA, "JOR", 600)])}, T0
    )
    assert [a.stage for a in first] == [AlertStage.EARLY_WARNING]
    t1 = T0 + timedelta(seconds=30)
    later = {tr.track_id: make_assessment(tr, t1, [(AREA, "JOR", 1200)])}
    assert alerting.evaluate(book, later, t1) == []
    t2 = T0 + timedelta(seconds=60)
    sooner = {tr.track_id: make_assessment(tr, t2, [(AREA, "JOR", 450)])}
    assert [a.stage for a in alerting.evaluate(book, sooner, t2)] == [AlertStage.EARLY_WARNING]


def test_the_shelter_limit_adds_half_the_time_to_shelter_at_most_two_minutes() -> None:
    from warnline.alerting.lifecycle import AlertPolicy

    policy = AlertPolicy()
    assert [policy.limit_s(t) for t in (90.0, 300.0, 600.0)] == [135.0, 420.0, 720.0]


def test_a_threat_nobody_reports_now_is_named_as_not_seen_since(agreement: Agreement) -> None:
    from warnline.domain import TrackState

    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    tr = make_track(state=TrackState.COASTING)
    book.update([tr], [], T0 + timedelta(seconds=30))
    (ew,) = alerting.evaluate(
        book, {tr.track_id: make_assessment(tr, T0, [(AREA, "JOR", 500)])}, T0
    )
    assert f"{tr.track_id} not seen since {T0:%H:%M:%S}Z, warned on its last course" in ew.reason
    book2, alerting2 = IncidentBook(), Alerting(agreement=agreement)
    seen = make_track()  # reported now: nothing to say
    book2.update([seen], [], T0)
    (ew2,) = alerting2.evaluate(
        book2, {seen.track_id: make_assessment(seen, T0, [(AREA, "JOR", 500)])}, T0
    )
    assert "not seen since" not in ew2.reason


def test_shelter_waits_for_a_course_unless_waiting_would_cut_into_the_time_to_shelter(
    agreement: Agreement,
) -> None:
    # Amman: 300 s to shelter, a 420 s limit. A drone seen for 3 s at 400 s out is within
    # the limit, but its course is a velocity seen for 3 s (a loitering decoy's would
    # point at every area around it in turn): early warning at once, and shelter once it
    # has flown that course for COURSE_SHOWN_S, while 360 s remain.
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    young = make_track(seen_s=3.0)
    book.update([young], [], T0)
    first = alerting.evaluate(
        book, {young.track_id: make_assessment(young, T0, [(AREA, "JOR", 400)])}, T0
    )
    assert [a.stage for a in first] == [AlertStage.EARLY_WARNING]
    shown = T0 + timedelta(seconds=COURSE_SHOWN_S - 3.0)
    before = shown - timedelta(seconds=1)
    held = {young.track_id: make_assessment(young, before, [(AREA, "JOR", 400 - 36)])}
    assert alerting.evaluate(book, held, before) == []
    later = {young.track_id: make_assessment(young, shown, [(AREA, "JOR", 400 - 37)])}
    assert [a.stage for a in alerting.evaluate(book, later, shown)] == [AlertStage.ALERT]


def test_a_young_threat_that_cannot_wait_orders_shelter_at_once(agreement: Agreement) -> None:
    # Waiting 37 s for its course would leave less than Amman's 300 s: shelter now. A
    # ballistic missile's path is physics, not a choice: shelter at once too.
    for kind, tta in ((ThreatKind.DRONE, 330), (ThreatKind.BALLISTIC_MISSILE, 400)):
        book, alerting = IncidentBook(), Alerting(agreement=agreement)
        tr = make_track(seen_s=3.0, kind=kind)
        book.update([tr], [], T0)
        out = alerting.evaluate(
            book, {tr.track_id: make_assessment(tr, T0, [(AREA, "JOR", tta)])}, T0
        )
        assert [a.stage for a in out] == [AlertStage.ALERT], kind
