"""The console through a shift, in Chromium against a live node: the alarm rings until
acknowledged, the most urgent alert is on top, a reload keeps the session, an
acknowledgement made offline is delivered on reconnect, the phone layout fits 390 px,
and focus survives live updates. Screenshots go to the test's tmp dir."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, WebSocketRoute, expect

from tests.api.conftest import PASSWORD, Live, drive_drone, wait_for
from tests.console.conftest import Offline
from tests.console.test_console_browser import sign_in
from tests.factories import T0, signed, wire_report

# Records what the page asks of Web Audio and of the Notification API.
HOOKS = """
window.__alarm = { starts: 0, stops: 0, durations: [], notes: [] };
const S = AudioBufferSourceNode.prototype, start = S.start, stop = S.stop;
S.start = function (...a) {
  window.__alarm.starts++; window.__alarm.durations.push(this.buffer ? this.buffer.duration : 0);
  return start.apply(this, a);
};
S.stop = function (...a) { window.__alarm.stops++; return stop.apply(this, a); };
class RecordedNotification {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__alarm.notes.push({ title, ...options }); }
  close() {}
}
window.Notification = RecordedNotification;
"""


async def alarm(page: Page) -> dict[str, Any]:
    got: dict[str, Any] = await page.evaluate("window.__alarm")
    return got


def acked_by(live: Live, alert_id: str, user: str) -> bool:
    return any(
        e.event.kind == "ack.received"
        and e.event.payload["alert_id"] == alert_id
        and e.event.payload["user"] == user
        for e in live.journal.read()
    )


async def first_alert(page: Page, live: Live, area: str = "Amman") -> str:
    async with httpx.AsyncClient() as client:
        await drive_drone(live, client)
    button = page.get_by_role("button", name=f"Acknowledge {area}", exact=True)
    await expect(button).to_have_count(1, timeout=15_000)
    alert_id = await page.locator("#alerts > li").filter(has=button).get_attribute("data-alert-id")
    assert alert_id
    return alert_id


async def test_alarm_rings_until_acknowledged(live: Live, offline: Offline, tmp_path: Path) -> None:
    page = offline.page
    await page.add_init_script(HOOKS)
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    await expect(page.locator("body")).to_have_attribute("data-alarm", "off")
    alert_id = await first_alert(page, live)

    # The shipped sound, decoded, rings and rings again; the tab's title flashes.
    await expect(page.locator("body")).to_have_attribute("data-alarm", "on")
    await wait_for(lambda: _at_least(page, "starts", 2), "the alarm ringing twice")
    assert all(abs(d - 0.9) < 0.01 for d in (await alarm(page))["durations"])
    await expect(page).to_have_title(re.compile(r"^\(\d+\) "))
    notes = (await alarm(page))["notes"]
    assert any(n["title"].endswith(": Amman") and n["tag"] == alert_id for n in notes), notes
    await expect(page.locator("#announcer")).to_contain_text("New alert:")
    await expect(page.locator("#announcer")).to_contain_text("Amman")
    card = page.locator(f'li[data-alert-id="{alert_id}"]')
    await expect(card.locator(".progress")).to_contain_text("Waiting for the JOR watch floor")
    await page.screenshot(path=str(tmp_path / "alarm-ringing.png"), full_page=True)

    # Muting silences for a bounded time, and says until when; unmuting rings again.
    mute = page.locator("#mute")
    await mute.click()
    await expect(page.locator("body")).to_have_attribute("data-alarm", "muted")
    await expect(mute).to_have_text(re.compile(r"^Alarm muted until \d\d:\d\d:\d\d: unmute$"))
    await expect(mute).to_have_attribute("aria-pressed", "true")
    await mute.click()
    await expect(page.locator("body")).to_have_attribute("data-alarm", "on")

    await page.get_by_role("button", name="Acknowledge Amman", exact=True).click()
    await expect(card).to_contain_text("Acknowledged by jor-watch")
    # The alarm goes on while any other alert waits for this officer (here: the territory).
    waiting = page.locator("#alerts > li.needs-me button.ack")
    if await waiting.count():
        await expect(page.locator("body")).to_have_attribute("data-alarm", "on")
    while await waiting.count():
        await waiting.first.click()
    await expect(page.locator("body")).to_have_attribute("data-alarm", "off")
    stopped = await alarm(page)
    assert stopped["stops"] >= 1
    await expect(card).to_contain_text("Acknowledged by jor-watch")
    await expect(page.locator("#handled").locator(f'[data-alert-id="{alert_id}"]')).to_have_count(1)
    await expect(page).to_have_title("Warnline console")
    await wait_for(lambda: _true(acked_by(live, alert_id, "jor-watch")), "the acknowledgement")
    # No ring after the acknowledgement: two repeat periods pass without one.
    await page.wait_for_timeout(5_500)
    assert (await alarm(page))["starts"] == stopped["starts"]
    await page.screenshot(path=str(tmp_path / "alarm-acknowledged.png"), full_page=True)
    assert offline.blocked == [] and offline.errors == []


async def _true(value: bool) -> bool:
    return value


async def _at_least(page: Page, key: str, n: int) -> bool:
    return bool((await alarm(page))[key] >= n)


async def test_most_urgent_first_and_handled_folded(live: Live, offline: Offline) -> None:
    page = offline.page
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    await first_alert(page, live)
    cards = page.locator("#alerts > li")
    await expect(cards).not_to_have_count(0)
    etas = await cards.locator(".countdown").evaluate_all(
        "els => els.map((e) => e.dataset.expected).filter(Boolean).map(Date.parse)"
    )
    assert etas == sorted(etas) and etas, etas
    # Acknowledged goes into the fold; the next one takes the top.
    top = await cards.first.get_attribute("data-alert-id")
    n = await cards.count()
    await cards.first.locator("button.ack").click()
    await expect(page.locator(f'#handled > li[data-alert-id="{top}"]')).to_have_count(1)
    await expect(cards).to_have_count(n - 1)
    await expect(page.locator("#handled-box")).not_to_have_attribute("open", "")
    classes = await page.locator(f'li[data-alert-id="{top}"]').get_attribute("class") or ""
    assert "acked" in classes.split()
    colour = await page.locator(f'li[data-alert-id="{top}"]').evaluate(
        "el => getComputedStyle(el).borderTopColor"
    )
    assert colour != "rgb(63, 185, 80)"  # never green for "acknowledged"


async def test_reload_keeps_the_session_and_sign_out_ends_it(live: Live, offline: Offline) -> None:
    page = offline.page
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    alert_id = await first_alert(page, live)
    await page.reload()
    await expect(page.locator("#console-view")).to_be_visible()
    await expect(page.locator("#login-view")).to_be_hidden()
    await expect(page.locator("#who")).to_have_text("jor-watch (JOR, watch)")
    await expect(page.locator("#link")).to_have_text("online")
    await expect(page.locator(f'#alerts > li[data-alert-id="{alert_id}"]')).to_have_count(1)
    await expect(page.locator("#announcer")).to_have_text("")  # not new: not announced again
    token = await page.evaluate("sessionStorage.getItem('warnline.token')")
    assert token

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.locator("#login-view")).to_be_visible()
    await page.reload()
    await expect(page.locator("#login-view")).to_be_visible()
    await expect(page.locator("#console-view")).to_be_hidden()
    async with httpx.AsyncClient() as client:
        r = await client.get(f"{live.base}/api/v1/me", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert offline.blocked == []


async def test_offline_acknowledgement_is_delivered_on_reconnect(
    live: Live, offline: Offline, tmp_path: Path
) -> None:
    page = offline.page
    link: dict[str, Any] = {"up": True, "routes": []}

    async def stream(ws: WebSocketRoute) -> None:
        if not link["up"]:
            await ws.close(code=1006, reason="link down (test)")
            return
        link["routes"].append((ws, ws.connect_to_server()))

    await page.route_web_socket(re.compile(r"/api/v1/stream$"), stream)
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    alert_id = await first_alert(page, live)

    link["up"] = False
    for ws, server in link["routes"]:
        await server.close()
        await ws.close()
    await expect(page.locator("#link")).to_have_text("offline")
    await page.get_by_role("button", name="Acknowledge Amman", exact=True).click()
    card = page.locator(f'li[data-alert-id="{alert_id}"]')
    await expect(card.locator(".status")).to_have_text(
        "Acknowledgement queued: sent when the link is back"
    )
    await page.screenshot(path=str(tmp_path / "queued-offline.png"), full_page=True)
    assert not acked_by(live, alert_id, "jor-watch")

    link["up"] = True
    await expect(page.locator("#link")).to_have_text("online", timeout=10_000)
    await wait_for(lambda: _true(acked_by(live, alert_id, "jor-watch")), "the queued ack")
    await expect(card).to_contain_text("Acknowledged by jor-watch")
    assert await page.evaluate("sessionStorage.getItem('warnline.pending')") == "{}"


async def test_phone_layout_fits_and_acknowledges_under_the_thumb(
    live: Live, offline: Offline, tmp_path: Path
) -> None:
    page = offline.page
    await page.set_viewport_size({"width": 390, "height": 844})
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    alert_id = await first_alert(page, live)
    overflow = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert overflow[0] <= overflow[1], overflow
    strip = await page.locator(".strip").bounding_box()
    picture = await page.locator(".picture").bounding_box()
    assert strip and picture and picture["y"] >= strip["y"] + strip["height"] - 1  # one column
    thumb = page.locator("#thumb-ack")
    await expect(thumb).to_be_visible()
    await expect(thumb).to_have_text(re.compile(r"^Acknowledge .+ \(most urgent\)$"))
    box = await thumb.bounding_box()
    assert box and box["y"] > 844 * 0.75 and box["y"] + box["height"] <= 844
    await page.screenshot(path=str(tmp_path / "phone-390.png"), full_page=False)
    top = await page.locator("#alerts > li").first.get_attribute("data-alert-id")
    await thumb.click()
    await wait_for(lambda: _true(acked_by(live, str(top), "jor-watch")), "the thumb ack")
    assert alert_id
    assert offline.blocked == []


async def test_focus_survives_updates_and_keyboard_acknowledges(
    live: Live, offline: Offline
) -> None:
    page = offline.page
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    alert_id = await first_alert(page, live)
    button = page.locator(f'li[data-alert-id="{alert_id}"] button.ack')
    await button.focus()
    countdown = page.locator(f'li[data-alert-id="{alert_id}"] .countdown')
    before = await countdown.inner_text()
    live.clock.set(live.clock.now() + timedelta(seconds=7))  # the next picture moves the clock
    await expect(countdown).not_to_have_text(before, timeout=10_000)  # re-rendered since
    await expect(button).to_be_focused()
    await page.keyboard.press("Enter")
    await wait_for(lambda: _true(acked_by(live, alert_id, "jor-watch")), "the keyboard ack")
    focused = await page.evaluate("[document.activeElement.id, document.activeElement.textContent]")
    assert focused[0] == "actions-title" or focused[1].startswith("Acknowledge "), focused


async def test_arabic_switches_the_page_right_to_left(
    live: Live, offline: Offline, tmp_path: Path
) -> None:
    page = offline.page
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    alert_id = await first_alert(page, live)
    await expect(page.locator("html")).to_have_attribute("dir", "ltr")
    await page.get_by_label("Language").select_option("ar")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.locator("html")).to_have_attribute("lang", "ar")
    await expect(page.locator("#link")).to_have_text("متصل")
    await expect(page.get_by_role("button", name="تسجيل الخروج")).to_be_visible()
    # The alert reads as its CAP message's Arabic info block.
    async with httpx.AsyncClient() as client:
        headers = await live.token(client, "jor-watch")
        alerts = (await client.get(f"{live.base}/api/v1/alerts", headers=headers)).json()
    arabic = next(a for a in alerts if a["alert_id"] == alert_id)["texts"]["ar"]["headline"]
    card = page.locator(f'li[data-alert-id="{alert_id}"]')
    await expect(card.locator(".title")).to_contain_text(arabic)
    await expect(card.get_by_role("button", name="إقرار Amman")).to_be_visible()
    direction = await card.evaluate("el => getComputedStyle(el).direction")
    assert direction == "rtl"
    overflow = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert overflow[0] <= overflow[1], overflow
    await page.screenshot(path=str(tmp_path / "arabic.png"), full_page=True)

    # The choice survives a reload; Hebrew is right to left too; English is back left to right.
    await page.reload()
    await expect(page.locator("html")).to_have_attribute("lang", "ar")
    await page.get_by_label("Language").select_option("he")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.get_by_role("button", name="יציאה")).to_be_visible()
    await page.screenshot(path=str(tmp_path / "hebrew.png"), full_page=True)
    await page.get_by_label("Language").select_option("en")
    await expect(page.locator("html")).to_have_attribute("dir", "ltr")
    await expect(page.get_by_role("button", name="Acknowledge Amman", exact=True)).to_be_visible()
    assert offline.blocked == [] and offline.errors == []


async def drive_with_airliner(live: Live, client: httpx.AsyncClient, seconds: int = 30) -> None:
    """The drone towards Amman and, reported with it, a friendly airliner going north."""
    for i in range(0, seconds, 2):
        t = T0 + timedelta(seconds=i)
        live.clock.set(t + timedelta(seconds=1))
        lon = 36.35 - (50.0 * i) / (111_320.0 * 0.848)
        reports = [
            wire_report(f"d{i}", t=t, position={"lat": 31.95, "lon": lon, "alt_m": 150.0}),
            wire_report(
                f"f{i}",
                t=t,
                sensor_track="st2",
                kind="aircraft",
                identity="friend",
                position={"lat": 30.5 + 220.0 * i / 111_320.0, "lon": 36.9, "alt_m": 10_000.0},
                velocity={"east": 0.0, "north": 220.0},
            ),
        ]
        body, headers = signed(reports)
        r = await client.post(f"{live.base}/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 202, r.text
        await asyncio.sleep(0.06)


async def test_map_draws_symbols_trails_and_lit_areas(
    live: Live, offline: Offline, tmp_path: Path
) -> None:
    """Leaflet and milsymbol from static/vendor (built by `make setup` from npm), with
    every non-loopback request blocked: no tile, no CDN."""
    page = offline.page
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#map-box")).to_have_attribute("data-ready", "true")
    async with httpx.AsyncClient() as client:
        await drive_with_airliner(live, client)
    drone = page.locator('#map-box img[data-track-id="T000001"]')
    await expect(drone).to_have_count(1, timeout=10_000)
    assert (await drone.get_attribute("data-sidc") or "").startswith("SHAPMFQ")  # hostile UAV
    # A friendly airliner looks like one: another frame and colour than the threat's.
    friend = page.locator('#map-box img[data-sidc^="SFAPC"]')
    await expect(friend).to_have_count(1, timeout=10_000)
    await expect(friend).to_have_class(re.compile(r"\bidentity-friend\b"))
    await expect(page.get_by_role("tooltip", name="T000001 drone")).to_be_visible()
    await expect(page.locator("#map-box")).to_have_attribute(
        "data-lit", re.compile(r"JOR-amman:early_warning")
    )
    trail = await page.locator("#map-box path.leaflet-interactive, #map-box path").count()
    assert trail > 0
    await page.screenshot(path=str(tmp_path / "map.png"), full_page=True)
    before = await drone.bounding_box()
    await page.get_by_role("button", name="Zoom in").click()

    async def moved() -> bool:
        after = await drone.bounding_box()
        return bool(before and after and (before["x"], before["y"]) != (after["x"], after["y"]))

    await wait_for(moved, "the drone's symbol to move with the zoom")
    assert offline.blocked == [] and offline.errors == []
