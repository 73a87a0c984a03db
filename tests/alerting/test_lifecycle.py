"""Alert lifecycle: raise, update on material change only, cancel with hysteresis."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import T0, make_assessment, make_track
from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.domain import AlertStatus, Identity, MsgType, ThreatKind, TrackState


def setup(agreement: Agreement) -> tuple[IncidentBook, Alerting]:
    return IncidentBook(), Alerting(agreement=agreement)


def test_raise_then_no_update_without_material_change(agreement: Agreement) -> None:
    book, alerting = setup(agreement)
    tr = make_track()
    book.update([tr], [], T0)
    a1 = alerting.evaluate(
        book, {tr.track_id: make_assessment(tr, T0, [("JOR-amman", "JOR", 600)])}, T0
    )
    assert [(a.msg_type, a.area_id, a.version) for a in a1] == [(MsgType.ALERT, "JOR-amman", 1)]
    alert = a1[0]
    assert alert.partner == "JOR" and alert.status is AlertStatus.EXERCISE
    assert alert.time_to_arrival_s == 600 and alert.kinds == {ThreatKind.DRONE: 1}
    assert book.track_incident[tr.track_id] in alert.reason and "600 s" in alert.reason
    # Same expected arrival 20 s later: nothing new.
    t1 = T0 + timedelta(seconds=20)
    assert (
        alerting.evaluate(
            book, {tr.track_id: make_assessment(tr, t1, [("JOR-amman", "JOR", 580)])}, t1
        )
        == []
    )


def test_update_when_arrival_moves_materially(agreement: Agreement) -> None:
    book, alerting = setup(agreement)
    tr = make_track()
    book.update([tr], [], T0)
    alerting.evaluate(book, {tr.track_id: make_assessment(tr, T0, [("JOR-amman", "JOR", 600)])}, T0)
    t1 = T0 + timedelta(seconds=20)
    out = alerting.evaluate(
        book, {tr.track_id: make_assessment(tr, t1, [("JOR-amman", "JOR", 300)])}, t1
    )
    assert [(a.msg_type, a.version) for a in out] == [(MsgType.UPDATE, 2)]
    assert "-280 s" in out[0].reason


def test_cancel_only_after_clear_period(agreement: Agreement) -> None:
    book, alerting = setup(agreement)
    tr = make_track()
    book.update([tr], [], T0)
    alerting.evaluate(book, {tr.track_id: make_assessment(tr, T0, [("JOR-amman", "JOR", 600)])}, T0)
    empty = {tr.track_id: make_assessment(tr, T0, [])}
    for s in (5, 10, 15):  # out of the corridor briefly: no flapping
        assert alerting.evaluate(book, empty, T0 + timedelta(seconds=s)) == []
    out = alerting.evaluate(book, empty, T0 + timedelta(seconds=26))
    assert [(a.msg_type, a.version) for a in out] == [(MsgType.CANCEL, 2)]
    assert alerting.active == {}


def test_back_in_corridor_resets_clear_timer(agreement: Agreement) -> None:
    book, alerting = setup(agreement)
    tr = make_track()
    book.update([tr], [], T0)
    risk = {tr.track_id: make_assessment(tr, T0, [("JOR-amman", "JOR", 600)])}
    empty = {tr.track_id: make_assessment(tr, T0, [])}
    alerting.evaluate(book, risk, T0)
    alerting.evaluate(book, empty, T0 + timedelta(seconds=15))
    alerting.evaluate(book, risk, T0 + timedelta(seconds=16))
    assert alerting.evaluate(book, empty, T0 + timedelta(seconds=30)) == []


def test_incident_end_cancels_once_nothing_endangered_the_area_for_the_clear_period(
    agreement: Agreement,
) -> None:
    book, alerting = setup(agreement)
    tr = make_track()
    book.update([tr], [], T0)
    alerting.evaluate(book, {tr.track_id: make_assessment(tr, T0, [("JOR-amman", "JOR", 600)])}, T0)
    t1 = T0 + timedelta(seconds=5)
    book.update([], [tr.track_id], t1)
    assert alerting.evaluate(book, {}, t1) == []  # a lost track may come back: wait
    out = alerting.evaluate(book, {}, t1 + timedelta(seconds=alerting.policy.clear_after_s))
    assert [a.msg_type for a in out] == [MsgType.CANCEL] and "threat ended" in out[0].reason


def test_raid_gives_one_alert_per_area_with_counts(agreement: Agreement) -> None:
    book, alerting = setup(agreement)
    tracks = [make_track(f"T{i:06d}", lat=31.95 + i * 0.01) for i in range(40)]
    book.update(tracks, [], T0)
    assert len(book.open_incidents()) == 1
    assessments = {
        t.track_id: make_assessment(t, T0, [("JOR-amman", "JOR", 600 + i), ("JOR", "JOR", 500)])
        for i, t in enumerate(tracks)
    }
    out = alerting.evaluate(book, assessments, T0)
    assert sorted(a.area_id for a in out) == ["JOR", "JOR-amman"]
    assert all(a.kinds == {ThreatKind.DRONE: 40} for a in out)


def test_friendly_and_tentative_tracks_raise_nothing(agreement: Agreement) -> None:
    book, alerting = setup(agreement)
    friend = make_track("T000001", identity=Identity.FRIEND)
    tentative = make_track("T000002", state=TrackState.TENTATIVE)
    book.update([friend, tentative], [], T0)
    assessments = {
        t.track_id: make_assessment(t, T0, [("JOR-amman", "JOR", 60)]) for t in (friend, tentative)
    }
    assert alerting.evaluate(book, assessments, T0) == []
    assert book.open_incidents() == []


def test_far_apart_tracks_are_separate_incidents(agreement: Agreement) -> None:
    book, _ = setup(agreement)
    book.update([make_track("T000001"), make_track("T000002", lat=24.5, lon=46.7)], [], T0)
    assert len(book.open_incidents()) == 2


def test_raise_after_cancel_is_a_new_alert(agreement: Agreement) -> None:
    book, alerting = setup(agreement)
    tr = make_track()
    book.update([tr], [], T0)
    risk = {tr.track_id: make_assessment(tr, T0, [("JOR-amman", "JOR", 600)])}
    empty = {tr.track_id: make_assessment(tr, T0, [])}
    first = alerting.evaluate(book, risk, T0)[0]
    alerting.evaluate(book, empty, T0 + timedelta(seconds=1))
    (cancel,) = alerting.evaluate(book, empty, T0 + timedelta(seconds=30))
    assert cancel.msg_type is MsgType.CANCEL and cancel.alert_id == first.alert_id
    (again,) = alerting.evaluate(book, risk, T0 + timedelta(seconds=40))
    assert again.msg_type is MsgType.ALERT and again.version == 1
    assert again.alert_id == f"{first.alert_id}-2"
    (update,) = alerting.evaluate(
        book,
        {tr.track_id: make_assessment(tr, T0, [("JOR-amman", "JOR", 200)])},
        T0 + timedelta(seconds=60),
    )
    assert update.alert_id == again.alert_id and update.version == 2


def test_threat_inside_an_area_does_not_update_every_tick(agreement: Agreement) -> None:
    book, alerting = setup(agreement)
    tr = make_track()
    book.update([tr], [], T0)
    alerting.evaluate(book, {tr.track_id: make_assessment(tr, T0, [("JOR", "JOR", 0)])}, T0)
    for s in range(10, 200, 10):
        t = T0 + timedelta(seconds=s)
        assert (
            alerting.evaluate(book, {tr.track_id: make_assessment(tr, t, [("JOR", "JOR", 0)])}, t)
            == []
        )
