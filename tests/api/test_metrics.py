"""/metrics: behind a scrape credential, and each scraper reads only what is released to it."""

from __future__ import annotations

import httpx

from tests.api.conftest import SCRAPE_TOKEN, Live
from tests.factories import signed, wire_report


async def _report(c: httpx.AsyncClient, partner: str) -> None:
    body, headers = signed([wire_report(f"{partner}-1")], partner=partner)
    assert (await c.post("/api/v1/reports", content=body, headers=headers)).status_code == 202


async def test_metrics_need_a_credential_and_show_only_released_partners(
    coalition: Live,
) -> None:
    async with httpx.AsyncClient(base_url=coalition.base) as c:
        await _report(c, "QAT")  # the member whose membership is private
        await _report(c, "JOR")
        anonymous = await c.get("/metrics")
        assert anonymous.status_code == 401 and "QAT" not in anonymous.text
        wrong = await c.get("/metrics", headers={"authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        watch = await c.get("/metrics", headers=await coalition.token(c, "jor-watch"))
        assert watch.status_code == 403 and "QAT" not in watch.text

        scrape = await c.get("/metrics", headers={"authorization": f"Bearer {SCRAPE_TOKEN}"})
        assert scrape.status_code == 200  # the hub operator's scraper: the cell's view
        assert 'partner="QAT"' in scrape.text and "warnline_journal_seq" in scrape.text

        jor = await c.get("/metrics", headers=await coalition.token(c, "jor-admin"))
        assert jor.status_code == 200
        assert 'warnline_reports_accepted_total{partner="JOR"} 1.0' in jor.text
        assert "QAT" not in jor.text and 'partner="' + "JOR" in jor.text
        assert {line.split("{")[0].split(" ")[0] for line in jor.text.splitlines()
                if line and not line.startswith("#")} == {
            "warnline_reports_accepted_total",
            "warnline_reports_accepted_created",
            "warnline_alerts_active",
            "warnline_consoles_online",
        }  # fmt: skip
        # Node-wide counts (tracks, journal, rejections) would count what JOR may not see.
        qat = await c.get("/metrics", headers=await coalition.token(c, "qat-admin"))
        assert 'partner="QAT"' in qat.text and "JOR" not in qat.text
