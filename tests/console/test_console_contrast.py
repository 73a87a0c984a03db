"""Every text the console shows meets WCAG 2.1 AA contrast against what it is drawn on
(4.5:1, 3:1 for large text), measured in Chromium from the computed colours: a watch
officer's page with a live alert, and the coordination cell's with a channel down, in
English and in Arabic, at desk and phone width."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.api.conftest import PASSWORD, Live
from tests.console.conftest import Offline
from tests.console.test_console_browser import sign_in
from tests.console.test_console_shift import first_alert
from tests.factories import failed_webhook_results

# For each visible element holding text: its colour over the background it stands on (the
# ancestors' background colours blended from the first opaque one up), as WCAG 2.1 computes
# relative luminance and contrast. Text over an image (the map's symbols) has no text node.
AUDIT = """() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(",").map((x) => parseFloat(x));
    return [r, g, b, a];
  };
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const under = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let base = [255, 255, 255];
    for (let i = layers.length - 1; i >= 0; i--) {
      const [r, g, b, a] = layers[i];
      base = [r * a + base[0] * (1 - a), g * a + base[1] * (1 - a), b * a + base[2] * (1 - a)];
    }
    return base;
  };
  const failures = [];
  let checked = 0;
  const seen = new Set();
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    const cs = getComputedStyle(el), box = el.getBoundingClientRect();
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    if (box.width === 0 || box.height === 0) continue;
    const bg = under(el), fg = parse(cs.color);
    const mixed = [0, 1, 2].map((i) => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
    const [hi, lo] = [lum(mixed), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const px = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
    const need = px >= 24 || (bold && px >= 18.66) ? 3 : 4.5;
    checked += 1;
    if (ratio < need) {
      failures.push({ text: node.textContent.trim().slice(0, 50), id: el.id,
        cls: String(el.className), color: cs.color, on: bg.map(Math.round).join(","),
        ratio: Math.round(ratio * 100) / 100, need });
    }
  }
  return { checked, failures };
}"""


async def _audit(page: Page, where: str) -> int:
    result = await page.evaluate(AUDIT)
    assert result["failures"] == [], f"{where}: {result['failures']}"
    return int(result["checked"])


async def test_the_watch_officers_page_meets_aa_contrast(
    live: Live, offline: Offline, tmp_path: Path
) -> None:
    page = offline.page
    await sign_in(offline, live, "jor-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    await first_alert(page, live)
    checked = await _audit(page, "jor-watch, en, 1600 px")
    assert checked >= 20  # the banner, header, an alert card, the track table, the panels
    await page.get_by_label("Language").select_option("ar")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await _audit(page, "jor-watch, ar, 1600 px")
    await page.set_viewport_size({"width": 390, "height": 844})
    await _audit(page, "jor-watch, ar, 390 px")
    await page.screenshot(path=str(tmp_path / "contrast-ar-390.png"), full_page=True)
    # The audit itself sees a dim grey on the dark page (3.0:1 against 4.5 needed).
    await page.evaluate("() => { document.getElementById('who').style.color = '#5a646e'; }")
    failed = (await page.evaluate(AUDIT))["failures"]
    assert [f["id"] for f in failed] == ["who"] and failed[0]["ratio"] < 4.5


async def test_the_cells_page_with_a_channel_down_meets_aa_contrast(
    live: Live, offline: Offline
) -> None:
    page = offline.page
    await sign_in(offline, live, "usa-watch", PASSWORD)
    await expect(page.locator("#link")).to_have_text("online")
    failed = failed_webhook_results("contrast", live.clock.now(), route="egy-aoc.example.invalid")
    await live.node.inbox.append(failed)
    await expect(page.locator("#channel-notice")).to_be_visible(timeout=10_000)
    await _audit(page, "usa-watch, en, channel down")
