"""In chromium, on a 360 px phone: a member records a walk (from today's walking item when it is
due today, else from the walks page) with nothing pre-filled, then checks in on leg symptoms
with weakness getting worse and reads the emergency guidance; their PT sees the urgent alert
first on the caseload. Screenshots of the pages at 360 and 1280 px."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from members.models import Alert, AlertKind, AlertStatus, Member, Walk
from members.rules import safety

from .conftest import DESKTOP, PHONE

pytestmark = [
    pytest.mark.usefixtures("demo_world"),
    pytest.mark.parametrize("viewport", [PHONE], indirect=True),
]


def _member() -> Member:
    return Member.objects.select_related("user").get(user__username="demo_member")


def test_member_logs_a_walk_and_worse_weakness_and_reads_the_emergency_guidance(
    page: Any, new_page: Callable[..., Any], login: Callable[..., None], shot: Any
) -> None:
    member = _member()
    walks_before = Walk.objects.filter(member=member).count()
    login(page, "demo_member")
    page.goto("/today/")
    expect(page.get_by_test_id("symptom-check-due")).to_be_visible()
    shot(page, "walks-today-phone")
    form = page.get_by_test_id("today-walk")
    if form.count() == 0:  # no walking item on today's weekday: the walks page
        page.get_by_role("link", name="Record a walk").click()
        form = page.get_by_test_id("walk-form")
    # Nothing is pre-filled: no choice made, no number written.
    expect(form.locator("input[type=radio]:checked")).to_have_count(0)
    for name in ("minutes_to_symptoms", "total_minutes", "rests"):
        expect(form.locator(f"input[name={name}]")).to_have_value("")
    # Refused without an answer, naming what is missing.
    form.get_by_test_id("log-walk").click()
    expect(page.get_by_test_id("walk-errors")).to_contain_text("Leg symptoms")
    form = page.get_by_test_id("walk-form")
    form.get_by_label("Yes").check()
    form.get_by_label("Minutes walked before they started").fill("9")
    form.get_by_label("Total minutes walked").fill("22")
    form.get_by_label("Rests taken").fill("2")
    form.get_by_test_id("log-walk").click()
    expect(page.locator(".messages, [role=status]").first).to_contain_text("Walk recorded")
    walk = Walk.objects.filter(member=member).order_by("-created_at").first()
    assert walk is not None
    assert Walk.objects.filter(member=member).count() == walks_before + 1
    assert (walk.minutes_to_symptoms, walk.total_minutes, walk.rests) == (9, 22, 2)

    page.goto("/symptoms/")
    check = page.get_by_test_id("symptom-form")
    # Better/same/worse is asked once a symptom is felt.
    check.locator("#weakness").get_by_label("Not at all").check()
    expect(check.locator("#weakness .change-group")).to_be_hidden()
    check.locator("#numbness").get_by_label("Left leg").check()
    check.locator("#numbness").get_by_label("The same").check()
    check.locator("#tingling").get_by_label("Not at all").check()
    check.locator("#weakness").get_by_label("Right leg").check()
    expect(check.locator("#weakness .change-group")).to_be_visible()
    check.locator("#weakness").get_by_label("Worse").check()
    shot(page, "walks-symptoms-form-phone")
    check.get_by_test_id("save-check").click()
    guidance = page.get_by_test_id("emergency-guidance")
    expect(guidance).to_be_visible()
    expect(guidance).to_contain_text(safety.RED_FLAG_LEAD)
    expect(guidance).to_contain_text(safety.WEAKNESS_GUIDANCE.title)
    expect(guidance).to_have_attribute("role", "alert")
    shot(page, "walks-symptoms-guidance-phone")
    alert = Alert.objects.get(member=member, kind=AlertKind.LEG_WEAKNESS)
    assert alert.status == AlertStatus.OPEN

    pt = new_page(viewport=DESKTOP)
    login(pt, "demo_pt")
    pt.goto("/caseload/")
    first = pt.get_by_test_id("alert").first
    expect(first).to_have_attribute("data-kind", "leg_weakness")
    expect(first.get_by_test_id("urgent")).to_be_visible()
    expect(pt.get_by_test_id("caseload-walking").first).to_be_visible()
    shot(pt, "walks-caseload-desktop")
    pt.goto(f"/members/{member.pk}/history/")
    expect(pt.get_by_test_id("walk-chart")).to_be_visible()
    expect(pt.get_by_test_id("walk-trend")).to_be_visible()
    shot(pt, "walks-history-pt-desktop")
    pt.goto(f"/members/{member.pk}/adherence/")
    expect(pt.get_by_test_id("fig-walking")).to_be_visible()
    shot(pt, "walks-member-page-desktop")

    page.goto("/history/")
    expect(page.get_by_test_id("walk-chart")).to_be_visible()
    shot(page, "walks-history-phone")
    page.goto("/walks/")
    shot(page, "walks-page-phone")
    coordinator = new_page(viewport=DESKTOP)
    login(coordinator, "demo_coordinator")
    coordinator.goto("/dashboard/")
    expect(coordinator.get_by_test_id("dashboard-walking")).to_have_count(0)
    assert coordinator.goto(f"/members/{member.pk}/history/").status == 404
