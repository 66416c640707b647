"""Debian's Chromium driven by Playwright, for the browser benchmarks and the browser tests.

Playwright cannot download its own browsers here; it drives the system's ``/usr/bin/chromium``
(``make venv`` installs it) headless, without a sandbox (root in CI), GPU or background traffic.
"""
from __future__ import annotations

import contextlib
import os
import shutil

CHROMIUM = os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]

__all__ = ["CHROMIUM", "FLAGS", "available", "chromium_page"]


def available() -> str:
    """'' when Chromium and Playwright are usable, else the reason why not (a sentence)."""
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (Debian package 'chromium'; `make venv` installs it as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements.txt)"
    return ""


@contextlib.contextmanager
def chromium_page(width: int = 1400, height: int = 900):
    """A fresh page of a new headless Chromium (closed afterwards)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()
