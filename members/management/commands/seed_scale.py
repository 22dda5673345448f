"""`manage.py seed_scale`: one large organization with months of logs, for dashboard benchmarks.

What it writes, for `--members N --days D` (default 10,000 and 90) under `--org-slug`:

- the organization (America/New_York), N // 250 PTs (`--therapists`), one coordinator
  (`<prefix>_coordinator`) and N members (`<prefix>_member00001`, ...), the prefix being the slug
  without "-clinic" ("scale" for the default slug); every account has the demo password;
- per member: one open primary care assignment, one active plan from a global template (spread
  over all of them) that started D days before the member's local today, its revision 1 and its
  items copied from the template, exactly the rows `programs.services.plans.create_plan` writes;
- session logs on the plan's prescribed days up to the member's today: mostly steady, some fading,
  some returning after a gap, one in twenty never started; pain going down for most;
- with `--entries` also an entry per exercise done. The dashboard and the adherence figures read
  only the session logs, so entries are off by default (about three per session: writing the
  members takes about three times as long);
- with each chunk, in its transaction, its members' adherence figures
  (members.services.adherence), so the figures never lag the logs.

Members are written a chunk at a time (`--chunk-size`, one transaction each) with bulk inserts:
the number of queries per chunk does not depend on how many members or days it holds (beyond one
INSERT per batch of rows), and only one chunk's rows are in memory at once.

Running it again for an organization that already has people refuses; `--replace` deletes the
organization's people (and with them their plans, logs and figures) first, then seeds afresh.
The same `--seed` gives the same people, plans and logs (dated from the day it runs).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
import uuid
import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, models, transaction
from django.db.models import Prefetch, ProtectedError, RestrictedError
from django.utils import timezone

from exercise_tracker.clock import local_todays
from exercise_tracker.rows import copy_rows
from members.demo.sessions import (
    FADING,
    NEVER,
    NOTES,
    RETURNING,
    STEADY,
    chance_of_session,
    entry_for,
    feedback_at,
)
from members.models import (
    CareAssignment,
    Coordinator,
    Member,
    Organization,
    Role,
    SessionEntry,
    SessionLog,
    Therapist,
    User,
)
from members.models.logs import SessionStatus
from members.services import adherence, dashboard_rollup
from programs.models import (
    Exercise,
    Plan,
    PlanItem,
    PlanRevision,
    PlanStatus,
    PlanTemplate,
    TemplateItem,
)
from programs.selectors.schedule import DayPrescription, prescribed_sessions_for_members
from programs.services.plan_items import DOSE_FIELDS

# Public on purpose, like the demo's: the DEBUG guard keeps it off production servers.
SCALE_PASSWORD = "demo-pass"  # noqa: S105
DEFAULT_SEED = 20_250_601
DEFAULT_SLUG = "scale-clinic"
CHUNK_SIZE = 500
MEMBERS_PER_THERAPIST = 250
# Rows per INSERT: under PostgreSQL's 65,535 bind parameters even for the widest table here.
ROW_BATCH = 2_000
SESSION_BATCH = 5_000
BAR_WIDTH = 30
SITTING_HOURS = (7, 13, 18)  # the earliest hour of a day's first, second and third sitting
REMOVING = "removing the organization's people"
LIBRARY = "library and templates"
STAFF = "organization, PTs and coordinator"
MEMBERS = "members, plans, session logs and adherence figures"
STAGES = (LIBRARY, STAFF, MEMBERS)

ORG_TIMEZONE = "America/New_York"
# Where a US clinic's members live, roughly by population.
ZONES: dict[str, int] = {
    "America/New_York": 46,
    "America/Chicago": 27,
    "America/Denver": 6,
    "America/Phoenix": 3,
    "America/Los_Angeles": 16,
    "America/Anchorage": 1,
    "Pacific/Honolulu": 1,
}
LANGUAGES: dict[str, int] = {"en": 90, "es": 9, "fr": 1}
# Shuffled anew for each block of 20 members: exactly 13 steady, 3 fading, 3 returning and 1 never
# started in every block, so even a small run shows each pattern, and no PT's caseload (members
# go to PTs in turn) gets one pattern only.
PATTERN_DECK = (STEADY,) * 13 + (FADING,) * 3 + (RETURNING,) * 3 + (NEVER,)
# Most improve; some stay put or get a little worse (as the demo's members).
IMPROVEMENTS = (0.55, 0.5, 0.45, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.0, -0.1)
FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Karen",
    "Charles", "Sarah", "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Sandra", "Anthony",
    "Betty", "Mark", "Ashley", "Donald", "Emily", "Steven", "Kimberly", "Andrew", "Margaret",
    "Paul", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian",
    "Melissa", "George", "Deborah", "Timothy", "Stephanie", "Ronald", "Rebecca", "Jason", "Laura",
    "Luis", "Maria", "Carlos", "Ana", "Jorge", "Rosa", "Wei", "Mei", "Hiroshi", "Yuki", "Kwame",
    "Amara", "Raj", "Priya", "Dmitri", "Olga",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Chen", "Kim", "Patel", "Okafor",
    "Novak", "Kowalski", "Schmidt", "Rossi", "Murphy", "O'Brien", "Cohen", "Singh",
)  # fmt: skip


@dataclass(frozen=True)
class TemplateCopy:
    """A template as plans copy it: the items' doses, read once for the whole run."""

    template: PlanTemplate
    title: str
    items: tuple[dict[str, Any], ...]
    changes: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    """Everything about one member that follows from the seed and their number alone."""

    number: int
    username: str
    first_name: str
    last_name: str
    zone: str
    language: str
    template: TemplateCopy
    therapist: Therapist
    pattern: str
    rng: random.Random


@dataclass
class Written:
    """Rows written, for the closing report."""

    members: int = 0
    assignments: int = 0
    plans: int = 0
    plan_items: int = 0
    sessions: int = 0
    entries: int = 0

    def add(self, other: Written) -> None:
        for name in ("members", "assignments", "plans", "plan_items", "sessions", "entries"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class _Job:
    """What every chunk of a run shares; `write` seeds one chunk (members from offset + 1)."""

    org: Organization
    total: int
    prefix: str
    seed: int
    templates: list[TemplateCopy]
    therapists: list[Therapist]
    password: str
    days: int
    now: datetime
    with_entries: bool
    chunk_size: int

    def write(self, offset: int, written: Written) -> int:
        numbers = range(offset + 1, min(self.total, offset + self.chunk_size) + 1)
        profiles = profiles_for(
            numbers=numbers,
            total=self.total,
            prefix=self.prefix,
            seed=self.seed,
            templates=self.templates,
            therapists=self.therapists,
        )
        write_chunk(
            org=self.org,
            profiles=profiles,
            password=self.password,
            days=self.days,
            now=self.now,
            with_entries=self.with_entries,
            written=written,
        )
        forget_queries()
        return len(numbers)


# The run's shared part, set in the parent just before it forks its worker processes (which
# inherit it, nothing to pickle), cleared after.
_forked_job: _Job | None = None


def _write_forked_chunk(offset: int) -> Written:
    """In a worker process: one chunk, and what it wrote (member ids included)."""
    if _forked_job is None:  # pragma: no cover (only forked children are given this)
        raise RuntimeError("seed_scale: a chunk worker started without its run")
    written = Written()
    _forked_job.write(offset, written)
    return written


def username_prefix(*, slug: str) -> str:
    return slug.removesuffix("-clinic").replace("-", "_") or "scale"


def member_username(*, prefix: str, number: int, total: int) -> str:
    return f"{prefix}_member{number:0{max(5, len(str(total)))}d}"


def _random_uuid(rng: random.Random) -> uuid.UUID:
    """A version 4 UUID from the seeded stream: the same rows on every run."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@contextmanager
def stamps_as_given(*models_: type[models.Model]) -> Iterator[None]:
    """bulk_create lets auto_now and auto_now_add fields overwrite the stamps it is given; a seed
    writes history (a session done at 8 in the morning six weeks ago), so they stay off while it
    writes. Process-wide, restored on the way out: for a command, not for a server."""
    switched: list[tuple[models.DateTimeField, bool, bool]] = []
    for model in models_:
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.DateTimeField) and (
                model_field.auto_now or model_field.auto_now_add
            ):
                switched.append((model_field, model_field.auto_now, model_field.auto_now_add))
                model_field.auto_now = model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in switched:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add


def forget_queries() -> None:
    """With DEBUG on, Django keeps the SQL of every query (up to 9,000 of them) and a bulk INSERT's
    runs to megabytes: a long run would hold them all. Kept when a caller captures queries on
    purpose (assertNumQueries and CaptureQueriesContext force the debug cursor)."""
    if not connection.force_debug_cursor:
        connection.queries_log.clear()


# --- who the members are ---------------------------------------------------------------------


def _deck(*, seed: int, block: int) -> list[str]:
    deck = list(PATTERN_DECK)
    random.Random(f"{seed}/patterns/{block}").shuffle(deck)
    return deck


def profiles_for(
    *,
    numbers: range,
    total: int,
    prefix: str,
    seed: int,
    templates: Sequence[TemplateCopy],
    therapists: Sequence[Therapist],
) -> list[Profile]:
    """The members with these numbers (1-based). A member's own random stream is seeded by their
    number, so what they are and do does not depend on the chunk size."""
    zones, zone_weights = list(ZONES), list(ZONES.values())
    languages, language_weights = list(LANGUAGES), list(LANGUAGES.values())
    decks: dict[int, list[str]] = {}
    profiles = []
    for number in numbers:
        block, place = divmod(number - 1, len(PATTERN_DECK))
        if block not in decks:
            decks[block] = _deck(seed=seed, block=block)
        rng = random.Random(f"{seed}/member/{number}")
        profiles.append(
            Profile(
                number=number,
                username=member_username(prefix=prefix, number=number, total=total),
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                zone=rng.choices(zones, weights=zone_weights)[0],
                language=rng.choices(languages, weights=language_weights)[0],
                template=rng.choice(templates),
                therapist=therapists[(number - 1) % len(therapists)],
                pattern=decks[block][place],
                rng=rng,
            )
        )
    return profiles


# --- what they do ------------------------------------------------------------------------------


@dataclass
class Course:
    """One member's pain over the plan: a starting level that eases by `improvement` at the end."""

    base: float
    improvement: float
    stops: bool  # fading members: quiet for the whole last week

    def pain_before(self, *, t: float, rng: random.Random) -> int:
        level = self.base * (1 - self.improvement * t) + rng.gauss(0, 0.6)
        return max(0, min(10, round(level)))


def _stamp(*, day: date, sitting: int, zone: zoneinfo.ZoneInfo, rng: random.Random) -> datetime:
    """Morning for a first sitting, then early afternoon and evening, in the member's zone."""
    hour = SITTING_HOURS[min(sitting, len(SITTING_HOURS) - 1)] + rng.randint(0, 3)
    return datetime.combine(day, clock(hour, rng.randint(0, 59)), tzinfo=zone)


def _session(
    *,
    member_id: int,
    day: date,
    status: str,
    at: datetime,
    t: float,
    course: Course,
    rng: random.Random,
) -> SessionLog:
    before = after = rpe = None
    if status != SessionStatus.SKIPPED:
        before = course.pain_before(t=t, rng=rng)
        # Gentle exercise tends to ease pain a little.
        after = max(0, min(10, before + rng.choice((-2, -1, -1, 0, 0, 0, 1))))
        rpe = rng.choice((3, 3, 4, 4, 5, 5, 6))
    return SessionLog(
        member_id=member_id,
        local_date=day,
        client_id=_random_uuid(rng),
        status=status,
        pain_before=before,
        pain_after=after,
        rpe=rpe,
        notes=rng.choice(NOTES) if status != SessionStatus.SKIPPED else "Not today.",
        created_at=at,
        updated_at=at,
    )


def sessions_for(
    *,
    member_id: int,
    profile: Profile,
    days: dict[date, DayPrescription],
    start: date,
    today: date,
    now: datetime,
) -> list[tuple[SessionLog, list[PlanItem]]]:
    """The member's logs over the prescribed days from `start` to `today` (unsaved), each with
    the item versions done in it."""
    rng = profile.rng
    zone = zoneinfo.ZoneInfo(profile.zone)
    course = Course(
        base=rng.uniform(4.5, 7.0), improvement=rng.choice(IMPROVEMENTS), stops=rng.random() < 0.5
    )
    span = max(1, (today - start).days)
    logs: list[tuple[SessionLog, list[PlanItem]]] = []
    day = start
    while day <= today:
        prescription = days.get(day)
        current, day = day, day + timedelta(days=1)
        if prescription is None or not prescription.items:
            continue
        if current == today and rng.random() < 0.5:
            continue  # not done yet today
        t = (current - start).days / span
        chance = chance_of_session(profile.pattern, t, (today - current).days, stops=course.stops)
        if rng.random() >= chance:
            if profile.pattern != NEVER and rng.random() < 0.12:
                at = _stamp(day=current, sitting=0, zone=zone, rng=rng)
                if at <= now:
                    skipped = _session(
                        member_id=member_id,
                        day=current,
                        status=SessionStatus.SKIPPED,
                        at=at,
                        t=t,
                        course=course,
                        rng=rng,
                    )
                    logs.append((skipped, []))
            continue
        items = [p.item for p in prescription.items]
        partial = len(items) > 1 and rng.random() < 0.15
        done = sorted(rng.sample(items, k=len(items) * 2 // 3), key=_order) if partial else items
        at = _stamp(day=current, sitting=0, zone=zone, rng=rng)
        if at > now:
            continue  # later today, not yet
        status = SessionStatus.PARTIAL if partial else SessionStatus.COMPLETED
        session = _session(
            member_id=member_id, day=current, status=status, at=at, t=t, course=course, rng=rng
        )
        logs.append((session, done))
        # Steady members mostly do the further sittings an item asks for; others now and then.
        again_chance = {STEADY: 0.8, RETURNING: 0.3}.get(profile.pattern, 0.0)
        for sitting in range(1, prescription.sessions):
            at = _stamp(day=current, sitting=sitting, zone=zone, rng=rng)
            if rng.random() >= again_chance or at > now:
                break
            again = _session(
                member_id=member_id,
                day=current,
                status=SessionStatus.COMPLETED,
                at=at,
                t=t,
                course=course,
                rng=rng,
            )
            logs.append((again, [item for item in items if item.times_per_day > sitting]))
    return logs


def _order(item: PlanItem) -> tuple[int, int]:
    return item.order, item.pk


# --- one chunk of members: one transaction, a fixed number of queries -------------------------


@transaction.atomic
def write_chunk(
    *,
    org: Organization,
    profiles: Sequence[Profile],
    password: str,
    days: int,
    now: datetime,
    with_entries: bool,
    written: Written,
) -> None:
    """Members, care, plans and logs of these profiles, in bulk."""
    todays = local_todays({p.number: p.zone for p in profiles}, now)
    starts = {number: today - timedelta(days=days) for number, today in todays.items()}
    members = _write_people(org=org, profiles=profiles, password=password, starts=starts)
    plans, items = _write_plans(org=org, profiles=profiles, members=members, starts=starts)
    logs = _write_logs(
        profiles=profiles,
        members=members,
        starts=starts,
        todays=todays,
        now=now,
        with_ids=with_entries,
    )
    written.members += len(members)
    written.assignments += len(members)
    written.plans += len(plans)
    written.plan_items += len(items)
    written.sessions += len(logs)
    if with_entries:
        written.entries += _write_entries(
            logs=logs,
            members={m.pk: (p, starts[p.number]) for m, p in zip(members, profiles, strict=True)},
            days=days,
        )
    # The figures in the same transaction as the logs: no chunk is ever stored without them.
    adherence.refresh_adherence(member_ids=[m.pk for m in members], now=now)


def _write_people(
    *, org: Organization, profiles: Sequence[Profile], password: str, starts: dict[int, date]
) -> list[Member]:
    """The members' accounts, profiles and primary PTs. Intake a few days before the plan
    starts, as a clinic's evaluations come first."""
    joined = {
        p.number: datetime.combine(
            starts[p.number] - timedelta(days=p.rng.randint(0, 13)),
            clock(9, p.rng.randint(0, 59)),
            tzinfo=zoneinfo.ZoneInfo(p.zone),
        )
        for p in profiles
    }
    users = User.objects.bulk_create(
        [
            User(
                username=p.username,
                password=password,
                role=Role.MEMBER,
                organization=org,
                first_name=p.first_name,
                last_name=p.last_name,
                email=f"{p.username}@example.org",
                date_joined=joined[p.number],
            )
            for p in profiles
        ],
        batch_size=ROW_BATCH,
    )
    with stamps_as_given(Member):
        members = Member.objects.bulk_create(
            [
                Member(
                    user=user,
                    organization_id=user.organization_id,
                    timezone=p.zone,
                    condition=p.template.template.condition,
                    preferred_language=p.language,
                    created_at=joined[p.number],
                )
                for user, p in zip(users, profiles, strict=True)
            ],
            batch_size=ROW_BATCH,
        )
    CareAssignment.objects.bulk_create(
        [
            CareAssignment(
                member=member,
                therapist=p.therapist,
                is_primary=True,
                start_date=joined[p.number].date(),
            )
            for member, p in zip(members, profiles, strict=True)
        ],
        batch_size=ROW_BATCH,
    )
    return members


def _write_plans(
    *,
    org: Organization,
    profiles: Sequence[Profile],
    members: list[Member],
    starts: dict[int, date],
) -> tuple[list[Plan], list[PlanItem]]:
    """Each member's plan from their template, with its revision 1 and items."""
    # Each plan was made at mid-morning on its start date: revision 1 governs from that day.
    made = {
        p.number: datetime.combine(
            starts[p.number], clock(10, 30), tzinfo=zoneinfo.ZoneInfo(p.zone)
        )
        for p in profiles
    }
    with stamps_as_given(Plan):
        plans = Plan.objects.bulk_create(
            [
                Plan(
                    member=member,
                    author=p.therapist,
                    organization=org,
                    title=p.template.title,
                    status=PlanStatus.ACTIVE,
                    start_date=starts[p.number],
                    created_from=p.template.template,
                    revision=1,
                    created_at=made[p.number],
                    updated_at=made[p.number],
                )
                for member, p in zip(members, profiles, strict=True)
            ],
            batch_size=ROW_BATCH,
        )
    PlanRevision.objects.bulk_create(
        [
            PlanRevision(
                plan=plan,
                number=1,
                author_id=p.therapist.user_id,
                created_at=made[p.number],
                effective_date=starts[p.number],
                reason="Plan created",
                status=PlanStatus.ACTIVE,
                start_date=starts[p.number],
                changes=list(p.template.changes),
            )
            for plan, p in zip(plans, profiles, strict=True)
        ],
        batch_size=ROW_BATCH,
    )
    items = PlanItem.objects.bulk_create(
        [
            PlanItem(
                plan=plan,
                key=_random_uuid(p.rng),
                valid_from_revision=1,
                created_at=made[p.number],
                **dose,
            )
            for plan, p in zip(plans, profiles, strict=True)
            for dose in p.template.items
        ],
        batch_size=ROW_BATCH,
    )
    return plans, items


def _write_logs(
    *,
    profiles: Sequence[Profile],
    members: list[Member],
    starts: dict[int, date],
    todays: dict[int, date],
    now: datetime,
    with_ids: bool,
) -> list[tuple[SessionLog, list[PlanItem]]]:
    """The members' session logs from their plan's start to today (entries come after, and
    then the logs are stored with their ids; else by COPY, the stamps as given)."""
    schedule = prescribed_sessions_for_members(
        members=[m.pk for m in members], start=min(starts.values()), end=max(todays.values())
    )
    logs: list[tuple[SessionLog, list[PlanItem]]] = []
    for member, p in zip(members, profiles, strict=True):
        logs += sessions_for(
            member_id=member.pk,
            profile=p,
            days=schedule[member.pk],
            start=starts[p.number],
            today=todays[p.number],
            now=now,
        )
    del schedule
    if with_ids:  # the entries name their session
        with stamps_as_given(SessionLog):
            SessionLog.objects.bulk_create([log for log, _ in logs], batch_size=SESSION_BATCH)
    else:
        copy_rows((log for log, _ in logs), model=SessionLog)
    return logs


def _write_entries(
    *,
    logs: list[tuple[SessionLog, list[PlanItem]]],
    members: dict[int, tuple[Profile, date]],
    days: int,
) -> int:
    """Entries in batches, so that a chunk's entries are never all in memory as model rows."""
    count = 0
    batch: list[SessionEntry] = []
    for log, done in logs:
        profile, start = members[log.member_id]
        t = (log.local_date - start).days / days
        for item in done:
            entry = entry_for(item, feedback_at(t, profile.rng), profile.rng)
            entry.session_id = log.pk
            batch.append(entry)
        if len(batch) >= SESSION_BATCH:
            SessionEntry.objects.bulk_create(batch, batch_size=SESSION_BATCH)
            count += len(batch)
            batch = []
    SessionEntry.objects.bulk_create(batch, batch_size=SESSION_BATCH)
    return count + len(batch)


# --- the command ------------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Builds one large organization for benchmarks: N members with an active plan each and D "
        "days of session logs, in bulk. Refuses when the organization already has people; "
        "--replace deletes them first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=10_000, help="Default 10,000.")
        parser.add_argument(
            "--days", type=int, default=90, help="Days of history before today (default 90)."
        )
        parser.add_argument(
            "--therapists",
            type=int,
            default=None,
            help=f"PTs (default one per {MEMBERS_PER_THERAPIST} members, at least one).",
        )
        parser.add_argument("--org-slug", default=DEFAULT_SLUG)
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Random seed: same seed, same data."
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=CHUNK_SIZE,
            help=f"Members per transaction (default {CHUNK_SIZE}).",
        )
        parser.add_argument(
            "--entries",
            action="store_true",
            help="Also write an entry per exercise done. The dashboard and adherence figures do "
            "not read entries; writing the members takes about three times as long.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="Processes writing chunks side by side on PostgreSQL (default: one per CPU; "
            "1 writes them in this process). Same data whatever the number.",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the organization's people (and their plans and logs) first.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DJANGO_DEBUG=0 (the password is public: never in production).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to seed accounts with DJANGO_DEBUG=0: their password is public. "
                "Pass --force if this really is a benchmark server."
            )
        total: int = options["members"]
        days: int = options["days"]
        chunk_size: int = options["chunk_size"]
        if (
            total < 1
            or days < 1
            or chunk_size < 1
            or (options["jobs"] is not None and options["jobs"] < 1)
        ):
            raise CommandError("--members, --days, --chunk-size and --jobs must be at least 1.")
        therapist_count: int = options["therapists"] or max(1, total // MEMBERS_PER_THERAPIST)
        slug: str = options["org_slug"]
        prefix = username_prefix(slug=slug)
        now = timezone.now()

        org = Organization.objects.filter(slug=slug).first()
        self._check_usernames(org=org, prefix=prefix, total=total)
        has_people = org is not None and org.users.exists()
        if org is not None and has_people and not options["replace"]:
            raise CommandError(
                f"Organization “{slug}” already has {org.users.count()} accounts: run again with "
                "--replace to delete them (with their plans and logs) and seed afresh, or choose "
                "another --org-slug."
            )
        self._stages = [*([REMOVING] if has_people else []), *STAGES]
        self._timings: list[tuple[str, float]] = []

        if org is not None and has_people:
            with self._stage(REMOVING):
                self._remove_people(org=org, chunk_size=chunk_size)
        with self._stage(LIBRARY):
            templates = self._templates()
        with self._stage(STAFF):
            password = make_password(SCALE_PASSWORD)  # once: hashing is an account's slow part
            org, therapists = self._staff(
                org=org, slug=slug, prefix=prefix, count=therapist_count, password=password, now=now
            )
        written = Written()
        with self._stage(MEMBERS):
            job = _Job(
                org=org,
                total=total,
                prefix=prefix,
                seed=options["seed"],
                templates=templates,
                therapists=therapists,
                password=password,
                days=days,
                now=now,
                with_entries=options["entries"],
                chunk_size=chunk_size,
            )
            offsets = range(0, total, chunk_size)
            # Forked processes have their own connections: they would not see an enclosing
            # transaction's rows (a test's), so inside one the chunks are written here.
            jobs = 1 if connection.in_atomic_block else (options["jobs"] or os.cpu_count() or 1)
            jobs = min(jobs, len(offsets))
            if jobs > 1 and connection.vendor == "postgresql":
                done = self._members_in_processes(job, offsets, jobs, written)
            else:
                done = 0
                for offset in offsets:
                    done += job.write(offset, written)
                    self._progress(done, total, "members")
            # The dashboard's roll-ups: one row per key, in tables of their live size.
            dashboard_rollup.compact()
            dashboard_rollup.shrink()
        self._report(written=written, therapists=len(therapists), slug=slug)

    def _members_in_processes(self, job: _Job, offsets: range, jobs: int, written: Written) -> int:
        """The chunks spread over `jobs` forked processes, each with its own connection (the
        chunks are independent transactions); progress as they finish."""
        global _forked_job
        connections.close_all()  # the children open their own
        _forked_job = job
        done = 0
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                for part in pool.imap_unordered(_write_forked_chunk, offsets):
                    written.add(part)
                    done += part.members
                    self._progress(done, job.total, "members")
        finally:
            _forked_job = None
        return done

    @contextmanager
    def _stage(self, label: str) -> Iterator[None]:
        number = self._stages.index(label) + 1
        self.stdout.write(f"[{number}/{len(self._stages)}] {label}…")
        started = time.perf_counter()
        yield
        self._timings.append((label, time.perf_counter() - started))

    def _check_usernames(self, *, org: Organization | None, prefix: str, total: int) -> None:
        """Usernames are unique across organizations: another slug with the same prefix would
        fail halfway through, so it fails here instead."""
        names = [f"{prefix}_coordinator", member_username(prefix=prefix, number=1, total=total)]
        clash = User.objects.filter(username__in=names)
        if org is not None:
            clash = clash.exclude(organization=org)
        taken = clash.values_list("username", flat=True).first()
        if taken is not None:
            raise CommandError(
                f"The username {taken} belongs to another organization: choose another "
                "--org-slug (usernames start with the slug without “-clinic”)."
            )

    def _templates(self) -> list[TemplateCopy]:
        if not Exercise.objects.filter(organization__isnull=True).exists():
            # Pictures are not what a benchmark measures; `draw_library` draws them later.
            call_command("load_library", "--no-figures", stdout=self.stdout)
        call_command("load_templates", stdout=self.stdout)
        rows = (
            PlanTemplate.objects.filter(organization__isnull=True, is_active=True)
            .prefetch_related(
                Prefetch(
                    "items",
                    queryset=TemplateItem.objects.select_related("exercise").order_by(
                        "order", "id"
                    ),
                )
            )
            .order_by("slug")
        )
        copies = []
        for template in rows:
            items = list(template.items.all())
            if not items:
                continue
            copies.append(
                TemplateCopy(
                    template=template,
                    title=template.name.split(":")[0] + " home program",
                    items=tuple(
                        {
                            "exercise_id": item.exercise_id,
                            "order": order,
                            **{name: getattr(item, name) for name in DOSE_FIELDS},
                        }
                        for order, item in enumerate(items)
                    ),
                    # The lines create_plan writes for revision 1.
                    changes=(
                        f"Created from template “{template.name}”",
                        *(f"Added {item.exercise.name}" for item in items),
                        f"Status: {PlanStatus.ACTIVE}",
                    ),
                )
            )
        if not copies:
            raise CommandError("No plan template could be loaded: see load_templates' messages.")
        return copies

    @transaction.atomic
    def _staff(
        self,
        *,
        org: Organization | None,
        slug: str,
        prefix: str,
        count: int,
        password: str,
        now: datetime,
    ) -> tuple[Organization, list[Therapist]]:
        if org is None:
            org = Organization.objects.create(
                slug=slug, name=slug.replace("-", " ").title(), timezone=ORG_TIMEZONE
            )
        rng = random.Random(f"{slug}/staff")
        width = max(3, len(str(count)))
        users = User.objects.bulk_create(
            [
                User(
                    username=f"{prefix}_pt{n:0{width}d}",
                    password=password,
                    role=Role.THERAPIST,
                    organization=org,
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    email=f"{prefix}_pt{n:0{width}d}@example.org",
                    date_joined=now,
                )
                for n in range(1, count + 1)
            ],
            batch_size=ROW_BATCH,
        )
        therapists = Therapist.objects.bulk_create(
            [
                Therapist(user=user, credentials="PT, DPT", contact_email=user.email)
                for user in users
            ],
            batch_size=ROW_BATCH,
        )
        coordinator = User.objects.create(
            username=f"{prefix}_coordinator",
            password=password,
            role=Role.COORDINATOR,
            organization=org,
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            email=f"{prefix}_coordinator@example.org",
        )
        Coordinator.objects.create(user=coordinator, title="Program coordinator")
        return org, therapists

    def _remove_people(self, *, org: Organization, chunk_size: int) -> None:
        """Members a chunk at a time (their plans, logs and figures go with them), then the
        staff. Entries go first: they protect the plan items the cascade reaches."""
        member_ids = list(
            Member.objects.filter(user__organization=org)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        try:
            for offset in range(0, len(member_ids), chunk_size):
                batch = member_ids[offset : offset + chunk_size]
                with transaction.atomic():
                    SessionEntry.objects.filter(session__member_id__in=batch).delete()
                    User.objects.filter(member_profile__in=batch).delete()
                forget_queries()
                self._progress(offset + len(batch), len(member_ids), "members removed")
            User.objects.filter(organization=org).delete()
        except (ProtectedError, RestrictedError) as exc:
            raise CommandError(
                f"Could not delete the people of “{org.slug}”: other records refer to them "
                f"({exc.args[0]})."
            ) from exc

    def _progress(self, done: int, total: int, label: str) -> None:
        filled = int(BAR_WIDTH * done / total) if total else BAR_WIDTH
        self.stdout.write(
            f"\r  [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} {label}", ending=""
        )
        if done == total:
            self.stdout.write("")

    def _report(self, *, written: Written, therapists: int, slug: str) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Organization “{slug}”: {written.members} members, {therapists} "
                f"PT{'' if therapists == 1 else 's'}, "
                f"1 coordinator; {written.assignments} care assignments; {written.plans} active "
                f"plans ({written.plan_items} items); {written.sessions} sessions; "
                f"{written.entries} entries"
                + ("" if written.entries else " (--entries writes them)")
                + "."
            )
        )
        total = sum(seconds for _, seconds in self._timings)
        self.stdout.write(
            "Time: "
            + "; ".join(f"{label} {seconds:.1f} s" for label, seconds in self._timings)
            + f"; total {total:.1f} s."
        )
