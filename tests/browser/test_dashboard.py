"""In chromium: the coordinator finds the members at risk on the demo organization's dashboard,
narrows it with a filter, downloads the CSV of what is shown, and opens a member's page; the
PT's caseload carries the same figures."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from members.models import AT_RISK, MemberAdherence, Risk

from .conftest import PHONE

pytestmark = pytest.mark.usefixtures("demo_world")


def test_the_coordinator_finds_members_at_risk_filters_and_downloads_the_csv(
    page: Any, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    login(page, "demo_coordinator")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_test_id("window")).to_contain_text("self-reported")
    # Discharged members are out of care: not on the dashboard, not at risk.
    at_risk = MemberAdherence.objects.filter(
        member__user__organization__slug="demo-clinic",
        member__discharged_on__isnull=True,
        risk__in=AT_RISK,
    ).count()
    assert at_risk > 0
    expect(page.get_by_test_id("fig-at-risk")).to_have_text(str(at_risk))
    # The at-risk members come first, the worst first.
    risks = page.get_by_test_id("member-row").evaluate_all("rows => rows.map(r => r.dataset.risk)")
    assert set(risks[:at_risk]) <= {r.value for r in AT_RISK}, risks
    assert risks[0] == Risk.NEVER_STARTED
    # Both charts are drawn.
    for chart in ("weeks-chart", "distribution-chart"):
        expect(page.get_by_test_id(chart)).to_be_visible()
        assert page.get_by_test_id(chart).evaluate("c => c.width") > 200
    shot(page, "dashboard-desktop")

    page.get_by_label("Risk", exact=True).select_option("fading")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"risk=fading"))
    fading = MemberAdherence.objects.filter(
        member__user__organization__slug="demo-clinic",
        member__discharged_on__isnull=True,
        risk=Risk.FADING,
    )
    rows = page.get_by_test_id("member-row")
    expect(rows).to_have_count(fading.count())
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.risk)")) == {"fading"}

    with page.expect_download() as download:
        page.get_by_test_id("csv-link").click()
    assert download.value.suggested_filename.startswith("adherence-")
    with open(download.value.path(), encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == fading.count()
    assert {line["risk"] for line in lines} == {"fading"}
    assert {line["source"] for line in lines} == {"self-reported"}
    assert "pain_trend" not in lines[0]  # no pain details for coordinators

    name = rows.first.get_by_role("link").inner_text()
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_test_id("risk")).to_have_text("Fading")
    expect(page.get_by_test_id("adherence-calendar")).to_be_visible()


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_the_pt_caseload_has_the_figures_on_a_phone(page: Any, login: Callable[..., None]) -> None:
    login(page, "demo_pt")
    rows = page.get_by_test_id("caseload-row")
    expect(rows.first).to_be_visible()
    assert (
        rows.count()
        == MemberAdherence.objects.filter(
            # Open assignments only: the demo's member29 was transferred away from demo_pt.
            member__care_assignments__therapist__user__username="demo_pt",
            member__care_assignments__end_date__isnull=True,
        ).count()
    )
    expect(page.get_by_test_id("caseload-table")).to_contain_text("%")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    rows.first.get_by_role("link").first.click()
    expect(page.get_by_test_id("member-figures")).to_contain_text("adherence")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
