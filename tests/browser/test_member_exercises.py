"""In chromium, on a 360 px phone: a member reads each exercise's precautions on My plan, opens
its steps with a tap, and follows it to their page of the exercise (precautions, pictures,
steps, tips); from today, an exercise's name leads there too."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import PHONE

pytestmark = [
    pytest.mark.usefixtures("demo_world"),
    pytest.mark.parametrize("viewport", [PHONE], indirect=True),
]


def test_member_reads_precautions_on_my_plan_and_the_exercise_page(
    page: Any, login: Callable[..., None], shot: Any
) -> None:
    login(page, "demo_member")
    page.get_by_role("link", name="My plan").click()
    expect(page).to_have_url(re.compile(r"/plan/$"))
    care = page.get_by_test_id("precautions").first
    expect(care).to_be_visible()
    expect(care).to_contain_text("Take care")
    item = page.locator(".plan-item").filter(has=page.get_by_test_id("precautions")).first
    steps = item.locator("details.steps")
    expect(steps.locator("ol")).to_be_hidden()
    steps.locator("summary").click()
    expect(steps.locator("ol li").first).to_be_visible()
    expect(page.get_by_test_id("red-flag")).to_contain_text("Get emergency care now")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "my-plan-phone")

    name = item.locator("h3 a").inner_text()
    item.get_by_role("link", name="Pictures, steps and tips").click()
    expect(page).to_have_url(re.compile(r"/plan/exercises/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_test_id("precautions")).to_be_visible()
    expect(page.locator(".exercise-steps li").first).to_be_visible()
    picture = page.locator(".exercise-pictures img").first
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "member-exercise-phone")

    page.goto("/today/")
    page.get_by_test_id("exercise-card").first.locator(".ex-name a").click()
    expect(page).to_have_url(re.compile(r"/plan/exercises/\d+/$"))
    expect(page.get_by_test_id("member-exercise")).to_be_visible()
