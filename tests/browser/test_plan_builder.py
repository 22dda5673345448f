"""A PT builds a plan in the browser from a template, adjusts it with a reason (by keyboard),
sees both revisions, and prints the handout; the member then sees the plan and its handout."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from members.models import Member
from programs.models import Plan

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("demo_world"),
    pytest.mark.urls("tests.browser.library_urls"),  # serves the exercise pictures
]

TEMPLATE = "Low back pain: core stability"


def _items(page: Any) -> Any:
    return page.locator("[data-items] > li")


def _names(page: Any) -> list[str]:
    return [n.strip() for n in page.locator("[data-items] > li [data-f=name]").all_inner_texts()]


def test_pt_builds_adjusts_and_prints_a_plan(
    page: Any, new_page: Callable[..., Any], login: Callable[..., None],
    shot: Callable[[Any, str], Path],
) -> None:  # fmt: skip
    member = Member.objects.select_related("user").get(user__username="demo_member2")
    # The seed gave demo_member2 an active plan: this new one starts as a draft beside it.
    existing = set(Plan.objects.filter(member=member).values_list("pk", flat=True))
    login(page, "demo_pt")
    page.goto(f"/caseload/{member.pk}/plan/")
    expect(page.get_by_role("heading", name=re.compile("A new plan for"))).to_be_visible()
    expect(page.locator("[data-plan-builder][data-ready]")).to_have_count(1)

    # From a template.
    page.get_by_label("Start from a template").select_option(label=TEMPLATE)
    page.get_by_role("button", name="Use this template").click()
    expect(_items(page).first).to_be_visible()
    count = _items(page).count()
    assert count >= 3
    first_names = _names(page)
    expect(page.locator("[data-estimate]")).to_contain_text("min")
    page.get_by_label("Reason for this change").fill("Initial program after assessment")
    page.get_by_role("button", name="Create the plan").click()
    expect(page.get_by_role("status")).to_contain_text("revision 1")
    expect(page).to_have_url(re.compile(r"/plans/\d+/edit/$"))
    plan = Plan.objects.exclude(pk__in=existing).get(member=member)
    assert plan.status == "draft" and plan.revision == 1

    # Adjust by keyboard: more sets on the first, the second moved up, the last removed.
    sets = page.locator("#item-0-sets")
    sets.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    second_up = _items(page).nth(1).get_by_role("button", name=re.compile("^Up"))
    second_up.focus()
    page.keyboard.press("Enter")
    assert _names(page)[:2] == [first_names[1], first_names[0]]
    last_remove = _items(page).nth(count - 1).get_by_role("button", name=re.compile("^Remove"))
    last_remove.focus()
    page.keyboard.press("Enter")
    expect(_items(page)).to_have_count(count - 1)
    page.get_by_label("Reason for this change").fill("Progressing: pain settled")
    page.get_by_role("button", name="Save as a new revision").click()
    expect(page.get_by_role("status")).to_contain_text("revision 2")

    # Both revisions, newest first, with what changed and why.
    revisions = page.locator("[data-revisions] > li")
    expect(revisions).to_have_count(2)
    expect(revisions.first).to_contain_text("Progressing: pain settled")
    expect(revisions.first).to_contain_text(f"Removed {first_names[-1]}")
    expect(revisions.nth(1)).to_contain_text("Initial program after assessment")
    plan.refresh_from_db()
    assert plan.revision == 2
    shot(page, "plan-builder")

    # The handout the print button opens, with this PT's session.
    href = page.get_by_role("link", name="Print handout (PDF)").get_attribute("href")
    assert href == f"/api/v1/plans/{plan.pk}/handout.pdf"
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_a_bad_dose_is_named_next_to_the_exercise(page: Any, login: Callable[..., None]) -> None:
    member = Member.objects.get(user__username="demo_member2")
    login(page, "demo_pt")
    page.goto(f"/caseload/{member.pk}/plan/")
    expect(page.locator("[data-plan-builder][data-ready]")).to_have_count(1)
    page.get_by_label("Search exercises").fill("bridge")
    add = page.get_by_role("button", name="Add Glute bridge")
    add.click()
    expect(_items(page)).to_have_count(1)
    page.locator("#item-0-sets").fill("40")
    expect(page.locator("[data-items] .field-error")).to_contain_text("sets")
    expect(page.locator("#item-0-sets")).to_have_attribute("aria-invalid", "true")
