"""A partner system's signed acknowledgement names its alert: it cannot be replayed on
another alert, a signed report submission cannot pass for one, and the body admits
no field but `version`."""

from __future__ import annotations

import httpx

from tests.api.conftest import Live, drive_drone, wait_for
from tests.factories import signed, wire_report


def _acks(live: Live) -> list[dict[str, object]]:
    return [e.event.payload for e in live.journal.read() if e.event.kind == "ack.received"]


async def test_signed_acks_bind_their_alert_and_purpose(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        await drive_drone(live, c)
        jor = await live.token(c, "jor-watch")

        async def two_alerts() -> list[dict[str, object]] | None:
            alerts = (await c.get("/api/v1/alerts", headers=jor)).json()
            return alerts if len(alerts) >= 2 else None

        first, second = (await wait_for(two_alerts, "two JOR alerts"))[:2]
        path_a = f"/api/v1/alerts/{first['alert_id']}/signed-ack"
        path_b = f"/api/v1/alerts/{second['alert_id']}/signed-ack"
        now = live.clock.now()
        body, headers = signed({"version": 1}, path=path_a, at=now)
        moved = await c.post(path_b, content=body, headers=headers)
        assert moved.status_code == 401 and moved.json()["field"] == "signature"
        report_body, report_headers = signed([wire_report("x9", t=now)], at=now)
        as_ack = await c.post(path_a, content=report_body, headers=report_headers)
        assert as_ack.status_code == 401
        extra, extra_headers = signed({"version": 1, "alert_id": "other"}, path=path_a, at=now)
        refused = await c.post(path_a, content=extra, headers=extra_headers)
        assert refused.status_code == 422 and refused.json()["field"] == "alert_id"
        assert _acks(live) == []  # none of these was journaled as an acknowledgement
        ok = await c.post(path_a, content=body, headers=headers)
        assert ok.status_code == 200 and ok.json()["alert_id"] == first["alert_id"]
        replayed = await c.post(path_a, content=body, headers=headers)
        assert replayed.status_code == 401 and replayed.json()["field"] == "nonce"
    assert [a["alert_id"] for a in _acks(live)] == [first["alert_id"]]
