"""In chromium: the coordinator transfers a member to another PT on the people page; that PT
now sees them on their caseload, and the first PT no longer does."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.usefixtures("demo_world")


def test_the_coordinator_transfers_a_member_and_the_new_pt_sees_them(
    new_page: Callable[..., Any], login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    coordinator = new_page()
    login(coordinator, "demo_coordinator")
    coordinator.get_by_role("link", name="People").click()
    expect(coordinator).to_have_url(re.compile(r"/people/$"))
    expect(coordinator.get_by_test_id("staff-row")).to_have_count(3)

    row = coordinator.locator('[data-testid="team-row"][data-member="member01"]')
    name = row.locator("th").inner_text().strip()
    assignment = row.locator('[data-testid="assignment"][data-therapist="demo_pt"]')
    expect(assignment).to_have_count(1)
    # With the keyboard: choose the new PT, then press the Transfer button.
    select = assignment.get_by_role("combobox")
    select.focus()
    select.select_option(label=_pt_name("demo_pt2"))
    assignment.get_by_role("button", name="Transfer").press("Enter")
    expect(coordinator.get_by_role("status")).to_contain_text("is transferred to")
    row = coordinator.locator('[data-testid="team-row"][data-member="member01"]')
    expect(row.locator('[data-testid="assignment"]')).to_have_attribute(
        "data-therapist", "demo_pt2"
    )
    shot(coordinator, "people-after-transfer")

    new_pt = new_page()
    login(new_pt, "demo_pt2")
    expect(new_pt).to_have_url(re.compile(r"/caseload/$"))
    expect(new_pt.get_by_test_id("caseload-table")).to_contain_text(name)

    old_pt = new_page()
    login(old_pt, "demo_pt")
    expect(old_pt.get_by_test_id("caseload-table")).not_to_contain_text(name)


def _pt_name(username: str) -> str:
    from members.models import User

    return User.objects.get(username=username).display_name
