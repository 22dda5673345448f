"""Lockout and the client address: one account's success never clears another's failures, and
X-Forwarded-For counts only when the deployment says a trusted proxy sets it."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory, override_settings
from rest_framework.test import APIClient

from exercise_tracker.client_address import client_address
from exercise_tracker.models import AuditAction, AuditEvent
from exercise_tracker.throttling import AnonThrottle

from .. import factories
from ..conftest import World

pytestmark = pytest.mark.django_db


def _page_login(client: Client, username: str, password: str = factories.PASSWORD, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def _api_login(username: str, password: str = factories.PASSWORD, **extra):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", **extra
    )


@override_settings(AXES_FAILURE_LIMIT=3)
def test_another_accounts_success_from_the_same_address_does_not_clear_failures(
    world: World,
) -> None:
    attacker = Client()
    _page_login(attacker, "member", "wrong")
    _page_login(attacker, "member", "wrong")
    # The attacker signs in to their own account from the same address...
    assert _page_login(Client(), "member_b").status_code == 302
    # ...and the victim's count still stands: one more failure locks the victim.
    _page_login(attacker, "member", "wrong")
    assert _api_login("member").status_code == 429
    assert _page_login(Client(), "member").status_code == 429


@override_settings(AXES_FAILURE_LIMIT=3)
def test_an_accounts_own_success_clears_its_failures(world: World) -> None:
    _page_login(Client(), "member", "wrong")
    _page_login(Client(), "member", "wrong")
    assert _page_login(Client(), "member").status_code == 302
    assert not AccessAttempt.objects.filter(username="member").exists()
    _page_login(Client(), "member", "wrong")
    _page_login(Client(), "member", "wrong")
    assert _page_login(Client(), "member").status_code == 302


def _request(remote: str = "10.0.0.9", forwarded: str | None = None):
    extra: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_forwarded_for_is_ignored_unless_configured() -> None:
    assert client_address(_request(forwarded="1.2.3.4")) == "10.0.0.9"
    with override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=0):
        assert client_address(_request(forwarded="1.2.3.4")) == "10.0.0.9"
    with override_settings(BEHIND_PROXY=False, TRUSTED_PROXY_COUNT=1):
        assert client_address(_request(forwarded="1.2.3.4")) == "10.0.0.9"


@override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1)
def test_behind_one_trusted_proxy_the_address_it_saw_counts() -> None:
    # A client can write anything in the header; the proxy appends what it saw, last.
    assert client_address(_request(forwarded="6.6.6.6, 1.2.3.4")) == "1.2.3.4"
    assert client_address(_request(forwarded="1.2.3.4")) == "1.2.3.4"
    # Missing or garbled: the proxy's own address, never a made-up one.
    assert client_address(_request()) == "10.0.0.9"
    assert client_address(_request(forwarded="not-an-ip")) == "10.0.0.9"
    assert client_address(_request(forwarded="")) == "10.0.0.9"


@override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=2)
def test_behind_two_trusted_proxies() -> None:
    assert client_address(_request(forwarded="6.6.6.6, 1.2.3.4, 10.0.0.1")) == "1.2.3.4"
    assert client_address(_request(forwarded="10.0.0.1")) == "10.0.0.9"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_forged_header_does_not_dodge_the_address_lock(world: World) -> None:
    # Unconfigured, every failure counts against REMOTE_ADDR whatever the header says.
    for n in range(3):
        _api_login(f"nobody{n}", "wrong", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    assert _api_login("member", HTTP_X_FORWARDED_FOR="9.9.9.9").status_code == 429


@override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1, AXES_FAILURE_LIMIT=3)
def test_axes_audit_and_throttle_use_the_same_address(world: World) -> None:
    for _ in range(3):
        _api_login("nobody", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILURE)
    assert set(failures.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    # Behind the proxy, one client's failures do not lock everyone else out.
    assert _api_login("member", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    assert _api_login("member", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    request = _request(forwarded="203.0.113.7")
    assert AnonThrottle().get_ident(request) == "203.0.113.7"
