"""A partner resending a report whose entry retention has archived: through the real HTTP
intake it is still recognised as stored (202, nothing journaled twice), and one resent
under the same id with other content is still a conflict."""

from __future__ import annotations

import asyncio

import httpx

from tests.api.conftest import Live
from tests.factories import REPORTS, signed, wire_report
from warnline.journal.kinds import Kind
from warnline.journal.retention import Retention, RetentionPolicy


async def test_a_resent_archived_report_is_not_stored_twice(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        for n in range(12):
            body, headers = signed([wire_report(f"r{n}")])
            assert (await c.post(REPORTS, content=body, headers=headers)).status_code == 202
        floor = live.journal.last_seq()
        retention = Retention(
            live.journal,
            policy=RetentionPolicy(segment_entries=4, keep_entries=1),
            replay_floor=lambda: floor,
        )
        (r0,) = [e for e in live.journal.read() if e.event.event_id == "report:JOR:r0"]
        step = await asyncio.to_thread(retention.step)
        assert step.segments >= 2 and r0.seq <= step.archived_upto  # in a segment now
        assert live.journal.archived_segments() == step.segments
        body, headers = signed([wire_report("r0")])
        again = await c.post(REPORTS, content=body, headers=headers)
        assert again.status_code == 202 and again.json()["reports"] == ["JOR/r0"]
        moved = wire_report("r0", position={"lat": 31.0, "lon": 36.6, "alt_m": 150.0})
        body, headers = signed([moved])
        changed = await c.post(REPORTS, content=body, headers=headers)
        assert changed.status_code == 409 and changed.json()["field"] == "reports.0.report_id"
    reports = [
        e.event.event_id
        for e in live.journal.read(0, live.journal.last_seq())
        if e.event.kind == Kind.REPORT
    ]
    assert reports == [f"report:JOR:r{n}" for n in range(12)]
