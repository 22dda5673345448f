"""In chromium: a member opens Learn on a 360 px phone, reads a lesson from today's "next
lesson", marks it read, and their PT sees it read on the member's page and the caseload."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.usefixtures("demo_world")


def test_member_reads_a_lesson_and_the_pt_sees_it_read(
    new_page: Callable[..., Any], login: Callable[..., None], shot: Any
) -> None:
    page = new_page(viewport=PHONE)
    login(page, "demo_member")
    next_lesson = page.get_by_test_id("next-lesson")
    expect(next_lesson).to_be_visible()
    title = next_lesson.locator("a").first.inner_text()
    shot(page, "lessons-today-phone")

    page.get_by_role("link", name="Learn").click()
    expect(page).to_have_url(re.compile(r"/learn/$"))
    expect(page.get_by_test_id("lessons-read")).to_contain_text("You have read 2 of 6")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "lessons-learn-phone")

    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    picture = page.locator(".lesson-picture img")
    if picture.count():
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
        )
        assert picture.get_attribute("alt")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "lessons-lesson-phone")
    page.get_by_test_id("mark-read").click()
    expect(page.get_by_test_id("lesson-read-at")).to_contain_text("You read this lesson on")
    page.get_by_role("link", name="All lessons").click()
    expect(page.get_by_test_id("lessons-read")).to_contain_text("You have read 3 of 6")

    pt = new_page(viewport=DESKTOP)
    login(pt, "demo_pt")
    row = pt.get_by_test_id("caseload-row").filter(has_text="Sam Carter").first
    expect(row.get_by_test_id("lessons-read")).to_have_text("3/6")
    row.locator("th a").first.click()
    lessons = pt.get_by_test_id("member-lessons")
    expect(lessons).to_contain_text("3 of 6")
    expect(lessons.locator("li").filter(has_text=title)).to_contain_text("read")
    shot(pt, "lessons-pt-member-desktop")


def test_help_now_lesson_on_a_phone_shows_the_red_flags(
    new_page: Callable[..., Any], login: Callable[..., None], shot: Any
) -> None:
    page = new_page(viewport=PHONE)
    login(page, "demo_member")
    page.goto("/learn/")
    page.get_by_role("link", name="When to get help now").click()
    expect(page.get_by_test_id("red-flag")).to_contain_text("Get emergency care now")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "lessons-help-now-phone")
    page.set_viewport_size(DESKTOP)
    page.goto("/learn/")
    page.get_by_role("link", name="Positions that ease your legs").click()
    shot(page, "lessons-positions-desktop")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_pt_unticks_a_lesson_in_the_plan_builder(
    new_page: Callable[..., Any],
    login: Callable[..., None],
    shot: Any,
    viewport: dict[str, int],
) -> None:
    from members.models import Member
    from programs.models import Plan, PlanLesson

    member = Member.objects.get(user__username="demo_member")
    plan = Plan.objects.get(member=member, status="active")
    before = PlanLesson.objects.filter(plan=plan).count()
    page = new_page(viewport=viewport)
    login(page, "demo_pt")
    page.goto(f"/plans/{plan.pk}/edit/")
    expect(page.locator("[data-plan-builder][data-ready]")).to_have_count(1)
    boxes = page.locator("[data-lesson]")
    expect(boxes.first).to_be_checked()  # the plan's lessons, from its template
    assert page.locator("[data-lesson]:checked").count() == before
    if viewport == PHONE:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("Sleeping and sitting").uncheck()
    page.get_by_label("Reason for this change").fill("Sleeping is fine now")
    page.get_by_role("button", name="Save as a new revision").click()
    expect(page.get_by_role("status")).to_contain_text("revision")
    expect(page.locator("[data-revisions]")).to_contain_text(
        "Removed lesson “Sleeping and sitting”"
    )
    page.locator("[data-lessons-card]").scroll_into_view_if_needed()
    shot(page, f"lessons-plan-builder-{'phone' if viewport == PHONE else 'desktop'}")
    assert PlanLesson.objects.filter(plan=plan).count() == before - 1
