"""The exercise's check of an incident's record: every step proved as a partner would."""

from __future__ import annotations

import copy

import httpx

from tests.api.conftest import PASSWORD, Live, drive_drone, wait_for
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.sim.record_check import check_timelines, proves

HUB = {"HUB": exercise_signing_key("HUB").verify_key}


async def test_the_cell_and_the_warned_partner_prove_every_step(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        await drive_drone(live, c)
        cell = await live.token(c, "usa-watch")

        async def alerted():  # type: ignore[no-untyped-def]
            return (await c.get("/api/v1/alerts", headers=cell)).json()

        await wait_for(alerted, "an alert")
        passwords = {"usa-watch": PASSWORD, "jor-watch": PASSWORD}
        got = await check_timelines(live.base, passwords, cell="USA", hub_keys=HUB)
        proof = (await c.get("/api/v1/audit/entries/1", headers=cell)).json()
    assert got["incidents"] >= 1 and set(got["viewers"]) == {"USA", "JOR"}
    assert got["failed"] == 0 and got["verified"] > got["steps"] > 0  # and the last records
    assert got["viewers"]["USA"]["kind.reports"] >= 1
    assert all(v["failures"] == [] for v in got["viewers"].values())
    # The check fails what does not verify: another hub's key, a body changed.
    assert proves(proof, HUB)
    assert not proves(proof, {"HUB": exercise_signing_key("JOR").verify_key})
    forged = copy.deepcopy(proof)
    forged["entry"]["event_id"] += "x"
    assert not proves(forged, HUB)
