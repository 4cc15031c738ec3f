"""Browser tests: Playwright for Python driving Debian's chromium (never a downloaded browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

# A browser walk runs once a CI run, in the SQLite pass: the services it drives are tested on both databases, and a
# walk on PostgreSQL too would add minutes and find nothing the suite's PostgreSQL pass does not.
ONCE = pytest.mark.skipif(connection.vendor != "sqlite", reason="a browser walk runs once a CI run, in the SQLite pass")

CHROMIUM = os.environ.get("SHANLIAN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: run scripts/setup.sh test (installs Debian's chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    ARTIFACTS.mkdir(exist_ok=True)
    yield pg
    context.close()


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def shoot(page, name: str) -> None:
    """The same page at desktop and phone width (`<name>-desktop.png`, `<name>-phone.png` in the artifacts);
    the test goes on at phone width."""
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)


def open_phone_menu(page) -> None:
    """Opens the phone's collapsed menu and waits for its slide to finish: a click on an entry during the slide
    can land on nothing, which made a walk flaky."""
    page.locator(".navbar-toggler").click()
    page.locator("#sl-nav.show:not(.collapsing)").wait_for()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
