"""Driving the dashboard page in headless Chromium (Debian's, no browser download)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# "A log line printed by a service must appear on the page within about a second."
ABOUT_A_SECOND_MS = 1500


@contextlib.contextmanager
def browser_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.on("dialog", lambda dialog: dialog.accept())  # "Stop every replica of …?"
            yield page
        finally:
            browser.close()


def sign_in(page: Page, base_url: str, client_id: str, username: str, password: str) -> None:
    page.goto(base_url + "/dashboard/")
    page.fill("input[name=client_id]", client_id)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")


def service_row(page: Page, service_id: str):
    return page.locator(f"#services tr[data-service='{service_id}']")


def wait_for_log_line(page: Page, text: str) -> float:
    """Seconds until a log line containing ``text`` shows (at most about a second)."""
    started = time.monotonic()
    expect(page.locator("#log .msg", has_text=text)).to_be_visible(timeout=ABOUT_A_SECOND_MS)
    return time.monotonic() - started
