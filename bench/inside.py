"""The parts of `make bench` that run inside Django (through `manage.py shell -c`), against the
benchmark database: the ids the scenarios need, the thumbnail rate, and clean-up afterwards."""

from __future__ import annotations

import json
import statistics
import time
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

BENCH_PLAN_TITLE = "Bench draft"
BENCH_SESSION_NOTE = "Bench session"
BENCH_MESSAGE_TEXT = "Bench message"
SESSION_ENTRIES = 6


def facts() -> None:
    """Prints, as JSON, the ids that scenario paths and bodies name: `{plan_id}` and so on."""
    from django.db import connection

    from exercise_tracker.bench_views import CREATE_INSERT_TABLE
    from members.models import Member
    from programs.models import Plan, PlanStatus, PlanTemplate

    with connection.cursor() as cursor:  # the insert baseline's table (bench_views.insert)
        cursor.execute(CREATE_INSERT_TABLE)

    member = Member.objects.get(user__username="demo_member")
    plan = Plan.objects.filter(member=member, status=PlanStatus.ACTIVE).order_by("-pk").first()
    template = PlanTemplate.objects.filter(organization__isnull=True, is_active=True).first()
    if plan is None or template is None:
        raise SystemExit("bench: seed_demo left demo_member without an active plan or templates")
    from members.selectors.sessions import local_today
    from programs.selectors.schedule import prescribed_sessions

    today = timezone.localdate().isoformat()
    member_today = local_today(member)
    due = prescribed_sessions(member=member, start=member_today, end=member_today)[member_today]
    if not due.items:
        raise SystemExit("bench: demo_member has nothing prescribed today to log")
    entries_json = _logged_as_done(due)
    print(
        json.dumps(
            {
                **_messaging_facts(member),
                "member_id": member.pk,
                "plan_id": plan.pk,
                "template_id": template.pk,
                "today": today,
                "member_today": member_today.isoformat(),
                "plan_item_id": due.items[0].item.pk,
                # Up to six of today's exercises, each logged as done, for the session POST.
                "entries_json": entries_json,
                # demo_member alone, for the session POST from every connection.
                "demo_member_lua": _lua_table(
                    [(_authorization(member.user), member_today.isoformat(), entries_json)]
                ),
                **_session_members(member),
            }
        )
    )


def _logged_as_done(due: Any) -> str:
    """A session's entries, as JSON: up to six of the day's exercises, each done."""
    return json.dumps(
        [
            {"plan_item": d.item.pk, "status": "done", "sets_done": 1, "feedback": "just_right"}
            for d in due.items[:SESSION_ENTRIES]
        ]
    )


def _authorization(user: Any) -> str:
    """An Authorization header of `user`'s, an access token signed with the server's key."""
    from rest_framework_simplejwt.tokens import RefreshToken

    return f"Bearer {RefreshToken.for_user(user).access_token}"


def _lua_table(members: list[tuple[str, str, str]]) -> str:
    """(authorization, local date, entries as JSON) of each member, as a Lua table of tables."""
    rows = ", ".join(f'{{"{auth}", "{day}", [==[{entries}]==]}}' for auth, day, entries in members)
    return f"{{{rows}}}"


# Members whose phones post at once in the many-members session scenario: more than wrk's
# connections, so that the sessions in flight at one time are each a different member's.
SESSION_MEMBERS = 16


def _session_members(demo_member: Any) -> dict[str, Any]:
    """For the session POST from many members: up to SESSION_MEMBERS members of demo_member's
    organization with exercises due on their local date (each with an access token signed with
    the server's key, that date, and up to six of the day's exercises logged as done), as a Lua
    table of {authorization, date, entries}; the first one's values for the check before the
    rounds."""
    from members.models import Member
    from members.selectors.sessions import local_today
    from programs.selectors.schedule import prescribed_sessions

    organization_id = demo_member.organization_id
    if organization_id is None:
        raise SystemExit("bench: demo_member has no organization")
    chosen: list[tuple[str, str, str]] = []
    members = (
        Member.objects.filter(
            user__is_active=True, organization_id=organization_id, discharged_on__isnull=True
        )
        .select_related("user")
        .order_by("pk")
    )
    for member in members:
        today = local_today(member)
        due = prescribed_sessions(member=member, start=today, end=today)[today]
        if not due.items:
            continue
        chosen.append((_authorization(member.user), today.isoformat(), _logged_as_done(due)))
        if len(chosen) == SESSION_MEMBERS:
            break
    if len(chosen) < 2:
        raise SystemExit("bench: fewer than two demo members have exercises due today")
    token, day, entries = chosen[0]
    return {
        "session_members": len(chosen),
        "session_members_lua": _lua_table(chosen),
        "first_session_token": token,
        "first_session_date": day,
        "first_session_entries": entries,
    }


def _messaging_facts(member: Any) -> dict[str, Any]:
    """demo_member's conversation (made if missing) for the send scenario; for the poll, another
    member of demo_pt's caseload whose conversation the send never touches (so its ETag holds),
    a session cookie of demo_pt's and that conversation's ETag; a client_id for the send's
    check."""
    import uuid

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from exercise_tracker import access
    from members.models import User
    from messaging.selectors.threads import thread_etag
    from messaging.services.messages import thread_for_member

    thread = thread_for_member(member=member)
    pt = User.objects.get(username="demo_pt")
    watched = access.visible_members(pt).exclude(pk=member.pk).order_by("pk").first()
    if watched is None:
        raise SystemExit("bench: demo_pt has no second member to keep a conversation open with")
    quiet = thread_for_member(member=watched)
    session = SessionStore()
    session[SESSION_KEY] = str(pt.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = pt.get_session_auth_hash()
    session.save()
    return {
        "thread_id": thread.pk,
        "poll_member_id": watched.pk,
        "poll_thread_etag": thread_etag(quiet),
        "pt_session": session.session_key,
        "client_id": str(uuid.uuid4()),
    }


def cleanup() -> None:
    """Deletes the draft plans the create scenario wrote, so the database does not grow."""
    from django.db import connection

    from exercise_tracker.bench_views import INSERT_TABLE
    from members.models import SessionLog
    from members.services.adherence import refresh_adherence
    from programs.models import PendingEvaluation, Plan, PlanStatus

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {INSERT_TABLE}")
    deleted, _ = Plan.objects.filter(title=BENCH_PLAN_TITLE, status=PlanStatus.DRAFT).delete()
    logged = SessionLog.objects.filter(notes=BENCH_SESSION_NOTE)
    days = set(logged.values_list("local_date", flat=True).distinct())
    member_ids = sorted(set(logged.values_list("member_id", flat=True).distinct()))
    deleted += logged.delete()[0]
    if days:  # the members' figures without the bench's sessions
        refresh_adherence(member_ids=member_ids, since=min(days))
        # No worker evaluates against the bench database: the outbox rows the sessions wrote.
        deleted += PendingEvaluation.objects.filter(member_id__in=member_ids).delete()[0]
    deleted += _remove_reminder_bench_members()
    deleted += _remove_bench_messages()
    print(json.dumps({"deleted": deleted}))


def _remove_bench_messages() -> int:
    """The send scenario's messages, their in-app notices and pending email notices."""
    from members.models import Notification, NotificationKind
    from messaging.models import Message, MessageNotice

    bench = Message.objects.filter(text=BENCH_MESSAGE_TEXT)
    threads = set(bench.values_list("thread_id", flat=True).distinct())
    deleted = bench.delete()[0]
    if threads:
        deleted += MessageNotice.objects.filter(thread_id__in=threads).delete()[0]
        deleted += Notification.objects.filter(kind=NotificationKind.MESSAGE).delete()[0]
    return deleted


def thumbnails(repeat: int = 3) -> None:
    """Thumbnail generation through the task's own code path (read the original from storage,
    make the 160 and 480 px WebP, save both under a row lock), timed per image. Each library
    picture's thumbnails are removed and made again, `repeat` times; what was there before is
    what is there after (the same files, made anew). Prints JSON: images per second and the
    median milliseconds per image, for still pictures and for the animated ones apart."""
    from programs.models import ExerciseImage
    from programs.services.images import make_thumbnails

    images = list(ExerciseImage.objects.exclude(image="").order_by("pk"))
    if not images:
        raise SystemExit("bench: no exercise images (did load_library draw the figures?)")
    timings: dict[str, list[float]] = {"still": [], "animated": []}
    for _ in range(repeat):
        for image in images:
            for field in (image.thumbnail_small, image.thumbnail_large):
                if field:
                    field.delete(save=False)
            image.save(update_fields=["thumbnail_small", "thumbnail_large"])
            kind = "animated" if (image.image.name or "").endswith((".webp", ".gif")) else "still"
            start = time.perf_counter()
            made = make_thumbnails(image_id=image.pk)
            timings[kind].append(time.perf_counter() - start)
            if not made:
                raise SystemExit(f"bench: no thumbnails made for image {image.pk}")
    every = timings["still"] + timings["animated"]
    result = {
        "images": len(every),
        "per_second": len(every) / sum(every),
        "median_ms": 1000 * statistics.median(every),
    }
    for kind, values in timings.items():
        if values:
            result[f"{kind}_median_ms"] = 1000 * statistics.median(values)
            result[f"{kind}_count"] = len(values)
    print(json.dumps(result))


# --- the reminder dispatcher: a tick with none due against one with 1,000 due ------------------

REMINDER_BENCH_ORG = "bench-reminders"  # its members are the bench's own, removed afterwards
REMINDER_BENCH_MEMBERS = 10_000
REMINDER_BENCH_DUE = 1_000
REMINDER_BENCH_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
)


def _ensure_reminder_bench_members(now: datetime) -> list[int]:
    """10,000 members of the bench organization with a reminder each, all due later today or
    tomorrow (bulk writes; what exists is reused). Returns the schedule ids."""
    from datetime import time as clock
    from zoneinfo import ZoneInfo

    from django.db import connection

    from members.models import (
        Member,
        Organization,
        ReminderDelivery,
        ReminderSchedule,
        Role,
        User,
    )
    from members.rules.reminder_times import ALL_DAYS, next_fire

    org, _ = Organization.objects.get_or_create(
        slug=REMINDER_BENCH_ORG, defaults={"name": "Bench reminders (removed after the bench)"}
    )
    have = set(User.objects.filter(organization=org).values_list("username", flat=True))
    wanted = [f"bench-rem-{n:05d}" for n in range(REMINDER_BENCH_MEMBERS)]
    User.objects.bulk_create(
        [
            User(username=name, password="!", role=Role.MEMBER, organization=org)
            for name in wanted
            if name not in have
        ],
        batch_size=2000,
    )
    users = list(
        User.objects.filter(organization=org, member_profile__isnull=True).values_list(
            "pk", flat=True
        )
    )
    Member.objects.bulk_create(
        [
            Member(
                user_id=pk,
                organization=org,
                timezone=REMINDER_BENCH_ZONES[pk % len(REMINDER_BENCH_ZONES)],
            )
            for pk in users
        ],
        batch_size=2000,
    )
    members = list(
        Member.objects.filter(user__organization=org, reminders__isnull=True).values_list(
            "pk", "timezone"
        )
    )
    schedules = []
    for pk, zone in members:
        at = clock((pk * 7) % 24, (pk * 15) % 60)
        found = next_fire(after=now, at=at, days=ALL_DAYS, tz=ZoneInfo(zone))
        assert found is not None
        schedules.append(
            ReminderSchedule(
                member_id=pk,
                local_time=at,
                channels=["in_app"],
                timezone=zone,
                next_fire_at=found[0],
            )
        )
    ReminderSchedule.objects.bulk_create(schedules, batch_size=2000)
    # Fresh rows have no planner statistics yet; autovacuum gathers them on a live table, and
    # without them PostgreSQL guesses thousands due and scans the table instead of the index.
    with connection.cursor() as cursor:
        for model in (ReminderSchedule, ReminderDelivery):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return list(
        ReminderSchedule.objects.filter(member__user__organization=org)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _remove_reminder_bench_members() -> int:
    """Deletes the bench organization's members, their reminders and deliveries."""
    from members.models import (
        Member,
        Organization,
        ReminderDelivery,
        ReminderSchedule,
        User,
    )

    org = Organization.objects.filter(slug=REMINDER_BENCH_ORG).first()
    if org is None:
        return 0
    deleted = ReminderDelivery.objects.filter(member__user__organization=org).delete()[0]
    deleted += ReminderSchedule.objects.filter(member__user__organization=org).delete()[0]
    deleted += Member.objects.filter(user__organization=org).delete()[0]
    deleted += User.objects.filter(organization=org).delete()[0]
    org.delete()
    return deleted


def dispatcher(rounds: int = 7, idle_rounds: int = 50) -> None:
    """The reminder dispatcher's tick (members.services.reminder_dispatch), timed in process
    against the benchmark database: 10,000 members with a reminder each, first with none due,
    then with 1,000 due (each round records and queues 1,000 deliveries; the queueing goes to a
    list here, not to Redis, so that no worker ever sees these sends). Prints JSON: the median
    milliseconds and the statements of each tick, and their ratio."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from members.models import ReminderDelivery, ReminderSchedule
    from members.services.reminder_dispatch import BATCH_SIZE, dispatch_due_reminders

    now = timezone.now()
    started = time.perf_counter()
    ids = _ensure_reminder_bench_members(now)
    setup_s = time.perf_counter() - started
    try:
        # Leftovers of an interrupted run: nothing may be due before the idle tick.
        ReminderSchedule.objects.filter(pk__in=ids, next_fire_at__lte=now).update(
            next_fire_at=now + timedelta(hours=1)
        )

        def tick() -> tuple[float, int, int]:
            """(seconds, statements, new sends): the sends requeued (below) are not counted."""
            queued: list[int] = []
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                result = dispatch_due_reminders(now=now, enqueue=queued.extend)
                elapsed = time.perf_counter() - start
            return elapsed, len(ctx.captured_queries), result.queued

        idle = [tick() for _ in range(idle_rounds)]
        due_ids = ids[:: len(ids) // REMINDER_BENCH_DUE][:REMINDER_BENCH_DUE]
        busy = []
        for _ in range(rounds):
            ReminderDelivery.objects.filter(schedule_id__in=due_ids).delete()
            ReminderSchedule.objects.filter(pk__in=due_ids).update(
                next_fire_at=now - timedelta(seconds=30)
            )
            busy.append(tick())
            # Sends of other members still pending from earlier runs (no worker sends them
            # here) are queued again by every tick, as in production: not the bench's to count.
            sent = busy[-1][2]
            if sent != REMINDER_BENCH_DUE:
                raise SystemExit(f"bench: {sent} new sends queued, not {REMINDER_BENCH_DUE}")
        recorded = ReminderDelivery.objects.filter(schedule_id__in=due_ids).count()
    finally:
        _remove_reminder_bench_members()
    none_ms = 1000 * statistics.median(t for t, _, _ in idle)
    due_ms = 1000 * statistics.median(t for t, _, _ in busy)
    print(
        json.dumps(
            {
                "members": len(ids),
                "due": REMINDER_BENCH_DUE,
                "batch_size": BATCH_SIZE,
                "none_due_ms": none_ms,
                "due_ms": due_ms,
                "ratio": none_ms / due_ms,
                "none_due_queries": idle[0][1],
                "due_queries": busy[0][1],
                "deliveries_recorded": recorded,
                "setup_s": setup_s,
            }
        )
    )


# --- the adherence dashboard at 10,000 and 100,000 members against a hand-written SQL aggregate ---

SCALE_SLUG = "scale-clinic"
SCALE_MEMBERS = 10_000
SCALE_DAYS = 90
# One organization per size, each seeded once and kept: the 10,000 stays cached beside the
# 100,000 (the default sizes of `make bench`; --dashboard-members chooses).
DASHBOARD_SIZES = (SCALE_MEMBERS, 100_000)


def scale_slug(members: int) -> str:
    return SCALE_SLUG if members == SCALE_MEMBERS else f"scale{members // 1000}k-clinic"


# What a dashboard needs of every member over the last 30 days, written by hand in one statement
# over the same sessions: sessions done, days active, the last one. The baseline the API's first
# page (with all its roll-ups) is measured against.
BASELINE_SQL = """
SELECT m.id,
       COUNT(s.id) FILTER (WHERE s.status IN ('completed', 'partial')) AS completed,
       COUNT(DISTINCT s.local_date) FILTER (WHERE s.status IN ('completed', 'partial')) AS days,
       MAX(s.local_date) FILTER (WHERE s.status IN ('completed', 'partial')) AS last_active
FROM members_member m
JOIN members_user u ON u.id = m.user_id
LEFT JOIN members_sessionlog s
       ON s.member_id = m.id AND s.local_date BETWEEN %s AND %s
WHERE u.organization_id = %s
GROUP BY m.id
"""


def _ensure_scale_organization(members: int = SCALE_MEMBERS) -> tuple[int, float]:
    """seed_scale's organization with this many members and 90 days, made once and kept (it
    takes minutes); its figures are rolled over to today. Returns (members, seconds spent)."""
    from django.core.management import call_command

    from members.models import Member, User
    from members.services.adherence import roll_over

    slug = scale_slug(members)
    started = time.perf_counter()
    have = Member.objects.filter(user__organization__slug=slug).count()
    # Any account there (a run cut off early may have left its PTs) is replaced.
    partial = User.objects.filter(organization__slug=slug).exists()
    if have != members:
        import sys

        call_command(
            "seed_scale",
            members=members,
            days=SCALE_DAYS,
            org_slug=slug,
            force=True,
            replace=partial,
            stdout=sys.stderr,  # progress on the terminal; stdout carries the JSON
        )
    roll_over()  # a database seeded on an earlier day: its members' days have ended since
    from django.db import connection

    from members.models import (
        AdherenceDay,
        AdherenceWeek,
        DashboardCell,
        DashboardWeek,
        Member,
        MemberAdherence,
        SessionLog,
    )

    # As autovacuum would have on a live database: planner statistics and the visibility map
    # (index-only scans) for the tables both sides read.
    with connection.cursor() as cursor:
        for model in (
            DashboardCell,
            DashboardWeek,
            SessionLog,
            AdherenceDay,
            AdherenceWeek,
            MemberAdherence,
            Member,
            User,
        ):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return Member.objects.filter(user__organization__slug=slug).count(), (
        time.perf_counter() - started
    )


def dashboard(sizes: tuple[int, ...] = DASHBOARD_SIZES, rounds: int = 9) -> None:
    """The dashboard API's first page (roll-ups by PT, template, week and band, 20 rows) for the
    coordinator of each organization size, through Django's whole stack in process, against the
    baseline SQL over the same sessions, all in interleaved rounds; then the CSV export of every
    row of each. Prints JSON: per size, medians in milliseconds, their ratio, queries, CSV rows
    per second."""
    from django.db import connection
    from django.test import Client

    from members.models import User

    prepared = []
    for size in sizes:
        members, setup_s = _ensure_scale_organization(size)
        coordinator = User.objects.get(username=f"{scale_slug(size).removesuffix('-clinic')}"
                                       "_coordinator")  # fmt: skip
        client = Client(SERVER_NAME="localhost")
        client.force_login(coordinator)
        prepared.append((members, setup_s, coordinator, client))
    end = timezone.localdate()
    start = end - timedelta(days=29)

    def api(client: Any, members: int) -> float:
        began = time.perf_counter()
        response = client.get("/api/v1/dashboard/adherence/")
        elapsed = time.perf_counter() - began
        if response.status_code != 200 or response.json()["count"] != members:
            raise SystemExit(f"bench: dashboard answered {response.status_code}")
        return elapsed

    def baseline(coordinator: Any, members: int) -> float:
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, [start, end, coordinator.organization_id])
            rows = cursor.fetchall()
        elapsed = time.perf_counter() - began
        if len(rows) != members:
            raise SystemExit(f"bench: the baseline found {len(rows)} members")
        return elapsed

    times: dict[int, tuple[list[float], list[float]]] = {m: ([], []) for m, *_ in prepared}
    for warm in range(rounds + 2):
        for members, _, coordinator, client in prepared:
            api_s, sql_s = api(client, members), baseline(coordinator, members)
            if warm >= 2:
                times[members][0].append(api_s)
                times[members][1].append(sql_s)
    results = []
    for members, setup_s, _, client in prepared:
        statements: list[str] = []

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements.append(sql)  # noqa: B023 (used at once, in this iteration)
            return execute(sql, params, many, context)

        # A request resets Django's own query log when it starts: count at the cursor instead.
        with connection.execute_wrapper(count):
            api(client, members)
        csv_times, lines = [], 0
        for _ in range(3 if members <= SCALE_MEMBERS else 1):
            began = time.perf_counter()
            response = client.get("/api/v1/dashboard/adherence/?format=csv")
            lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)  # type: ignore[attr-defined]
            csv_times.append(time.perf_counter() - began)
        api_times, sql_times = times[members]
        api_ms = 1000 * statistics.median(api_times)
        sql_ms = 1000 * statistics.median(sql_times)
        csv_s = statistics.median(csv_times)
        results.append(
            {
                "members": members,
                "api_ms": api_ms,
                "api_range_ms": [1000 * min(api_times), 1000 * max(api_times)],
                "sql_ms": sql_ms,
                "sql_range_ms": [1000 * min(sql_times), 1000 * max(sql_times)],
                "ratio": api_ms / sql_ms,
                "api_queries": len(statements),
                "csv_rows": lines - 1,
                "csv_s": csv_s,
                "csv_rows_per_s": (lines - 1) / csv_s,
                "setup_s": setup_s,
            }
        )
    print(json.dumps({"sizes": results}))


# --- profiling a write in process ------------------------------------------------------------


def profile_write(what: str = "session", requests: int = 30) -> None:
    """Where a write's time goes: its statements with their timings, then cProfile (CPU time)
    over `requests` more, through Django's whole stack in process against the database in use.
    `what` is "session" (demo_member logs six of today's exercises) or "plan" (demo_pt makes a
    draft from a template). Run with the bench's environment (DJANGO_DEBUG=0, BENCH_ENDPOINTS=1,
    DJANGO_ALLOWED_HOSTS=testserver), e.g.
    `manage.py shell -c "from bench.inside import profile_write; profile_write('plan')"`;
    removes what it wrote (cleanup) at the end."""
    import cProfile
    import io
    import pstats
    import uuid

    from django.db import connection
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from members.models import Member, User
    from members.selectors.sessions import local_today
    from programs.models import PlanTemplate
    from programs.selectors.schedule import prescribed_sessions

    member = Member.objects.get(user__username="demo_member")
    today = local_today(member)
    items = [
        d.item.pk for d in prescribed_sessions(member=member, start=today, end=today)[today].items
    ]
    template = PlanTemplate.objects.filter(organization__isnull=True, is_active=True).first()
    if template is None:
        raise SystemExit("bench: no global template")
    client = Client()

    def token(username: str) -> str:
        user = User.objects.get(username=username)
        return f"Bearer {RefreshToken.for_user(user).access_token}"

    def session_body() -> str:
        return json.dumps(
            {
                "client_id": str(uuid.uuid4()), "date": today.isoformat(),
                "status": "completed", "pain_before": 3, "pain_after": 2, "rpe": 4,
                "notes": BENCH_SESSION_NOTE,
                "entries": [
                    {"plan_item": pk, "status": "done", "sets_done": 1, "feedback": "just_right"}
                    for pk in items[:SESSION_ENTRIES]
                ],
            }
        )  # fmt: skip

    def plan_body() -> str:
        return json.dumps(
            {
                "member": member.pk, "title": BENCH_PLAN_TITLE, "template": template.pk,
                "start_date": timezone.localdate().isoformat(), "status": "draft",
            }
        )  # fmt: skip

    path, auth, body = (
        ("/api/v1/sessions/", token("demo_member"), session_body)
        if what == "session"
        else ("/api/v1/plans/", token("demo_pt"), plan_body)
    )

    def call() -> None:
        response = client.post(
            path, body(), content_type="application/json", HTTP_AUTHORIZATION=auth
        )
        if response.status_code != 201:
            raise SystemExit(f"bench: {path} answered {response.status_code}")

    for _ in range(3):
        call()
    timings: list[tuple[float, str]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append((time.perf_counter() - began, sql))

    with connection.execute_wrapper(timed):
        call()
    print(f"{len(timings)} statements, {1000 * sum(t for t, _ in timings):.2f} ms in the database")
    for elapsed, sql in timings:
        print(f"  {1000 * elapsed:7.2f} ms  {sql[:160]}")
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        call()
    print(
        f"per request: {1000 * (time.perf_counter() - began) / requests:.2f} ms, "
        f"CPU {1000 * (time.process_time() - cpu) / requests:.2f} ms"
    )
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(requests):
        call()
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(r"(members|programs|exercise_tracker)/", 40)
    print(out.getvalue())
    cleanup()
