"""In chromium: a coordinator adds a member from the dashboard and gets the invitation link
(and its QR code); the member opens the link on a 360 px phone, chooses a password with the
keyboard, agrees to the terms and to remote monitoring, and picks a time for their reminder."""

from __future__ import annotations

from typing import Any

import pytest

from members.models import Consent, Member, ReminderSchedule
from tests import factories

from .conftest import DESKTOP, PHONE

NEW_PASSWORD = "a long walk by the river"


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.fixture
def clinic(transactional_db: None, settings: Any, live_server: Any) -> Any:
    settings.SITE_URL = live_server.url
    org = factories.OrganizationFactory.create(name="Lakeside Clinic", timezone="America/Chicago")
    factories.CoordinatorFactory.create(user__organization=org, user__username="lake_coordinator")
    pt = factories.TherapistFactory.create(
        user__organization=org, user__username="lake_pt", user__first_name="Dana"
    )
    return pt


def test_a_coordinator_invites_and_the_member_starts_on_a_phone(
    new_page: Any, clinic: Any, login: Any, shot: Any
) -> None:
    desk = new_page(viewport=DESKTOP)
    login(desk, "lake_coordinator", factories.PASSWORD)
    desk.get_by_test_id("add-member").click()
    desk.wait_for_url("**/members/new/")
    desk.get_by_label("First name").fill("Rosa")
    desk.get_by_label("Last name").fill("Diaz")
    desk.get_by_label("Email").fill("rosa@example.org")
    desk.get_by_label("Lumbar spinal stenosis").check()
    desk.get_by_label("Osteoporosis or low bone density").check()
    desk.get_by_label("Primary PT").select_option(str(clinic.pk))
    desk.get_by_role("button", name="Add and invite").click()
    desk.wait_for_selector("text=Rosa Diaz is enrolled and invited.")
    assert desk.locator(".qr svg").count() == 1
    link = desk.get_by_test_id("accept-url").inner_text().strip()
    assert "/invite/" in link
    shot(desk, "invitation-created")
    member = Member.objects.get(user__email="rosa@example.org")
    assert member.precautions == ["osteoporosis"]

    phone = new_page(viewport=PHONE)
    phone.goto(link)
    phone.wait_for_selector("text=Lakeside Clinic invited you")
    _no_sideways_scroll(phone)
    # By keyboard: type the password twice, tick the terms, choose "yes" for monitoring.
    phone.get_by_label("Choose a password").focus()
    phone.keyboard.type(NEW_PASSWORD)
    phone.keyboard.press("Tab")
    phone.keyboard.type(NEW_PASSWORD)
    phone.get_by_label("I agree to the terms of use").focus()
    phone.keyboard.press("Space")
    phone.get_by_label("Yes, my PT may review what I record").focus()
    phone.keyboard.press("Space")
    shot(phone, "invitation-accept-phone")
    phone.get_by_role("button", name="Set my password").focus()
    phone.keyboard.press("Enter")

    phone.wait_for_url("**/welcome/")
    _no_sideways_scroll(phone)
    phone.get_by_role("button", name="Morning 7:30").focus()
    phone.keyboard.press("Enter")
    phone.wait_for_selector("text=Reminder set for 07:30 every day.")
    assert "07:30" in phone.get_by_test_id("reminder-set").inner_text()
    assert phone.get_by_test_id("first-today").is_visible()
    _no_sideways_scroll(phone)
    shot(phone, "welcome-phone")

    schedule = ReminderSchedule.objects.get(member=member)
    assert schedule.local_time.strftime("%H:%M") == "07:30"
    assert {c.kind: c.granted for c in Consent.objects.filter(user=member.user)} == {
        "terms": True,
        "monitoring": True,
    }
    # The link works once.
    again = new_page(viewport=PHONE)
    again.goto(link)
    again.wait_for_selector("text=This link cannot be used")


def test_a_coordinator_invites_a_pt_who_accepts_and_enrolls_a_member(
    new_page: Any, clinic: Any, login: Any, shot: Any
) -> None:
    desk = new_page(viewport=DESKTOP)
    login(desk, "lake_coordinator", factories.PASSWORD)
    desk.get_by_test_id("invite-staff").click()
    desk.wait_for_url("**/invitations/staff/new/")
    desk.get_by_label("Role").select_option("therapist")
    desk.get_by_label("First name").fill("Noor")
    desk.get_by_label("Last name").fill("Haddad")
    desk.get_by_label("Email").fill("noor@example.org")
    desk.get_by_role("button", name="Send invitation").click()
    desk.wait_for_selector("text=Noor Haddad is invited.")
    link = desk.get_by_test_id("accept-url").inner_text().strip()
    desk.get_by_role("link", name="Invitations").first.click()
    row = desk.get_by_test_id("invitation").filter(has_text="Noor Haddad")
    assert row.get_attribute("data-status") == "pending"

    pt_page = new_page(viewport=DESKTOP)
    pt_page.goto(link)
    pt_page.wait_for_selector("text=as a physical therapist")
    assert pt_page.get_by_test_id("monitoring-text").count() == 0
    pt_page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    pt_page.get_by_label("Type it again").fill(NEW_PASSWORD)
    pt_page.get_by_label("I agree to the terms of use").check()
    pt_page.get_by_role("button", name="Set my password").click()
    pt_page.wait_for_url("**/caseload/")
    pt_page.get_by_test_id("add-member").click()
    pt_page.wait_for_url("**/members/new/")
    pt_page.get_by_label("First name").fill("Ben")
    pt_page.get_by_label("Last name").fill("Okafor")
    pt_page.get_by_label("Mobile phone").fill("+15550001234")
    pt_page.get_by_label("Hip pain or weakness").check()
    pt_page.get_by_label("Hip replacement, posterior approach").check()
    pt_page.get_by_role("button", name="Add and invite").click()
    pt_page.wait_for_selector("text=Ben Okafor is enrolled and invited.")
    assert pt_page.locator(".qr svg").count() == 1
    pt_page.get_by_role("link", name="Caseload").click()
    assert pt_page.get_by_test_id("caseload-row").filter(has_text="Ben Okafor").count() == 1
    member = Member.objects.get(user__phone="+15550001234")
    assert member.precautions == ["hip_replacement_posterior"]
    assert member.care_assignments.get().therapist.user.username == "noor.haddad"
    desk.reload()
    row = desk.get_by_test_id("invitation").filter(has_text="Noor Haddad")
    assert row.get_attribute("data-status") == "accepted"
