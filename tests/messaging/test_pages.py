"""The messaging pages: who sees what (another member, another PT, another organization: 404;
a coordinator: no content), the forms without JavaScript, the poll's 304, the unread counts in
the navigation and on the caseload, and the queries each page costs."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from members.models import AlertKind, ReviewTime
from members.services import rtm as rtm_services
from messaging.models import Message, ReplyTemplate, WorkingHours
from messaging.services import messages as message_services
from tests.conftest import World


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(world_user, member, text: str = "Hello") -> Message:
    thread = message_services.thread_for_member(member=member)
    return message_services.send_message(
        thread=thread, by=world_user, client_id=uuid.uuid4(), text=text
    ).message


def png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(data, "PNG")
    data.seek(0)
    data.name = "knee.png"
    return data


@pytest.mark.django_db
def test_member_writes_and_sees_the_safety_notice_and_hours(world: World) -> None:
    client = signed_in(world.member.user)
    page = client.get("/messages/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="not-for-emergencies"' in html
    assert "Get emergency care now" in html
    assert "Monday to Friday, 9:00 to 17:00" in html
    answer = client.post(
        "/messages/", {"text": "My knee is sore after the bridge", "client_id": str(uuid.uuid4())}
    )
    assert answer.status_code == 302
    page = client.get("/messages/")
    assert "My knee is sore after the bridge" in page.content.decode()
    assert Message.objects.filter(thread__member=world.member).count() == 1


@pytest.mark.django_db
def test_a_retried_post_sends_once(world: World) -> None:
    client = signed_in(world.member.user)
    data = {"text": "Once only", "client_id": str(uuid.uuid4())}
    assert client.post("/messages/", data).status_code == 302
    assert client.post("/messages/", data).status_code == 302
    assert Message.objects.filter(text="Once only").count() == 1


@pytest.mark.django_db
def test_empty_message_is_a_400_naming_the_field(world: World) -> None:
    client = signed_in(world.member.user)
    page = client.post("/messages/", {"text": "  ", "client_id": str(uuid.uuid4())})
    assert page.status_code == 400
    assert 'id="msg-text-error"' in page.content.decode()
    page = client.post("/messages/", {"text": "hi", "client_id": "x", "exercise": ""})
    assert page.status_code == 400
    page = client.post(
        "/messages/", {"text": "hi", "client_id": str(uuid.uuid4()), "exercise": "abc"}
    )
    assert page.status_code == 400 and 'id="msg-exercise-error"' in page.content.decode()


@pytest.mark.django_db
def test_red_flag_words_show_the_emergency_guidance_at_once(world: World) -> None:
    client = signed_in(world.member.user)
    answer = client.post(
        "/messages/",
        {"text": "Since yesterday I can't control my bladder", "client_id": str(uuid.uuid4())},
        follow=True,
    )
    html = answer.content.decode()
    assert 'data-testid="emergency-guidance"' in html
    assert "Call your emergency number" in html
    assert world.member.alerts.filter(kind=AlertKind.RED_FLAG).exists()
    # Once: the next visit shows the usual notice only.
    assert 'data-testid="emergency-guidance"' not in client.get("/messages/").content.decode()


@pytest.mark.django_db
def test_picture_is_served_to_the_thread_only(world: World, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = signed_in(world.member.user)
    answer = client.post("/messages/", {"text": "", "client_id": str(uuid.uuid4()), "image": png()})
    assert answer.status_code == 302
    message = Message.objects.get(thread__member=world.member)
    url = f"/messages/members/{world.member.pk}/pictures/{message.pk}/"
    assert client.get(url).status_code == 200
    assert signed_in(world.pt.user).get(url).status_code == 200
    for other in (world.pt_other.user, world.foreign_pt.user, world.coordinator,
                  world.other_member.user):  # fmt: skip
        assert signed_in(other).get(url).status_code == 404


@pytest.mark.django_db
def test_who_sees_a_conversation(world: World) -> None:
    send(world.member.user, world.member, "Private words")
    path = f"/messages/members/{world.member.pk}/"
    assert "Private words" in signed_in(world.pt.user).get(path).content.decode()
    for user in (world.pt_other.user, world.foreign_pt.user):
        assert signed_in(user).get(path).status_code == 404
        assert signed_in(user).get(path + "updates/").status_code == 404
        assert (
            signed_in(user).post(path, {"text": "x", "client_id": str(uuid.uuid4())}).status_code
            == 404
        )
    # Another member: their own /messages/ never shows this thread; the PT paths are 404.
    other = signed_in(world.other_member.user)
    assert "Private words" not in other.get("/messages/").content.decode()
    assert other.get(path).status_code == 404
    assert other.get(path + "updates/").status_code == 404
    # Coordinators and staff: no content anywhere.
    for user in (world.coordinator, world.foreign_coordinator, world.staff):
        client = signed_in(user)
        assert client.get("/messages/").status_code == 404
        assert client.get(path).status_code == 404
        assert client.get(path + "updates/").status_code == 404
    assert Client().get("/messages/").status_code == 302  # to the login page


@pytest.mark.django_db
def test_poll_answers_304_until_something_changes(world: World) -> None:
    send(world.member.user, world.member, "First")
    pt = signed_in(world.pt.user)
    url = f"/messages/members/{world.member.pk}/updates/"
    first = pt.get(url)
    assert first.status_code == 200 and "First" in first.content.decode()
    etag = first["ETag"]
    again = pt.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    send(world.member.user, world.member, "Second")
    changed = pt.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and "Second" in changed.content.decode()
    assert changed["ETag"] != etag


@pytest.mark.django_db
def test_poll_costs_few_queries(world: World, django_assert_max_num_queries) -> None:
    send(world.member.user, world.member, "First")
    pt = signed_in(world.pt.user)
    url = f"/messages/members/{world.member.pk}/updates/"
    etag = pt.get(url)["ETag"]
    # The session and user, the thread (scoped); the session's save (SESSION_SAVE_EVERY_REQUEST).
    with django_assert_max_num_queries(6):
        assert pt.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.django_db
def test_unread_counts_in_the_navigation_and_the_caseload(world: World) -> None:
    send(world.member.user, world.member, "One")
    send(world.member.user, world.member, "Two")
    pt = signed_in(world.pt.user)
    caseload = pt.get("/caseload/").content.decode()
    assert 'data-testid="unread-messages">2<' in caseload
    assert 'data-testid="member-unread-messages">2<' in caseload
    listing = pt.get("/messages/").content.decode()
    assert 'data-testid="conversation-unread">2 unread<' in listing
    # Opening the conversation reads it; the member sees "Seen" on theirs.
    pt.get(f"/messages/members/{world.member.pk}/")
    assert 'data-testid="unread-messages"' not in pt.get("/caseload/").content.decode()
    member_page = signed_in(world.member.user).get("/messages/").content.decode()
    assert member_page.count(">Seen<") == 2
    # The PT's reply is unread for the member, on every page.
    send(world.pt.user, world.member, "Reply")
    assert (
        'data-testid="unread-messages">1<'
        in signed_in(world.member.user).get("/today/").content.decode()
    )


@pytest.mark.django_db
def test_nav_count_is_one_query(world: World, django_assert_num_queries) -> None:
    send(world.member.user, world.member, "One")
    client = signed_in(world.pt.user)
    client.get("/settings/account/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        client.get("/settings/account/")
    counted = [q for q in seen.captured_queries if "messaging_message" in q["sql"]]
    assert len(counted) == 1


@pytest.mark.django_db
def test_pages_query_counts(world: World, django_assert_max_num_queries) -> None:
    for n in range(5):
        send(world.member.user, world.member, f"Message {n}")
        send(world.pt.user, world.member, f"Answer {n}")
    member, pt = signed_in(world.member.user), signed_in(world.pt.user)
    member.get("/messages/")
    pt.get("/messages/")
    with django_assert_max_num_queries(30):
        assert member.get("/messages/").status_code == 200
    with django_assert_max_num_queries(30):
        assert pt.get(f"/messages/members/{world.member.pk}/").status_code == 200
    with django_assert_max_num_queries(12):
        assert pt.get("/messages/").status_code == 200
    # Ten more messages cost no more queries.
    for n in range(10):
        send(world.member.user, world.member, f"More {n}")
    with django_assert_max_num_queries(30):
        assert pt.get(f"/messages/members/{world.member.pk}/").status_code == 200


@pytest.mark.django_db
def test_withdraw_within_five_minutes_only(world: World) -> None:
    client = signed_in(world.member.user)
    message = send(world.member.user, world.member, "Oops")
    url = f"/messages/members/{world.member.pk}/withdraw/{message.pk}/"
    # Not the PT's to withdraw, and nobody else's to see.
    signed_in(world.pt.user).post(url)
    message.refresh_from_db()
    assert message.withdrawn_at is None
    assert signed_in(world.pt_other.user).post(url).status_code == 404
    assert client.post(url).status_code == 302
    message.refresh_from_db()
    assert message.withdrawn_at is not None and message.text == ""
    late = send(world.member.user, world.member, "Too late")
    Message.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    page = client.post(f"/messages/members/{world.member.pk}/withdraw/{late.pk}/", follow=True)
    assert "within 5 minutes" in page.content.decode()
    late.refresh_from_db()
    assert late.withdrawn_at is None


@pytest.mark.django_db
def test_reply_templates_fill_the_reply_without_javascript(world: World) -> None:
    pt = signed_in(world.pt.user)
    base = f"/messages/members/{world.member.pk}/"
    assert (
        pt.post(
            base + "templates/", {"title": "Ice", "template_text": "Try ice for 10 minutes."}
        ).status_code
        == 302
    )
    template = ReplyTemplate.objects.get(therapist=world.pt)
    page = pt.get(base, {"template": template.pk}).content.decode()
    assert ">Try ice for 10 minutes.</textarea>" in page
    # Another PT's template never fills this PT's reply.
    other = ReplyTemplate.objects.create(therapist=world.pt_other, title="X", text="Not yours")
    assert "Not yours" not in pt.get(base, {"template": other.pk}).content.decode()


@pytest.mark.django_db
def test_log_time_adds_review_time(world: World) -> None:
    pt = signed_in(world.pt.user)
    url = f"/messages/members/{world.member.pk}/time/"
    # Not in a monitoring episode yet: refused, said so.
    page = pt.post(url, {"minutes": "7"}, follow=True)
    assert "Not recorded" in page.content.decode()
    rtm_services.start_monitoring(
        user=world.pt.user,
        member=world.member,
        start_date=timezone.localdate() - timedelta(days=1),
        consent_at=timezone.now() - timedelta(days=1),
    )
    page = pt.post(url, {"minutes": "7", "note": "Messages about the knee"}, follow=True)
    assert "7 minutes added" in page.content.decode()
    assert ReviewTime.objects.filter(member=world.member, minutes=7).count() == 1
    assert pt.post(url, {"minutes": "lots"}, follow=True).status_code == 200
    assert signed_in(world.pt_other.user).post(url, {"minutes": "7"}).status_code == 404
    assert signed_in(world.member.user).post(url, {"minutes": "7"}).status_code == 404


@pytest.mark.django_db
def test_coordinator_sets_working_hours(world: World) -> None:
    client = signed_in(world.coordinator)
    data = {"monday_opens": "08:00", "monday_closes": "16:30", "saturday_opens": "09:00",
            "saturday_closes": "12:00"}  # fmt: skip
    assert client.post("/settings/working-hours/", data).status_code == 302
    hours = WorkingHours.objects.get(organization=world.org).hours
    assert hours["monday"] == [["08:00", "16:30"]] and hours["tuesday"] == []
    page = signed_in(world.member.user).get("/messages/").content.decode()
    assert "Monday, 8:00 to 16:30" in page and "Saturday, 9:00 to 12:00" in page
    bad = client.post(
        "/settings/working-hours/", {"monday_opens": "17:00", "monday_closes": "08:00"}
    )
    assert bad.status_code == 400 and "opening comes before closing" in bad.content.decode()
    for user in (world.pt.user, world.member.user):
        assert signed_in(user).get("/settings/working-hours/").status_code == 404


def test_the_dashboard_counts_conversations_waiting_without_showing_them(world: World) -> None:
    sent = send(world.member.user, world.member, "My hip aches after the bridges")
    Message.objects.filter(pk=sent.pk).update(created_at=timezone.now() - timedelta(days=5))
    html = signed_in(world.coordinator).get("/dashboard/").content.decode()
    figure = html.split('data-testid="fig-messages-waiting">', 1)[1].split("<", 1)[0]
    assert figure == "1"
    assert "hip aches" not in html
    other = signed_in(world.foreign_coordinator).get("/dashboard/").content.decode()
    assert 'data-testid="fig-messages-waiting">0<' in other


def test_the_poll_does_not_keep_an_unattended_tab_signed_in(world: World) -> None:
    from django.contrib.sessions.models import Session

    pt = signed_in(world.pt.user)
    key = pt.cookies["sessionid"].value
    pt.get(f"/messages/members/{world.member.pk}/")  # the person opens the page
    opened = Session.objects.get(session_key=key).expire_date
    for _ in range(3):
        poll = pt.get(f"/messages/members/{world.member.pk}/updates/")
        assert poll.status_code == 200
        assert "sessionid" not in poll.cookies  # no new cookie, no later expiry
    assert Session.objects.get(session_key=key).expire_date == opened
    pt.get("/caseload/")  # the person's own next page moves the idle expiry on
    assert Session.objects.get(session_key=key).expire_date > opened
