"""The decision pipeline end to end on an in-memory journal: reports and ticks in,
incidents, alerts and assignments out; replay gives identical decisions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from tests.factories import T0, drone_path, make_report
from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.assess import Assessor
from warnline.domain import Identity, Report, ThreatKind
from warnline.ingest import report_event
from warnline.journal import Event, MemoryJournal
from warnline.picture import Picture
from warnline.pipeline import Pipeline
from warnline.response import LeadProcedure


def make_pipeline(agreement: Agreement) -> Pipeline:
    return Pipeline(
        picture=Picture(),
        assessor=Assessor(agreement=agreement),
        incidents=IncidentBook(),
        alerting=Alerting(agreement=agreement),
        assigner=LeadProcedure(agreement=agreement),
    )


def tick(at: datetime) -> Event:
    return Event(event_id=f"tick:{at.isoformat()}", kind="clock.tick", at=at)


def inputs(reports: list[Report], seconds: int) -> list[Event]:
    """One submission per partner and second, interleaved with 1 s ticks."""
    events: list[Event] = []
    by_second: dict[int, list[Report]] = {}
    for r in reports:
        by_second.setdefault(int((r.observed_at - T0).total_seconds()), []).append(r)
    for s in range(seconds):
        at = T0 + timedelta(seconds=s)
        for r in by_second.get(s, []):
            events.append(report_event(r, received_at=at, submission=f"{r.partner}-{s}"))
        events.append(tick(at + timedelta(milliseconds=500)))
    return events


def run(agreement: Agreement, events: list[Event], chunk: int = 10_000) -> list[Event]:
    j = MemoryJournal()
    j.append(events)
    p = make_pipeline(agreement)
    out: list[Event] = []
    entries = j.read()
    for i in range(0, len(entries), chunk):
        out.extend(p.process(entries[i : i + chunk]))
    return out


def two_partner_raid() -> list[Report]:
    return drone_path(T0, 30, partner="JOR", prefix="j") + [
        replace(r, partner="ISR", sensor="isr-radar", sensor_track="isr-1", report_id=f"i{i}")
        for i, r in enumerate(drone_path(T0 + timedelta(seconds=1), 29, prefix="x"))
    ]


def test_drone_towards_amman_raises_alerts_and_a_lead(agreement: Agreement) -> None:
    decisions = run(agreement, inputs(two_partner_raid(), 62))
    kinds = [e.kind for e in decisions]
    alerts = [e.payload for e in decisions if e.kind == "alert.issued"]
    assert "incident.updated" in kinds
    raised = {a["area_id"] for a in alerts if a["msg_type"] == "Alert"}
    assert {"JOR", "JOR-amman"} <= raised
    amman = next(a for a in alerts if a["area_id"] == "JOR-amman")
    assert amman["partner"] == "JOR" and 0 < amman["time_to_arrival_s"] < 1800
    offer = next(e.payload for e in decisions if e.kind == "assignment.made")
    assert offer["status"] == "offered" and offer["offered_to"] == "JOR"
    assert offer["rule"] == "sovereignty" and "sovereignty rule" in offer["explanation"]


def test_a_journaled_answer_makes_the_lead_and_replays_identically(agreement: Agreement) -> None:
    events = inputs(two_partner_raid(), 40)
    offer = next(e for e in run(agreement, events) if e.kind == "assignment.made")
    at = offer.at + timedelta(seconds=3)
    answer = Event(
        event_id="answer:1",
        kind="response.answer",
        at=at,
        payload={"incident_id": offer.payload["incident_id"], "partner": "JOR",
                 "user": "jor-cmd", "accept": True, "channel": "api", "version": 1},
    )  # fmt: skip
    later = [e for e in events if e.at < at] + [answer] + [e for e in events if e.at >= at]
    decisions = run(agreement, later)
    records = [e for e in decisions if e.kind == "assignment.made"]
    lead = next(e.payload for e in records if e.payload["status"] == "lead")
    assert lead["lead"] == "JOR" and lead["by"] == "jor-cmd" and lead["trigger"] == "accepted"
    assert [e.event_id for e in records[:2]] == [
        f"assignment:{lead['incident_id']}:v1",
        f"assignment:{lead['incident_id']}:v2",
    ]
    for chunk in (1, 5):
        again = run(agreement, later, chunk=chunk)
        assert [(e.event_id, e.payload) for e in again] == [
            (e.event_id, e.payload) for e in decisions
        ]


def test_one_object_seen_by_two_partners_is_one_incident(agreement: Agreement) -> None:
    decisions = run(agreement, inputs(two_partner_raid(), 62))
    incidents = {e.payload["incident_id"] for e in decisions if e.kind == "incident.updated"}
    assert len(incidents) == 1
    last = [e.payload for e in decisions if e.kind == "incident.updated"][-1]
    assert len(last["track_ids"]) == 1


def airliner(start: datetime, seconds: int) -> list[Report]:
    """A friendly airliner ISR reports every 4 s over the Negev: the coalition is not
    silent while it flies, so a drone that vanishes vanished on its own."""
    return [
        make_report(partner="ISR", rid=f"air{i}", t=start + timedelta(seconds=4 * i), lat=30.6,
                    lon=34.8, alt=10_000.0, east=0.0, north=230.0, kind=ThreatKind.AIRCRAFT,
                    identity=Identity.FRIEND, sensor="isr-radar", sensor_track="air")
        for i in range(seconds // 4)
    ]  # fmt: skip


def test_the_coalition_falling_silent_holds_nothing(agreement: Agreement) -> None:
    # The same drone and nothing else: when every sensor falls silent it is the
    # coalition's silence, not the drone's, and its alerts end soon after (decision 45).
    decisions = run(agreement, inputs(drone_path(T0, 20), 600))
    ends = [(e.at - T0).total_seconds() for e in decisions
            if e.kind == "alert.issued" and e.payload["msg_type"] == "Cancel"]  # fmt: skip
    assert ends and max(ends) < 300


def test_a_drone_lost_from_view_keeps_its_warnings_until_past_its_target(
    agreement: Agreement,
) -> None:
    # Reports stop at 38 s, about 28 km short of Amman at 50 m/s; with every sensor
    # silent the picture drops the track a little later. The drone flies on unseen, so
    # Amman's warning stands until its last course is past Amman (about 600 s), then
    # every alert ends.
    events = inputs(drone_path(T0, 20) + airliner(T0, 1000), 1000)
    decisions = run(agreement, events)
    alerts = [e.payload for e in decisions if e.kind == "alert.issued"]
    raised = {a["alert_id"] for a in alerts if a["msg_type"] == "Alert"}
    ended = {a["alert_id"]: a for a in alerts if a["msg_type"] in ("Cancel", "Update")
             and a.get("stage") in ("all_clear", "cancelled")}  # fmt: skip
    assert raised and raised == set(ended)
    amman = next(e for e in decisions if e.kind == "alert.issued"
                 and e.payload["area_id"] == "JOR-amman" and e.payload["alert_id"] in ended
                 and e.payload is ended[e.payload["alert_id"]])  # fmt: skip
    assert (amman.at - T0).total_seconds() > 560


def test_a_drone_that_vanishes_over_its_target_holds_nothing(agreement: Agreement) -> None:
    # Reported until 318 s, inside Amman's area (entered at about 308 s): as likely
    # struck as out of view, so its alerts end once the picture drops it, not after
    # its course has crossed Amman.
    decisions = run(agreement, inputs(drone_path(T0, 160) + airliner(T0, 1000), 1000))
    ends = {e.payload["area_id"]: (e.at - T0).total_seconds() for e in decisions
            if e.kind == "alert.issued" and e.payload["msg_type"] == "Cancel"}  # fmt: skip
    assert {"JOR", "JOR-amman"} <= set(ends)
    assert max(ends.values()) < 480


def test_replay_and_chunking_give_identical_decisions(agreement: Agreement) -> None:
    second = drone_path(T0, 30, prefix="k")
    second = [
        replace(r, position=replace(r.position, lat=r.position.lat + 0.01), sensor_track="st2")
        for r in second
    ]
    events = inputs(two_partner_raid() + second, 62)  # submissions of two reports each
    whole = run(agreement, events)
    for chunk in (1, 7, 50):
        again = run(agreement, events, chunk=chunk)
        assert [(e.event_id, e.payload) for e in again] == [(e.event_id, e.payload) for e in whole]


def late_inputs(reports: list[Report], seconds: int, lag_s: int) -> list[Event]:
    """As `inputs`, but every submission reaches the journal `lag_s` after its ticks: a
    node on a loaded machine whose ticks run on time while reports queue."""
    events: list[Event] = []
    by_second: dict[int, list[Report]] = {}
    for r in reports:
        by_second.setdefault(int((r.observed_at - T0).total_seconds()), []).append(r)
    for s in range(seconds + lag_s):
        at = T0 + timedelta(seconds=s)
        for r in by_second.get(s - lag_s, []):
            events.append(report_event(r, received_at=at, submission=f"{r.partner}-{s}"))
        events.append(tick(at + timedelta(milliseconds=500)))
    return events


def fold(agreement: Agreement, events: list[Event]) -> tuple[Pipeline, list[Event]]:
    j = MemoryJournal()
    j.append(events)
    p = make_pipeline(agreement)
    return p, p.process(j.read())


def test_a_late_node_ages_tracks_by_the_reports_not_by_its_ticks(agreement: Agreement) -> None:
    """Reports 12 s behind the ticks (coasting starts at 15 s of silence) must not make
    tracks coast, drop and be born again."""
    on_time, _ = fold(agreement, inputs(two_partner_raid(), 62))
    late, decisions = fold(agreement, late_inputs(two_partner_raid(), 62, lag_s=12))
    assert late.tracks_created == on_time.tracks_created == 1
    states = [t.state.value for t in late.picture.tracks()]
    assert states == ["confirmed"]
    assert any(e.kind == "alert.issued" for e in decisions)


def test_time_still_passes_when_every_sensor_falls_silent(agreement: Agreement) -> None:
    p, _ = fold(agreement, inputs(drone_path(T0, 10), 420))
    assert p.picture.tracks() == []  # dropped, though no report ever came after 20 s


def test_state_of_tracks_that_left_the_picture_is_forgotten(agreement: Agreement) -> None:
    """Bounded memory: after a raid of many short tracks, nothing is kept for the dead."""
    reports = []
    for k in range(30):  # thirty drones, one after another, each seen for 20 s
        start = T0 + timedelta(seconds=10 * k)
        reports += drone_path(start, 10, prefix=f"d{k}-")
    # Each is held on its last course once out of view (past Amman, at most 30 min).
    p, _ = fold(agreement, inputs(reports, 2400))
    assert p.tracks_started >= 1
    assert p.picture.tracks() == []
    assert p.assessments == {} and p._assessed_at == {} and p._last_assessed_track == {}
    assert p._dirty == {} and p._confirmed == set() and p._held == {}


class RecordingPicture(Picture):
    """The real picture, noting the size of every batch it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def ingest(self, reports):  # type: ignore[no-untyped-def]
        self.batches.append(len(reports))
        return super().ingest(reports)


def test_submissions_between_two_ticks_are_one_batch_unless_a_sensor_repeats(
    agreement: Agreement,
) -> None:
    jor = drone_path(T0, 3, partner="JOR", prefix="j")
    isr = [replace(r, partner="ISR", sensor="isr-radar", report_id=f"i{r.report_id}") for r in jor]
    events = [
        report_event(jor[0], received_at=T0, submission="JOR-1"),
        report_event(isr[0], received_at=T0, submission="ISR-1"),
        report_event(jor[1], received_at=T0, submission="JOR-2"),  # JOR's radar again
        tick(T0 + timedelta(seconds=1)),
        report_event(isr[1], received_at=T0, submission="ISR-2"),
        tick(T0 + timedelta(seconds=2)),
    ]
    for chunk in (1, 2, 10):
        j = MemoryJournal()
        j.append(events)
        p = make_pipeline(agreement)
        p.picture = picture = RecordingPicture()
        entries = j.read()
        for i in range(0, len(entries), chunk):
            p.process(entries[i : i + chunk])
        assert picture.batches == [2, 1, 1], chunk


def test_a_feed_uniformly_late_decides_as_an_on_time_one(agreement: Agreement) -> None:
    """Every report journaled a minute after it was observed (a node, or its partners,
    running behind): the tracks age by the reports' clock, so the same track confirms,
    alerts and is cancelled as when they come on time."""
    reports = drone_path(T0, 20)
    late: list[Event] = []
    for s in range(480):
        at = T0 + timedelta(seconds=s)
        for r in reports:
            if int((r.observed_at - T0).total_seconds()) + 60 == s:
                late.append(report_event(r, received_at=at, submission=f"{r.partner}-{s}"))
        late.append(tick(at + timedelta(milliseconds=500)))

    def summary(events: list[Event]) -> list[tuple[str, str]]:
        return [
            (e.payload["alert_id"], e.payload["msg_type"])
            for e in run(agreement, events)
            if e.kind == "alert.issued"
        ]

    on_time = summary(inputs(reports, 480))
    assert on_time and summary(late) == on_time


def test_a_submission_is_cut_into_one_scan_of_each_sensor_per_part() -> None:
    from warnline.pipeline import scans

    jor = drone_path(T0, 3, partner="JOR", prefix="j")  # scans at 0, 2 and 4 s
    isr = [replace(r, partner="ISR", sensor="isr-radar", report_id=f"i{i}")
           for i, r in enumerate(drone_path(T0, 2, every_s=4.0, prefix="x"))]  # fmt: skip
    parts = scans([jor[2], isr[1], jor[0], isr[0], jor[1]])
    assert [[r.report_id for r in p] for p in parts] == [["j0", "i0"], ["i1", "j1"], ["j2"]]
    assert scans(jor[:1] + isr[:1]) == [jor[:1] + isr[:1]]  # one scan each: unchanged


def test_decisions_do_not_depend_on_how_many_seconds_a_submission_holds(
    agreement: Agreement,
) -> None:
    """A partner that sends ten seconds of reports at once (it fell behind, the other
    did not) leads to the same tracks and alerts as one that sends every second."""
    reports = [replace(r, sensor_track=None) for r in two_partner_raid()]
    every_second = inputs(reports, 62)
    ten_at_once: list[Event] = []
    for e in every_second:
        if e.kind == "report.received" and e.payload["report"]["partner"] == "ISR":
            s = int((e.at - T0).total_seconds()) // 10 * 10 + 9
            sub = f"{e.payload['report']['partner']}-{s}"
            e = replace(e, at=T0 + timedelta(seconds=s), payload={**e.payload, "submission": sub})
        ten_at_once.append(e)
    ten_at_once.sort(key=lambda e: (e.at, e.kind != "report.received"))
    a, da = fold(agreement, every_second)
    b, db = fold(agreement, ten_at_once)
    assert a.tracks_started == b.tracks_started == 1
    assert {e.payload["area_id"] for e in da if e.kind == "alert.issued"} == {
        e.payload["area_id"] for e in db if e.kind == "alert.issued"
    }


def test_a_partner_minutes_late_does_not_see_its_own_tracks_drop_and_be_reborn(
    agreement: Agreement,
) -> None:
    """JOR reports on time; ISR's reports of another object reach the journal 70 s after
    they were observed (more than the drop age). ISR's track ages by ISR's own clock:
    one track, never coasting, as when ISR was on time."""
    jor = drone_path(T0, 60, partner="JOR", prefix="j")
    isr = [replace(r, partner="ISR", sensor="isr-radar", sensor_track="isr-1", report_id=f"i{i}",
                   position=replace(r.position, lat=r.position.lat + 0.5))
           for i, r in enumerate(drone_path(T0, 60, prefix="x"))]  # fmt: skip
    events: list[Event] = []
    for s in range(200):
        at = T0 + timedelta(seconds=s)
        for r in jor + isr:
            lag = 70 if r.partner == "ISR" else 0
            if int((r.observed_at - T0).total_seconds()) + lag == s:
                events.append(report_event(r, received_at=at, submission=f"{r.partner}-{s}"))
        events.append(tick(at + timedelta(milliseconds=500)))
    p = make_pipeline(agreement)
    states: set[str] = set()
    j = MemoryJournal()
    j.append(events)
    for entry in j.read():
        p.process([entry])
        if (entry.event.at - T0).total_seconds() < 150:  # both still reporting
            states |= {t.state.value for t in p.picture.tracks()}
    assert p.tracks_started == 2
    assert "coasting" not in states


class EndingPicture(Picture):
    """The real picture, noting which tracks the pipeline says are at a target."""

    def __init__(self) -> None:
        super().__init__()
        self.ending: list[tuple[datetime, frozenset[str]]] = []

    def expire(self, at, partner_marks=None, ending=frozenset()):  # type: ignore[no-untyped-def]
        self.ending.append((at, ending))
        return super().expire(at, partner_marks, ending)


def test_a_strike_weapon_is_said_to_be_at_its_target_once_its_course_reaches_it(
    agreement: Agreement,
) -> None:
    # The drone flies west at 50 m/s into Amman's defended area (about 308 s); an
    # airliner over the same sky never is, whatever it overflies.
    picture = EndingPicture()
    p = make_pipeline(agreement)
    p.picture = picture
    j = MemoryJournal()
    j.append(inputs(drone_path(T0, 170) + airliner(T0, 340), 340))
    p.process(j.read())
    named = {(at - T0).total_seconds(): ids for at, ids in picture.ending}
    drone = {tid for ids in named.values() for tid in ids}
    assert len(drone) == 1
    assert p._last_assessed_track[next(iter(drone))].kind is ThreatKind.DRONE
    first = min(t for t, ids in named.items() if ids)
    assert 280.0 <= first <= 312.0  # its corridor's first width reaches the area
    assert all(ids == drone for t, ids in named.items() if first <= t <= 338.0)
