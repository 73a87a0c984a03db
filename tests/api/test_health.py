"""/healthz says "degraded", with the reason, while the decision loop is held up
(issue 10, finding 1: it used to say "ok" while no decision was made)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.api.conftest import Live, wait_for
from tests.factories import signed, wire_report


async def test_health_degrades_while_decisions_are_held_and_recovers(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = asyncio.Event()
    release = asyncio.Event()

    async def stuck_step(*args: Any) -> None:  # a pass of the loop that does not return
        held.set()
        await release.wait()

    monkeypatch.setattr(live.node.outreach, "step", stuck_step)
    async with httpx.AsyncClient(base_url=live.base) as c:
        for rid in ("h1", "h2"):  # the first starts the held pass, the second waits behind it
            body, headers = signed([wire_report(rid, t=live.clock.now())])
            assert (await c.post("/api/v1/reports", content=body, headers=headers)).is_success
            await asyncio.wait_for(held.wait(), 5)

        async def health(status: str) -> dict[str, Any] | None:
            body: dict[str, Any] = (await c.get("/healthz")).json()
            return body if body["status"] == status else None

        degraded = await wait_for(lambda: health("degraded"), "degraded", timeout_s=5.0)
        assert degraded["decision_lag_entries"] > 0 and degraded["journal_seq"] > 0
        assert any(r.startswith("decision loop ") for r in degraded["reasons"]), degraded
        release.set()
        ok = await wait_for(lambda: health("ok"), "ok again", timeout_s=5.0)
        assert ok["reasons"] == [] and ok["decision_lag_s"] < 1.0
