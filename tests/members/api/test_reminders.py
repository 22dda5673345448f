"""/api/v1/reminders/ (a member's own, with clear errors naming fields) and /api/v1/notifications/
(every user's inbox: list, read, dismiss, unread count; dismissing a reminder three times in a
row offers another time)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from members.models import (
    MemberPreferences,
    Notification,
    NotificationKind,
    ReminderSchedule,
)
from members.services.reminders import create_reminder
from tests import factories
from tests.conftest import World, bearer_client

URL = "/api/v1/reminders/"


def errors(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    return body["errors"]


@pytest.mark.django_db
def test_a_member_creates_lists_changes_and_deletes_their_reminders(world: World) -> None:
    client = bearer_client(world.member.user)

    created = client.post(
        URL,
        {"local_time": "07:45", "days_of_week": [4, 0, 2], "channels": ["in_app"]},
        format="json",
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["local_time"] == "07:45"
    assert body["days_of_week"] == [0, 2, 4]
    assert body["channels"] == ["in_app"]
    assert body["enabled"] is True and body["skip_if_done"] is True
    assert body["timezone"] == "America/New_York"
    assert body["next_fire_at"] is not None
    fire = timezone.localtime(
        ReminderSchedule.objects.get().next_fire_at, world.member.tz
    )  # the member's 07:45 on a Mon, Wed or Fri
    assert (fire.hour, fire.minute, fire.weekday() in (0, 2, 4)) == (7, 45, True)

    listed = client.get(URL).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]

    patched = client.patch(
        f"{URL}{body['id']}/", {"enabled": False, "local_time": "18:00"}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["enabled"] is False
    assert patched.json()["local_time"] == "18:00"
    assert patched.json()["next_fire_at"] is None

    assert client.delete(f"{URL}{body['id']}/").status_code == 204
    assert not ReminderSchedule.objects.exists()


@pytest.mark.django_db
def test_defaults_every_day_in_app(world: World) -> None:
    body = bearer_client(world.member.user).post(URL, {"local_time": "20:00"}, format="json").json()
    assert body["days_of_week"] == [0, 1, 2, 3, 4, 5, 6]
    assert body["channels"] == ["in_app"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"local_time": "7:45"}, "local_time", "HH:MM"),
        ({"local_time": "24:00"}, "local_time", "HH:MM"),
        ({"local_time": "07:45:30"}, "local_time", "HH:MM"),
        ({}, "local_time", "required"),
        ({"local_time": "08:00", "days_of_week": [1, 1]}, "days_of_week", "more than once: 1"),
        ({"local_time": "08:00", "days_of_week": [7]}, "days_of_week", "0 (Monday) to 6"),
        ({"local_time": "08:00", "days_of_week": []}, "days_of_week", "at least one day"),
        ({"local_time": "08:00", "days_of_week": ["1"]}, "days_of_week", "list of days"),
        ({"local_time": "08:00", "channels": ["pigeon"]}, "channels", "in_app, email, sms"),
        ({"local_time": "08:00", "channels": ["in_app", "in_app"]}, "channels", "more than once"),
        ({"local_time": "08:00", "channels": []}, "channels", "at least one channel"),
        ({"local_time": "08:00", "channels": ["sms"]}, "channels", "phone number"),
        ({"local_time": "08:00", "enabled": "yes"}, "enabled", "true or false"),
    ],
)
def test_bad_input_names_the_field(world: World, payload: dict, field: str, words: str) -> None:
    response = bearer_client(world.member.user).post(URL, payload, format="json")
    found = errors(response)
    assert list(found) == [field]
    assert words in " ".join(found[field])
    assert not ReminderSchedule.objects.exists()


@pytest.mark.django_db
def test_email_needs_an_address_and_two_reminders_at_one_time_are_refused(world: World) -> None:
    client = bearer_client(world.member.user)
    world.member.user.email = ""
    world.member.user.save()
    assert (
        "email address"
        in errors(client.post(URL, {"local_time": "08:00", "channels": ["email"]}, format="json"))[
            "channels"
        ][0]
    )
    assert client.post(URL, {"local_time": "08:00"}, format="json").status_code == 201
    assert (
        "already"
        in errors(client.post(URL, {"local_time": "08:00"}, format="json"))["local_time"][0]
    )


@pytest.mark.django_db
def test_a_reminder_inside_quiet_hours_is_refused(world: World) -> None:
    client = bearer_client(world.member.user)
    assert (
        client.patch(
            f"{URL}preferences/",
            {"quiet_hours_start": "22:00", "quiet_hours_end": "07:00"},
            format="json",
        ).status_code
        == 200
    )
    found = errors(client.post(URL, {"local_time": "06:30"}, format="json"))
    assert "quiet hours (22:00-07:00)" in found["local_time"][0]


@pytest.mark.django_db
def test_quiet_hours_and_phone_preferences(world: World) -> None:
    client = bearer_client(world.member.user)
    assert client.get(f"{URL}preferences/").json() == {
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "sms_phone": "",
        "timezone": "America/New_York",
    }
    saved = client.patch(
        f"{URL}preferences/",
        {"quiet_hours_start": "21:30", "quiet_hours_end": "06:45", "sms_phone": "+1 555 123 0000"},
        format="json",
    )
    assert saved.status_code == 200
    assert saved.json() == {
        "quiet_hours_start": "21:30",
        "quiet_hours_end": "06:45",
        "sms_phone": "+15551230000",
        "timezone": "America/New_York",
    }
    assert (
        client.post(URL, {"local_time": "12:00", "channels": ["sms"]}, format="json").status_code
        == 201
    )

    def refused(body: dict, field: str) -> str:
        return " ".join(errors(client.patch(f"{URL}preferences/", body, format="json"))[field])

    assert "both" in refused({"quiet_hours_start": None}, "quiet_hours_start")
    same = {"quiet_hours_start": "08:00", "quiet_hours_end": "08:00"}
    assert "another time" in refused(same, "quiet_hours_end")
    clash = {"quiet_hours_start": "11:00", "quiet_hours_end": "13:00"}
    assert "12:00" in refused(clash, "quiet_hours_start")
    assert "country code" in refused({"sms_phone": "555-1234"}, "sms_phone")
    assert "remove SMS" in refused({"sms_phone": ""}, "sms_phone")
    assert "HH:MM" in refused({"quiet_hours_start": "9pm"}, "quiet_hours_start")
    # Turning quiet hours off: both null.
    off = client.patch(
        f"{URL}preferences/", {"quiet_hours_start": None, "quiet_hours_end": None}, format="json"
    )
    assert off.json()["quiet_hours_start"] is None
    assert MemberPreferences.objects.get().quiet_hours_end is None


@pytest.mark.django_db
def test_owner_fields_in_the_body_change_nothing(world: World) -> None:
    client = bearer_client(world.member.user)
    # `timezone` is read-only (a client may send back what it read): ignored.
    body = client.post(URL, {"local_time": "08:00", "timezone": "Asia/Tokyo"}, format="json").json()
    schedule = ReminderSchedule.objects.get(pk=body["id"])
    assert schedule.member == world.member and schedule.timezone == "America/New_York"
    # `member` is no field of a reminder: refused, by name (DESIGN.md), nothing written.
    refused = client.post(
        URL, {"local_time": "09:00", "member": world.other_member.pk}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"non_field_errors": ["Unknown field(s): member."]}
    assert ReminderSchedule.objects.count() == 1


@pytest.mark.django_db
def test_the_list_takes_the_same_queries_for_one_reminder_or_ten(
    world: World, django_assert_max_num_queries
) -> None:
    client = bearer_client(world.member.user)
    create_reminder(member=world.member, local_time=time(7, 0))
    with django_assert_max_num_queries(6) as one:
        client.get(URL)
    for hour in range(8, 17):
        create_reminder(member=world.member, local_time=time(hour, 0))
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(URL).json()["count"] == 10


# --- notifications ----------------------------------------------------------------------------


def notify(user, **kwargs) -> Notification:
    return Notification.objects.create(
        user=user,
        kind=kwargs.pop("kind", NotificationKind.REMINDER),
        title="Time for your exercises",
        body="Today: Pelvic tilt.",
        **kwargs,
    )


@pytest.mark.django_db
def test_the_inbox_lists_reads_and_counts_unread(world: World) -> None:
    user = world.member.user
    first, second = notify(user), notify(user)
    notify(world.other_member.user)
    client = bearer_client(user)

    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    listed = client.get("/api/v1/notifications/").json()
    assert [row["id"] for row in listed["results"]] == [second.pk, first.pk]
    assert set(listed["results"][0]) == {
        "id",
        "kind",
        "title",
        "body",
        "link",
        "created_at",
        "read_at",
        "dismissed_at",
    }

    read = client.post(f"/api/v1/notifications/{first.pk}/read/")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}
    unread = client.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [row["id"] for row in unread] == [second.pk]
    assert "unread" in errors(client.get("/api/v1/notifications/?unread=maybe"))

    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}


@pytest.mark.django_db
def test_another_users_notification_is_404(world: World) -> None:
    theirs = notify(world.other_member.user)
    client = bearer_client(world.member.user)
    for path in ("", "read/", "dismiss/"):
        method = client.get if not path else client.post
        assert method(f"/api/v1/notifications/{theirs.pk}/{path}").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.django_db
def test_three_dismissals_in_a_row_offer_another_time_once(world: World) -> None:
    user = world.member.user
    schedule = create_reminder(member=world.member, local_time=time(7, 0))
    client = bearer_client(user)

    for _ in range(3):
        note = notify(user, schedule=schedule)
        dismissed = client.post(f"/api/v1/notifications/{note.pk}/dismiss/")
        assert dismissed.status_code == 200 and dismissed.json()["dismissed_at"] is not None
        # Dismissing the same one again does not count twice.
        client.post(f"/api/v1/notifications/{note.pk}/dismiss/")

    offers = Notification.objects.filter(kind=NotificationKind.OTHER_TIME)
    assert offers.count() == 1
    offer = offers.get()
    assert offer.title == "Is 07:00 a good time for you?"
    assert offer.link == f"/settings/reminders/#reminder-{schedule.pk}"
    schedule.refresh_from_db()
    assert schedule.dismissals_in_row == 3

    fourth = notify(user, schedule=schedule)
    client.post(f"/api/v1/notifications/{fourth.pk}/dismiss/")
    assert offers.count() == 1  # offered once until the member acts

    # Moving the reminder is acting on it: the count starts again.
    client.patch(f"{URL}{schedule.pk}/", {"local_time": "18:30"}, format="json")
    schedule.refresh_from_db()
    assert (schedule.dismissals_in_row, schedule.other_time_offered_at) == (0, None)


@pytest.mark.django_db
def test_reading_a_reminder_resets_the_dismissals(world: World) -> None:
    user = world.member.user
    schedule = create_reminder(member=world.member, local_time=time(7, 0))
    client = bearer_client(user)
    for _ in range(2):
        client.post(f"/api/v1/notifications/{notify(user, schedule=schedule).pk}/dismiss/")
    client.post(f"/api/v1/notifications/{notify(user, schedule=schedule).pk}/read/")
    client.post(f"/api/v1/notifications/{notify(user, schedule=schedule).pk}/dismiss/")
    schedule.refresh_from_db()
    assert schedule.dismissals_in_row == 1
    assert not Notification.objects.filter(kind=NotificationKind.OTHER_TIME).exists()


@pytest.mark.django_db
def test_the_inbox_list_takes_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries
) -> None:
    user = world.member.user
    notify(user)
    client = bearer_client(user)
    with django_assert_max_num_queries(6) as few:
        client.get("/api/v1/notifications/")
    for _ in range(30):
        notify(user, created_at=timezone.now() - timedelta(days=1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/v1/notifications/")


@pytest.mark.django_db
def test_pts_have_an_inbox_too_but_no_reminders(world: World) -> None:
    notify(world.pt.user, kind=NotificationKind.MESSAGE)
    client = bearer_client(world.pt.user)
    assert client.get("/api/v1/notifications/").json()["count"] == 1
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"local_time": "08:00"}, format="json").status_code == 404
    assert client.get(f"{URL}preferences/").status_code == 404
    member_reminder = create_reminder(member=world.member, local_time=time(9, 0))
    assert client.get(f"{URL}{member_reminder.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_foreign_member_cannot_touch_a_reminder() -> None:
    mine = factories.MemberFactory.create()
    theirs = factories.MemberFactory.create()
    schedule = create_reminder(member=mine, local_time=time(9, 0))
    client = bearer_client(theirs.user)
    assert client.get(f"{URL}{schedule.pk}/").status_code == 404
    assert (
        client.patch(f"{URL}{schedule.pk}/", {"enabled": False}, format="json").status_code == 404
    )
    assert client.delete(f"{URL}{schedule.pk}/").status_code == 404
    schedule.refresh_from_db()
    assert schedule.enabled is True
