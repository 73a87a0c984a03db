"""The action strip in Chromium: a commander answers a lead offer against its countdown;
the coordination cell overrides with a reason and a confirmation, filters by partner,
and sees a channel that died before it signed in, named by partner and channel."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

import httpx
from playwright.async_api import expect

from tests.api.conftest import PASSWORD, Live, drive_drone, wait_for
from tests.console.conftest import Offline
from tests.console.test_console_browser import sign_in
from tests.factories import T0, failed_webhook_results, signed, wire_report
from warnline.journal import Event
from warnline.journal.kinds import Kind

ANSWER_WITHIN = re.compile(r"^Lead offer: answer within (\d+):([0-5]\d)$")


async def test_commander_answers_an_offer_against_its_countdown(
    patient: Live, offline: Offline, tmp_path: Path
) -> None:
    live, page = patient, offline.page
    await sign_in(offline, live, "jor-cmd", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    async with httpx.AsyncClient() as client:
        await drive_drone(live, client)
    offer = page.locator("#offers > li")
    await expect(offer).to_have_count(1, timeout=15_000)
    countdown = offer.locator(".offer-countdown")
    await expect(countdown).to_have_text(ANSWER_WITHIN)
    m = ANSWER_WITHIN.match(await countdown.inner_text())
    assert m
    left = int(m[1]) * 60 + int(m[2])
    assert 0 < left <= 600  # the offer's deadline (offer_timeout_s = 600) from the node's time
    await expect(offer.get_by_role("button", name="Decline")).to_be_visible()
    await page.screenshot(path=str(tmp_path / "offer.png"), full_page=True)
    await offer.get_by_role("button", name="Accept lead").click()
    await expect(offer).to_have_count(0, timeout=10_000)
    await expect(page.locator("#assignments > li")).to_contain_text("lead: JOR")
    assert offline.blocked == [] and offline.errors == []


async def test_cell_overrides_with_reason_and_confirmation(
    patient: Live, offline: Offline, tmp_path: Path
) -> None:
    live, page = patient, offline.page
    await sign_in(offline, live, "usa-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    async with httpx.AsyncClient() as client:
        await drive_drone(live, client)
    item = page.locator("#assignments > li").filter(has_text="lead offered to JOR")
    await expect(item).to_have_count(1, timeout=15_000)
    await item.get_by_role("button", name="Override lead").click()
    dialog = page.locator("#override-dialog")
    await expect(dialog).to_be_visible()
    lead = page.get_by_label("New lead")
    await expect(lead).to_have_value("JOR")  # the current candidate, not the first in the list
    await expect(page.get_by_label("Reason")).to_be_focused()

    def overrides() -> list[Event]:
        return [e.event for e in live.journal.read() if e.event.kind == Kind.OVERRIDE]

    await page.get_by_role("button", name="Confirm override").click()
    await expect(dialog.get_by_role("alert")).to_contain_text("Give the reason")
    await expect(dialog).to_be_visible()
    assert overrides() == []

    await lead.select_option("USA")
    await page.get_by_label("Reason").fill("JOR commander unreachable on every channel")
    await page.screenshot(path=str(tmp_path / "override.png"), full_page=True)
    await page.get_by_role("button", name="Confirm override").click()
    await expect(dialog).to_be_hidden()

    async def overridden() -> list[Event]:
        return overrides()

    done = await wait_for(overridden, "the override in the journal")
    assert done[0].payload["lead"] == "USA"
    assert done[0].payload["reason"] == "JOR commander unreachable on every channel"
    await expect(page.locator("#assignments > li")).to_contain_text("lead: USA", timeout=10_000)

    # The partner filter: JOR's alerts go when another partner is chosen, and come back.
    alerts = page.locator("#alerts > li, #handled > li")
    await expect(alerts).not_to_have_count(0)
    shown = await alerts.count()
    await page.get_by_label("Partner", exact=True).select_option("ISR")
    await expect(alerts).to_have_count(0)
    await page.get_by_label("Partner", exact=True).select_option("JOR")
    await expect(alerts).to_have_count(shown)
    assert offline.blocked == [] and offline.errors == []


async def test_cell_signing_in_after_a_channel_died_sees_it(live: Live, offline: Offline) -> None:
    failed = failed_webhook_results("early", live.clock.now(), route="10.20.30.40:8443")
    await live.node.inbox.append(failed)
    await wait_for(lambda: _any_dead(live), "the channel dead in the node's health", timeout_s=10.0)
    page = offline.page
    await sign_in(offline, live, "usa-watch", PASSWORD)
    notice = page.locator("#channel-notice")
    await expect(notice).to_be_visible()
    await expect(notice).to_contain_text("Channel down: EGY webhook")
    await expect(notice).not_to_contain_text("10.20.30.40")


async def _any_dead(live: Live) -> bool:
    return any(c["status"] == "dead" for c in live.node.views.channel_health())


async def drive_isr_drone(live: Live, client: httpx.AsyncClient, seconds: int = 20) -> None:
    """A drone over Israel flying west towards Tel Aviv, reported by ISR every 2 s."""
    for i in range(0, seconds, 2):
        t = T0 + timedelta(seconds=i)
        live.clock.set(t + timedelta(seconds=1))
        lon = 35.1 - (50.0 * i) / (111_320.0 * 0.847)
        body, headers = signed(
            [wire_report(f"i{i}", t=t, position={"lat": 32.08, "lon": lon, "alt_m": 150.0})],
            partner="ISR",
        )
        r = await client.post(f"{live.base}/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 202, r.text
        await asyncio.sleep(0.06)


async def test_two_roles_must_acknowledge_where_the_agreement_says_so(
    live: Live, offline: Offline, tmp_path: Path
) -> None:
    """Israel's rule is each_role: the watch officer's acknowledgement leaves the
    commander's button, which stays until the commander acknowledges too."""
    watch = offline.page
    await sign_in(offline, live, "isr-watch", PASSWORD)
    await expect(watch.locator("#link")).to_have_text("online")
    async with httpx.AsyncClient() as client:
        await drive_isr_drone(live, client)
    card = watch.locator("#alerts > li.needs-me").first
    await expect(card).to_have_count(1, timeout=15_000)
    alert_id = await card.get_attribute("data-alert-id")
    assert alert_id
    mine = watch.locator(f'li[data-alert-id="{alert_id}"]')
    await expect(mine.locator(".progress")).to_contain_text("Waiting for: commander, watch")
    await mine.locator("button.ack").click()
    await expect(mine.locator(".progress")).to_contain_text("Waiting for: commander")
    await expect(mine.locator(".progress")).not_to_contain_text("watch (each")
    await expect(mine.locator("button.ack")).to_be_hidden()
    await expect(watch.locator(f'#alerts > li[data-alert-id="{alert_id}"]')).to_have_count(1)

    commander = await watch.context.new_page()  # its own tab: its own session
    await commander.goto(f"{live.base}/")
    await commander.get_by_label("Username", exact=True).fill("isr-cmd")
    await commander.get_by_label("Password").fill(PASSWORD)
    await commander.get_by_role("button", name="Sign in").click()
    theirs = commander.locator(f'li[data-alert-id="{alert_id}"]')
    await expect(theirs.locator("button.ack")).to_be_visible(timeout=10_000)
    await expect(theirs).to_contain_text("Acknowledged by isr-watch")
    await commander.screenshot(path=str(tmp_path / "two-roles-commander.png"), full_page=True)
    await theirs.locator("button.ack").click()
    await expect(commander.locator(f'#handled > li[data-alert-id="{alert_id}"]')).to_have_count(1)
    await expect(watch.locator(f'#handled > li[data-alert-id="{alert_id}"]')).to_have_count(1)
    assert offline.blocked == [] and offline.errors == []
