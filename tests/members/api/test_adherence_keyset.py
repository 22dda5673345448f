"""The dashboard's rows sorted and cut in the database: keyset pages (`cursor`, with `next` and
`previous` links) cover every member exactly once in every ordering, page numbers still work,
filters hold across pages, another organization's members never appear, coordinators see no
pain, the first page costs a fixed number of queries, and the roll-ups grouped in the database
equal those worked out from every member's row (a rebuild)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import Alert, AlertKind, Member, SessionLog
from members.selectors import adherence as selectors
from members.services import adherence as service
from tests import factories
from tests.conftest import World, bearer_client
from tests.programs.factories_plans import PlanExerciseFactory, PlanTemplateFactory, item, make_plan

URL = "/api/v1/dashboard/adherence/"


def day(n: int) -> date:
    return timezone.now().date() - timedelta(days=n)


@pytest.fixture
def crowd(world: World) -> list[Member]:
    """Fourteen more members at North Clinic (UTC), with every kind of figure: steady, fading,
    never started, no plan at all (no figures row), two with the same name, one discharged (left
    out); and a member of another clinic with a plan."""
    exercise = PlanExerciseFactory.create()
    template = PlanTemplateFactory.create()
    members = [world.member, world.other_member]
    patterns: list[list[int] | None] = [
        [9, 8, 7, 6, 5, 4, 3, 2, 1],
        [9, 8, 7, 6],
        [],
        None,
        [2, 1],
        [9, 7, 5, 3, 1],
        [8, 6, 4, 2],
        None,
        [9, 8, 7, 6, 5, 4, 3, 2, 1],
        [5],
        [],
        [9, 8, 3, 2, 1],
        [1],
        [4, 3],
    ]
    for n, done in enumerate(patterns):
        first = "Sam" if n in (4, 5) else f"Alex{n:02d}"
        member = factories.MemberFactory.create(
            user__organization=world.org, user__first_name=first, user__last_name="Same"
        )
        members.append(member)
        therapist = world.pt if n % 2 else world.pt_other
        factories.CareAssignmentFactory.create(member=member, therapist=therapist)
        if done is None:
            continue  # no plan: no figures row
        make_plan(
            pt=therapist,
            member=member,
            items=[item(exercise)],
            start=day(10),
            at=datetime.combine(day(10), time(12), tzinfo=UTC),
            template_id=template.pk if n % 3 == 0 else None,
        )
        SessionLog.objects.bulk_create(
            [
                SessionLog(member=member, local_date=day(d), status="completed", pain_before=4)
                for d in done
            ]
        )
    for member in [*members, world.foreign_member]:
        member.timezone = "UTC"
        member.save(update_fields=["timezone"])
    make_plan(pt=world.foreign_pt, member=world.foreign_member, items=[item(exercise)],
              start=day(10))  # fmt: skip
    Alert.objects.create(member=members[3], therapist=world.pt, kind=AlertKind.INACTIVE)
    gone = factories.MemberFactory.create(user__organization=world.org, discharged_on=day(2))
    factories.CareAssignmentFactory.create(member=gone, therapist=world.pt)
    service.refresh_adherence(
        member_ids=[m.pk for m in [*members, world.foreign_member, gone]], since=day(60)
    )
    return members


def walk(client: Any, params: Any) -> tuple[list[int], list[dict[str, Any]]]:
    """Every page from the first, by the `next` links; then back by the `previous` links."""
    pages: list[dict[str, Any]] = []
    body = client.get(URL, params).json()
    pages.append(body)
    while body["next"]:
        assert len(pages) < 50
        body = client.get(body["next"]).json()
        pages.append(body)
    ids = [row["member_id"] for page in pages for row in page["results"]]
    back: list[int] = []
    while body["previous"]:
        body = client.get(body["previous"]).json()
        back = [row["member_id"] for row in body["results"]] + back
    last = [row["member_id"] for row in pages[-1]["results"]]
    assert back + last == ids or len(pages) == 1
    return ids, [row for page in pages for row in page["results"]]


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", selectors.ORDERINGS)
def test_cursor_pages_cover_every_member_once_in_each_ordering(
    world: World, crowd: list[Member], ordering: str
) -> None:
    client = bearer_client(world.coordinator)
    ids, rows = walk(client, {"ordering": ordering, "page_size": "4"})
    assert sorted(ids) == sorted(m.pk for m in crowd)  # once each; not the discharged one
    assert world.foreign_member.pk not in ids
    whole = client.get(URL, {"ordering": ordering, "page_size": "100"}).json()
    assert [r["member_id"] for r in whole["results"]] == ids  # pages cut one order
    assert whole["count"] == len(crowd) and whole["next"] is None
    assert all("pain_trend" not in row for row in rows)
    key = ordering.lstrip("-")
    if key == "risk":
        ranks = [selectors.RISK_ORDER[r["risk"]] for r in rows]
        assert ranks == sorted(ranks)
    elif key in ("adherence", "last_active"):
        present = [r[key] is not None for r in rows]
        assert present == sorted(present, reverse=True)  # members without the figure last
        values = [r[key] for r in rows if r[key] is not None]
        assert values == sorted(values, reverse=ordering.startswith("-"))
    elif key == "name":
        names = [r["name"].lower() for r in rows]
        assert names == sorted(names, reverse=ordering.startswith("-"))
    else:
        values = [r[key] for r in rows]
        assert values == sorted(values, reverse=ordering.startswith("-"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"risk": "never_started"},
        {"risk": "no_plan"},
        {"from": "{d20}", "to": "{d1}", "ordering": "adherence"},
        {"from": "{d20}", "to": "{d1}", "ordering": "-active_days_30"},
    ],
)
def test_filters_hold_across_pages(world: World, crowd: list[Member], params) -> None:
    params = {k: v.format(d20=day(20), d1=day(1)) for k, v in params.items()}
    client = bearer_client(world.coordinator)
    ids, rows = walk(client, {**params, "page_size": 3})
    whole = client.get(URL, {**params, "page_size": 100}).json()
    assert ids == [r["member_id"] for r in whole["results"]]
    assert len(ids) == whole["count"] == len(set(ids))
    if "risk" in params:
        assert {r["risk"] for r in rows} <= {params["risk"]}
    mine, _ = walk(client, {**params, "therapist": world.pt.pk, "page_size": 2})
    assert set(mine) == set(ids) & {
        m.pk for m in crowd if m.care_assignments.filter(therapist=world.pt).exists()
    }


@pytest.mark.django_db
def test_page_numbers_still_work(world: World, crowd: list[Member]) -> None:
    client = bearer_client(world.coordinator)
    ids, _ = walk(client, {"page_size": 5})
    second = client.get(URL, {"page_size": 5, "page": 2}).json()
    assert [r["member_id"] for r in second["results"]] == ids[5:10]
    assert parse_qs(urlsplit(second["next"]).query)["page"] == ["3"]
    assert "page" not in parse_qs(urlsplit(second["previous"]).query)
    assert client.get(URL, {"page_size": 5, "page": 9}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        "e30",  # {}
        "eyJiIjpmYWxzZSwiayI6WzFdfQ",  # one value for five keys
        # five values, the last far beyond any id
        "eyJiIjpmYWxzZSwiayI6WzAsMCwwLCJhIiwxMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwXX0",
    ],
)
def test_a_bad_cursor_is_a_400_naming_it(world: World, crowd: list[Member], cursor) -> None:
    response = bearer_client(world.coordinator).get(URL, {"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


@pytest.mark.django_db
def test_a_pt_sees_only_the_caseload_with_pain_on_every_page(
    world: World, crowd: list[Member]
) -> None:
    ids, rows = walk(bearer_client(world.pt.user), {"page_size": 2})
    caseload = set(
        Member.objects.filter(
            care_assignments__therapist=world.pt, discharged_on__isnull=True
        ).values_list("pk", flat=True)
    )
    assert set(ids) == caseload and len(ids) == len(caseload)
    assert all("pain_trend" in row for row in rows)


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"therapist": "pt"}, {"risk": "fading"}, {"window": 1}])
def test_the_roll_ups_equal_a_rebuild_from_every_row(
    world: World, crowd: list[Member], params
) -> None:
    """The database's GROUP BY against every member's row summed in Python, after a rebuild of
    the figures from the logs."""
    query: dict[str, Any] = {}
    filters = selectors.Filters()
    if params.get("therapist"):
        query["therapist"] = world.pt.pk
        filters = selectors.Filters(therapist=world.pt.pk)
    if params.get("risk"):
        query["risk"] = "fading"
        filters = selectors.Filters(risk="fading")
    if params.get("window"):
        query = {"from": day(20).isoformat(), "to": day(1).isoformat()}
        filters = selectors.Filters(start=day(20), end=day(1))
    service.refresh_adherence(member_ids=[m.pk for m in crowd], since=day(60))
    body = bearer_client(world.coordinator).get(URL, query).json()
    members = selectors.filtered_members(world.coordinator, filters)
    rows, _ = selectors._rows(members)
    if params.get("window"):
        selectors._apply_window(rows, selectors._window_sums(members, day(20), day(1)))
    alerts = Alert.objects.filter(member__in=members.values("pk"), status="open").count()
    rebuilt = selectors.totals_of(rows, open_alerts=alerts)
    names = selectors._therapist_names(world.coordinator)
    nameable = selectors.access.nameable_templates(world.coordinator)
    templates = dict(nameable.values_list("pk", "name"))
    assert body["summary"] == rebuilt.summary | {"open_alerts": body["summary"]["open_alerts"]}
    assert body["summary"]["open_alerts"] == alerts
    assert body["by_therapist"] == rebuilt.by_therapist(names)
    assert body["by_template"] == rebuilt.by_template(templates)
    assert body["distribution"] == rebuilt.distribution
    assert body["count"] == len(rows)


@pytest.mark.django_db
def test_a_later_page_costs_what_the_first_does(world: World, crowd: list[Member]) -> None:
    client = bearer_client(world.coordinator)
    client.get("/api/v1/me/")
    with CaptureQueriesContext(connection) as first:
        body = client.get(URL, {"page_size": 3}).json()
    with CaptureQueriesContext(connection) as later:
        client.get(body["next"])
    assert len(later) == len(first) <= 16, [q["sql"][:80] for q in first]


def test_the_dashboard_plans_each_statement_for_its_values_without_jit(
    world: World, crowd: list[Member]
) -> None:
    """PostgreSQL: inside the dashboard's transaction JIT is off and a prepared statement is
    still planned for its own organization and window (no generic plan). (SET LOCAL ends with
    the request's transaction; here the test's own transaction holds it until the test ends.)"""
    from tests.services import require_postgres

    require_postgres()
    seen: list[tuple[str, str]] = []

    def settings_now() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('jit'), current_setting('plan_cache_mode')")
            jit, mode = cursor.fetchone()
        return jit, mode

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if "members_dashboardweek" in sql and not seen:
            seen.append(settings_now())
        return result

    assert settings_now() == ("on", "auto")
    client = bearer_client(world.coordinator)
    with connection.execute_wrapper(watch):
        assert client.get(URL).status_code == 200
    assert seen == [("off", "force_custom_plan")]


@pytest.mark.django_db
def test_the_first_page_query_count_is_fixed_whatever_the_members(
    world: World, django_assert_max_num_queries: Any
) -> None:
    exercise = PlanExerciseFactory.create()
    client = bearer_client(world.coordinator)
    client.get("/api/v1/me/")
    for n in (3, 25):
        added = []
        for _ in range(n):
            member = factories.MemberFactory.create(user__organization=world.org)
            factories.CareAssignmentFactory.create(member=member, therapist=world.pt)
            make_plan(pt=world.pt, member=member, items=[item(exercise)], start=day(12))
            added.append(member)
        service.refresh_adherence(member_ids=[m.pk for m in added], since=day(60))
        with django_assert_max_num_queries(16):
            assert client.get(URL).status_code == 200


def test_percent_rounds_half_up_from_the_exact_ratio() -> None:
    from members.rules import adherence as rules

    assert rules.percent(49, 400) == 12.3  # 12.25 exactly: up, as the database rounds
    assert rules.percent(7, 9) == 77.8 and rules.percent(5, 4) == 100.0
    assert rules.percent_tenths(1, 3) == 333 and rules.percent(0, 0) is None
    assert rules.mean_percent(333 + 667, 2) == 50.0 and rules.mean_percent(1, 2) == 0.1
    assert rules.mean_percent(0, 0) is None


@pytest.mark.django_db
@pytest.mark.parametrize("window", [False, True])
def test_the_csv_has_every_row_once_in_the_pages_order_a_chunk_at_a_time(
    world: World, crowd: list[Member], window: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "CSV_CHUNK", 4)  # several chunks and a short last one
    params: dict[str, str] = {"ordering": "-adherence"}
    if window:
        params |= {"from": day(20).isoformat(), "to": day(1).isoformat()}
    client = bearer_client(world.coordinator)
    ids, rows = walk(client, {**params, "page_size": "5"})
    response = client.get(URL, {**params, "format": "csv"})
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    lines = list(csv.reader(io.StringIO(text)))[1:]
    assert [cells[0] for cells in lines] == [str(pk) for pk in ids]
    by_id = {str(r["member_id"]): r for r in rows}
    for cells in lines:
        row = by_id[cells[0]]
        assert int(cells[4]) == row["prescribed_sessions"]  # the window's figures, per chunk
        assert int(cells[5]) == row["completed_sessions"]
