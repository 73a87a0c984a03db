"""Bounded memory: ended alerts and ended incidents are forgotten after their retention
period, whatever the raid's length; alert ids are never reused; read-back keeps only
recent versions and says up to which cursor it forgot."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.factories import T0, make_assessment, make_track
from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.alerting.lifecycle import AlertPolicy
from warnline.alerting.readback import AlertLog
from warnline.bench.cap import _alert
from warnline.domain import MsgType
from warnline.domain.codec import to_json
from warnline.journal import Event, MemoryJournal


def _raise_and_end(
    book: IncidentBook, alerting: Alerting, n: int, start_s: float
) -> tuple[list[str], float]:
    """`n` alerts for Amman, one after the other, each raised by a fresh track that is
    then lost (its incident ends and the alert is cancelled); return their ids and the
    time reached."""
    ids, s = [], start_s
    for i in range(n):
        tr = make_track(track_id=f"T{i + 1:06d}")
        at = T0 + timedelta(seconds=s)
        book.update([tr], [], at)
        risk = {tr.track_id: make_assessment(tr, at, [("JOR-amman", "JOR", 600)])}
        (raised,) = alerting.evaluate(book, risk, at)
        ids.append(raised.alert_id)
        book.update([], [tr.track_id], at + timedelta(seconds=1))
        for step in range(2, 40, 2):
            alerting.evaluate(book, {}, at + timedelta(seconds=step))
        assert raised.alert_id not in alerting.active
        s += 60
    return ids, s


def test_ended_alerts_leave_history_after_retention_and_ids_are_never_reused(
    agreement: Agreement,
) -> None:
    book = IncidentBook()
    alerting = Alerting(agreement=agreement, policy=AlertPolicy(retain_ended_s=300))
    ids, s = _raise_and_end(book, alerting, 30, 0)
    # One alert ended a minute: those of the last 5 minutes (and a little) are held.
    assert len(alerting.history) <= 6
    assert ids[-1] in alerting.history and ids[0] not in alerting.history
    assert len(set(ids)) == 30 and ids[:3] == ["A-JOR-amman", "A-JOR-amman-2", "A-JOR-amman-3"]
    # A long quiet spell forgets every ended alert; the next one still gets a fresh id.
    alerting.evaluate(book, {}, T0 + timedelta(seconds=s + 400))
    assert alerting.history == {}
    more, _ = _raise_and_end(book, alerting, 1, s + 500)
    assert more == ["A-JOR-amman-31"]


def test_ended_incidents_are_forgotten_after_retention() -> None:
    book = IncidentBook(retain_s=300)
    for i in range(30):
        tr = make_track(track_id=f"T{i + 1:06d}")
        at = T0 + timedelta(seconds=60 * i)
        book.update([tr], [], at)
        book.update([], [tr.track_id], at + timedelta(seconds=1))
    assert len(book.incidents) <= 6 and book.open_incidents() == []
    assert len(book._members) == len(book.incidents)
    book.update([], [], T0 + timedelta(seconds=60 * 30 + 400))
    assert book.incidents == {}


def test_a_live_incident_is_never_forgotten() -> None:
    book = IncidentBook(retain_s=60)
    tr = make_track()
    book.update([tr], [], T0)
    book.update([tr], [], T0 + timedelta(hours=3))
    assert [i.ended for i in book.incidents.values()] == [False]


def test_readback_log_forgets_versions_older_than_retention_and_says_where() -> None:
    journal = MemoryJournal()
    base = _alert()
    log = AlertLog(lambda _id, _v: None, retain_s=300)
    for n in range(1, 61):  # one version a minute for an hour
        at = T0 + timedelta(minutes=n)
        version = replace(base, version=n, sent_at=at, msg_type=MsgType.UPDATE)
        journal.append(
            [Event(event_id=f"alert:{n}", kind="alert.issued", at=at, payload=to_json(version))]
        )
    log.observe(journal.read())
    held = [a.version for _, a in log.after(0)]
    assert held == list(range(55, 61)) and len(log) == 6
    assert log.forgotten == 54 and log.last == 60
    # What it forgot is still in the journal, found by kind between two cursors.
    old = journal.read_kind("alert.issued", 10, log.forgotten, 100)
    assert [e.seq for e in old] == list(range(11, 55))
