"""The dashboard and member adherence pages: who may open them (404 for the others), bad
filters shown rather than failing, no pain figures for coordinators, and a fixed number of
queries whatever the number of members."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exercise_tracker.clock import local_today
from members.services import adherence as service
from tests import factories
from tests.conftest import World
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan


def today() -> date:
    """The members' today when the test runs: their calendar runs on their own zone, not UTC
    (and a run may cross midnight after this module is imported)."""
    return local_today(factories.ZONE)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def planned(world: World) -> None:
    exercise = PlanExerciseFactory.create()
    for member, pt in ((world.member, world.pt), (world.other_member, world.pt_other)):
        make_plan(pt=pt, member=member, items=[item(exercise)], start=today() - timedelta(days=14))
    factories.SessionLogFactory.create(
        member=world.member,
        local_date=today() - timedelta(days=2),
        status="completed",
        pain_before=5,
    )
    service.refresh_adherence(
        member_ids=[world.member.pk, world.other_member.pk], since=today() - timedelta(days=20)
    )


@pytest.mark.django_db
def test_only_coordinators_and_staff_open_the_dashboard(world: World, planned) -> None:
    page = signed_in(world.coordinator).get("/dashboard/")
    assert page.status_code == 200
    assert page.context["summary"]["members"] == 2
    assert b"self-reported" in page.content
    for user in (world.member.user, world.pt.user):
        assert signed_in(user).get("/dashboard/").status_code == 404
    assert signed_in(world.staff).get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_bad_filters_are_named_and_the_dashboard_still_shows(world: World, planned) -> None:
    page = signed_in(world.coordinator).get("/dashboard/", {"from": "last week", "risk": ""})
    assert page.status_code == 200
    assert page.context["errors"] == ["from: Give a date as YYYY-MM-DD."]
    assert page.context["summary"]["members"] == 2
    narrowed = signed_in(world.coordinator).get("/dashboard/", {"therapist": world.pt.pk})
    assert [row.member_id for row in narrowed.context["rows"]] == [world.member.pk]


@pytest.mark.django_db
def test_the_member_page_for_their_pt_and_coordinator(world: World, planned) -> None:
    url = f"/members/{world.member.pk}/adherence/"
    pt_page = signed_in(world.pt.user).get(url)
    assert pt_page.status_code == 200 and pt_page.context["with_pain"]
    coordinator_page = signed_in(world.coordinator).get(url)
    assert coordinator_page.status_code == 200 and not coordinator_page.context["with_pain"]
    assert b"pain, first week" not in coordinator_page.content
    for user in (world.pt_other.user, world.foreign_coordinator, world.member.user):
        assert signed_in(user).get(url).status_code == 404
    days = [d for week in pt_page.context["calendar"] for d in week["days"] if d.get("date")]
    statuses = {d["date"]: d["status"] for d in days}
    assert statuses[today() - timedelta(days=2)] == "done"
    assert statuses[today() - timedelta(days=1)] == "missed"
    assert statuses[today()] == "pending"


@pytest.mark.django_db
def test_the_caseload_shows_each_members_figures(world: World, planned) -> None:
    page = signed_in(world.pt.user).get("/caseload/")
    ((member, figures),) = page.context["members"]
    assert member.pk == world.member.pk
    # Active two days ago: not inactive yet (3 whole days and today without a session).
    assert figures.completed == 1 and figures.risk == "on_track"


@pytest.mark.django_db
def test_dashboard_page_queries_do_not_grow_with_members(world: World, planned) -> None:
    client = signed_in(world.coordinator)
    client.get("/dashboard/")  # session and user caches warm
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/dashboard/").status_code == 200
        counts.append(len(queries))
        for _ in range(8):
            member = factories.MemberFactory.create(user__organization=world.org)
            factories.CareAssignmentFactory.create(member=member, therapist=world.pt)
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_the_pt_starts_monitoring_with_consent_and_records_review_time(
    world: World, planned
) -> None:
    from members.models import MonitoringEpisode, ReviewTime

    client = signed_in(world.pt.user)
    base = f"/members/{world.member.pk}/adherence/"
    # Without the consent box nothing starts.
    client.post(base + "monitoring/", {})
    assert not MonitoringEpisode.objects.filter(member=world.member).exists()
    client.post(base + "monitoring/", {"consent": "1"})
    episode = MonitoringEpisode.objects.get(member=world.member)
    assert episode.consent_recorded_by == world.pt.user
    today = timezone.localtime(timezone.now(), world.member.tz).date()
    page = client.post(
        base + "review-time/",
        {"date": today.isoformat(), "minutes": "25", "live_interaction": "1"},
        follow=True,
    )
    assert b"25 minutes recorded" in page.content
    review = ReviewTime.objects.get(member=world.member)
    assert (review.minutes, review.live_interaction, review.therapist) == (25, True, world.pt)
    refused = client.post(
        base + "review-time/", {"date": today.isoformat(), "minutes": "999"}, follow=True
    )
    assert b"Not recorded" in refused.content
    assert ReviewTime.objects.count() == 1
    (month,) = page.context["monitoring"].months
    assert month.codes == ("98980",)
    # Another PT, a coordinator: no such forms (404), nothing written.
    for user in (world.pt_other.user, world.coordinator):
        response = signed_in(user).post(base + "review-time/", {"date": today, "minutes": 5})
        assert response.status_code == 404
    assert ReviewTime.objects.count() == 1
