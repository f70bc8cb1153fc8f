"""Debian's Chromium through Playwright, for the widget's and the kansli workspace's browser tests."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def require_tool(name: str, present: bool, how: str) -> None:
    """Skip with a clear message when a browser tool is missing, unless REQUIRE_SERVICES=1."""
    if present:
        return
    message = f"{name} saknas ({how})"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message}, men REQUIRE_SERVICES=1 kräver den")
    pytest.skip(f"{message}; webbläsartestet hoppas över (sätt REQUIRE_SERVICES=1 för att kräva det)")


@contextmanager
def chromium_browser() -> Iterator:
    """Debian's Chromium (Playwright cannot download its own here)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require_tool("Python-paketet playwright", sync_playwright is not None, "pip install -r requirements.txt")
    require_tool(f"Chromium ({CHROMIUM})", CHROMIUM.exists(), "apt-get install -y chromium")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@contextmanager
def page_maker(browser, timeout_ms: int, **defaults) -> Iterator[Callable]:
    """make(**options) -> a page in a fresh browser context (own storage) that records page errors."""
    contexts = []

    def make(**options):
        context = browser.new_context(**{**defaults, **options})
        context.set_default_timeout(timeout_ms)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
