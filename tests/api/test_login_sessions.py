"""Browser sessions (ASVS V3, HIPAA automatic logoff) and the login audit trail's integrity.

A new session id at login, the old one dead after logout and after the idle limit, for pages
and for the API alike; cookies HttpOnly, SameSite and (in production) Secure. The audit table
cannot be edited through the admin, and an audit row refuses to change or go away.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone

from exercise_tracker.models import AppendOnlyError, AuditAction, AuditEvent
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
COOKIE = settings.SESSION_COOKIE_NAME


def _sign_in_through_the_page(client: Client, username: str) -> None:
    """What a browser does: load the form (CSRF cookie and token), post it, follow nothing."""
    page = client.get("/login/")
    token = page.context["csrf_token"]
    response = client.post(
        "/login/",
        {"username": username, "password": factories.PASSWORD, "csrfmiddlewaretoken": str(token)},
    )
    assert response.status_code == 302, response.content[:500]
    assert response.cookies[COOKIE].value


def _with_cookie(session_key: str) -> Client:
    """A fresh client that only replays a stolen or old session cookie."""
    client = Client()
    client.cookies[COOKIE] = session_key
    return client


def _locked_out(session_key: str) -> None:
    page = _with_cookie(session_key).get("/today/")
    assert page.status_code == 302
    assert page["Location"].startswith("/login/?next=/today/")
    api = _with_cookie(session_key).get("/api/v1/me/")
    assert api.status_code == 401
    assert set(api.json()) == {"detail", "errors"}


def test_the_session_id_changes_at_login(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    # An attacker plants a session id before the victim signs in (session fixation).
    planted = client.session
    planted["planted"] = True
    planted.save()
    before = planted.session_key
    assert before is not None
    client.cookies[COOKIE] = before

    _sign_in_through_the_page(client, "member")

    after = client.cookies[COOKIE].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    # The planted id reaches nothing; the new one reaches the member's page.
    _locked_out(before)
    assert _with_cookie(after).get("/today/").status_code == 200


def test_after_logout_the_old_cookie_reaches_neither_pages_nor_api(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    _sign_in_through_the_page(client, "pt")
    key = client.cookies[COOKIE].value
    # Before logout the cookie works for both, so the refusals below are due to the logout.
    assert _with_cookie(key).get("/caseload/").status_code == 200
    assert _with_cookie(key).get("/api/v1/me/").json()["username"] == "pt"

    page = client.get("/caseload/")
    response = client.post("/logout/", {"csrfmiddlewaretoken": str(page.context["csrf_token"])})
    assert response.status_code == 302
    assert response["Location"] == "/login/"

    assert not Session.objects.filter(session_key=key).exists()
    _locked_out(key)


def test_an_idle_session_ends_on_the_server(world: World) -> None:
    client = Client()
    _sign_in_through_the_page(client, "coordinator")
    key = client.cookies[COOKIE].value
    assert _with_cookie(key).get("/dashboard/").status_code == 200
    # The idle limit passed: the server's record of the session has expired.
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    _locked_out(key)


def test_activity_pushes_the_idle_limit_back(world: World) -> None:
    client = Client()
    _sign_in_through_the_page(client, "member")
    key = client.cookies[COOKIE].value
    soon = timezone.now() + timedelta(seconds=30)
    Session.objects.filter(session_key=key).update(expire_date=soon)

    assert _with_cookie(key).get("/today/").status_code == 200

    renewed = Session.objects.get(session_key=key).expire_date
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert renewed > soon
    assert abs(renewed - (timezone.now() + idle)) < timedelta(seconds=30)


@override_settings(SESSION_COOKIE_AGE=1)
def test_on_the_clock_a_session_left_alone_past_the_idle_limit_is_over(world: World) -> None:
    client = Client()
    _sign_in_through_the_page(client, "member")
    key = client.cookies[COOKIE].value
    assert _with_cookie(key).get("/api/v1/me/").status_code == 200
    time.sleep(1.2)
    _locked_out(key)


def test_the_default_idle_limit_is_thirty_minutes_or_less() -> None:
    assert 0 < settings.SESSION_COOKIE_AGE <= 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # idle, not absolute: activity renews it


def test_session_cookie_is_httponly_and_samesite(world: World) -> None:
    client = Client()
    client.get("/login/")
    response = client.post("/login/", {"username": "member", "password": factories.PASSWORD})
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert response.cookies[settings.CSRF_COOKIE_NAME]["samesite"] == "Lax"


def _production_settings() -> dict[str, object]:
    """Settings as a production process sees them (DJANGO_DEBUG=0), read in a subprocess."""
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({k: getattr(settings, k) for k in ("
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', 'SESSION_COOKIE_AGE')}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | {
        "DJANGO_SETTINGS_MODULE": "exercise_tracker.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-production-like-secret-key-for-this-test-only-0123456789",
        "DJANGO_ALLOWED_HOSTS": "hep.example.org",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_httponly_and_samesite(world: World) -> None:
    production = _production_settings()
    assert production["DEBUG"] is False
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert production["CSRF_COOKIE_SAMESITE"] == "Lax"

    # And with those values the login response's cookie carries the flags.
    with override_settings(
        SESSION_COOKIE_SECURE=production["SESSION_COOKIE_SECURE"],
        CSRF_COOKIE_SECURE=production["CSRF_COOKIE_SECURE"],
    ):
        client = Client()
        client.get("/login/", secure=True)
        response = client.post(
            "/login/", {"username": "member", "password": factories.PASSWORD}, secure=True
        )
    cookie = response.cookies[COOKIE]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert response.cookies[settings.CSRF_COOKIE_NAME]["secure"] is True


# --- The audit trail cannot be edited.


def _an_audit_row(world: World) -> AuditEvent:
    Client().post("/login/", {"username": "member", "password": "wrong"})
    return AuditEvent.objects.get(action=AuditAction.LOGIN_FAILURE, username="member")


def test_staff_can_read_the_audit_trail_in_admin_but_not_change_or_delete_it(
    world: World,
) -> None:
    event = _an_audit_row(world)
    admin = Client()
    admin.force_login(world.staff)  # a superuser: every permission a person can be given
    base = "/admin/exercise_tracker/auditevent"

    listing = admin.get(f"{base}/")
    assert listing.status_code == 200
    assert b"member" in listing.content
    assert b'name="action"' not in listing.content  # no bulk actions, so no "delete selected"

    detail = admin.get(f"{base}/{event.pk}/change/")
    assert detail.status_code == 200  # view only
    assert b'name="_save"' not in detail.content
    assert b"/delete/" not in detail.content

    assert admin.post(f"{base}/{event.pk}/change/", {"username": "someone"}).status_code == 403
    assert admin.get(f"{base}/{event.pk}/delete/").status_code == 403
    assert admin.post(f"{base}/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.get(f"{base}/add/").status_code == 403
    bulk = admin.post(
        f"{base}/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert bulk.status_code in {200, 302, 403}

    event.refresh_from_db()
    assert event.username == "member"
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_an_audit_row_refuses_to_be_changed_or_deleted(world: World) -> None:
    event = _an_audit_row(world)
    event.username = "someone-else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.username == "member"
