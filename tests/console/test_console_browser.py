"""The operators' console in a real browser (Chromium), against a live node on 127.0.0.1,
with every non-loopback request blocked: sign in, see the alert, acknowledge it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.async_api import expect

from tests.api.conftest import PASSWORD, Live, drive_drone, wait_for
from tests.console.conftest import Offline
from tests.factories import failed_webhook_results

COUNTDOWN = re.compile(r"^T-\d+:[0-5]\d$")


async def sign_in(offline: Offline, live: Live, user: str, password: str) -> None:
    page = offline.page
    await page.goto(f"{live.base}/")
    await page.get_by_label("Username", exact=True).fill(user)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def test_watch_officer_acknowledges_alert_in_browser(
    live: Live, offline: Offline, tmp_path: Path
) -> None:
    page = offline.page
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#console-view")).to_be_visible()
    await expect(page.locator("#banner")).to_be_visible()
    await expect(page.locator("#banner")).to_have_text("EXERCISE EXERCISE EXERCISE")
    await expect(page.locator("#link")).to_have_text("online")
    await expect(page.locator("#who")).to_have_text("jor-watch (JOR, watch)")

    async with httpx.AsyncClient() as client:
        await drive_drone(live, client)

    ack_button = page.get_by_role("button", name="Acknowledge Amman", exact=True)
    alert = page.locator("#alerts > li").filter(has=ack_button)
    await expect(alert).to_have_count(1, timeout=15_000)
    await expect(alert).to_contain_text("Amman")
    await expect(alert).to_contain_text("[EXERCISE]")
    await expect(alert.locator(".countdown")).to_have_text(COUNTDOWN)
    await expect(alert.locator(".shelter")).to_contain_text("time to shelter 300 s")
    await expect(alert).to_contain_text("EARLY WARNING")
    assert await alert.locator(".countdown").inner_text() != "T-0:00"
    alert_id = await alert.get_attribute("data-alert-id")
    assert alert_id

    await ack_button.click()
    acked = page.locator(f'li[data-alert-id="{alert_id}"]')
    await expect(acked).to_contain_text("Acknowledged by jor-watch")
    await expect(acked).to_have_class(re.compile(r"\backed\b"))
    await expect(ack_button).to_have_count(0)
    await page.screenshot(path=str(tmp_path / "console.png"), full_page=True)

    async def journaled():  # type: ignore[no-untyped-def]
        events = [e.event for e in live.journal.read()]
        acks = [
            e
            for e in events
            if e.kind == "ack.received"
            and e.payload["alert_id"] == alert_id
            and e.payload["user"] == "jor-watch"
            and e.payload["channel"] == "console"
        ]
        results = [
            e
            for e in events
            if e.kind == "delivery.result"
            and e.payload["alert_id"] == alert_id
            and e.payload["recipient"] == "jor-watch"
        ]
        return acks and results

    await wait_for(journaled, "ack.received and delivery.result in the journal")
    assert offline.blocked == [], f"the console reached beyond 127.0.0.1: {offline.blocked}"
    assert offline.errors == []


async def test_wrong_password_is_refused_in_browser(live: Live, offline: Offline) -> None:
    page = offline.page
    await sign_in(offline, live, "jor-watch", "not the password")
    await expect(page.get_by_role("alert")).to_have_text("unknown user or wrong password")
    await expect(page.locator("#login-view")).to_be_visible()
    await expect(page.locator("#console-view")).to_be_hidden()
    await expect(page.locator("#banner")).to_be_hidden()
    await expect(page.locator("#link")).to_have_text("offline")
    assert offline.blocked == []


async def test_requests_beyond_loopback_are_blocked(live: Live, offline: Offline) -> None:
    """The blocking the tests above rely on works: the console's origin is reachable, a
    remote address is not, by fetch or by WebSocket. (Probed from a JSON answer: the
    console page's own content policy would refuse both before the network does.)"""
    page = offline.page
    await page.goto(f"{live.base}/healthz")
    outcome = await page.evaluate(
        """async () => {
            const get = (u) => fetch(u).then((r) => r.status, () => "failed");
            const socket = (u) => new Promise((done) => {
                const ws = new WebSocket(u);
                ws.onopen = () => done("open");
                ws.onclose = (e) => done(`closed ${e.code}`);
            });
            return [await get("/healthz"), await get("https://example.com/tiles/0/0/0.png"),
                    await socket("wss://example.com/stream")];
        }"""
    )
    assert outcome == [200, "failed", "closed 1008"]
    assert offline.blocked == [
        "https://example.com/tiles/0/0/0.png",
        "wss://example.com/stream",
    ]


async def test_commander_accepts_lead_and_cell_can_override_in_browser(
    patient: Live, offline: Offline
) -> None:
    live, page = patient, offline.page
    await sign_in(offline, live, "jor-cmd", PASSWORD)
    await expect(page.locator("#who")).to_have_text("jor-cmd (JOR, commander)")
    async with httpx.AsyncClient() as client:
        await drive_drone(live, client)
    accept = page.get_by_role("button", name="Accept lead", exact=True)
    await expect(accept).to_have_count(1, timeout=15_000)
    offer = page.locator("#offers > li").filter(has=accept)
    await expect(offer).to_contain_text("lead offered to JOR (sovereignty rule)")
    await expect(offer.locator("details")).to_contain_text("1. JOR (sovereignty)")
    await accept.click()
    await expect(page.locator("#assignments > li")).to_contain_text("lead: JOR", timeout=10_000)
    await expect(accept).to_have_count(0)
    answers = [e.event for e in live.journal.read() if e.event.kind == "response.answer"]
    assert answers and answers[0].payload["channel"] == "console"
    # The cell sees the override control; the commander does not.
    assert await page.get_by_role("button", name="Override lead").count() == 0
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.locator("#login-view")).to_be_visible()
    await sign_in(offline, live, "usa-watch", PASSWORD)
    await expect(page.get_by_role("button", name="Override lead")).to_have_count(1)
    assert offline.blocked == [] and offline.errors == []


async def test_cell_console_shows_a_dead_channel(live: Live, offline: Offline) -> None:
    """Two failed results in a row on one route (journaled, as a channel reports them)
    make it dead; the coordination cell's console says so."""
    page = offline.page
    await sign_in(offline, live, "usa-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    notice = page.locator("#channel-notice")
    await expect(notice).to_be_hidden()
    failed = failed_webhook_results("test", live.clock.now(), route="egy-aoc.example.invalid")
    await live.node.inbox.append(failed)
    await expect(notice).to_be_visible(timeout=10_000)
    await expect(notice).to_contain_text("Channel down: EGY webhook")
    await expect(notice).not_to_contain_text("egy-aoc.example.invalid")
    assert offline.blocked == []
