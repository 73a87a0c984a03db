"""Read-back across retention: a poller whose cursor lies in the archived part of the
journal still gets every alert version after it (`GET /api/v1/alerts?since=`), and a
forgotten alert's CAP is still served, read from the segments."""

from __future__ import annotations

import asyncio

import httpx

from tests.api.conftest import Live, drive_drone, wait_for
from tests.api.test_alert_readback import _issued, read_back_one_at_a_time
from warnline.journal.retention import Retention, RetentionPolicy


async def test_an_archived_cursor_and_a_forgotten_cap_read_through_segments(live: Live) -> None:
    live.node.views.alert_log.retain_s = 4.0  # scenario seconds: old versions leave the log
    async with httpx.AsyncClient(timeout=10) as c:
        jor = await live.token(c, "jor-watch")
        await drive_drone(live, c, seconds=40)

        async def issued_for_jor() -> list[tuple[str, int]]:
            return _issued(live, "JOR")

        issued = await wait_for(issued_for_jor, "alerts for JOR")
        floor = live.journal.last_seq()
        retention = Retention(
            live.journal,
            policy=RetentionPolicy(segment_entries=10, keep_entries=1),
            replay_floor=lambda: floor,
        )
        step = await asyncio.to_thread(retention.step)
        first_alert = min(e.seq for e in live.journal.read() if e.event.kind == "alert.issued")
        # The first version has left the log and the database: only a segment holds it.
        assert first_alert <= min(live.node.views.alert_log.forgotten, step.archived_upto)
        got = await read_back_one_at_a_time(c, live, jor)
        assert got == _issued(live, "JOR") and len(got) >= 2 and got[: len(issued)] == issued
        alert_id, version = issued[0]
        url = f"{live.base}/api/v1/alerts/{alert_id}/cap"
        kept = await c.get(url, params={"version": version}, headers=jor)
        live.node.pipeline.alerting.history.pop(alert_id)  # forgotten: only the record has it
        again = await c.get(url, params={"version": version}, headers=jor)
        assert kept.status_code == again.status_code == 200 and again.text == kept.text
