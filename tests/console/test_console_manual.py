"""Manual entries in a real browser (Chromium, network cut off beyond 127.0.0.1): a
watch officer enters a report by hand and drafts a coalition-wide alert, which they
cannot approve themselves; a commander approves it with the keyboard alone; the panel
speaks Arabic right to left."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.api.conftest import PASSWORD, Live, wait_for
from tests.console.conftest import Offline
from tests.console.test_console_browser import sign_in
from warnline.journal.kinds import Kind


def _journal(live: Live, kind: Kind) -> list[dict[str, object]]:
    return [e.event.payload for e in live.journal.read() if e.event.kind == kind]


async def test_report_by_hand_and_a_two_person_alert(
    live: Live, offline: Offline, tmp_path: Path
) -> None:
    page = offline.page
    await sign_in(offline, live, "jor-watch", PASSWORD)
    panel = page.locator("#manual-panel")
    await expect(panel).to_be_visible()
    await panel.locator("summary").click()

    # A bad latitude is refused by the node, and the form says which field and why.
    await page.get_by_label("Latitude").fill("95")
    await page.get_by_label("Longitude").fill("36.9")
    await page.get_by_label("Source (who reported it)").fill("call from border post 7")
    await page.get_by_role("button", name="Enter report").click()
    out = page.locator("#manual-report-out")
    await expect(out).to_contain_text("Refused (lat)")
    await expect(page.get_by_label("Latitude")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Latitude")).to_be_focused()

    await page.get_by_label("Latitude").fill("32.3")
    await page.get_by_label("Kind").select_option("drone")
    await page.get_by_label("Identity").select_option("hostile")
    await page.get_by_label("Heading (degrees, if known)").fill("270")
    await page.get_by_label("Speed (m/s, if known)").fill("50")
    await page.get_by_role("button", name="Enter report").click()
    await expect(out).to_contain_text("entered")
    (note,) = _journal(live, Kind.MANUAL_REPORT)
    assert note["user"] == "jor-watch" and note["source"] == "call from border post 7"

    # A coalition-wide draft: Amman and Eilat.
    await page.get_by_label("Areas to alert").select_option(["JOR-amman", "ISR-eilat"])
    await page.get_by_label("TAKE SHELTER").check()
    await page.get_by_label("Message text (why people are warned)").fill(
        "drones reported crossing at post 7"
    )
    await page.get_by_role("button", name="Submit draft").click()
    await expect(page.locator("#manual-draft-out")).to_contain_text("second person")
    draft = page.locator("li.draft.status-pending_approval")
    await expect(draft).to_have_count(1)
    await expect(draft).to_contain_text("Your own draft")
    await expect(draft.get_by_role("button", name="Approve")).to_have_count(0)
    await expect(draft.locator(".expires")).to_contain_text("expires in")
    await page.screenshot(path=str(tmp_path / "manual-draft.png"), full_page=True)
    draft_id = await draft.get_attribute("data-draft-id")
    assert draft_id

    # The commander signs in on this console and approves with the keyboard alone.
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.locator("#login-view")).to_be_visible()
    await sign_in(offline, live, "jor-cmd", PASSWORD)
    await page.locator("#manual-panel summary").focus()
    await page.keyboard.press("Enter")  # a <summary> opens on Enter
    item = page.locator(f'li.draft[data-draft-id="{draft_id}"]')
    await expect(item).to_contain_text("Pending approval")
    reason = item.get_by_label("Note (required to reject)")
    await reason.focus()
    await page.keyboard.type("confirmed with the post by phone")
    await page.keyboard.press("Tab")
    await expect(item.get_by_role("button", name="Approve")).to_be_focused()
    await page.keyboard.press("Enter")
    issued = page.locator(f'li.draft.status-issued[data-draft-id="{draft_id}"]')
    await expect(issued).to_contain_text("decided by jor-cmd", timeout=15_000)
    # Issued through alerting, release and dispatch: Amman's card is on this console.
    ack = page.get_by_role("button", name="Acknowledge Amman", exact=True)
    await expect(ack).to_have_count(1, timeout=15_000)
    await expect(page.locator("#alerts")).to_contain_text(
        "Take shelter now in Amman (manual alert)"
    )
    await page.screenshot(path=str(tmp_path / "manual-issued.png"), full_page=True)

    async def approved() -> bool:
        return any(p["approved_by"] == "jor-cmd" for p in _journal(live, Kind.MANUAL_ISSUE))

    await wait_for(approved, "manual.issued approved by jor-cmd")

    # Arabic: the panel's words change and the page runs right to left.
    await page.get_by_label("Language").select_option("ar")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.locator("#manual-panel summary")).to_contain_text("إدخال يدوي")
    await expect(issued.locator(".draft-status")).to_have_text("صدر")
    await page.screenshot(path=str(tmp_path / "manual-ar.png"), full_page=True)
    await page.locator("#language").select_option("en")
    assert offline.blocked == [], f"the console reached beyond 127.0.0.1: {offline.blocked}"
    expected = "status of 422"  # the refused latitude, on purpose
    assert [e for e in offline.errors if expected not in e] == [], offline.errors
