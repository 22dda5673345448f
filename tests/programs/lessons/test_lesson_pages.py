"""Learn for members (the list, a lesson, "I have read this"), the next lesson on today, and
"lessons read" where PTs and coordinators look."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from members.rules import safety
from programs.models import Lesson, LessonRead
from tests.conftest import World
from tests.programs.lessons.helpers import load_shipped, plan_with_lessons


def test_learn_lists_the_members_lessons_and_reading_one_is_recorded_once(
    world: World, client: Client
) -> None:
    lessons = load_shipped()
    plan_with_lessons(world, [lessons[0], lessons[2]])
    client.force_login(world.member.user)
    page = client.get("/learn/").content.decode()
    assert "What spinal stenosis is" in page and "Walking with stenosis" in page
    assert "Sleeping and sitting" not in page
    assert "You have read 0 of 2" in page
    lesson = client.get(f"/learn/{lessons[0].pk}/").content.decode()
    assert "I have read this" in lesson and "Walking with stenosis" in lesson  # the next one
    assert client.post(f"/learn/{lessons[0].pk}/").status_code == 302
    assert client.post(f"/learn/{lessons[0].pk}/").status_code == 302
    assert LessonRead.objects.filter(member=world.member).count() == 1
    assert "You read this lesson on" in client.get(f"/learn/{lessons[0].pk}/").content.decode()
    assert "You have read 1 of 2" in client.get("/learn/").content.decode()


def test_a_lesson_not_assigned_is_404_and_pts_have_no_learn_page(
    world: World, client: Client
) -> None:
    lessons = load_shipped()
    plan_with_lessons(world, [lessons[0]])
    client.force_login(world.other_member.user)
    assert client.get(f"/learn/{lessons[0].pk}/").status_code == 404
    assert client.post(f"/learn/{lessons[0].pk}/").status_code == 404
    assert not LessonRead.objects.exists()
    client.force_login(world.pt.user)
    assert client.get("/learn/").status_code in (403, 404)


def test_the_help_now_lesson_shows_the_shared_red_flags(world: World, client: Client) -> None:
    load_shipped()
    help_now = Lesson.objects.get(slug="when-to-get-help-now")
    plan_with_lessons(world, [help_now])
    client.force_login(world.member.user)
    page = client.get(f"/learn/{help_now.pk}/").content.decode()
    for sign in safety.RED_FLAG_SIGNS:
        assert sign in page
    assert "Call your doctor soon" in page


def test_today_offers_the_next_unread_lesson(world: World, client: Client) -> None:
    lessons = load_shipped()
    plan_with_lessons(world, lessons[:2])
    client.force_login(world.member.user)
    assert "What spinal stenosis is" in client.get("/today/").content.decode()
    client.post(f"/learn/{lessons[0].pk}/")
    today = client.get("/today/").content.decode()
    assert "Positions that ease your legs" in today and "What spinal stenosis is" not in today


def test_pts_and_coordinators_see_lessons_read(world: World, client: Client) -> None:
    lessons = load_shipped()
    plan_with_lessons(world, lessons[:3])
    client.force_login(world.member.user)
    client.post(f"/learn/{lessons[1].pk}/")
    client.force_login(world.pt.user)
    caseload = client.get("/caseload/").content.decode()
    assert 'data-testid="lessons-read">1/3<' in caseload
    member_page = client.get(f"/members/{world.member.pk}/adherence/").content.decode()
    assert "Lessons read" in member_page and "1 of 3" in member_page
    history = client.get(f"/members/{world.member.pk}/history/").content.decode()
    assert "1 of 3" in history
    builder = client.get(f"/caseload/{world.member.pk}/plan/").content.decode()
    assert builder.count("data-lesson>") == 6
    client.force_login(world.coordinator)
    from members.services import adherence

    adherence.refresh_member(member=world.member)
    dashboard = client.get("/dashboard/").content.decode()
    assert 'data-testid="lessons-read">1/3<' in dashboard


def test_the_members_history_counts_their_lessons(world: World, client: Client) -> None:
    lessons = load_shipped()
    plan_with_lessons(world, lessons[:2])
    client.force_login(world.member.user)
    client.post(f"/learn/{lessons[0].pk}/")
    history = client.get("/history/").content.decode()
    assert "1 of 2" in history and "Go to Learn" in history


def test_the_dashboard_api_rows_and_csv_carry_lessons_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from members.selectors import adherence as selectors
    from members.services import adherence
    from tests.conftest import bearer_client

    lessons = load_shipped()
    plan_with_lessons(world, lessons[:4])
    from programs.services.lessons import record_lesson_read

    record_lesson_read(user=world.member.user, lesson_id=lessons[0].pk)
    adherence.refresh_member(member=world.member)
    rows = bearer_client(world.coordinator).get("/api/v1/dashboard/adherence/").json()["results"]
    mine = next(row for row in rows if row["member_id"] == world.member.pk)
    assert (mine["lessons_read"], mine["lessons_assigned"]) == (1, 4)
    other = next(row for row in rows if row["member_id"] == world.other_member.pk)
    assert (other["lessons_read"], other["lessons_assigned"]) == (0, 0)
    # The export says the same, counted a chunk at a time (one member a chunk here).
    monkeypatch.setattr(selectors, "CSV_CHUNK", 1)
    export = bearer_client(world.coordinator).get("/api/v1/dashboard/adherence/", {"format": "csv"})
    lines = b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]
    by_id = {row["member_id"]: row for row in csv.DictReader(io.StringIO(lines))}
    assert len(by_id) == 2
    mine_csv, other_csv = by_id[str(world.member.pk)], by_id[str(world.other_member.pk)]
    assert (mine_csv["lessons_read"], mine_csv["lessons_assigned"]) == ("1", "4")
    assert (other_csv["lessons_read"], other_csv["lessons_assigned"]) == ("0", "0")


def test_staff_read_the_lessons_in_the_admin_and_cannot_change_them(world: World) -> None:
    lessons = load_shipped()
    plan_with_lessons(world, lessons[:2])
    client = Client()
    client.force_login(world.staff)
    listing = client.get("/admin/programs/lesson/").content.decode()
    assert lessons[0].title in listing and lessons[-1].title in listing
    assert "/admin/programs/lesson/add/" not in listing
    page = client.get(f"/admin/programs/lesson/{lessons[0].pk}/change/")
    assert page.status_code == 200
    assert lessons[0].summary in page.content.decode()
    client.post(f"/admin/programs/lesson/{lessons[0].pk}/change/", {"title": "Edited"})
    client.post(f"/admin/programs/lesson/{lessons[0].pk}/delete/", {"post": "yes"})
    lessons[0].refresh_from_db()
    assert lessons[0].title != "Edited"
    for user in (world.pt.user, world.coordinator):
        client.force_login(user)
        assert client.get("/admin/programs/lesson/").status_code == 302  # to the admin sign-in
