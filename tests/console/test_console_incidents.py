"""Incidents and record in the browser: the list, one incident's timeline, and each step's
entry proved in the page against the signed head; by keyboard alone, in three languages.
Screenshots go to the test's tmp dir."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.async_api import expect

from tests.api.conftest import PASSWORD, Live, drive_drone
from tests.console.conftest import Offline
from tests.console.test_console_browser import sign_in

PROVED = re.compile(
    r"In the signed record: entry \d+ of \d+ .*signed by HUB\); "
    r"proof and signature checked in this browser"
)


async def test_timeline_steps_are_proved_in_the_browser_by_keyboard(
    live: Live, offline: Offline, tmp_path: Path
) -> None:
    page = offline.page
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    async with httpx.AsyncClient() as client:
        await drive_drone(live, client)
    ack = page.get_by_role("button", name="Acknowledge Amman", exact=True)
    await expect(ack).to_have_count(1, timeout=15_000)
    await ack.focus()
    await page.keyboard.press("Enter")
    await expect(ack).to_have_count(0)

    panel = page.get_by_role("region", name="Incidents and record")
    await expect(panel).to_be_visible()
    incident = panel.locator("button.incident").filter(has_text="Amman")
    await expect(incident).to_have_count(1, timeout=15_000)
    # The most urgent stage of its alerts, the areas, who leads, what it is.
    await expect(incident).to_have_text(
        re.compile(r"· (TAKE SHELTER|EARLY WARNING) · .*Amman.* · lead .* · 1 drone$")
    )
    await incident.focus()
    await page.keyboard.press("Enter")
    title = page.locator("#timeline-title")
    await expect(title).to_have_text(re.compile(r"^Timeline of I"))
    await expect(title).to_be_focused()  # focus went to what was opened
    await expect(incident).to_have_attribute("aria-pressed", "true")

    steps = page.locator("#timeline-steps tr")
    await expect(steps.filter(has_text="Acknowledgement")).to_have_count(1, timeout=15_000)
    await expect(steps.filter(has_text="Reports").first).to_contain_text("reports of T")
    await expect(steps.filter(has_text="· Amman · v1").first).to_contain_text("Alert")

    # Tab from the heading reaches the first step's record; Enter proves it.
    await page.keyboard.press("Tab")
    first = steps.first.locator("button.record")
    await expect(first).to_be_focused()
    await expect(first).to_have_text(re.compile(r"^Record #\d+$"))
    await page.keyboard.press("Enter")
    proof = steps.first.locator(".proof")
    await expect(proof).to_have_text(PROVED)
    await expect(proof).to_have_attribute("data-verified", "true")
    await expect(first).to_have_attribute("aria-expanded", "true")
    # The acknowledgement's record too.
    ack_record = steps.filter(has_text="Acknowledgement").locator("button.record")
    await ack_record.focus()
    await page.keyboard.press("Enter")
    await expect(steps.filter(has_text="Acknowledgement").locator(".proof")).to_have_attribute(
        "data-verified", "true"
    )
    await page.screenshot(path=str(tmp_path / "incidents.png"), full_page=True)

    # A proof changed on its way fails in the page: the browser checks, not the server.
    await page.route(
        re.compile(r".*/api/v1/audit/entries/\d+$"),
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=_tampered(route.request.url, live),
        ),
    )
    await page.keyboard.press("Enter")  # closes it
    await page.keyboard.press("Enter")  # and asks again, through the tampering route
    await expect(steps.filter(has_text="Acknowledgement").locator(".proof")).to_have_attribute(
        "data-verified", "false"
    )
    await expect(steps.filter(has_text="Acknowledgement").locator(".proof")).to_have_text(
        re.compile("The proof does not lead to the signed head")
    )
    # A head whose root the path still reaches but whose body was changed after signing:
    # the inclusion holds, the hub's signature does not.
    await page.unroute(re.compile(r".*/api/v1/audit/entries/\d+$"))
    await page.route(
        re.compile(r".*/api/v1/audit/entries/\d+$"),
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=_tampered(route.request.url, live, part="head"),
        ),
    )
    await page.keyboard.press("Enter")
    await page.keyboard.press("Enter")
    await expect(steps.filter(has_text="Acknowledgement").locator(".proof")).to_have_text(
        re.compile("The head's signature does not verify with the hub's key")
    )
    await expect(steps.filter(has_text="Acknowledgement").locator(".proof")).to_have_attribute(
        "data-verified", "false"
    )
    assert offline.blocked == [] and offline.errors == []


def _tampered(url: str, live: Live, part: str = "path") -> str:
    """The entry's real proof with one hash of its path changed, or with its head's
    timestamp moved a second (the signature then covers another body)."""
    import json

    seq = int(url.rsplit("/", 1)[1])
    views = live.node.views
    real = views.record_entry(views.coordination_cell, seq, set())
    if part == "path":
        real["audit_path"][0] = "0" * 64
    else:
        stamp = real["head"]["timestamp"]
        real["head"]["timestamp"] = stamp[:18] + str((int(stamp[18]) + 1) % 10) + stamp[19:]
    return json.dumps(real)


async def test_incidents_panel_in_arabic_and_hebrew(
    live: Live, offline: Offline, tmp_path: Path
) -> None:
    page = offline.page
    await sign_in(offline, live, "usa-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    async with httpx.AsyncClient() as client:
        await drive_drone(live, client)
    incident = page.locator("#incident-list button.incident").first
    await expect(incident).to_be_visible(timeout=15_000)
    await incident.click()
    await expect(page.locator("#timeline-steps tr").first).to_be_visible()

    await page.get_by_label("Language").select_option("ar")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.get_by_role("region", name="الحوادث والسجل")).to_be_visible()
    await expect(page.locator("#timeline-title")).to_contain_text("التسلسل الزمني")
    await expect(page.locator("#timeline thead")).to_contain_text("الخطوة")
    await expect(page.locator("#timeline-steps tr").first.locator("button.record")).to_have_text(
        re.compile(r"^القيد رقم \d+$")
    )
    await expect(page.locator("#timeline-steps")).to_contain_text("بلاغات")
    direction = await page.locator("#timeline").evaluate("el => getComputedStyle(el).direction")
    assert direction == "rtl"
    await page.screenshot(path=str(tmp_path / "incidents-ar.png"), full_page=True)

    await page.get_by_label("Language").select_option("he")
    await expect(page.get_by_role("region", name="אירועים ורשומה")).to_be_visible()
    await expect(page.locator("#timeline-steps")).to_contain_text("דיווחים")
    await page.screenshot(path=str(tmp_path / "incidents-he.png"), full_page=True)
    await page.get_by_label("Language").select_option("en")
    await expect(page.get_by_role("region", name="Incidents and record")).to_be_visible()
    assert offline.errors == []
