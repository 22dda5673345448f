"""Own account: details, time zone moves (across the date line), password change and reset."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from exercise_tracker.models import AuditEvent
from members.models import MemberAdherence, ReminderSchedule
from members.services import accounts
from members.services.reminders import create_reminder
from tests import factories
from tests.conftest import World, bearer_client
from tests.members.reminder_helpers import dispatch

NEW_PASSWORD = "a-much-longer-passphrase-42"
# 22:00 UTC on 2 December: 11:00 on 3 December in Auckland (UTC+13), 12:00 on 2 December in
# Honolulu (UTC-10). The two zones are 23 hours and one calendar date apart.
NOW = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)


def _tokens(username: str, password: str = factories.PASSWORD) -> dict[str, str]:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _with(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


# --- details ------------------------------------------------------------------------------------


def test_member_changes_name_email_phone_and_language(world: World) -> None:
    user = accounts.update_account(
        user=world.member.user,
        changes={
            "first_name": " Ana ",
            "last_name": "Silva",
            "email": "ana@example.org",
            "phone": "+1 (555) 123-4567",
            "language": "es",
        },
    )
    user.refresh_from_db()
    world.member.refresh_from_db()
    assert (user.first_name, user.last_name, user.email, user.phone) == (
        "Ana",
        "Silva",
        "ana@example.org",
        "+15551234567",
    )
    assert world.member.preferred_language == "es"
    assert AuditEvent.objects.filter(user_id=user.pk, action="update").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "555-1234"}, "phone"),
        ({"email": "not an address"}, "email"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"language": "xx"}, "language"),
        ({"role": "staff"}, "role"),
    ],
)
def test_bad_values_name_their_field(world: World, changes: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        accounts.update_account(user=world.member.user, changes=changes)
    assert field in caught.value.message_dict


def test_an_email_in_use_in_the_organization_is_a_conflict(world: World) -> None:
    world.other_member.user.email = "taken@example.org"
    world.other_member.user.save()
    with pytest.raises(accounts.AccountConflict) as caught:
        accounts.update_account(user=world.member.user, changes={"email": "Taken@example.org"})
    assert caught.value.field == "email"
    # Another organization's address is no business of this one.
    accounts.update_account(user=world.foreign_member.user, changes={"email": "taken@example.org"})


def test_a_pt_sets_their_own_time_zone_and_language(world: World) -> None:
    accounts.update_account(
        user=world.pt.user, changes={"timezone": "Europe/Paris", "language": "fr"}
    )
    me = bearer_client(world.pt.user).get("/api/v1/me/").json()
    assert (me["timezone"], me["language"]) == ("Europe/Paris", "fr")


# --- time zone across the date line -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("before", "after", "today_before", "today_after", "next_fire_after"),
    [
        # Westward over the line: the member's today goes back a date; the 09:00 reminder next
        # fires at 09:00 Honolulu on 3 December (19:00 UTC), not at Auckland's 09:00 on the 4th.
        (
            "Pacific/Auckland",
            "Pacific/Honolulu",
            "2026-12-03",
            "2026-12-02",
            datetime(2026, 12, 3, 19, 0, tzinfo=UTC),
        ),
        # Eastward: today jumps a date ahead; 09:00 on 3 December in Auckland is already past
        # (it is 11:00 there), so the next fire is 09:00 on the 4th (20:00 UTC on the 3rd).
        (
            "Pacific/Honolulu",
            "Pacific/Auckland",
            "2026-12-02",
            "2026-12-03",
            datetime(2026, 12, 3, 20, 0, tzinfo=UTC),
        ),
    ],
)
def test_changing_time_zone_moves_reminders_and_today(
    before: str, after: str, today_before: str, today_after: str, next_fire_after: datetime
) -> None:
    member = factories.MemberFactory.create(timezone=before)
    schedule = create_reminder(member=member, local_time=time(9, 0), now=NOW)
    from members.services.adherence import refresh_member

    refresh_member(member=member, now=NOW)
    assert MemberAdherence.objects.get(member=member).as_of.isoformat() == today_before

    accounts.update_account(user=member.user, changes={"timezone": after}, now=NOW)

    schedule = ReminderSchedule.objects.get(pk=schedule.pk)
    assert schedule.timezone == after
    assert schedule.local_time == time(9, 0)  # the wall time is kept
    assert schedule.next_fire_at == next_fire_after
    assert MemberAdherence.objects.get(member=member).as_of.isoformat() == today_after
    member.refresh_from_db()
    assert member.timezone == after


def test_a_reminder_fires_once_on_the_new_dates_after_a_move(world: World) -> None:
    """The dispatcher finds the moved reminder due at the new zone's time, not the old one."""

    member = factories.MemberFactory.create(timezone="Pacific/Auckland")
    create_reminder(member=member, local_time=time(9, 0), now=NOW)
    accounts.update_account(user=member.user, changes={"timezone": "Pacific/Honolulu"}, now=NOW)
    # At 18:59 UTC on 3 December nothing is due yet; at 19:01 (09:01 in Honolulu) it is, once.
    assert dispatch(datetime(2026, 12, 3, 18, 59, tzinfo=UTC))[0].claimed == 0
    fired = dispatch(datetime(2026, 12, 3, 19, 1, tzinfo=UTC))[0]
    assert (fired.claimed, fired.zone_changed) == (1, 0)
    assert dispatch(datetime(2026, 12, 3, 19, 2, tzinfo=UTC))[0].claimed == 0


# --- password change ----------------------------------------------------------------------------


def test_password_change_ends_other_sessions_and_earlier_tokens(world: World) -> None:
    user = world.member.user
    first = _tokens("member")
    second = _tokens("member")  # another phone
    browser = Client()
    browser.force_login(user)
    assert browser.get("/today/").status_code == 200

    response = _with(first["access"]).post(
        "/api/v1/auth/password/change/",
        {"old_password": factories.PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.content
    fresh = response.json()

    # Every access token issued before stops working at once, on every device.
    for old in (first, second):
        assert _with(old["access"]).get("/api/v1/me/").status_code == 401
        refreshed = APIClient().post(
            "/api/v1/auth/token/refresh/", {"refresh": old["refresh"]}, format="json"
        )
        assert refreshed.status_code == 401
    # The browser session ends too (its password hash no longer matches).
    assert browser.get("/today/").status_code == 302
    # The new tokens work; the new password signs in, the old one does not.
    assert _with(fresh["access"]).get("/api/v1/me/").status_code == 200
    again = APIClient().post(
        "/api/v1/auth/token/refresh/", {"refresh": fresh["refresh"]}, format="json"
    )
    assert again.status_code == 200
    _tokens("member", NEW_PASSWORD)
    assert (
        AuditEvent.objects.filter(user_id=user.pk, object_type=accounts.PASSWORD_OBJECT).count()
        == 1
    )


def test_password_change_checks_the_current_password_and_the_validators(world: World) -> None:
    client = bearer_client(world.member.user)
    wrong = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": "nope", "new_password": NEW_PASSWORD},
        format="json",
    )
    assert wrong.status_code == 400
    assert set(wrong.json()["errors"]) == {"old_password"}
    weak = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": factories.PASSWORD, "new_password": "1234"},
        format="json",
    )
    assert weak.status_code == 400
    assert set(weak.json()["errors"]) == {"new_password"}
    assert client.get("/api/v1/me/").status_code == 200  # nothing changed


def test_logout_ends_the_access_tokens_too(world: World) -> None:
    tokens = _tokens("pt")
    client = _with(tokens["access"])
    assert client.get("/api/v1/me/").status_code == 200
    out = APIClient().post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json")
    assert out.status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_token_check_stays_one_query(world: World, django_assert_num_queries) -> None:
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from exercise_tracker.authentication import ScopedJWTAuthentication

    access = _tokens("pt")["access"]
    request = APIRequestFactory().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")
    with django_assert_num_queries(1):
        found = ScopedJWTAuthentication().authenticate(Request(request))
    assert found is not None
    assert found[0].pk == world.pt.user.pk


# --- forgotten password -------------------------------------------------------------------------


def _reset(email: str) -> tuple[int, dict]:
    from django.test import TestCase

    # The email is queued once the transaction commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = APIClient().post("/api/v1/auth/password/reset/", {"email": email}, format="json")
    return response.status_code, response.json()


def test_reset_answers_alike_and_the_link_works_once(world: World) -> None:
    user = world.member.user
    user.email = "member@example.org"
    user.save()
    known = _reset("Member@Example.org")
    unknown = _reset("nobody@example.org")
    assert known == unknown
    assert known[0] == 202
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["member@example.org"]
    found = re.search(r"/password/reset/([^/\s]+)/", str(message.body))
    assert found is not None
    token = found.group(1)

    confirm = APIClient().post(
        "/api/v1/auth/password/reset/confirm/",
        {"token": token, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert confirm.status_code == 200, confirm.content
    _tokens("member", NEW_PASSWORD)
    twice = APIClient().post(
        "/api/v1/auth/password/reset/confirm/",
        {"token": token, "new_password": "yet-another-passphrase-7"},
        format="json",
    )
    assert twice.status_code == 400
    assert set(twice.json()["errors"]) == {"token"}
    assert (
        AuditEvent.objects.filter(user_id=user.pk, object_type=accounts.PASSWORD_OBJECT).count()
        == 1
    )


def test_a_bad_token_is_refused_and_reveals_nothing(world: World) -> None:
    for token in ("", "abc", "MQ.nope", "x" * 150):
        response = APIClient().post(
            "/api/v1/auth/password/reset/confirm/",
            {"token": token, "new_password": NEW_PASSWORD},
            format="json",
        )
        assert response.status_code == 400


def test_reset_is_throttled_per_address_whether_or_not_it_exists(world: World, settings) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 2
    world.pt.user.email = "pt@example.org"
    world.pt.user.save()
    for email in ("pt@example.org", "ghost@example.org"):
        assert [_reset(email)[0] for _ in range(3)] == [202, 202, 429]
    assert len(mail.outbox) == 2
    cache.clear()


def test_reset_ignores_deactivated_accounts(world: World) -> None:
    user = world.pt_other.user
    user.email = "gone@example.org"
    user.is_active = False
    user.save()
    assert _reset("gone@example.org")[0] == 202
    assert mail.outbox == []
