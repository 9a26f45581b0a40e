"""The README's screenshots: every page on a real server, each opened from a link that shows a result,
in Chromium's light and dark colour schemes.

    .venv/bin/python -m tools.screenshots [--out docs/screenshots]

A page is photographed once its script has finished (Streamlit's running indicator gone for a moment),
so the chat's answer has streamed in full and every model has answered. Rerun it after changing a page.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.chromium import launch
from benchmarks.server import ROOT, serve
from pages.demos import DEMOS

# (file stem, page path, link parameters): home, then every demo on its best example, as the tour opens it.
SHOTS = [
    ("home", "", {}),  # the default page lives at the root: /home is "Page not found" after the first visit
    *((demo.url_path.replace("_", "-"), demo.url_path, demo.showcase_link) for demo in DEMOS),
]
SCHEMES = ("light", "dark")
VIEWPORT = {"width": 1280, "height": 1400}  # the app scrolls inside its own pane: a tall window shows the result
SETTLED_SECONDS = 1.5  # the running indicator stays away this long before the picture is taken
PAGE_SECONDS = 240  # a first visit loads its model


def wait_until_settled(page: object) -> None:
    """Until Streamlit's running indicator has been absent for SETTLED_SECONDS."""
    indicator = page.locator('[data-testid="stStatusWidget"]')
    deadline = time.monotonic() + PAGE_SECONDS
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < SETTLED_SECONDS:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{page.url} was still running after {PAGE_SECONDS} s")
        if indicator.count() and indicator.first.is_visible():
            quiet_since = time.monotonic()
        time.sleep(0.25)


def take(out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with serve() as server, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for scheme in SCHEMES:
                context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)
                page = context.new_page()
                for stem, path, parameters in SHOTS:
                    query = f"?{urlencode(parameters)}" if parameters else ""
                    page.goto(f"{server.url}/{path}{query}")
                    page.locator("h1").first.wait_for(timeout=PAGE_SECONDS * 1000)
                    wait_until_settled(page)
                    target = out / f"{stem}-{scheme}.png"
                    page.screenshot(path=str(target))
                    written.append(target)
                context.close()
        finally:
            browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    for path in take(parser.parse_args().out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
