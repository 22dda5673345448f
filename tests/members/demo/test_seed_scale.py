"""seed_scale: one large organization in bulk, with valid plans, scheduled logs and figures."""

from __future__ import annotations

import io
from datetime import timedelta
from statistics import mean

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import (
    CareAssignment,
    Member,
    MemberAdherence,
    Organization,
    Risk,
    Role,
    SessionEntry,
    SessionLog,
    Therapist,
    User,
)
from members.models.logs import SessionStatus
from members.services.adherence_check import check_adherence
from programs.models import Plan, PlanItem, PlanRevision, PlanStatus
from programs.selectors.schedule import prescribed_sessions_for_members

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug(settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_scale", *args, stdout=out)
    return out.getvalue()


def org_members(slug: str = "scale-clinic") -> list[Member]:
    return list(
        Member.objects.filter(user__organization__slug=slug)
        .select_related("user", "adherence")
        .order_by("user__username")
    )


def test_seeds_members_with_care_plans_and_scheduled_logs() -> None:
    output = seed("--members", "40", "--days", "21")
    now = timezone.now()
    org = Organization.objects.get(slug="scale-clinic")
    assert org.timezone == "America/New_York"
    members = org_members()
    assert [m.user.username for m in members] == [f"scale_member{n:05d}" for n in range(1, 41)]
    assert len({m.timezone for m in members}) >= 3
    assert "40 members" in output and "sessions" in output

    therapists = list(Therapist.objects.filter(user__organization=org))
    assert len(therapists) == 1  # 40 // 250, at least one
    coordinator = User.objects.get(username="scale_coordinator")
    assert coordinator.role == Role.COORDINATOR and coordinator.organization == org
    assert coordinator.check_password("demo-pass")
    assert members[7].user.check_password("demo-pass")

    assignments = CareAssignment.objects.filter(member__in=members)
    assert assignments.count() == 40
    assert assignments.filter(is_primary=True, end_date__isnull=True).count() == 40
    assert set(assignments.values_list("therapist_id", flat=True)) == {therapists[0].pk}

    # Every member's today, as the run saw it (the figures are as of their local today).
    todays = {m.pk: m.adherence.as_of for m in members}
    plans = {p.member_id: p for p in Plan.objects.filter(member__in=members)}
    assert len(plans) == 40
    assert len({p.created_from_id for p in plans.values()}) >= 3
    for member in members:
        plan = plans[member.pk]
        assert plan.status == PlanStatus.ACTIVE and plan.revision == 1
        assert plan.organization_id == org.pk and plan.author == therapists[0]
        assert plan.start_date == todays[member.pk] - timedelta(days=21)
    by_plan = {p.pk: p for p in plans.values()}
    revisions = list(PlanRevision.objects.filter(plan__in=plans.values()))
    assert len(revisions) == 40
    for revision in revisions:
        plan = by_plan[revision.plan_id]
        assert revision.number == 1 and revision.status == PlanStatus.ACTIVE
        assert revision.effective_date == revision.start_date == plan.start_date
        assert revision.author_id == therapists[0].user_id
    for plan in plans.values():
        items = list(PlanItem.objects.filter(plan=plan).order_by("order"))
        template = list(plan.created_from.items.order_by("order", "id"))  # type: ignore[union-attr]
        assert [i.exercise_id for i in items] == [t.exercise_id for t in template]
        assert [(i.sets, i.reps, i.days_mask) for i in items] == [
            (t.sets, t.reps, t.days_mask) for t in template
        ]
        assert all(i.valid_from_revision == 1 and i.valid_to_revision is None for i in items)
        assert len({i.key for i in items}) == len(items)

    sessions = list(SessionLog.objects.filter(member__in=members))
    schedule = prescribed_sessions_for_members(
        members=members,
        start=min(p.start_date for p in plans.values()),
        end=max(todays.values()),
    )
    for session in sessions:
        assert plans[session.member_id].start_date <= session.local_date
        assert session.local_date <= todays[session.member_id]
        assert session.created_at <= now
        assert schedule[session.member_id][session.local_date].items, session
    per_member = {m.pk: 0 for m in members}
    for session in sessions:
        per_member[session.member_id] += 1
    never = [m for m, n in per_member.items() if n == 0]
    assert 1 <= len(never) <= 4  # one in twenty never starts
    assert max(per_member.values()) >= 15
    assert {s.status for s in sessions} == set(SessionStatus.values)
    assert not SessionEntry.objects.filter(session__member__in=members).exists()

    assert MemberAdherence.objects.filter(member__in=members).count() == 40
    assert check_adherence(member_ids=[m.pk for m in members]).differences == []
    risks = {m.adherence.risk for m in members}
    assert Risk.NEVER_STARTED in risks and Risk.ON_TRACK in risks

    # Pain eases for most of those who keep going: their first week against their last.
    eased = kept_going = 0
    for member in members:
        start, today = plans[member.pk].start_date, todays[member.pk]
        pains = [
            (s.local_date, s.pain_before)
            for s in sessions
            if s.member_id == member.pk and s.pain_before is not None
        ]
        early = [pain for day, pain in pains if day < start + timedelta(days=7)]
        late = [pain for day, pain in pains if day > today - timedelta(days=7)]
        if early and late:
            kept_going += 1
            eased += mean(late) < mean(early)
    assert kept_going >= 20 and eased > kept_going / 2


def test_running_again_refuses_and_replace_seeds_the_same_afresh() -> None:
    seed("--members", "12", "--days", "7")
    before = org_members()
    logs_before = sorted(
        SessionLog.objects.filter(member__in=before).values_list(
            "member__user__username", "local_date", "status", "pain_before"
        )
    )
    with pytest.raises(CommandError, match="--replace"):
        seed("--members", "12", "--days", "7")
    assert len(org_members()) == 12
    assert User.objects.filter(organization__slug="scale-clinic").count() == 14

    seed("--members", "12", "--days", "7", "--replace")
    after = org_members()
    assert len(after) == 12
    assert not {m.pk for m in before} & {m.pk for m in after}
    assert User.objects.filter(organization__slug="scale-clinic").count() == 14
    assert not Plan.objects.filter(member_id__in=[m.pk for m in before]).exists()
    assert Plan.objects.filter(organization__slug="scale-clinic").count() == 12
    # The same seed makes the same logs.
    assert logs_before == sorted(
        SessionLog.objects.filter(member__in=after).values_list(
            "member__user__username", "local_date", "status", "pain_before"
        )
    )


def test_entries_follow_the_items_prescribed_that_day() -> None:
    seed("--members", "8", "--days", "7", "--entries", "--org-slug", "entries-clinic")
    members = org_members("entries-clinic")
    assert len(members) == 8 and members[0].user.username == "entries_member00001"
    schedule = prescribed_sessions_for_members(
        members=members,
        start=min(m.adherence.as_of for m in members) - timedelta(days=7),
        end=max(m.adherence.as_of for m in members),
    )
    sessions = list(
        SessionLog.objects.filter(member__in=members).prefetch_related("entries__plan_item")
    )
    assert sessions
    for session in sessions:
        entries = list(session.entries.all())
        prescribed = {p.item.pk for p in schedule[session.member_id][session.local_date].items}
        if session.status == SessionStatus.SKIPPED:
            assert not entries
            continue
        assert entries
        assert {e.plan_item_id for e in entries} <= prescribed
        assert all(e.exercise_id == e.plan_item.exercise_id for e in entries)


def test_refuses_without_debug_unless_forced(settings: object) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="DJANGO_DEBUG=0"):
        seed("--members", "2", "--days", "3")
    assert not Organization.objects.filter(slug="scale-clinic").exists()
    seed("--members", "2", "--days", "3", "--force")
    assert len(org_members()) == 2


def test_queries_do_not_grow_with_the_members_of_a_chunk() -> None:
    call_command("load_library", "--no-figures", stdout=io.StringIO())
    call_command("load_templates", stdout=io.StringIO())

    def queries(members: int, slug: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            seed("--members", str(members), "--days", "21", "--org-slug", slug)
        return [q["sql"] for q in captured.captured_queries]

    small, large = queries(20, "small-clinic"), queries(60, "large-clinic")
    assert len(org_members("large-clinic")) == 60
    if connection.features.max_query_params is None:
        assert len(large) == len(small)
    else:
        # SQLite splits an INSERT at 999 parameters: only the other queries compare.
        def others(sqls: list[str]) -> int:
            return sum(1 for sql in sqls if not sql.startswith("INSERT"))

        assert others(large) == others(small)


@pytest.mark.django_db(transaction=True)
def test_chunks_written_by_parallel_processes_make_the_same_organization() -> None:
    """--jobs forks processes that write chunks side by side (each its own connection, so the
    rows are committed: a transactional test). The same members, logs and figures as one
    process writes, and figures that agree with a rebuild."""
    from tests.services import require_postgres

    require_postgres()

    def logs_and_figures(slug: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        prefix = slug.removesuffix("-clinic")
        logs = sorted(
            (username.removeprefix(prefix), *rest)
            for username, *rest in SessionLog.objects.filter(
                member__user__organization__slug=slug
            ).values_list("member__user__username", "local_date", "status", "pain_before", "rpe")
        )
        figures: list[tuple[object, ...]] = sorted(
            (m.user.username.removeprefix(prefix), m.adherence.completed, m.adherence.prescribed)
            for m in org_members(slug)
        )
        return logs, figures

    out = seed("--members", "13", "--days", "10", "--chunk-size", "4", "--jobs", "3",
               "--org-slug", "forked-clinic")  # fmt: skip
    assert "13/13 members" in out
    seed("--members", "13", "--days", "10", "--chunk-size", "4", "--jobs", "1",
         "--org-slug", "inline-clinic")  # fmt: skip
    forked, inline = logs_and_figures("forked-clinic"), logs_and_figures("inline-clinic")
    assert len(org_members("forked-clinic")) == 13
    assert forked[0] and forked == inline
    assert check_adherence().differences == []


def test_refuses_fewer_than_one_job() -> None:
    with pytest.raises(CommandError, match="--jobs must be at least 1"):
        seed("--members", "2", "--days", "3", "--jobs", "0")
    assert not Organization.objects.filter(slug="scale-clinic").exists()
