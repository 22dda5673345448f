"""In chromium, the hold and rest timers on a demo member's today page, by keyboard only: Tab to a
hold timer's Start, see the count go down (the page's clock is Playwright's, fast-forwarded),
pause, resume, reach done; the live region says so without talking every second; the phone
buzzes where it can; nothing is sent and nothing in the log is filled in. Buttons are at least
44 px at 360 px; axe-core finds no WCAG 2.2 AA violation on the page with a timer running, on a
phone and a desktop. Screenshots at both sizes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.services import require_axe_core

from .conftest import DESKTOP, PHONE, shot

pytestmark = pytest.mark.usefixtures("demo_world")

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# The page's buzzes, kept for the test (headless chromium has no motor to ask).
RECORD_VIBRATE = (
    "window.__buzzes = [];"
    "navigator.vibrate = function (pattern) { window.__buzzes.push(pattern); return true; };"
)


def _clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _tab_to(page: Any, target: Any, limit: int = 250) -> None:
    """Presses Tab until `target` has the focus, as a keyboard user moves through the page."""
    handle = target.element_handle()
    for _ in range(limit):
        if page.evaluate("el => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError("the keyboard never reached the timer's button")


def _open_today(page: Any, login: Any) -> None:
    page.add_init_script(RECORD_VIBRATE)
    page.clock.install()
    login(page, "demo_member")
    expect(page).to_have_url(re.compile(r"/today/$"))
    # From here the page's time moves only when the test moves it.
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_a_hold_timer_by_keyboard_counts_pauses_resumes_and_says_done(
    page: Any, login: Any
) -> None:
    _open_today(page, login)
    timer = page.locator("[data-role=timer][data-kind=hold]").first
    expect(timer).to_be_visible()
    hold = int(timer.get_attribute("data-work"))
    rest = int(timer.get_attribute("data-rest") or 0)
    assert hold >= 10, hold  # shorter holds are counted in one's head: no timer
    card = page.get_by_test_id("exercise-card").filter(has=timer)
    count, say = timer.get_by_test_id("timer-count"), timer.get_by_test_id("timer-say")
    go, reset = timer.get_by_role("button", name="Start"), timer.get_by_role("button", name="Reset")
    expect(count).to_have_text(_clock(hold))
    for button in (go, reset):  # a thumb's size on a 360 px phone
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    api_calls: list[str] = []
    page.on("request", lambda r: api_calls.append(r.url) if "/api/" in r.url else None)

    _tab_to(page, go)
    page.keyboard.press("Enter")
    expect(say).to_have_text(f"Hold started: {hold} seconds.")
    expect(timer.get_by_role("button", name="Pause")).to_be_focused()
    page.clock.run_for(3000)
    expect(count).to_have_text(_clock(hold - 3))
    expect(say).to_have_text(f"Hold started: {hold} seconds.")  # no word every second
    left = (hold - 1) // 10 * 10  # the next whole ten below the start
    page.clock.run_for((hold - left - 3) * 1000)
    expect(count).to_have_text(_clock(left))
    expect(say).to_have_text(f"{left} seconds left.")
    shot(page, "timer-running-360")

    page.keyboard.press("Enter")  # Pause
    expect(say).to_have_text(f"Paused: {left} seconds left.")
    expect(timer.get_by_role("button", name="Resume")).to_be_focused()
    page.clock.run_for(7000)
    expect(count).to_have_text(_clock(left))  # paused: the count waits

    page.keyboard.press("Enter")  # Resume
    expect(say).to_have_text(f"Going on: {left} seconds left.")
    page.clock.run_for(left * 1000 + 500)
    if rest:
        expect(say).to_have_text(f"Hold done. Rest for {rest} seconds now.")
        expect(timer.get_by_test_id("timer-phase")).to_have_text("Resting")
        page.clock.run_for(rest * 1000 + 500)
        expect(say).to_have_text("Rest done. Start the next one when you are ready.")
        expect(count).to_have_text(_clock(hold))
    else:
        expect(say).to_have_text("Hold done.")
        expect(timer.get_by_test_id("timer-phase")).to_have_text("Done")
    assert [200, 100, 200] in page.evaluate("window.__buzzes")
    shot(page, "timer-done-360")

    # Reset by keyboard: Tab from the timer's first button to Reset.
    page.keyboard.press("Enter")
    page.clock.run_for(2000)
    page.keyboard.press("Tab")
    expect(reset).to_be_focused()
    page.keyboard.press("Enter")
    expect(count).to_have_text(_clock(hold))
    expect(say).to_have_text(f"Reset. Ready to hold for {hold} seconds.")

    # The timer counted; it logged nothing and sent nothing.
    assert api_calls == []
    expect(card.locator("[data-role=status]:checked")).to_have_count(0)
    for field in card.locator("[data-field]").all():
        expect(field).to_have_value("")
    assert page.evaluate("localStorage.getItem('movedaily.unsent-sessions')") in (None, "[]")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"], indirect=True)
def test_the_today_page_with_a_timer_running_has_no_wcag_aa_violations(
    new_page: Any, login: Any, viewport: dict[str, int]
) -> None:
    axe = require_axe_core()
    page = new_page(viewport=viewport, bypass_csp=True)  # axe is injected: a test-only context
    _open_today(page, login)
    timers = page.locator("[data-role=timer]")
    assert timers.count() >= 1
    expect(timers.first).to_be_visible()
    timers.first.get_by_role("button", name="Start").click()
    page.clock.run_for(4000)
    page.clock.resume()  # axe waits on timers of its own
    page.add_script_tag(content=axe)
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    found = [
        f"{v['id']} ({v['impact']}) at {v['nodes'][0]['target']}: {v['help']}"
        for v in result["violations"]
    ]
    assert not found, "\n".join(found)
    timers.first.scroll_into_view_if_needed()
    shot(page, f"timer-axe-{viewport['width']}")
