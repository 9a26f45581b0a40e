"""Debian's Chromium as the browser tests and the screenshot script drive it (Playwright, headless)."""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"
# Chromium's own background traffic is refused on these machines; switch it off, and run as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Any) -> Any:
    """A headless Chromium browser from a started `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
