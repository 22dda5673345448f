"""The member's reminder settings page and the inbox, with plain forms; the unread count on every
page."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from members.models import MemberPreferences, Notification, NotificationKind, ReminderSchedule
from members.services.reminders import create_reminder
from tests.conftest import World


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_reminder(**fields) -> dict:
    data = {
        "new-local_time": "07:30",
        "new-days_of_week": ["0", "1", "2", "3", "4"],
        "new-channels": ["in_app"],
        "new-enabled": "on",
        "new-skip_if_done": "on",
    }
    data.update(fields)
    return data


@pytest.mark.django_db
def test_the_settings_page_adds_and_lists_a_reminder(world: World) -> None:
    client = signed_in(world.member.user)
    page = client.get("/settings/reminders/")
    assert page.status_code == 200
    assert b"America/New_York" in page.content
    assert b"No reminders yet" in page.content

    added = client.post("/settings/reminders/", new_reminder(), follow=True)

    assert added.status_code == 200
    schedule = ReminderSchedule.objects.get()
    assert schedule.local_time == time(7, 30)
    assert schedule.days_of_week == [0, 1, 2, 3, 4]
    assert b"Reminder added for 07:30" in added.content
    assert f'id="reminder-{schedule.pk}"'.encode() in added.content
    assert b"Next: <time" in added.content
    # Every form posts to a page, never to the API (whose URL names look alike).
    actions = set(re.findall(rb'action="([^"]+)"', added.content))
    assert actions == {
        b"/logout/",
        b"/settings/reminders/",
        b"/settings/reminders/quiet-hours/",
        f"/settings/reminders/{schedule.pk}/".encode(),
        f"/settings/reminders/{schedule.pk}/delete/".encode(),
    }


@pytest.mark.django_db
def test_form_errors_are_shown_beside_their_field(world: World) -> None:
    client = signed_in(world.member.user)
    page = client.post(
        "/settings/reminders/", new_reminder(**{"new-local_time": "7 am", "new-days_of_week": []})
    )
    assert page.status_code == 400
    assert b"Give a time as HH:MM" in page.content
    assert b"Pick at least one day." not in page.content  # the time is checked first
    page = client.post("/settings/reminders/", new_reminder(**{"new-days_of_week": []}))
    assert page.status_code == 400
    assert b"Pick at least one day." in page.content
    assert not ReminderSchedule.objects.exists()


@pytest.mark.django_db
def test_changing_and_deleting_a_reminder(world: World) -> None:
    schedule = create_reminder(member=world.member, local_time=time(8, 0))
    client = signed_in(world.member.user)
    prefix = f"r{schedule.pk}"
    changed = client.post(
        f"/settings/reminders/{schedule.pk}/",
        {
            f"{prefix}-local_time": "19:15",
            f"{prefix}-days_of_week": ["5", "6"],
            f"{prefix}-channels": ["in_app"],
            f"{prefix}-enabled": "on",
        },
    )
    assert changed.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.local_time, schedule.days_of_week, schedule.skip_if_done) == (
        time(19, 15),
        [5, 6],
        False,
    )
    assert client.post(f"/settings/reminders/{schedule.pk}/delete/").status_code == 302
    assert not ReminderSchedule.objects.exists()


@pytest.mark.django_db
def test_quiet_hours_form(world: World) -> None:
    client = signed_in(world.member.user)
    saved = client.post(
        "/settings/reminders/quiet-hours/",
        {"quiet_hours_start": "22:00", "quiet_hours_end": "07:00", "sms_phone": ""},
    )
    assert saved.status_code == 302
    preferences = MemberPreferences.objects.get()
    assert (preferences.quiet_hours_start, preferences.quiet_hours_end) == (time(22), time(7))
    refused = client.post(
        "/settings/reminders/quiet-hours/", {"quiet_hours_start": "22:00", "sms_phone": ""}
    )
    assert refused.status_code == 400
    assert b"Give both the start and the end" in refused.content


@pytest.mark.django_db
def test_someone_elses_reminder_and_other_roles_get_404(world: World) -> None:
    theirs = create_reminder(member=world.other_member, local_time=time(8, 0))
    client = signed_in(world.member.user)
    assert client.post(f"/settings/reminders/{theirs.pk}/delete/").status_code == 404
    assert ReminderSchedule.objects.filter(pk=theirs.pk).exists()
    assert signed_in(world.pt.user).get("/settings/reminders/").status_code == 404
    assert Client().get("/settings/reminders/").status_code == 302  # to the login page


@pytest.mark.django_db
def test_the_unread_count_shows_on_every_page_and_the_inbox_clears_it(world: World) -> None:
    user = world.member.user
    schedule = create_reminder(member=world.member, local_time=time(8, 0))
    for _ in range(2):
        Notification.objects.create(
            user=user,
            kind=NotificationKind.REMINDER,
            title="Time for your exercises",
            body="Today: Pelvic tilt.",
            schedule=schedule,
        )
    client = signed_in(user)
    for path in ("/today/", "/history/", "/settings/reminders/", "/notifications/"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert b'data-testid="unread-count">2<' in page.content, path

    first = Notification.objects.order_by("pk").first()
    assert first is not None
    inbox = client.get("/notifications/").content
    assert f'action="/notifications/{first.pk}/dismiss/"'.encode() in inbox
    assert f'action="/notifications/{first.pk}/read/"'.encode() in inbox
    assert b'action="/notifications/read-all/"' in inbox
    client.post(f"/notifications/{first.pk}/dismiss/")
    assert b'data-testid="unread-count">1<' in client.get("/notifications/").content
    client.post("/notifications/read-all/")
    assert b'data-testid="unread-count"' not in client.get("/notifications/").content
    schedule.refresh_from_db()
    assert schedule.dismissals_in_row == 1


@pytest.mark.django_db
def test_the_unread_count_costs_one_query_and_only_signed_in(world: World) -> None:
    anonymous = Client()
    with CaptureQueriesContext(connection) as ctx:
        assert b"unread-count" not in anonymous.get("/login/").content
    assert not [q for q in ctx.captured_queries if "members_notification" in q["sql"]]
    Notification.objects.create(
        user=world.pt.user, kind=NotificationKind.MESSAGE, title="Hello", body="Welcome."
    )
    client = signed_in(world.pt.user)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/caseload/")
    assert b'data-testid="unread-count">1<' in page.content
    counts = [q["sql"] for q in ctx.captured_queries if "members_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT(*)" in counts[0]


@pytest.mark.django_db
def test_staff_see_deliveries_in_the_admin_without_the_message(world: World) -> None:
    schedule = create_reminder(member=world.member, local_time=time(8, 0))
    client = signed_in(world.staff)
    assert client.get("/admin/members/reminderschedule/").status_code == 200
    assert client.get(f"/admin/members/reminderschedule/{schedule.pk}/change/").status_code == 200
    page = client.get("/admin/members/reminderdelivery/")
    assert page.status_code == 200
    assert client.get("/admin/members/reminderdelivery/add/").status_code == 403
