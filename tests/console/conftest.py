"""Chromium driven by Playwright against a live node, with the network cut off.

The browser is Debian's `chromium` package (installed by `make setup`), launched by path:
Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Route, WebSocketRoute, async_playwright

from tests.api.conftest import live, patient  # noqa: F401  (the shared live-node fixtures)
from warnline.bench.console import CHROMIUM_ARGS

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def chromium_path() -> str:
    path = os.environ.get("WARNLINE_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail(
            "chromium not found: run `make setup` (as root it installs Debian's chromium and "
            "fonts-dejavu-core), or set WARNLINE_CHROMIUM to a Chromium binary"
        )
    return path


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOOPBACK


@dataclass
class Offline:
    """A page that can reach only 127.0.0.1, and what it tried to reach beyond it."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        b = await pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def offline(browser: Browser) -> AsyncIterator[Offline]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = await context.new_page()
    page.set_default_timeout(10_000)
    o = Offline(page=page)

    async def only_loopback(route: Route) -> None:
        if is_loopback(route.request.url):
            await route.continue_()
        else:
            o.blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    async def no_remote_socket(ws: WebSocketRoute) -> None:
        o.blocked.append(ws.url)
        await ws.close(code=1008, reason="network blocked by the test")

    await context.route("**/*", only_loopback)
    await context.route_web_socket(lambda url: not is_loopback(url), no_remote_socket)
    page.on("pageerror", lambda exc: o.errors.append(f"page error: {exc.stack or exc}"))
    page.on(
        "console", lambda m: o.errors.append(f"console: {m.text}") if m.type == "error" else None
    )
    try:
        yield o
    finally:
        await context.close()
