"""What every API request pays for: the token's user lookup, the rate limit, and /me/'s body.

These were made faster for `make bench`; the tests hold them to what the slower code did.
"""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework import serializers
from rest_framework_simplejwt.tokens import RefreshToken

from exercise_tracker.authentication import load_user
from exercise_tracker.settings import REST_FRAMEWORK
from members.api.me import MeSerializer
from members.models import Member, User
from tests.conftest import World, bearer_client

pytestmark = pytest.mark.django_db


def test_token_user_comes_with_organization_and_member_in_one_query(
    world: World, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        user = load_user(str(world.member.user.pk))
        assert user is not None
        assert (user.username, user.role, user.is_active) == ("member", "member", True)
        assert user.organization is not None
        assert user.organization.name == "North Clinic"
        assert user.member_profile.pk == world.member.pk
        assert user.member_profile.timezone == world.member.timezone
    assert user.date_joined == User.objects.get(pk=user.pk).date_joined


def test_token_user_without_organization_or_member_profile(
    world: World, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        staff = load_user(world.staff.pk)
        assert staff is not None
        assert staff.organization is None
        with pytest.raises(Member.DoesNotExist):
            _ = staff.member_profile
    assert load_user(10**9) is None


@pytest.mark.parametrize("how", ["service", "save", "update_then_forget"])
def test_a_deactivated_user_is_refused_at_once(world: World, how: str) -> None:
    """The token's user is cached with the sign-in (exercise_tracker/authentication.py): every
    write that deactivates drops it, so the next request is refused, never a minute later."""
    from exercise_tracker.authentication import forget_user
    from members.services.care_team import set_staff_active

    client = bearer_client(world.pt.user)
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200  # now from the cached sign-in
    user = User.objects.get(pk=world.pt.user.pk)
    if how == "service":
        set_staff_active(by=world.coordinator, account=user, is_active=False)
    elif how == "save":
        user.is_active = False
        user.save(update_fields=["is_active"])
    else:  # what the services that write with QuerySet.update do
        User.objects.filter(pk=user.pk).update(is_active=False)
        forget_user(user.pk)
    assert client.get("/api/v1/me/").status_code == 401


def test_a_changed_password_ends_cached_tokens_at_once(world: World) -> None:
    from members.services.accounts import end_tokens

    client = bearer_client(world.member.user)
    assert client.get("/api/v1/me/").status_code == 200
    end_tokens(user_id=world.member.user.pk)  # password change, sign-out, deactivation
    assert client.get("/api/v1/me/").status_code == 401


def test_a_cached_sign_in_costs_no_query(world: World, django_assert_num_queries) -> None:
    client = bearer_client(world.member.user)
    assert client.get("/api/v1/me/").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/api/v1/me/").status_code == 200


def _field_by_field(user: User) -> dict[str, object]:
    data = dict(serializers.Serializer.to_representation(MeSerializer(user), user))
    if data.get("member_id") is None:
        data.pop("member_id")
    return data


@pytest.mark.parametrize("who", ["member", "pt", "coordinator", "staff"])
def test_me_body_is_what_the_declared_fields_give(world: World, who: str) -> None:
    user = {
        "member": world.member.user,
        "pt": world.pt.user,
        "coordinator": world.coordinator,
        "staff": world.staff,
    }[who]
    body = bearer_client(user).get("/api/v1/me/").json()
    assert body == _field_by_field(load_user(user.pk))  # type: ignore[arg-type]
    assert set(body) <= set(MeSerializer().fields)


def _limited(rate: str):
    rates = {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": rate}  # type: ignore[dict-item]
    return override_settings(REST_FRAMEWORK={**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates})


def _forget_counts(*users: User) -> int:
    """Starts the test well inside a one-minute window, with no count left by an earlier test."""
    if time.time() % 60 > 55:
        time.sleep(60 - time.time() % 60 + 0.05)
    window = int(time.time() // 60)
    # In-memory SQLite reuses ids after a rollback; an earlier test's count may carry this id.
    cache.delete_many([f"throttle_user_{u.pk}:{window}" for u in users])
    return window


def test_over_the_rate_answers_429_with_retry_after(world: World) -> None:
    _forget_counts(world.member.user, world.pt.user)
    client = bearer_client(world.member.user)
    with _limited("3/min"):
        statuses = [client.get("/api/v1/me/").status_code for _ in range(3)]
        limited = client.get("/api/v1/me/")
        assert statuses == [200, 200, 200]
        assert limited.status_code == 429
        assert 0 < int(limited["Retry-After"]) <= 60
        assert set(limited.json()) == {"detail", "errors"}
        # Another user has a count of their own.
        assert bearer_client(world.pt.user).get("/api/v1/me/").status_code == 200


def test_each_request_counts_once(world: World) -> None:
    window = _forget_counts(world.member.user)
    token = str(RefreshToken.for_user(world.member.user).access_token)
    client = bearer_client(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    with _limited("5/min"):
        for _ in range(3):
            assert client.get("/api/v1/me/").status_code == 200
    assert cache.get(f"throttle_user_{world.member.user.pk}:{window}") == 3


def test_a_verified_token_still_expires(world: World) -> None:
    """Tokens verified once are remembered by their text (authentication._verified); an expired
    one is refused all the same."""
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(world.member.user)
    token.set_exp(lifetime=timedelta(seconds=1))
    client = bearer_client(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/me/").status_code == 200
    time.sleep(1.2)
    assert client.get("/api/v1/me/").status_code == 401
    # A token whose text was changed is never taken for a verified one.
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {str(token)[:-2]}xx")
    assert client.get("/api/v1/me/").status_code == 401
