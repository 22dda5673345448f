"""The remote monitoring endpoints and page: episodes, review time, the report as JSON and CSV,
what each role may do, and the errors that name their field."""

from __future__ import annotations

import csv
import io
import zoneinfo
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from exercise_tracker.models import AuditAction, AuditEvent
from members.api.rtm import CSV_COLUMNS
from members.models import Member, MonitoringEpisode, ReviewTime, SessionLog
from members.services.adherence import refresh_adherence
from tests import factories
from tests.conftest import World, bearer_client

pytestmark = pytest.mark.django_db


def _today(member: Member) -> date:
    return timezone.localtime(timezone.now(), member.tz).date()


def _monitor(member: Member, days_ago: int = 40) -> MonitoringEpisode:
    start = _today(member) - timedelta(days=days_ago)
    return MonitoringEpisode.objects.create(
        member=member, start_date=start, consent_at=timezone.now() - timedelta(days=days_ago)
    )


def _window(member: Member) -> tuple[date, date]:
    """45 days up to the member's today: both periods of a 40-day episode overlap it."""
    today = _today(member)
    return today - timedelta(days=45), today


# --- episodes -------------------------------------------------------------------------------


def test_a_pt_starts_monitoring_and_everyone_who_sees_the_member_reads_it(world: World) -> None:
    start = _today(world.member) - timedelta(days=3)
    response = bearer_client(world.pt.user).post(
        f"/api/v1/members/{world.member.pk}/monitoring/",
        {"start_date": start.isoformat(), "consent_at": timezone.now().isoformat()},
        format="json",
    )
    # Consent today, start three days back: refused, consent comes first.
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"start_date"}

    consent = (timezone.now() - timedelta(days=4)).isoformat()
    response = bearer_client(world.pt.user).post(
        f"/api/v1/members/{world.member.pk}/monitoring/",
        {"start_date": start.isoformat(), "consent_at": consent},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["start_date"], body["end_date"], body["active"]) == (start.isoformat(), None, True)
    assert body["consent_recorded_by"] == world.pt.user.pk

    for user in (world.member.user, world.coordinator, world.pt.user, world.staff):
        listed = bearer_client(user).get(f"/api/v1/members/{world.member.pk}/monitoring/").json()
        assert [e["id"] for e in listed["results"]] == [body["id"]], user.username


def test_a_second_open_episode_is_a_conflict(world: World) -> None:
    _monitor(world.member)
    response = bearer_client(world.pt.user).post(
        f"/api/v1/members/{world.member.pk}/monitoring/",
        {
            "start_date": _today(world.member).isoformat(),
            "consent_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 409
    assert "Already monitored" in response.json()["detail"]
    assert MonitoringEpisode.objects.filter(member=world.member).count() == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"start_date", "consent_at"}),
        ({"start_date": "2026-13-01", "consent_at": "yesterday"}, {"start_date", "consent_at"}),
        ({"start_date": "2999-01-01", "consent_at": "2026-01-01T09:00:00Z"}, {"start_date"}),
    ],
)
def test_a_bad_episode_names_its_fields(world: World, body: dict, fields: set[str]) -> None:
    response = bearer_client(world.pt.user).post(
        f"/api/v1/members/{world.member.pk}/monitoring/", body, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields


# --- review time ----------------------------------------------------------------------------


def test_a_pt_records_review_time_and_lists_it(world: World) -> None:
    _monitor(world.member)
    client = bearer_client(world.pt.user)
    url = f"/api/v1/members/{world.member.pk}/review-time/"
    day = _today(world.member) - timedelta(days=2)
    response = client.post(
        url, {"date": day.isoformat(), "minutes": 12, "live_interaction": True}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["therapist"] == world.pt.pk
    assert response.json()["therapist_name"] == world.pt.user.display_name
    listed = client.get(url).json()
    assert [(r["date"], r["minutes"], r["live_interaction"]) for r in listed["results"]] == [
        (day.isoformat(), 12, True)
    ]
    # Coordinators read the report's minutes, not each entry; members neither.
    for user in (world.coordinator, world.member.user):
        assert bearer_client(user).get(url).status_code == 404


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"date": "2026-02-30", "minutes": 10}, {"date"}),
        ({"date": "{today}", "minutes": 0}, {"minutes"}),
        ({"date": "{today}", "minutes": 241}, {"minutes"}),
        ({"date": "{today}", "minutes": "ten"}, {"minutes"}),
        ({"date": "{tomorrow}", "minutes": 10}, {"date"}),
        ({"date": "{before}", "minutes": 10}, {"date"}),  # before monitoring started
        ({"minutes": 10}, {"date"}),
    ],
)
def test_bad_review_time_names_its_field(world: World, body: dict, fields: set[str]) -> None:
    episode = _monitor(world.member, days_ago=10)
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(world.org.timezone)).date()
    words = {
        "{today}": today,
        "{tomorrow}": today + timedelta(days=1),
        "{before}": episode.start_date - timedelta(days=1),
    }
    body = {k: words[v].isoformat() if v in words else v for k, v in body.items()}
    response = bearer_client(world.pt.user).post(
        f"/api/v1/members/{world.member.pk}/review-time/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == fields
    assert not ReviewTime.objects.exists()


def test_another_pts_member_is_not_found(world: World) -> None:
    _monitor(world.other_member)
    client = bearer_client(world.pt.user)
    for suffix in ("monitoring/", "review-time/"):
        url = f"/api/v1/members/{world.other_member.pk}/{suffix}"
        assert client.get(url).status_code == 404
        assert client.post(url, {}, format="json").status_code == 404
    # An id past what the database holds is not found either (not a server error).
    huge = "/api/v1/members/99999999999999999999/monitoring/"
    assert bearer_client(world.pt.user).get(huge).status_code == 404


# --- the report -----------------------------------------------------------------------------


def _with_figures(world: World) -> None:
    """The member: monitored 40 days with data on 16 of them and 25 minutes with a call this
    month; the other member: monitored, nothing reported; the foreign member: monitored."""
    for member in (world.member, world.other_member, world.foreign_member):
        _monitor(member)
    today = _today(world.member)
    days = [today - timedelta(days=k) for k in range(16)]
    SessionLog.objects.bulk_create(
        [SessionLog(member=world.member, local_date=d, status="completed") for d in days]
    )
    refresh_adherence(member_ids=[world.member.pk])
    ReviewTime.objects.create(
        member=world.member,
        therapist=world.pt,
        date=today.replace(day=1),
        minutes=25,
        live_interaction=True,
    )


def test_the_report_gives_periods_and_months_labelled_self_reported(world: World) -> None:
    _with_figures(world)
    first, last = _window(world.member)
    response = bearer_client(world.coordinator).get(f"/api/v1/reports/rtm/?from={first}&to={last}")
    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "self-reported"
    assert (body["from"], body["to"], body["count"]) == (first.isoformat(), last.isoformat(), 2)
    rows = {row["member"]: row for row in body["results"]}
    assert set(rows) == {world.member.pk, world.other_member.pk}  # not the other clinic's
    mine = rows[world.member.pk]
    assert mine["therapist"] == world.pt.pk
    # Days 1-30, then 31-41 (today): the last 16 days, 5 in the first period, 11 in the second.
    assert [(p["number"], p["days_with_data"], p["supply_code"]) for p in mine["periods"]] == [
        (1, 5, "98985"),
        (2, 11, "98985"),
    ]
    assert [p["complete"] for p in mine["periods"]] == [True, False]
    month = mine["months"][-1]
    assert (month["month"], month["minutes"], month["codes"]) == (
        last.strftime("%Y-%m"),
        25,
        ["98980"],
    )
    assert {m["minutes"] for m in mine["months"][:-1]} <= {0}
    other = rows[world.other_member.pk]
    assert {p["supply_code"] for p in other["periods"]} == {None}


def test_a_pt_sees_their_caseload_and_the_other_clinic_sees_none_of_it(world: World) -> None:
    _with_figures(world)
    pt = bearer_client(world.pt.user).get("/api/v1/reports/rtm/").json()
    assert [r["member"] for r in pt["results"]] == [world.member.pk]
    foreign = bearer_client(world.foreign_coordinator).get("/api/v1/reports/rtm/").json()
    assert [r["member"] for r in foreign["results"]] == [world.foreign_member.pk]
    for user in (world.member.user, world.staff):
        assert bearer_client(user).get("/api/v1/reports/rtm/").status_code == 404


def test_the_therapist_filter(world: World) -> None:
    _with_figures(world)
    client = bearer_client(world.coordinator)
    body = client.get(f"/api/v1/reports/rtm/?therapist={world.pt_other.pk}").json()
    assert [r["member"] for r in body["results"]] == [world.other_member.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-02-30", "from"),
        ("to=March", "to"),
        ("from=2026-03-10&to=2026-03-09", "from"),
        ("from=2025-01-01&to=2026-03-01", "to"),  # more than a year
        ("therapist=999999", "therapist"),
        ("therapist=abc", "therapist"),
        ("format=xlsx", "format"),
    ],
)
def test_bad_report_parameters_name_their_field(world: World, query: str, field: str) -> None:
    response = bearer_client(world.coordinator).get(f"/api/v1/reports/rtm/?{query}")
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}
    assert set(response.json()["errors"]) == {field}


def test_a_pt_of_another_clinic_is_an_unknown_therapist(world: World) -> None:
    response = bearer_client(world.coordinator).get(
        f"/api/v1/reports/rtm/?therapist={world.foreign_pt.pk}"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"therapist"}


def _csv(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == CSV_COLUMNS
    return [dict(zip(header, row, strict=True)) for row in reader]


def test_the_csv_has_a_header_and_every_row_of_every_member(world: World) -> None:
    _with_figures(world)
    # More members than a JSON page: the CSV is not paged.
    for k in range(25):
        member = factories.MemberFactory.create(
            user__organization=world.org, user__first_name=f"=cmd{k}"
        )
        _monitor(member, days_ago=5)
    first, last = _window(world.member)
    client = bearer_client(world.coordinator)
    before = AuditEvent.objects.count()
    response = client.get(f"/api/v1/reports/rtm/?from={first}&to={last}&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert AuditEvent.objects.count() - before == 1
    assert AuditEvent.objects.latest("id").action == AuditAction.EXPORT

    expected = client.get(f"/api/v1/reports/rtm/?from={first}&to={last}&page_size=100").json()
    assert expected["count"] == 27
    periods = sum(len(r["periods"]) for r in expected["results"])
    months = sum(len(r["months"]) for r in expected["results"])
    assert [r["record"] for r in rows].count("period") == periods
    assert [r["record"] for r in rows].count("month") == months
    assert len(rows) == periods + months
    assert {r["source"] for r in rows} == {"self-reported"}
    assert len({r["member_id"] for r in rows}) == 27
    mine = [r for r in rows if r["member_id"] == str(world.member.pk)]
    codes = [r["management_codes"] for r in mine if r["record"] == "month"]
    assert codes[-1] == "98980"  # this month's 25 minutes with a call
    assert set(codes[:-1]) <= {""}
    assert sum(int(r["days_with_data"]) for r in mine if r["record"] == "period") == 16
    # A name that looks like a formula is written as text.
    assert not any(r["member"].startswith("=") for r in rows)


# --- the page -------------------------------------------------------------------------------


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_each_monitored_member_with_the_self_reported_note(world: World) -> None:
    _with_figures(world)
    response = _page_client(world.coordinator).get("/reports/rtm/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "self-reported" in html
    assert world.member.user.display_name in html
    assert world.other_member.user.display_name in html
    assert world.foreign_member.user.display_name not in html
    assert "98980" in html
    assert "format=csv" in html
    assert html.count('data-testid="rtm-member"') == 2


def test_the_page_for_a_pt_a_bad_month_and_members(world: World) -> None:
    _with_figures(world)
    response = _page_client(world.pt.user).get("/reports/rtm/?month=2026-13")
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not a month" in html
    assert html.count('data-testid="rtm-member"') == 1
    assert world.other_member.user.display_name not in html
    assert _page_client(world.member.user).get("/reports/rtm/").status_code == 404
    assert _page_client(world.staff).get("/reports/rtm/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"page_size": "true"}, {"page": "null"}, {"page": "²"}])
def test_a_csv_export_still_refuses_bad_paging_parameters(world: World, params: dict) -> None:
    response = bearer_client(world.coordinator).get(
        "/api/v1/reports/rtm/", {"format": "csv", **params}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)
