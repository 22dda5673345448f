"""The parts of `make bench` that run inside Django (through `manage.py shell -c`), against the
benchmark database: the ids the scenarios need, the thumbnail rate, and clean-up afterwards."""

from __future__ import annotations

import json
import statistics
import time
from datetime import datetime, timedelta

from django.utils import timezone

BENCH_PLAN_TITLE = "Bench draft"


def facts() -> None:
    """Prints, as JSON, the ids that scenario paths and bodies name: `{plan_id}` and so on."""
    from members.models import Member
    from programs.models import Plan, PlanStatus, PlanTemplate

    member = Member.objects.get(user__username="demo_member")
    plan = Plan.objects.filter(member=member, status=PlanStatus.ACTIVE).order_by("-pk").first()
    template = PlanTemplate.objects.filter(organization__isnull=True, is_active=True).first()
    if plan is None or template is None:
        raise SystemExit("bench: seed_demo left demo_member without an active plan or templates")
    today = timezone.localdate().isoformat()
    print(
        json.dumps(
            {
                "member_id": member.pk,
                "plan_id": plan.pk,
                "template_id": template.pk,
                "today": today,
            }
        )
    )


def cleanup() -> None:
    """Deletes the draft plans the create scenario wrote, so the database does not grow."""
    from programs.models import Plan, PlanStatus

    deleted, _ = Plan.objects.filter(title=BENCH_PLAN_TITLE, status=PlanStatus.DRAFT).delete()
    deleted += _remove_reminder_bench_members()
    print(json.dumps({"deleted": deleted}))


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
    from members.reminder_time import ALL_DAYS, next_fire

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
            Member(user_id=pk, timezone=REMINDER_BENCH_ZONES[pk % len(REMINDER_BENCH_ZONES)])
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
        queued: list[int] = []

        def tick() -> tuple[float, int]:
            queued.clear()
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                dispatch_due_reminders(now=now, enqueue=queued.extend)
                elapsed = time.perf_counter() - start
            return elapsed, len(ctx.captured_queries)

        idle = [tick() for _ in range(idle_rounds)]
        due_ids = ids[:: len(ids) // REMINDER_BENCH_DUE][:REMINDER_BENCH_DUE]
        busy = []
        for _ in range(rounds):
            ReminderDelivery.objects.filter(schedule_id__in=due_ids).delete()
            ReminderSchedule.objects.filter(pk__in=due_ids).update(
                next_fire_at=now - timedelta(seconds=30)
            )
            busy.append(tick())
            if len(queued) != REMINDER_BENCH_DUE:
                raise SystemExit(f"bench: {len(queued)} sends queued, not {REMINDER_BENCH_DUE}")
        recorded = ReminderDelivery.objects.filter(schedule_id__in=due_ids).count()
    finally:
        _remove_reminder_bench_members()
    none_ms = 1000 * statistics.median(t for t, _ in idle)
    due_ms = 1000 * statistics.median(t for t, _ in busy)
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
