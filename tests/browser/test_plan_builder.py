"""A PT builds a plan in the browser from a template, adjusts it with a reason (by keyboard),
sees both revisions and downloads the handout; the member finds the plan and its handout; the
builder works with the keyboard alone on a 360 px phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from members.models import Member
from programs.models import Plan

from .conftest import PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("demo_world"),
]

TEMPLATE = "Low back pain: core stability"


def _items(page: Any) -> Any:
    return page.locator("[data-items] > li")


def _names(page: Any) -> list[str]:
    return [n.strip() for n in page.locator("[data-items] > li [data-f=name]").all_inner_texts()]


def _focused(page: Any) -> str:
    """The focused element's text, with its visually hidden part ("Up Glute bridge")."""
    text = page.evaluate("() => document.activeElement ? document.activeElement.textContent : ''")
    return " ".join(str(text).split())


def _tab_to(page: Any, start: str, *, backwards: bool = False, limit: int = 80) -> None:
    """Presses Tab (or Shift+Tab) until the focused element's text starts with `start`."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if _focused(page).startswith(start):
            return
    raise AssertionError(f"no focusable element {start!r} within {limit} presses")


def _pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() or "" for p in PdfReader(path).pages).split())


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
    # The chosen template says when to move on.
    expect(page.locator("[data-template-criteria]")).to_contain_text("2-for-2")
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
    # The dose in the words the member will read, as the server words it.
    expect(_items(page).first.get_by_test_id("dose-label")).to_have_text(
        re.compile(r"^3 (sets|holds|bouts) of ")
    )
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

    # The print button opens the handout in a tab; the download link saves it.
    href = page.get_by_role("link", name="Print handout (PDF)").get_attribute("href")
    assert href == f"/api/v1/plans/{plan.pk}/handout.pdf"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the handout").click()
    assert download.value.suggested_filename == f"plan-{plan.pk}-handout.pdf"
    text = _pdf_text(Path(download.value.path()))
    assert member.user.display_name in text
    assert first_names[1] in text and first_names[-1] not in text  # as revised


def test_the_member_finds_their_plan_and_downloads_the_handout_with_pictures(
    page: Any, login: Callable[..., None]
) -> None:
    member = Member.objects.select_related("user").get(user__username="demo_member2")
    plan = Plan.objects.get(member=member, status="active")
    login(page, "demo_member2")
    page.get_by_role("navigation").get_by_role("link", name="My plan").click()
    expect(page).to_have_url(re.compile(r"/plan/$"))
    expect(page.get_by_role("heading", name=re.compile(re.escape(plan.title)))).to_be_visible()
    first = plan.items.filter(valid_to_revision__isnull=True).order_by("order").first()
    assert first is not None
    expect(page.locator(".plan-item").first).to_contain_text(first.exercise.name)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the handout").click()
    path = Path(download.value.path())
    assert path.read_bytes().startswith(b"%PDF")
    text = _pdf_text(path)
    assert member.user.display_name in text and first.exercise.name in text
    assert PdfReader(path).pages[0].images, "the exercise pictures are in the handout"


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_keyboard_only_on_a_phone(
    page: Any, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    """At 360 px, with the keyboard alone: add two exercises from the library, reorder them
    (focus stays on the moved exercise, never lands on Remove), remove one."""
    member = Member.objects.select_related("user").get(user__username="demo_member2")
    login(page, "demo_pt")
    page.get_by_role("link", name=f"New plan for {member.user.display_name}").click()
    expect(page.locator("[data-plan-builder][data-ready]")).to_have_count(1)
    page.get_by_label("Search exercises").focus()
    page.keyboard.type("bridge")
    expect(page.get_by_role("button", name=re.compile("^Add .*bridge"))).to_have_count(2)

    _tab_to(page, "Add ")
    first = _focused(page).removeprefix("Add ")
    page.keyboard.press("Enter")
    expect(_items(page)).to_have_count(1)
    _tab_to(page, "Add ")
    second = _focused(page).removeprefix("Add ")
    page.keyboard.press("Enter")
    expect(_items(page)).to_have_count(2)
    assert _names(page) == [first, second]

    _tab_to(page, f"Up {second}", backwards=True)
    page.keyboard.press("Enter")
    assert _names(page) == [second, first]
    # At the top Up is disabled: the keyboard is on Down of the same exercise.
    assert _focused(page) == f"Down {second}"
    expect(page.get_by_role("status")).to_contain_text(f"{second} is now exercise 1 of 2")
    page.keyboard.press("Enter")
    assert _names(page) == [first, second]
    assert _focused(page) == f"Up {second}"
    _tab_to(page, f"Remove {second}")
    page.keyboard.press("Enter")
    assert _names(page) == [first]
    # Focus is not on another Remove button: a second Enter removes nothing more.
    assert not _focused(page).startswith("Remove")
    page.keyboard.press("Enter")
    assert _names(page) == [first]
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator("[data-handout]").first).to_be_hidden()  # not before the first save
    shot(page, "plan-builder-phone")


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
