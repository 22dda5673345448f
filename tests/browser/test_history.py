"""In chromium: a member fills in a worded ODI on a phone and sees the score; history shows the
calendar and the charts, for the member and for their PT.

The ODI's wording is licensed and never shipped: these tests load a made-up wording file
(tests/fixtures/odi_fake_wording.json, every line "FAKE TEST WORDING") as a clinic would load its
licensed one, with `manage.py load_instrument`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from members.models import Assessment, Member

from .conftest import PHONE

ODI_32 = [2, 2, 2, 2, 2, 1, 1, 1, 1, 2]  # 16 of 50
FAKE_ODI = Path(__file__).resolve().parents[1] / "fixtures" / "odi_fake_wording.json"


@pytest.fixture
def worded_odi(demo_world: None) -> None:
    call_command("load_instrument", str(FAKE_ODI), stdout=io.StringIO())


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_member_fills_in_a_worded_odi_on_a_phone_and_sees_the_score(
    page: Any, worded_odi: None, login: Any
) -> None:
    login(page, "demo_member")
    before = Assessment.objects.filter(member__user__username="demo_member").count()
    page.goto("/questionnaires/")
    # Seeded: this round of the demo member's questionnaires is due today.
    due = page.get_by_test_id("due-questionnaires")
    due.get_by_role("link", name="Oswestry Disability Index").click()
    page.wait_for_url("**/questionnaires/odi/")
    _no_sideways_scroll(page)
    # Each question and each answer with its words.
    first = page.locator('fieldset[data-item="odi-1"]')
    assert first.get_by_test_id("question").inner_text() == "FAKE TEST WORDING: ODI question 1?"
    assert first.get_by_text("FAKE TEST WORDING: answer 5 to question 1").is_visible()

    # Section 1 by keyboard: focus the group, arrow keys move the choice.
    page.locator('input[name="odi-1"][value="0"]').focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.locator('input[name="odi-1"][value="2"]').is_checked()
    for number, value in enumerate(ODI_32[1:], start=2):
        item = page.locator(f'fieldset[data-item="odi-{number}"]')
        item.locator("label.q-choice", has=page.locator(f'input[value="{value}"]')).click()
    page.get_by_test_id("questionnaire-submit").click()

    page.wait_for_url("**/questionnaires/results/*/")
    result = page.get_by_test_id("questionnaire-result")
    assert result.get_by_test_id("score").inner_text().strip() == "32.0%"
    # Neutral for the member: no band badge (the bands are for the PT).
    assert result.get_by_test_id("band").count() == 0
    assert "on a scale from 0 to 100" in result.inner_text()
    # The seeded ODIs came before: the change since the last one is reported.
    assert "Since " in result.get_by_test_id("change").inner_text()
    _no_sideways_scroll(page)
    assert Assessment.objects.filter(member__user__username="demo_member").count() == before + 1


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_skipping_too_many_sections_explains_why(page: Any, worded_odi: None, login: Any) -> None:
    login(page, "demo_member")
    page.goto("/questionnaires/odi/")
    for number in range(1, 11):
        choice = "skip" if number > 7 else "1"
        item = page.locator(f'fieldset[data-item="odi-{number}"]')
        item.locator("label.q-choice", has=page.locator(f'input[value="{choice}"]')).click()
    page.get_by_test_id("questionnaire-submit").click()
    errors = page.get_by_test_id("questionnaire-errors")
    assert "3 sections are unanswered" in errors.inner_text()
    # The error summary takes focus, so a screen reader announces it (a deferred script moves it:
    # wait for it rather than race it; not with a string predicate, which Playwright polls with
    # eval and the page's Content-Security-Policy refuses).
    expect(page.locator("#q-errors")).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "q-errors"


def _charted(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            "(sel) => { const c = document.querySelector(sel);"
            " return !!(c && window.Chart && window.Chart.getChart(c)); }",
            selector,
        )
    )


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_member_history_shows_calendar_and_score_charts(
    page: Any, demo_world: None, login: Any
) -> None:
    login(page, "demo_member")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    page.wait_for_url("**/history/")
    calendar = page.get_by_test_id("history-calendar")
    assert calendar.locator("tbody tr").count() == 12
    # Every past day says in words what happened, not only in colour.
    assert calendar.locator("td .visually-hidden").first.inner_text().strip()
    odi = 'canvas.score-chart[data-instrument="odi"]'
    page.wait_for_function(
        "(sel) => window.Chart && window.Chart.getChart(document.querySelector(sel))", arg=odi
    )
    assert page.locator(odi).is_visible()
    assert _charted(page, odi)
    _no_sideways_scroll(page)


def test_pt_sees_their_members_history(page: Any, demo_world: None, login: Any) -> None:
    member = Member.objects.get(user__username="demo_member")
    login(page, "demo_pt")
    page.goto(f"/members/{member.pk}/history/")
    assert member.user.display_name in page.locator("h1").inner_text()
    assert page.get_by_test_id("history-calendar").is_visible()
    odi = 'canvas.score-chart[data-instrument="odi"]'
    page.wait_for_function(
        "(sel) => window.Chart && window.Chart.getChart(document.querySelector(sel))", arg=odi
    )
    assert _charted(page, odi)
    # Another PT's member does not exist for this PT.
    other = Member.objects.exclude(care_assignments__therapist__user__username="demo_pt").earliest(
        "id"
    )
    response = page.goto(f"/members/{other.pk}/history/")
    assert response.status == 404
