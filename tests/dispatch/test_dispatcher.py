"""Dispatcher: one pending delivery per recipient, retried until receipt, ack or supersession."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.factories import T0
from warnline.dispatch import Dispatcher, ack_event, receipt_event
from warnline.domain import (
    Acknowledgement,
    Alert,
    AlertStatus,
    MsgType,
    Severity,
    ThreatKind,
    Urgency,
)
from warnline.domain.codec import to_json
from warnline.journal import Event, MemoryJournal

USERS = {"jor-watch": "JOR", "jor-cmd": "JOR", "usa-watch": "USA"}


def alert(version: int = 1, msg: MsgType = MsgType.ALERT) -> Alert:
    return Alert(
        alert_id="A-JOR-amman",
        version=version,
        incident_id="I00001",
        area_id="JOR-amman",
        area_name="Amman",
        partner="JOR",
        msg_type=msg,
        status=AlertStatus.EXERCISE,
        sent_at=T0,
        severity=Severity.SEVERE,
        urgency=Urgency.IMMEDIATE,
        time_to_arrival_s=300.0,
        expected_at=T0 + timedelta(seconds=300),
        kinds={ThreatKind.DRONE: 1},
        headline="h",
        reason="r",
    )


def issued(a: Alert) -> Event:
    return Event(
        event_id=f"alert:{a.alert_id}:v{a.version}",
        kind="alert.issued",
        at=a.sent_at,
        payload=to_json(a),
    )


def make() -> tuple[Dispatcher, MemoryJournal]:
    d = Dispatcher(
        recipients=lambda p: (
            [u for u, q in USERS.items() if q == p] + (["usa-watch"] if p != "USA" else [])
        ),
        partner_of=USERS.__getitem__,
        retry_s=10,
    )
    return d, MemoryJournal()


def feed(d: Dispatcher, j: MemoryJournal, events: list[Event]) -> None:
    start = j.last_seq()
    j.append(events)
    d.observe(j.read(start))


def test_alert_pending_for_partner_and_cell() -> None:
    d, j = make()
    feed(d, j, [issued(alert())])
    attempts = d.due(T0, lambda u: True)
    assert sorted(e.payload["recipient"] for e in attempts) == ["jor-cmd", "jor-watch", "usa-watch"]
    assert d.due(T0 + timedelta(seconds=5), lambda u: True) == []  # not before retry_s


def test_retry_until_receipt() -> None:
    d, j = make()
    feed(d, j, [issued(alert())])
    first = d.due(T0, lambda u: u == "jor-watch")
    feed(d, j, first)
    again = d.due(T0 + timedelta(seconds=10), lambda u: u == "jor-watch")
    assert [e.payload["attempt"] for e in again] == [2]
    feed(
        d,
        j,
        [
            *again,
            receipt_event(
                alert_id=alert().alert_id,
                version=1,
                recipient="jor-watch",
                channel="console",
                at=T0,
                n=1,
            ),
        ],
    )
    assert d.due(T0 + timedelta(seconds=60), lambda u: u == "jor-watch") == []


def test_unreachable_recipient_waits_without_losing_the_delivery() -> None:
    d, j = make()
    feed(d, j, [issued(alert())])
    assert d.due(T0, lambda u: False) == []
    assert len(d.due(T0 + timedelta(seconds=1), lambda u: u == "jor-cmd")) == 1


def test_ack_by_partner_stops_partner_recipients_not_the_cell() -> None:
    d, j = make()
    feed(d, j, [issued(alert())])
    ack = Acknowledgement(
        alert_id=alert().alert_id,
        version=1,
        partner="JOR",
        user="jor-watch",
        channel="console",
        at=T0,
    )
    feed(d, j, [ack_event(ack)])
    assert [e.payload["recipient"] for e in d.due(T0, lambda u: True)] == ["usa-watch"]
    assert d.acks_for(alert().alert_id) == [ack]


def test_newer_version_supersedes_pending_older_one() -> None:
    d, j = make()
    feed(d, j, [issued(alert(1)), issued(replace(alert(2), msg_type=MsgType.UPDATE))])
    attempts = d.due(T0, lambda u: True)
    assert {e.payload["version"] for e in attempts} == {2}
    feed(d, j, [issued(alert(1))])  # a stale version read again changes nothing
    assert d.latest[alert().alert_id].version == 2


def test_state_rebuilt_from_journal_matches_live_state() -> None:
    d, j = make()
    feed(d, j, [issued(alert())])
    feed(d, j, d.due(T0, lambda u: True))
    feed(
        d,
        j,
        [
            receipt_event(
                alert_id=alert().alert_id,
                version=1,
                recipient="usa-watch",
                channel="console",
                at=T0,
                n=1,
            )
        ],
    )
    rebuilt, _ = make()
    rebuilt.observe(j.read())
    assert rebuilt.state.pending.keys() == d.state.pending.keys()
    assert rebuilt.state.delivered == d.state.delivered
    assert [p.attempts for p in rebuilt.state.pending.values()] == [
        p.attempts for p in d.state.pending.values()
    ]
