"""In chromium, the whole path of a clinic going live (issue 13), with no step in the admin:
the coordinator invites a PT; the PT opens the emailed link, chooses a password, lands on their
caseload, adds a member and builds them a plan; the member opens their invitation link on a
360 px phone, chooses a password, consents, picks a reminder time and logs today's session
honestly (every exercise answered, pain before and after); the coordinator transfers the member
to another PT, who now sees them, while the first PT no longer does."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from members.models import (
    CareAssignment,
    Consent,
    Member,
    ReminderSchedule,
    SessionLog,
    User,
)
from members.selectors.sessions import local_today
from programs.models import Plan

from .conftest import DESKTOP, PHONE
from .test_care_team import _pt_name
from .test_invitations import NEW_PASSWORD, _no_sideways_scroll
from .test_today import _pick

pytestmark = pytest.mark.usefixtures("demo_world")

TEMPLATE = "Low back pain: core stability"
PT_EMAIL = "noor.haddad@example.org"
MEMBER_EMAIL = "rosa.diaz@example.org"


def _link_in(message: Any) -> str:
    found = re.search(r"https?://\S+/invite/[^/\s]+/", message.body)
    assert found, message.body
    return found.group(0)


def _emailed_link(to: str) -> str:
    """The invitation link in the last email sent to `to` (sent after the commit, by Celery)."""
    sent = [m for m in mail.outbox if to in m.to]
    assert sent, [m.to for m in mail.outbox]
    return _link_in(sent[-1])


def test_a_clinic_goes_live_without_the_admin(
    new_page: Callable[..., Any],
    login: Callable[..., None],
    shot: Callable[[Any, str], Path],
    settings: Any,
    live_server: Any,
) -> None:
    settings.SITE_URL = live_server.url

    # 1. The coordinator invites a PT.
    desk = new_page(viewport=DESKTOP)
    login(desk, "demo_coordinator")
    desk.get_by_test_id("invite-staff").click()
    desk.wait_for_url("**/invitations/staff/new/")
    desk.get_by_label("Role").select_option("therapist")
    desk.get_by_label("First name").fill("Noor")
    desk.get_by_label("Last name").fill("Haddad")
    desk.get_by_label("Email").fill(PT_EMAIL)
    desk.get_by_role("button", name="Send invitation").click()
    expect(desk.get_by_role("status").first).to_contain_text("Noor Haddad is invited.")
    shown = desk.get_by_test_id("accept-url").inner_text().strip()
    link = _emailed_link(PT_EMAIL)
    assert link == shown  # the same link by email and on the page, once each

    # 2. The PT opens the emailed link, chooses a password and lands on their caseload.
    pt = new_page(viewport=DESKTOP)
    pt.goto(link)
    expect(pt.get_by_text("as a physical therapist")).to_be_visible()
    pt.get_by_label("Choose a password").fill(NEW_PASSWORD)
    pt.get_by_label("Type it again").fill(NEW_PASSWORD)
    pt.get_by_label("I agree to the terms of use").check()
    pt.get_by_role("button", name="Set my password").click()
    pt.wait_for_url("**/caseload/")
    pt_user = User.objects.get(email=PT_EMAIL)
    assert pt_user.role == "therapist" and pt_user.check_password(NEW_PASSWORD)
    shot(pt, "going-live-pt-caseload")

    # 3. The PT adds a member ...
    pt.get_by_test_id("add-member").click()
    pt.wait_for_url("**/members/new/")
    pt.get_by_label("First name").fill("Rosa")
    pt.get_by_label("Last name").fill("Diaz")
    pt.get_by_label("Email").fill(MEMBER_EMAIL)
    pt.get_by_label("Low back pain", exact=True).check()
    pt.get_by_label("Osteoporosis or low bone density").check()
    pt.get_by_role("button", name="Add and invite").click()
    expect(pt.get_by_role("status").first).to_contain_text("Rosa Diaz is enrolled and invited.")
    expect(pt.locator(".qr svg")).to_have_count(1)
    member_link = pt.get_by_test_id("accept-url").inner_text().strip()
    assert member_link == _emailed_link(MEMBER_EMAIL)
    member = Member.objects.select_related("user").get(user__email=MEMBER_EMAIL)
    assert member.care_assignments.get(end_date__isnull=True).therapist.user == pt_user

    # ... and builds their plan from a template, active from today.
    pt.get_by_role("link", name="Caseload").click()
    row = pt.get_by_test_id("caseload-row").filter(has_text="Rosa Diaz")
    expect(row).to_have_count(1)
    pt.get_by_role("link", name="New plan for Rosa Diaz").click()
    expect(pt).to_have_url(re.compile(rf"/caseload/{member.pk}/plan/$"))
    expect(pt.locator("[data-plan-builder][data-ready]")).to_have_count(1)
    pt.get_by_label("Start from a template").select_option(label=TEMPLATE)
    pt.get_by_role("button", name="Use this template").click()
    items = pt.locator("[data-items] > li")
    expect(items.first).to_be_visible()
    count = items.count()
    assert count >= 3
    # Every day, so that today has exercises whatever the weekday of the run.
    for index in range(count):
        for day in items.nth(index).locator("[data-day]").all():
            day.check()
    pt.get_by_label("Status").select_option("active")
    pt.get_by_label("Reason for this change").fill("Initial program after assessment")
    pt.get_by_role("button", name="Create the plan").click()
    expect(pt.get_by_role("status").last).to_contain_text("revision 1")
    plan = Plan.objects.select_related("author").get(member=member)
    assert (plan.status, plan.revision) == ("active", 1)
    assert plan.author is not None and plan.author.user_id == pt_user.pk
    shot(pt, "going-live-plan-builder")

    # 4. The member opens their link on a 360 px phone, sets a password and consents.
    phone = new_page(viewport=PHONE)
    phone.goto(member_link)
    expect(phone.get_by_text("Demo Clinic invited you")).to_be_visible()
    _no_sideways_scroll(phone)
    phone.get_by_label("Choose a password").fill(NEW_PASSWORD)
    phone.get_by_label("Type it again").fill(NEW_PASSWORD)
    phone.get_by_label("I agree to the terms of use").check()
    phone.get_by_label("Yes, my PT may review what I record").check()
    shot(phone, "going-live-member-accept-phone")
    phone.get_by_role("button", name="Set my password").click()

    # First run: a time for the reminder, then today's exercises.
    phone.wait_for_url("**/welcome/")
    _no_sideways_scroll(phone)
    phone.get_by_role("button", name="Evening 18:00").click()
    expect(phone.get_by_test_id("reminder-set")).to_contain_text("18:00")
    expect(phone.get_by_test_id("first-today")).to_be_visible()
    shot(phone, "going-live-welcome-phone")
    schedule = ReminderSchedule.objects.get(member=member)
    assert schedule.local_time.strftime("%H:%M") == "18:00"
    assert {c.kind: c.granted for c in Consent.objects.filter(user=member.user)} == {
        "terms": True,
        "monitoring": True,
    }

    # 5. Today's session, honestly: nothing is chosen for the member.
    phone.goto("/today/")
    cards = phone.get_by_test_id("exercise-card")
    expect(cards).to_have_count(count)
    phone.get_by_test_id("log-session").click()
    errors = phone.get_by_test_id("log-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("choose Done, Partly or Skipped.")
    expect(errors).to_contain_text("Pain before: choose a number")
    assert SessionLog.objects.filter(member=member).count() == 0
    for index in range(count):
        cards.nth(index).get_by_label("Done", exact=True).click()
    _pick(phone, "pain_before", 2)
    _pick(phone, "pain_after", 1)
    phone.get_by_test_id("log-session").click()
    expect(phone.get_by_test_id("log-status")).to_contain_text("Session logged")
    expect(phone.get_by_test_id("pain-advice")).to_be_hidden()
    _no_sideways_scroll(phone)
    shot(phone, "going-live-today-logged-phone")
    session = SessionLog.objects.get(member=member)
    assert (session.local_date, session.status) == (local_today(member), "completed")
    assert (session.pain_before, session.pain_after) == (2, 1)
    assert {e.status for e in session.entries.all()} == {"done"}
    assert session.entries.count() == count

    # 6. The coordinator transfers the member to another PT on the people page.
    desk.goto("/people/")
    team_row = desk.locator(f'[data-testid="team-row"][data-member="{member.user.username}"]')
    mine = f'[data-testid="assignment"][data-therapist="{pt_user.username}"]'
    assignment = team_row.locator(mine)
    expect(assignment).to_have_count(1)
    assignment.get_by_role("combobox").select_option(label=_pt_name("demo_pt2"))
    assignment.get_by_role("button", name="Transfer").click()
    expect(desk.get_by_role("status").first).to_contain_text("is transferred to")
    team_row = desk.locator(f'[data-testid="team-row"][data-member="{member.user.username}"]')
    expect(team_row.locator('[data-testid="assignment"]')).to_have_attribute(
        "data-therapist", "demo_pt2"
    )
    shot(desk, "going-live-people-after-transfer")
    # Enrolled and transferred on the same day: the first assignment never held a full day, so
    # it is removed rather than ended (members/services/care_team.py); only demo_pt2's is open.
    open_now = CareAssignment.objects.filter(member=member, end_date__isnull=True)
    assert [a.therapist.user.username for a in open_now] == ["demo_pt2"]

    # The new PT sees the member (and their plan); the first PT no longer does.
    pt2 = new_page(viewport=DESKTOP)
    login(pt2, "demo_pt2")
    expect(pt2).to_have_url(re.compile(r"/caseload/$"))
    expect(pt2.get_by_test_id("caseload-table")).to_contain_text("Rosa Diaz")
    pt.goto("/caseload/")
    expect(pt.get_by_test_id("caseload-row").filter(has_text="Rosa Diaz")).to_have_count(0)
    response = pt.goto(f"/caseload/{member.pk}/plan/")
    assert response is not None and response.status == 404
    # The new PT takes the plan over where the first one left it.
    pt2.goto(f"/plans/{plan.pk}/edit/")
    expect(pt2.get_by_role("heading", name="Adjust the plan for Rosa Diaz")).to_be_visible()
    expect(pt2.locator("[data-plan-builder][data-ready]")).to_have_count(1)
    expect(pt2.locator("[data-items] > li")).to_have_count(count)
