"""Properties of the lead-partner procedure under any order of ticks, answers (from the
right partner or not), overrides, readiness changes and moves between sectors:
- at most one lead per incident at any time, and a lead changes only by an accepted
  offer, a hand-over or the cell's override;
- every confirmed hostile incident has a lead or is escalated within the agreed time;
- every record's explanation names the rule that decided it."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.response.helpers import ABU_DHABI, AMMAN, CAIRO, RIYADH, alert, at, by_id, incident
from warnline.agreement.load import default_agreement
from warnline.domain import Alert, Assignment, AssignmentStatus, Position
from warnline.domain.incident import Readiness, ReadinessStatus
from warnline.response import LeadProcedure

AGREEMENT = default_agreement()
CODES = sorted(AGREEMENT.partners)
AREAS = sorted((a.area_id, a.partner, a.name) for a in AGREEMENT.areas if not a.geometry.is_empty)
PLACES = [AMMAN, RIYADH, CAIRO, ABU_DHABI, None]
SECTORS = [s.sector_id for s in AGREEMENT.response.sectors]
MAX_STEP_S = 12.0


@dataclass(frozen=True)
class World:
    alerts: dict[str, list[tuple[int, float]]]  # incident -> (area index, tta)
    actions: list[tuple[object, ...]]


def _incidents() -> st.SearchStrategy[dict[str, list[tuple[int, float]]]]:
    threat = st.lists(
        st.tuples(st.integers(0, len(AREAS) - 1), st.floats(0, 900)), min_size=0, max_size=4
    )
    return st.lists(threat, min_size=1, max_size=3).map(
        lambda ts: {f"I{i:05d}": t for i, t in enumerate(ts, start=1)}
    )


ACTION = st.one_of(
    st.tuples(st.just("tick"), st.floats(0.5, MAX_STEP_S)),
    st.tuples(st.just("answer"), st.integers(1, 3),
              st.one_of(st.just("offered"), st.sampled_from(CODES)), st.booleans()),
    st.tuples(st.just("answer"), st.integers(1, 3), st.just("offered"), st.just(True)),
    st.tuples(st.just("override"), st.integers(1, 3), st.sampled_from(CODES)),
    st.tuples(st.just("move"), st.integers(1, 3), st.sampled_from(range(len(PLACES)))),
    st.tuples(st.just("ready"), st.sampled_from(CODES), st.sampled_from(SECTORS),
              st.sampled_from(list(ReadinessStatus)), st.floats(0, 300)),
)  # fmt: skip


def _alerts_of(world: dict[str, list[tuple[int, float]]], now_s: float) -> dict[str, Alert]:
    out: list[Alert] = []
    for inc, threats in world.items():
        for idx, tta in threats:
            area_id, partner, name = AREAS[idx]
            out.append(alert(area_id, partner, tta, name, incident_id=inc))
    return by_id(*out)


def _run(world: dict[str, list[tuple[int, float]]], actions: list[tuple[object, ...]]) -> tuple[
    list[Assignment], dict[str, float], float
]:  # fmt: skip
    p = LeadProcedure(agreement=AGREEMENT)
    incidents = [incident(i) for i in sorted(world)]
    positions: dict[str, Position] = {}
    alerts = _alerts_of(world, 0)
    t = 0.0
    records: list[Assignment] = []
    confirmed: dict[str, float] = {}

    def tick() -> None:
        for inc in incidents:
            confirmed.setdefault(inc.incident_id, t)
        records.extend(p.evaluate(incidents, alerts, at(t), positions))

    tick()
    limit = AGREEMENT.response.decide_within_s
    for action in [*actions, *[("tick", MAX_STEP_S)] * int(limit / MAX_STEP_S + 2)]:
        kind = action[0]
        inc_id = f"I{int(action[1]):05d}" if kind in ("answer", "override", "move") else ""
        if kind == "tick":
            t += float(action[1])  # type: ignore[arg-type]
            tick()
        elif kind == "answer":
            cur = p.current(inc_id)
            who = str(action[2])
            if who == "offered":
                who = (cur.offered_to if cur else None) or "JOR"
            records += p.answer(inc_id, who, bool(action[3]), f"{who.lower()}-cmd", at(t))
        elif kind == "override":
            records += p.override(inc_id, str(action[2]), "usa-watch", "test", at(t))
        elif kind == "move":
            place = PLACES[int(action[2])]  # type: ignore[call-overload]
            if place is None:
                positions.pop(inc_id, None)
            else:
                positions[inc_id] = place
        else:
            _, code, sector, status, ttr = action
            p.declare(Readiness(partner=str(code), sector=str(sector),
                                status=ReadinessStatus(status), time_to_respond_s=float(ttr)))  # type: ignore[arg-type]  # fmt: skip
    return records, confirmed, t


@settings(max_examples=150, deadline=None)
@given(world=_incidents(), actions=st.lists(ACTION, max_size=40))
def test_procedure_properties(
    world: dict[str, list[tuple[int, float]]], actions: list[tuple[object, ...]]
) -> None:
    records, confirmed, end = _run(world, actions)
    by_incident: dict[str, list[Assignment]] = {}
    for r in records:
        by_incident.setdefault(r.incident_id, []).append(r)
        assert f"{r.rule} rule" in r.explanation, r  # the explanation names the deciding rule
    limit = AGREEMENT.response.decide_within_s
    for inc, when in confirmed.items():
        recs = by_incident.get(inc, [])
        assert [r.version for r in recs] == list(range(1, len(recs) + 1))
        lead: str | None = None
        for r in recs:
            # One lead at most: a record names one lead, or none; an offer never goes to
            # the partner already leading; the lead changes only by the rules.
            if r.status is AssignmentStatus.LEAD:
                assert r.lead is not None
                if r.lead != lead:
                    assert r.trigger in ("accepted", "override")
            elif r.status is AssignmentStatus.ESCALATED:
                assert r.lead is None and lead is None
            else:
                assert r.lead == lead and r.offered_to is not None
                if r.purpose == "lead":
                    assert r.offered_to != lead
            lead = r.lead
        # Every confirmed hostile incident: lead or escalation within the agreed time.
        assert end - when > limit
        decided = [
            r for r in recs if r.status in (AssignmentStatus.LEAD, AssignmentStatus.ESCALATED)
        ]
        assert decided, f"{inc} neither led nor escalated"
        assert (decided[0].decided_at - at(when)).total_seconds() <= limit + MAX_STEP_S
