"""Signing in and out through the login page, as each demo role, on a phone and a desktop."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_world")]


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # Signed out on the server too: the landing page sends us back to sign in.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))


def _fits_without_sideways_scrolling(page: Any) -> None:
    """Nothing is wider than the window, and no table scrolls sideways inside its frame."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"
    hidden = page.evaluate(
        "Array.from(document.querySelectorAll('.table-wrap'))"
        ".map(el => el.scrollWidth - el.clientWidth)"
    )
    assert all(px <= 0 for px in hidden), f"tables scroll sideways by {hidden}px"


def test_member_lands_on_today_and_signs_out(
    page: Any, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    login(page, "demo_member")
    expect(page).to_have_url(re.compile(r"/today/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello, Sam")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("Sam Carter")
    expect(page.get_by_role("link", name="Today")).to_have_attribute("aria-current", "page")
    shot(page, "member-today-desktop")
    _sign_out(page)


def test_pt_lands_on_caseload_listing_their_member(
    page: Any, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    login(page, "demo_pt")
    expect(page).to_have_url(re.compile(r"/caseload/$"))
    table = page.get_by_test_id("caseload-table")
    expect(table).to_contain_text("Sam Carter")
    # 17 in the seed, less member29, transferred to demo_pt2 (members/demo/care_team.py).
    expect(page.get_by_text("16 members assigned to you.")).to_be_visible()
    # Priya Shah's member, in the same clinic, is not on Alex Rivera's caseload.
    expect(table).not_to_contain_text("Elizabeth Brennan")
    shot(page, "pt-caseload-desktop")
    _sign_out(page)


def test_coordinator_lands_on_dashboard_with_every_member_in_care(
    page: Any, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    login(page, "demo_coordinator")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Demo Clinic: adherence")
    # Every Demo Clinic member in care: 32, less the one the demo discharged.
    expect(page.get_by_test_id("fig-members")).to_have_text("31")
    shot(page, "coordinator-dashboard-desktop")
    _sign_out(page)


def test_staff_lands_on_admin(page: Any, login: Callable[..., None]) -> None:
    login(page, "demo_admin")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    # Django admin's own logout form, a POST like ours.
    page.get_by_role("button", name="Log out").click()
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))


def test_wrong_password_shows_the_error_and_stays_signed_out(
    page: Any, shot: Callable[[Any, str], Path]
) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("demo_member")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("enter a correct username and password")
    # The username stays filled in; the password does not.
    expect(page.get_by_label("Username")).to_have_value("demo_member")
    expect(page.get_by_label("Password")).to_have_value("")
    shot(page, "login-wrong-password-desktop")
    page.goto("/today/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/today/"))


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_on_a_phone_every_role_signs_in_and_out_without_sideways_scrolling(
    page: Any, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    page.goto("/login/")
    _fits_without_sideways_scrolling(page)
    shot(page, "login-phone")
    for username, path, name in (
        ("demo_member", "/today/", "member-today"),
        ("demo_pt", "/caseload/", "pt-caseload"),
        ("demo_coordinator", "/dashboard/", "coordinator-dashboard"),
    ):
        login(page, username)
        expect(page).to_have_url(re.compile(f"{path}$"))
        _fits_without_sideways_scrolling(page)
        if username == "demo_coordinator":
            # Both charts are drawn across the phone, not squeezed to nothing.
            widths = page.locator("canvas").evaluate_all(
                "charts => charts.map(c => c.getBoundingClientRect().width)"
            )
            assert len(widths) == 2 and min(widths) > 250, widths
        sign_out = page.get_by_role("button", name="Sign out")
        expect(sign_out).to_be_in_viewport()
        shot(page, f"{name}-phone")
        _sign_out(page)
