"""Demo walks and leg symptom check-ins (seed_demo's "walks and leg symptoms" step): the demo
members with lumbar spinal stenosis and an active plan walk three to five days a week since their
plan started (up to eight weeks), and check in on their leg symptoms once a week.

- improving: minutes before leg symptoms climb week by week (with day-to-day scatter; now and
  then a walk with no symptoms at all), fewer rests, tingling fading;
- flat: about the same minutes throughout, symptoms unchanged;
- worsening (one member of demo_pt's caseload): steady, then in the last week the minutes fall
  to under half, and numbness spreads to both legs, worse two check-ins running. The rules of
  members.rules.walking raise the PT's alerts from these rows, as they would from a phone.

demo_member improves, and last checked in more than a week ago (the check-in is due on today).
Written with bulk_create; members who already have walks (or check-ins) keep theirs, so running
the seed again adds nothing.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from exercise_tracker import access, clock
from members.models import AlertKind, Member, SymptomCheck, Walk
from members.rules import walking as rules
from members.services import walks as services
from programs.models import PlanStatus

SEED_DAYS = 56
NAMESPACE = uuid.UUID("6a1f2a0e-3c55-4b7e-8d0a-7c2b9e4f5a11")
DEMO_ORG_SLUG = "demo-clinic"
CONDITION = "lumbar_spinal_stenosis"
IMPROVING, FLAT, WORSENING = "improving", "flat", "worsening"
SHOWCASE = "demo_member"  # improving; their weekly check-in is due today
WORSENING_PT = "demo_pt"


@transaction.atomic
def seed_demo_walks(*, say: Callable[[str], object] = print, now: datetime | None = None) -> int:
    """Writes the missing walks and check-ins, then raises what the rules find. Returns how
    many walks were written."""
    now = now or timezone.now()
    members = list(
        Member.objects.filter(
            user__organization__slug=DEMO_ORG_SLUG,
            condition=CONDITION,
            discharged_on__isnull=True,
            plans__status=PlanStatus.ACTIVE,
        )
        .select_related("user")
        .distinct()
        .order_by("user__username")
    )
    starts = {
        m.pk: min(p.start_date for p in m.plans.all() if p.status == PlanStatus.ACTIVE)
        for m in Member.objects.filter(pk__in=[m.pk for m in members]).prefetch_related("plans")
    }
    patterns = _patterns(members)
    has_walks = set(
        Walk.objects.filter(member__in=members).values_list("member_id", flat=True).distinct()
    )
    has_checks = set(
        SymptomCheck.objects.filter(member__in=members)
        .values_list("member_id", flat=True)
        .distinct()
    )
    walks: list[Walk] = []
    checks: list[SymptomCheck] = []
    for member in members:
        today = clock.local_today(member, now)
        first = max(starts[member.pk], today - timedelta(days=SEED_DAYS))
        rng = random.Random(f"walks-{member.user.username}")  # noqa: S311 (demo data, repeatable)
        pattern = patterns[member.pk]
        if member.pk not in has_walks:
            walks += _walks(member, pattern, first, today, rng)
        if member.pk not in has_checks:
            checks += _checks(member, pattern, first, today, rng)
    Walk.objects.bulk_create(walks)
    SymptomCheck.objects.bulk_create(checks)
    raised = _raise_alerts([m for m in members if m.pk not in has_walks], now)
    say(
        f"  {len(walks)} walks and {len(checks)} leg symptom check-ins for "
        f"{len(members)} members with stenosis; {raised} alerts raised\n"
    )
    return len(walks)


def _patterns(members: list[Member]) -> dict[int, str]:
    """One worsening member (the first of demo_pt's caseload after demo_member); the others
    alternate improving and flat, demo_member improving."""
    primary = access.primary_therapists(m.pk for m in members)
    worsening = next(
        (
            m.pk
            for m in members
            if m.user.username != SHOWCASE
            and (pt := primary.get(m.pk)) is not None
            and pt.user.username == WORSENING_PT
        ),
        None,
    )
    found: dict[int, str] = {}
    index = 0
    for member in members:
        if member.pk == worsening:
            found[member.pk] = WORSENING
        elif member.user.username == SHOWCASE:
            found[member.pk] = IMPROVING
        else:
            found[member.pk] = (IMPROVING, FLAT)[index % 2]
            index += 1
    return found


def _tolerance(
    pattern: str, progress: float, days_left: int, base: float, rng: random.Random
) -> float:
    """The minutes before symptoms a member would reach on a day (before scatter)."""
    if pattern == IMPROVING:
        return base * (1 + 1.6 * progress)
    if pattern == WORSENING:
        # Steady, then the last week well under half.
        return base * (0.35 if days_left < 7 else 1.0 + rng.uniform(-0.05, 0.05))
    return base


def _walks(
    member: Member, pattern: str, first: date, today: date, rng: random.Random
) -> list[Walk]:
    base = rng.uniform(5, 9) if pattern != WORSENING else rng.uniform(11, 14)
    span = max((today - first).days, 1)
    rows = []
    for n in range((today - first).days + 1):
        day = first + timedelta(days=n)
        days_left = (today - day).days
        # Three to five walks a week; the worsening member keeps walking (that is how we know).
        if rng.random() > (0.75 if pattern == WORSENING else rng.choice((0.45, 0.6, 0.7))):
            continue
        if member.user.username == SHOWCASE and day == today:
            continue  # today's walk is the member's to record
        target = _tolerance(pattern, n / span, days_left, base, rng)
        minutes = max(1, round(rng.gauss(target, target * 0.15)))
        rests = max(0, round(rng.gauss(2.5 - 1.5 * (n / span if pattern == IMPROVING else 0), 0.8)))
        if pattern == WORSENING and days_left < 7:
            rests += 2
        total = minutes + rests * rng.randint(3, 7) + rng.randint(0, 6)
        no_symptoms = pattern == IMPROVING and n / span > 0.6 and rng.random() < 0.2
        rows.append(
            Walk(
                member=member,
                local_date=day,
                client_id=uuid.uuid5(NAMESPACE, f"walk-{member.user.username}-{day}"),
                minutes_to_symptoms=None if no_symptoms else min(minutes, total),
                total_minutes=total,
                rests=0 if no_symptoms else rests,
                distance_m=round(total * rng.uniform(55, 75), -1) if rng.random() < 0.5 else None,
                support=rng.choice(("", "none", "none", "cart", "rail", "stick")),
            )
        )
    return rows


def _checks(
    member: Member, pattern: str, first: date, today: date, rng: random.Random
) -> list[SymptomCheck]:
    weeks = (today - first).days // 7
    if member.user.username == SHOWCASE:
        weeks -= 1  # the last one 8 days or more ago: due today
    rows = []
    for week in range(weeks, -1, -1):
        day = today - timedelta(days=7 * week + (8 if member.user.username == SHOWCASE else 0))
        day -= timedelta(days=rng.randint(0, 2))
        if day < first:
            continue
        last = week == 0
        second_last = week == 1
        if pattern == IMPROVING:
            tingling = "left" if week > weeks // 2 else "none"
            values = {
                "numbness": "left",
                "numbness_change": rng.choice(("same", "better", "same")),
                "tingling": tingling,
                "tingling_change": "better" if tingling != "none" else "",
            }
        elif pattern == WORSENING:
            values = {
                "numbness": "both" if last else "left",
                "numbness_change": "worse" if last or second_last else "same",
                "tingling": "both",
                "tingling_change": "worse" if last else "same",
            }
        else:
            values = {
                "numbness": "right",
                "numbness_change": "same",
                "tingling": "both",
                "tingling_change": rng.choice(("same", "same", "better", "worse")),
            }
        rows.append(
            SymptomCheck(
                member=member,
                local_date=day,
                client_id=uuid.uuid5(NAMESPACE, f"check-{member.user.username}-{week}"),
                weakness="none",
                weakness_change="",
                **values,
            )
        )
    return rows


def _raise_alerts(members: list[Member], now: datetime) -> int:
    """What the rules find in the rows just written: the two-week fall in walking tolerance and
    the last check-in against the one before (as the services do for a phone's POST)."""
    raised = 0
    for member in members:  # the few members with stenosis, a couple of queries each
        today = clock.local_today(member, now)
        span = 2 * rules.WINDOW_DAYS - 1
        points = services.walk_points(member, start=today - timedelta(days=span), end=today)
        drop = rules.tolerance_drop(points, today=today)
        findings = []
        if drop is not None:
            findings.append(
                services.alerts.Finding(kind=AlertKind.WALK_TOLERANCE_DROP, details=drop)
            )
        last = (
            SymptomCheck.objects.filter(member=member)
            .order_by("-local_date", "-created_at")
            .first()
        )
        if last is not None:
            findings += services.findings_for(last, services.previous_check(last))
        services.raise_findings(member.pk, findings)
        raised += len(findings)
    return raised
