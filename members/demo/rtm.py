"""Demo remote monitoring (seed_demo's "remote monitoring" step): about two thirds of the Demo
Clinic members with a plan are monitored from the day their plan started, with consent recorded
by their PT, and their PT reviews their data a few times a month over the last eight weeks
(5 to 20 minutes a sitting, now and then on a call with the member), so the RTM report shows
every supply and management code. Written through the services; members who already have an
episode or review time keep theirs, so running the seed again adds nothing."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from exercise_tracker import access, clock
from members.models import Member, MonitoringEpisode, ReviewTime, User
from members.services import rtm as services

DEMO_ORG_SLUG = "demo-clinic"
REVIEW_DAYS = 56  # eight weeks
# One member in three is left out: not every patient agrees to be monitored.
LEFT_OUT_EVERY = 3
MIN_MINUTES, MAX_MINUTES = 5, 20
LIVE_CHANCE = 0.3  # a review that was a call or video with the member


@transaction.atomic
def seed_demo_rtm(*, say: Callable[[str], object] = print, now: datetime | None = None) -> int:
    """Starts the missing episodes and records the missing review time. Returns how many
    episodes were started."""
    now = now or timezone.now()
    members = list(
        Member.objects.filter(user__organization__slug=DEMO_ORG_SLUG, plans__isnull=False)
        .annotate(plan_start=Min("plans__start_date"))
        .select_related("user__organization")
        .order_by("user__username")
    )
    chosen = [m for index, m in enumerate(members) if index % LEFT_OUT_EVERY != 1]
    primary = access.primary_therapists(m.pk for m in chosen)
    monitored = set(
        MonitoringEpisode.objects.filter(member__in=chosen).values_list("member_id", flat=True)
    )
    reviewed = set(ReviewTime.objects.filter(member__in=chosen).values_list("member_id", flat=True))
    started = reviews = 0
    for member in chosen:
        therapist = primary.get(member.pk)
        if therapist is None:
            continue
        rng = random.Random(f"rtm-{member.user.username}")  # noqa: S311 (demo data, repeatable)
        start: date = member.plan_start
        member_today = clock.local_today(member, now)
        if not member_today - timedelta(days=services.MAX_DAYS_BACK) <= start <= member_today:
            continue  # a plan that starts later, or too long ago to monitor from its start
        if member.pk not in monitored:
            # Consent taken at the first visit, the morning the plan started.
            consent_at = datetime.combine(start, time(9, 30 + rng.randint(0, 25)), member.tz)
            services.start_monitoring(
                user=therapist.user,
                member=member,
                start_date=start,
                consent_at=min(consent_at, now),
                now=now,
            )
            started += 1
        if member.pk not in reviewed:
            reviews += _review(member, therapist.user, start, rng, now)
    say(f"  {started} members monitored, {reviews} reviews recorded\n")
    return started


def _review(member: Member, pt: User, start: date, rng: random.Random, now: datetime) -> int:
    """A few reviews a month on dates the member was monitored, up to yesterday."""
    today = clock.clinic_today(member, now)
    first = max(start, today - timedelta(days=REVIEW_DAYS))
    days = [first + timedelta(days=n) for n in range((today - first).days)]
    if not days:
        return 0
    by_month: dict[tuple[int, int], list[date]] = {}
    for day in days:
        by_month.setdefault((day.year, day.month), []).append(day)
    written = 0
    for month_days in by_month.values():
        # Two to four sittings in a whole month, fewer in a part of one.
        wanted = max(1, round(rng.randint(2, 4) * len(month_days) / 30))
        for day in sorted(rng.sample(month_days, min(wanted, len(month_days)))):
            services.record_review_time(
                user=pt,
                member=member,
                date=day,
                minutes=rng.randint(MIN_MINUTES, MAX_MINUTES),
                live_interaction=rng.random() < LIVE_CHANCE,
                now=now,
            )
            written += 1
    return written
