"""Accessible to every visitor, checked in Chromium: axe-core finds no serious or critical WCAG 2 A/AA violation on
any page with its result shown, in the light and the dark theme and in presenter mode; and the tour and the
demos' example buttons work with the keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from benchmarks.server import serve
from pages.demos import DEMOS
from tests import test_e2e
from tests.accessibility import violations
from tests.test_e2e import RESULT_SECONDS, settled

pytestmark = pytest.mark.e2e
browser = test_e2e.browser  # the same Chromium fixture
KEYS_TO_REACH = 120  # Tab presses before giving up on reaching a control
EXAMPLE_REVIEW = "The delivery was late again and nobody answered my emails."  # the sentiment page's second


@pytest.fixture(scope="module")
def dashboard(provisioned: Path) -> Iterator[str]:
    """Without an operator token a browser on this machine is the operator, so the Audience page is checked too."""
    with serve() as server:
        yield server.url


@pytest.mark.parametrize(
    ("scheme", "present"), [("light", False), ("dark", False), ("light", True)], ids=["light", "dark", "presenter"]
)
def test_no_page_has_a_serious_or_critical_accessibility_violation(
    browser: object, dashboard: str, scheme: str, present: bool
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme=scheme)
    extra = {"present": "1"} if present else {}
    found: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        page.goto(f"{dashboard}/?{urlencode(extra)}")
        page.get_by_role("heading", name="Showroom").first.wait_for(timeout=60_000)
        settled(page)
        found["home"] = violations(page)
        for demo in DEMOS:  # each opened on its best example, as the tour does: the result is on the page
            page.goto(f"{dashboard}/{demo.url_path}?{urlencode(demo.showcase_link | extra)}")
            page.get_by_role("radio", name="Thumbs up").first.wait_for(timeout=RESULT_SECONDS * 1000)
            settled(page)
            found[demo.url_path] = violations(page)
        page.goto(f"{dashboard}/audience?{urlencode(extra)}")
        page.get_by_role("heading", name="Audience", level=1).wait_for(timeout=60_000)
        settled(page)
        found["audience"] = violations(page)
    finally:
        context.close()
    assert not any(found.values()), {where: lines for where, lines in found.items() if lines}


# The focused control's text, or "" while the focus is on something that is not a control (a scrollable region).
FOCUSED_CONTROL = """() => {
  const focused = document.activeElement;
  return focused && focused.matches('button, a, input, textarea, [role=button], [role=radio], [role=tab]')
    ? (focused.innerText || focused.ariaLabel || '') : '';
}"""


def tab_to(page: object, name: str) -> None:
    """Press Tab until the control named `name` has the focus, as a keyboard user moves."""
    for _ in range(KEYS_TO_REACH):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_CONTROL)
        if focused.strip().splitlines()[-1:] == [name]:  # its label (after an icon's name, where it has one)
            return
    pytest.fail(f"{name!r} cannot be reached with the Tab key")


def example_by_keyboard(page: object, address: str, title: str, example: str, metric: str = "Top label") -> str:
    """Open a demo, reach one of its example buttons with Tab, press Enter: the headline of the result."""
    page.goto(address)
    page.get_by_role("heading", name=title, level=1).wait_for(timeout=60_000)
    settled(page)
    tab_to(page, example)
    page.keyboard.press("Enter")
    shown = page.locator('[data-testid="stMetric"]').filter(has_text=metric).first
    shown.wait_for(timeout=RESULT_SECONDS * 1000)
    return shown.locator('[data-testid="stMetricValue"]').inner_text()


def test_the_tour_and_the_example_buttons_work_with_the_keyboard_alone(browser: object, dashboard: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(dashboard)
        page.get_by_role("heading", name="Showroom").first.wait_for(timeout=60_000)
        settled(page)
        tab_to(page, "Start the tour")
        page.keyboard.press("Enter")
        page.get_by_text(f"Tour · demo 1 of {len(DEMOS)}").wait_for(timeout=RESULT_SECONDS * 1000)
        settled(page)
        tab_to(page, "Next demo")
        page.keyboard.press("Enter")
        page.get_by_text(f"Tour · demo 2 of {len(DEMOS)}").wait_for(timeout=RESULT_SECONDS * 1000)
        settled(page)
        tab_to(page, "End tour")
        page.keyboard.press("Enter")
        page.get_by_text("Tour · demo").wait_for(state="detached", timeout=30_000)

        assert example_by_keyboard(page, f"{dashboard}/sentiment", "Sentiment", EXAMPLE_REVIEW, "Label") == "negative"
        assert example_by_keyboard(page, f"{dashboard}/image_classification", "Image classification", "Coffee") == (
            "espresso"
        )
    finally:
        context.close()
