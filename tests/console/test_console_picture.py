"""The air picture on the page, in Chromium against a live node: a track's marker and
table row are the same elements from picture to picture (updated in place, drawn in
animation frames), and a track that leaves the picture leaves the map and the table."""

from __future__ import annotations

from datetime import timedelta

import httpx
from playwright.async_api import expect

from tests.api.conftest import PASSWORD, Live, drive_drone
from tests.console.conftest import Offline
from tests.console.test_console_browser import sign_in

MARK = """() => {
  const marker = document.querySelector('#map-box img[data-track-id="T000001"]');
  const rows = [...document.querySelectorAll("#tracks tbody tr")];
  const row = rows.find((r) => r.textContent.startsWith("T000001"));
  marker.dataset.mark = "kept"; row.dataset.mark = "kept";
}"""


async def test_tracks_update_in_place_and_ended_ones_leave(live: Live, offline: Offline) -> None:
    page = offline.page
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#map-box")).to_have_attribute("data-ready", "true")
    async with httpx.AsyncClient() as client:
        await drive_drone(live, client, 20)
        marker = page.locator('#map-box img[data-track-id="T000001"]')
        row = page.locator("#tracks tbody tr", has_text="T000001")
        await expect(marker).to_have_count(1, timeout=10_000)
        await expect(row).to_have_count(1)
        where = await row.locator("td").nth(3).inner_text()
        await page.evaluate(MARK)
        await drive_drone(live, client, 50, start_s=20)
    # Later pictures changed the row's text, on the same row and the same marker.
    await expect(row.locator("td").nth(3)).not_to_have_text(where, timeout=10_000)
    await expect(page.locator('#tracks tbody tr[data-mark="kept"]')).to_have_count(1)
    await expect(
        page.locator('#map-box img[data-track-id="T000001"][data-mark="kept"]')
    ).to_have_count(1)
    await expect(row).to_have_count(1)
    # No report for a long time: the track ends, and leaves the map and the table.
    live.clock.set(live.clock.now() + timedelta(minutes=30))
    await expect(marker).to_have_count(0, timeout=15_000)
    await expect(page.locator("#tracks tbody tr")).to_have_count(0)
    assert offline.blocked == [] and offline.errors == []
