"""The pages: Add member, Invite staff, the invitations list and one invitation (its link and QR
code once), resend and revoke, the invitation link's page and a member's first run."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Consent, Invitation, Member, ReminderSchedule, Role
from members.services.enrolment import enroll_member
from members.services.invitations import invite_staff

from ...conftest import World

NEW_PASSWORD = "a long walk by the river"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _enrolled(world: World, email: str = "rosa@example.org") -> Any:
    return enroll_member(by=world.pt.user, first_name="Rosa", last_name="Diaz", email=email).issued


@pytest.mark.django_db
def test_a_pt_adds_a_member_and_sees_the_link_and_qr_code_once(world: World) -> None:
    client = _client(world.pt.user)
    page = client.get("/members/new/")
    assert page.status_code == 200
    assert b"<script" not in page.content
    response = client.post(
        "/members/new/",
        {
            "first_name": "Rosa",
            "last_name": "Diaz",
            "phone": "+15551234567",
            "conditions": ["lumbar_spinal_stenosis"],
            "precautions": ["osteoporosis"],
            "timezone": "America/New_York",
            "language": "en",
            "primary_therapist": str(world.pt.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get(user__first_name="Rosa")
    assert member.precautions == ["osteoporosis"]
    shown = client.get(response["Location"])
    html = shown.content.decode()
    assert 'class="qr"' in html and 'data-testid="accept-url"' in html
    assert html.count("<svg") == 2  # the brand's, and the QR code's
    assert "no-store" in shown["Cache-Control"]
    url = re.search(r'data-testid="accept-url">([^<]+)<', html)
    assert url is not None and "/invite/" in url.group(1)
    again = client.get(response["Location"]).content.decode()
    assert 'class="qr"' not in again and url.group(1) not in again


@pytest.mark.django_db
def test_the_form_names_a_duplicate_and_missing_addresses(world: World) -> None:
    _enrolled(world)
    client = _client(world.coordinator)
    base = {"first_name": "R", "last_name": "D", "timezone": "America/New_York", "language": "en"}
    response = client.post("/members/new/", {**base, "email": "rosa@example.org"})
    assert response.status_code == 400
    assert "already has this email" in response.content.decode()
    response = client.post("/members/new/", base)
    assert response.status_code == 400
    assert "email address or a mobile phone" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/members/new/", {"pt", "coordinator"}),
        ("/invitations/", {"pt", "coordinator"}),
        ("/invitations/staff/new/", {"coordinator"}),
    ],
)
def test_who_sees_the_pages(world: World, path: str, allowed: set[str]) -> None:
    users = {
        "member": world.member.user,
        "pt": world.pt.user,
        "coordinator": world.coordinator,
        "staff": world.staff,
    }
    for name, user in users.items():
        status = _client(user).get(path).status_code
        assert status == (200 if name in allowed else 404), (name, status)
    assert Client().get(path).status_code == 302  # to the sign-in page


@pytest.mark.django_db
def test_the_list_shows_the_scope_and_the_page_resends_and_revokes(world: World) -> None:
    mine = _enrolled(world)
    enroll_member(by=world.pt_other.user, first_name="Other", last_name="P", email="o@example.org")
    client = _client(world.pt.user)
    listed = client.get("/invitations/").content.decode()
    assert "Rosa Diaz" in listed and "Other P" not in listed
    pk = mine.invitation.pk
    assert _client(world.pt_other.user).get(f"/invitations/{pk}/").status_code == 404
    assert _client(world.pt_other.user).post(f"/invitations/{pk}/revoke/").status_code == 404

    resent = client.post(f"/invitations/{pk}/resend/", follow=True).content.decode()
    assert 'class="qr"' in resent and "previous link no longer works" in resent
    assert Invitation.objects.get(pk=pk).token_hash != mine.invitation.token_hash
    client.post(f"/invitations/{pk}/revoke/")
    assert Invitation.objects.get(pk=pk).status == "revoked"
    filtered = client.get("/invitations/?status=pending").content.decode()
    assert "Rosa Diaz" not in filtered


@pytest.mark.django_db
def test_a_coordinator_invites_staff_from_the_page(world: World) -> None:
    client = _client(world.coordinator)
    response = client.post(
        "/invitations/staff/new/",
        {"role": "coordinator", "first_name": "Ada", "last_name": "Lee", "email": "ada@e.org"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Ada Lee is invited" in response.content.decode()
    assert Invitation.objects.get(email="ada@e.org").role == Role.COORDINATOR


@pytest.mark.django_db
def test_a_member_accepts_on_the_link_page_and_picks_a_reminder_time(world: World) -> None:
    issued = _enrolled(world)
    client = Client()
    page = client.get(f"/invite/{issued.token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Remote monitoring" in html and "Terms of use" in html and "<script" not in html
    response = client.post(
        f"/invite/{issued.token}/",
        {
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
            "terms": "on",
            "monitoring": "yes",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/welcome/"
    assert Consent.objects.get(kind="monitoring").granted is True
    welcome = client.get("/welcome/")
    assert welcome.status_code == 200
    assert "Nothing for today yet" in welcome.content.decode()
    client.post("/welcome/", {"preset": "07:30"})
    schedule = ReminderSchedule.objects.get(member__user__email="rosa@example.org")
    assert schedule.local_time.strftime("%H:%M") == "07:30"
    assert schedule.channels == ["in_app", "email"]
    assert "07:30" in client.get("/welcome/").content.decode()


@pytest.mark.django_db
def test_the_link_page_checks_the_form(world: World) -> None:
    issued = _enrolled(world)
    client = Client()
    response = client.post(
        f"/invite/{issued.token}/",
        {"password": NEW_PASSWORD, "password_again": "something else entirely"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "not the same" in html and "Agree to the terms" in html and "yes or no" in html
    response = client.post(
        f"/invite/{issued.token}/",
        {"password": "short", "password_again": "short", "terms": "on", "monitoring": "no"},
    )
    assert response.status_code == 400 and "too short" in response.content.decode()


@pytest.mark.django_db
def test_used_expired_and_unknown_links_answer_a_clear_page(world: World) -> None:
    used = _enrolled(world)
    client = Client()
    client.post(
        f"/invite/{used.token}/",
        {
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
            "terms": "on",
            "monitoring": "no",
        },
    )
    again = Client().get(f"/invite/{used.token}/")
    assert again.status_code == 410 and "already used" in again.content.decode()
    assert "Rosa" not in again.content.decode()
    expired = _enrolled(world, email="e@example.org")
    Invitation.objects.filter(pk=expired.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert Client().get(f"/invite/{expired.token}/").status_code == 410
    assert Client().get("/invite/not-a-real-token/").status_code == 400


@pytest.mark.django_db
def test_staff_accept_on_the_page_and_land_on_their_home(world: World) -> None:
    issued = invite_staff(
        by=world.coordinator, role="therapist", email="n@example.org", first_name="N", last_name="H"
    )
    client = Client()
    page = client.get(f"/invite/{issued.token}/").content.decode()
    assert "Remote monitoring" not in page
    response = client.post(
        f"/invite/{issued.token}/",
        {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "terms": "on"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/caseload/").status_code == 200


@pytest.mark.django_db
def test_the_first_run_is_for_members_only(world: World) -> None:
    assert _client(world.pt.user).get("/welcome/").status_code == 404
    member_client = Client()
    member_client.force_login(world.member.user)
    assert member_client.get("/welcome/").status_code == 200


@pytest.mark.django_db
def test_the_link_page_is_throttled_per_address_and_per_token(world: World, settings) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "invitation_accept": "5/min",
            "invitation_accept_token": "2/min",
        },
    }
    issued = _enrolled(world)
    client = Client()
    bad = {"password": "short", "password_again": "short", "terms": "on", "monitoring": "no"}
    assert client.get(f"/invite/{issued.token}/").status_code == 200  # the address only
    assert client.post(f"/invite/{issued.token}/", bad).status_code == 400
    assert client.post(f"/invite/{issued.token}/", bad).status_code == 400
    assert client.post(f"/invite/{issued.token}/", bad).status_code == 429  # the token's third
    assert client.get("/invite/anything-else/").status_code == 400
    assert client.get("/invite/anything-else/").status_code == 429  # the address's sixth
    cache.clear()
