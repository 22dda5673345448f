"""The messaging API: threads, messages (ETag and 304), read, withdraw, pictures, log-time,
reply templates, working hours; query counts that do not grow with the rows."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from exercise_tracker.models import AuditEvent
from members.models import MonitoringEpisode, ReviewTime
from messaging.models import Message, ReplyTemplate
from messaging.selectors import threads as selectors
from tests import factories
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import plan_with_items
from tests.messaging.helpers import jpeg_with_exif, send, thread_of

pytestmark = pytest.mark.django_db


def _post(client, thread_id: int, **body):
    body.setdefault("client_id", str(uuid.uuid4()))
    return client.post(f"/api/v1/threads/{thread_id}/messages/", body, format="json")


def test_a_member_sends_and_the_pt_reads_with_seen_shown_to_the_sender(world: World) -> None:
    member = bearer_client(world.member.user)
    threads = member.get("/api/v1/threads/").json()
    assert threads["count"] == 1
    thread_id = threads["results"][0]["id"]
    sent = _post(member, thread_id, text="Can I walk on the treadmill instead?")
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["text"] == "Can I walk on the treadmill instead?"
    assert body["author"]["side"] == "member" and body["seen"] is False
    assert body["emergency_guidance"] is None and body["withdrawable_until"]

    pt = bearer_client(world.pt.user)
    listed = pt.get("/api/v1/threads/").json()["results"]
    assert [(t["id"], t["unread"]) for t in listed] == [(thread_id, 1)]
    read = pt.post(f"/api/v1/threads/{thread_id}/read/", {}, format="json").json()
    assert read == {"thread": thread_id, "last_read_id": body["id"], "unread": 0}
    page = member.get(f"/api/v1/threads/{thread_id}/messages/").json()
    assert page["results"][0]["seen"] is True


def test_detail_shows_the_care_team_working_hours_and_not_for_emergencies(world: World) -> None:
    thread = thread_of(world.member)
    detail = bearer_client(world.member.user).get(f"/api/v1/threads/{thread.pk}/").json()
    assert [p["id"] for p in detail["care_team"]] == [world.pt.user.pk]
    assert "not for emergencies" in detail["not_for_emergencies"]
    assert detail["working_hours"]["monday"] == [["09:00", "17:00"]]
    assert detail["withdraw_window_seconds"] == 300


def test_messages_answer_an_etag_and_304_until_something_changes(
    world: World, django_assert_max_num_queries
) -> None:
    send(world.member.user, world.member, "First")
    thread = thread_of(world.member)
    pt = bearer_client(world.pt.user)
    url = f"/api/v1/threads/{thread.pk}/messages/"
    first = pt.get(url)
    etag = first["ETag"]
    with django_assert_max_num_queries(3):  # the user (JWT), the thread: nothing else
        again = pt.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    send(world.member.user, world.member, "Second")
    changed = pt.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    # The member's own view changes when the PT reads (seen).
    member = bearer_client(world.member.user)
    mine = member.get(url)["ETag"]
    pt.post(f"/api/v1/threads/{thread.pk}/read/", {}, format="json")
    assert member.get(url, HTTP_IF_NONE_MATCH=mine).status_code == 200


def test_list_endpoints_cost_the_same_for_many_rows(
    world: World, django_assert_max_num_queries
) -> None:
    for n in range(30):
        send(world.member.user, world.member, f"Message {n}")
        send(world.pt.user, world.member, f"Answer {n}")
    for _ in range(5):
        other = factories.MemberFactory.create(user__organization=world.org)
        factories.CareAssignmentFactory.create(member=other, therapist=world.pt)
        send(other.user, other, "Hello")
    pt = bearer_client(world.pt.user)
    thread = thread_of(world.member)
    with django_assert_max_num_queries(8):
        page = pt.get(f"/api/v1/threads/{thread.pk}/messages/?limit=40")
    assert len(page.json()["results"]) == 40
    with django_assert_max_num_queries(8):
        listed = pt.get("/api/v1/threads/")
    assert listed.json()["count"] == 6


def test_cursor_pages_go_back_and_poll_forward_newest_last(world: World) -> None:
    ids = [send(world.member.user, world.member, f"m{n}").message.pk for n in range(7)]
    member = bearer_client(world.member.user)
    thread = thread_of(world.member)
    latest = member.get(f"/api/v1/threads/{thread.pk}/messages/?limit=3").json()
    assert [m["id"] for m in latest["results"]] == ids[-3:]
    older = member.get(latest["previous"]).json()
    assert [m["id"] for m in older["results"]] == ids[1:4]
    oldest = member.get(older["previous"]).json()
    assert [m["id"] for m in oldest["results"]] == ids[:1] and oldest["previous"] is None
    polled = member.get(latest["next"]).json()
    assert polled["results"] == []
    new = send(world.pt.user, world.member, "new").message.pk
    assert [m["id"] for m in member.get(latest["next"]).json()["results"]] == [new]


def test_retries_answer_the_first_message_and_another_body_409(world: World) -> None:
    member = bearer_client(world.member.user)
    thread = thread_of(world.member)
    client_id = str(uuid.uuid4())
    first = _post(member, thread.pk, client_id=client_id, text="Hello")
    again = _post(member, thread.pk, client_id=client_id, text="Hello")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = _post(member, thread.pk, client_id=client_id, text="Changed")
    assert other.status_code == 409 and "client_id" in other.json()["errors"]
    key: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    body = {"client_id": str(uuid.uuid4()), "text": "Keyed"}
    url = f"/api/v1/threads/{thread.pk}/messages/"
    a = member.post(url, body, format="json", **key)
    b = member.post(url, body, format="json", **key)
    assert a.status_code == 201 and b.status_code == 201 and b["Idempotent-Replayed"] == "true"
    assert Message.objects.count() == 2


def test_bad_input_is_a_400_naming_the_field(world: World) -> None:
    member = bearer_client(world.member.user)
    thread = thread_of(world.member)
    cases = [
        ({"text": "no id"}, "client_id"),
        ({"client_id": "nope", "text": "x"}, "client_id"),
        ({"client_id": str(uuid.uuid4()), "text": "x" * 4001}, "text"),
        ({"client_id": str(uuid.uuid4()), "text": "x", "exercise": 999999}, "exercise"),
        ({"client_id": str(uuid.uuid4()), "text": "x", "exercise": True}, "exercise"),
        ({"client_id": str(uuid.uuid4()), "text": "x", "colour": "red"}, "non_field_errors"),
    ]
    for body, field in cases:
        answer = member.post(f"/api/v1/threads/{thread.pk}/messages/", body, format="json")
        assert answer.status_code == 400, (body, answer.content)
        assert field in answer.json()["errors"], (body, answer.json())


def test_an_exercise_reference_opens_for_the_other_side(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=1)
    thread = thread_of(world.member)
    sent = _post(
        bearer_client(world.pt.user), thread.pk, text="Try it slower", exercise=items[0].exercise_id
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["exercise"] == {"id": items[0].exercise_id, "name": items[0].exercise.name}


def test_a_picture_by_multipart_is_served_to_the_thread_only(world: World) -> None:
    member = bearer_client(world.member.user)
    thread = thread_of(world.member)
    answer = member.post(
        f"/api/v1/threads/{thread.pk}/messages/",
        {"client_id": str(uuid.uuid4()), "text": "Swelling here", "image": jpeg_with_exif()},
        format="multipart",
    )
    assert answer.status_code == 201, answer.content
    image = answer.json()["image"]
    assert image["width"] == 64 and image["url"].endswith("/image/")
    assert bearer_client(world.pt.user).get(image["url"]).status_code == 200
    assert bearer_client(world.pt_other.user).get(image["url"]).status_code == 404
    assert bearer_client(world.coordinator).get(image["url"]).status_code == 404
    withdrawn = member.post(f"/api/v1/messages/{answer.json()['id']}/withdraw/")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["withdrawn"] is True and withdrawn.json()["image"] is None
    assert withdrawn.json()["text"] == ""
    assert bearer_client(world.pt.user).get(image["url"]).status_code == 404


def test_withdraw_is_the_senders_within_five_minutes(world: World) -> None:
    sent = send(world.member.user, world.member, "Oops").message
    assert (
        bearer_client(world.pt.user).post(f"/api/v1/messages/{sent.pk}/withdraw/").status_code
        == 403
    )
    Message.objects.filter(pk=sent.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    late = bearer_client(world.member.user).post(f"/api/v1/messages/{sent.pk}/withdraw/")
    assert late.status_code == 409


def test_red_flag_message_answers_emergency_guidance(world: World) -> None:
    thread = thread_of(world.member)
    answer = _post(bearer_client(world.member.user), thread.pk, text="My groin has gone numb")
    guidance = answer.json()["emergency_guidance"]
    assert guidance["lead"] == "Get emergency care now"
    assert set(guidance) == {"title", "reason", "lead", "signs", "action"}  # as symptom checks


def test_log_time_adds_messaging_minutes_to_review_time(world: World) -> None:
    thread = thread_of(world.member)
    pt = bearer_client(world.pt.user)
    url = f"/api/v1/threads/{thread.pk}/log-time/"
    refused = pt.post(url, {"minutes": 5}, format="json")
    assert refused.status_code == 400 and "date" in refused.json()["errors"]
    MonitoringEpisode.objects.create(
        member=world.member,
        start_date=date.today() - timedelta(days=10),
        consent_at=timezone.now(),
        consent_recorded_by=world.pt.user,
    )
    logged = pt.post(url, {"minutes": 7, "note": "Answered questions about walking"}, format="json")
    assert logged.status_code == 201, logged.content
    entry = ReviewTime.objects.get()
    assert (entry.minutes, entry.source, entry.live_interaction) == (7, "messaging", False)
    assert pt.post(url, {"minutes": 0}, format="json").status_code == 400
    assert (
        bearer_client(world.member.user).post(url, {"minutes": 5}, format="json").status_code == 404
    )


def test_reply_templates_are_the_pts_own(world: World) -> None:
    pt = bearer_client(world.pt.user)
    made = pt.post(
        "/api/v1/reply-templates/",
        {"title": "Walking", "text": "Walk until symptoms start, rest, then go on."},
        format="json",
    )
    assert made.status_code == 201
    tid = made.json()["id"]
    assert pt.get("/api/v1/reply-templates/").json()["count"] == 1
    assert (
        pt.patch(f"/api/v1/reply-templates/{tid}/", {"title": "Walks"}, format="json").json()[
            "title"
        ]
        == "Walks"
    )
    assert (
        bearer_client(world.pt_other.user).get(f"/api/v1/reply-templates/{tid}/").status_code == 404
    )
    assert bearer_client(world.member.user).get("/api/v1/reply-templates/").status_code == 404
    assert (
        pt.post("/api/v1/reply-templates/", {"title": "", "text": "x"}, format="json").status_code
        == 400
    )
    assert pt.delete(f"/api/v1/reply-templates/{tid}/").status_code == 204
    assert not ReplyTemplate.objects.exists()


def test_the_coordinator_sets_working_hours(world: World) -> None:
    coordinator = bearer_client(world.coordinator)
    hours = {"monday": [["08:00", "12:00"], ["13:00", "17:30"]], "saturday": [["09:00", "12:00"]]}
    answer = coordinator.patch("/api/v1/working-hours/", {"hours": hours}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["hours"]["monday"] == hours["monday"]
    assert answer.json()["hours"]["tuesday"] == []
    bad = coordinator.patch(
        "/api/v1/working-hours/", {"hours": {"monday": [["17:00", "08:00"]]}}, format="json"
    )
    assert bad.status_code == 400 and "hours" in bad.json()["errors"]
    assert (
        bearer_client(world.pt.user)
        .patch("/api/v1/working-hours/", {"hours": hours}, format="json")
        .status_code
        == 403
    )
    thread = thread_of(world.member)
    detail = bearer_client(world.member.user).get(f"/api/v1/threads/{thread.pk}/").json()
    assert detail["working_hours"]["saturday"] == [["09:00", "12:00"]]


def test_coordinators_get_the_overdue_count_and_no_content(world: World) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    sent = send(world.member.user, world.member, "Still waiting").message
    # Sent Monday 10:00; Tuesday 16:00 a working day has not passed; Wednesday 10:00 it has.
    Message.objects.filter(pk=sent.pk).update(created_at=datetime(2026, 11, 30, 10, tzinfo=ny))
    assert (
        selectors.overdue_thread_count(world.coordinator, now=datetime(2026, 12, 1, 16, tzinfo=ny))
        == 0
    )
    assert (
        selectors.overdue_thread_count(world.coordinator, now=datetime(2026, 12, 2, 10, tzinfo=ny))
        == 1
    )
    assert (
        selectors.overdue_thread_count(
            world.foreign_coordinator, now=datetime(2026, 12, 2, 10, tzinfo=ny)
        )
        == 0
    )
    from messaging.services import messages

    messages.mark_read(thread=thread_of(world.member), by=world.pt.user)
    assert (
        selectors.overdue_thread_count(world.coordinator, now=datetime(2026, 12, 2, 10, tzinfo=ny))
        == 0
    )
    assert bearer_client(world.coordinator).get("/api/v1/threads/").status_code == 404


def test_a_pt_opens_a_conversation_with_a_caseload_member(world: World) -> None:
    pt = bearer_client(world.pt.user)
    opened = pt.post("/api/v1/threads/", {"member": world.member.pk}, format="json")
    assert opened.status_code == 201
    assert (
        pt.post("/api/v1/threads/", {"member": world.member.pk}, format="json").status_code == 200
    )
    other = pt.post("/api/v1/threads/", {"member": world.other_member.pk}, format="json")
    assert other.status_code == 400 and "member" in other.json()["errors"]


def test_a_pts_reads_are_audited(world: World) -> None:
    thread = thread_of(world.member)
    before = AuditEvent.objects.count()
    bearer_client(world.pt.user).get(f"/api/v1/threads/{thread.pk}/messages/")
    row = AuditEvent.objects.order_by("-id").first()
    assert row is not None
    assert AuditEvent.objects.count() == before + 1
    assert (row.member_id, row.action, row.object_type) == (
        world.member.pk,
        "read",
        "messaging.thread",
    )
    bearer_client(world.member.user).get(f"/api/v1/threads/{thread.pk}/messages/")
    assert AuditEvent.objects.count() == before + 1


def test_a_picture_with_an_idempotency_key_is_sent_once(world: World) -> None:
    member = bearer_client(world.member.user)
    thread = thread_of(world.member)
    url = f"/api/v1/threads/{thread.pk}/messages/"
    key: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    client_id = str(uuid.uuid4())
    answers = [
        member.post(
            url,
            {"client_id": client_id, "text": "Here", "image": jpeg_with_exif()},
            format="multipart",
            **key,
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201], answers[1].content
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert Message.objects.count() == 1


def test_the_navigation_count_is_one_query_and_none_for_coordinators(
    world: World, django_assert_num_queries
) -> None:
    for n in range(4):
        send(world.member.user, world.member, f"Question {n}")
    with django_assert_num_queries(1):
        assert selectors.unread_count(world.pt.user) == 4
    with django_assert_num_queries(1):
        assert selectors.unread_count(world.member.user) == 0
    with django_assert_num_queries(0):
        assert selectors.unread_count(world.coordinator) == 0
