"""A PT accepts a progression suggestion on the caseload page and the member's today shows the
harder exercise; the plan builder lists a suggestion and dismisses it with a reason. axe-core
finds no WCAG 2.2 AA violation on either page, on a phone and a desktop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from members.models import Member
from programs.models import Plan, PlanItem, ProgressionSuggestion
from programs.services.suggestions import evaluate_member
from tests.programs.suggestion_helpers import log_on
from tests.services import require_axe_core

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_world")]
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _too_easy_item(username: str) -> tuple[Member, Plan, PlanItem]:
    """Three sittings today rating one exercise with a harder version too easy, then the rules
    (as the task queued after a log runs them)."""
    member = Member.objects.select_related("user").get(user__username=username)
    plan = Plan.objects.get(member=member, status="active")
    item = next(
        i
        for i in PlanItem.objects.filter(plan=plan, valid_to_revision__isnull=True)
        .select_related("exercise__progression")
        .order_by("order")
        if i.exercise.progression is not None and i.exercise.progression.organization_id is None
    )
    ProgressionSuggestion.objects.filter(plan=plan).delete()
    from exercise_tracker import clock

    today = clock.local_today(member)
    for _ in range(3):
        log_on(member, today, [(item, {"feedback": "too_easy"})], pain_after=2)
    evaluate_member(member_id=member.pk)
    return member, plan, item


def _axe(page: Any) -> list[str]:
    page.add_script_tag(content=require_axe_core())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        f"{page.url}: {v['id']} at {v['nodes'][0]['target']}: {v['help']}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_pt_accepts_on_the_caseload_and_today_shows_the_harder_exercise(
    new_page: Callable[..., Any], login: Callable[..., None], shot: Callable[[Any, str], Path],
    viewport: dict[str, int],
) -> None:  # fmt: skip
    member, plan, item = _too_easy_item("demo_member")
    harder = item.exercise.progression
    assert harder is not None
    name = "phone" if viewport == PHONE else "desktop"
    pt = new_page(viewport=viewport, bypass_csp=True)
    login(pt, "demo_pt")
    pt.goto("/caseload/")
    row = pt.locator(f'[data-testid=suggestion][data-rule=too_easy][data-member="{member.pk}"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"Suggest {harder.name}")
    row.locator("summary").click()
    expect(row.locator("details li")).to_have_count(3)
    shot(pt, f"progress-caseload-{name}")
    assert not _axe(pt), _axe(pt)
    row.get_by_role("button", name="Accept").click()
    expect(pt.get_by_text("plan has a new revision")).to_be_visible()
    expect(
        pt.locator(f'[data-testid=suggestion][data-rule=too_easy][data-member="{member.pk}"]')
    ).to_have_count(0)
    shot(pt, f"progress-caseload-accepted-{name}")
    plan.refresh_from_db()
    revision = plan.revisions.latest("number")
    assert revision.reason.startswith("Accepted suggestion (Too easy")

    me = new_page(viewport=viewport)
    login(me, "demo_member")
    me.goto("/today/")
    expect(me.get_by_text(harder.name).first).to_be_visible()
    expect(me.get_by_text(item.exercise.name, exact=True)).to_have_count(0)
    shot(me, f"progress-today-{name}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_plan_builder_lists_and_dismisses_with_a_reason(
    new_page: Callable[..., Any], login: Callable[..., None], shot: Callable[[Any, str], Path],
    viewport: dict[str, int],
) -> None:  # fmt: skip
    _member, plan, _ = _too_easy_item("demo_member")
    name = "phone" if viewport == PHONE else "desktop"
    pt = new_page(viewport=viewport, bypass_csp=True)
    login(pt, "demo_pt")
    pt.goto(f"/plans/{plan.pk}/edit/")
    pt.wait_for_load_state("networkidle")
    row = pt.locator("[data-testid=suggestion][data-rule=too_easy]")
    expect(row).to_have_count(1)
    shot(pt, f"progress-builder-{name}")
    assert not _axe(pt), _axe(pt)
    row.get_by_label("Reason to dismiss").fill("Wait until the review next week")
    row.get_by_role("button", name="Dismiss").click()
    expect(pt.get_by_text("Suggestion dismissed")).to_be_visible()
    expect(pt.locator("[data-testid=suggestion][data-rule=too_easy]")).to_have_count(0)
    dismissed = ProgressionSuggestion.objects.get(plan=plan, rule="too_easy")
    assert dismissed.dismiss_reason == "Wait until the review next week"
    assert plan.revisions.count() == Plan.objects.get(pk=plan.pk).revision
