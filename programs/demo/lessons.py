"""Demo lessons for seed_demo: demo plans carry their template's suggested lessons, and members
have read some of them (others not yet). Idempotent: a second run adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.utils import timezone

from members.models import Member
from programs.models import LessonRead, Plan, PlanLesson, PlanStatus
from programs.selectors.lessons import lessons_for
from programs.services import lessons as lesson_services
from programs.services import plans as plan_services

# How many of their lessons each demo member has read, by member id (some none, some all).
READ_PATTERN = (2, 0, 1, 3, 6, 0)


def _top_up(say: Callable[[str], object] | None) -> int:
    """Plans seeded before lessons existed get their template's lessons, as a revision."""
    plans = (
        Plan.objects.filter(created_from__isnull=False, organization__isnull=False)
        .exclude(status=PlanStatus.DRAFT)
        .exclude(Exists(PlanLesson.objects.filter(plan=OuterRef("pk"))))
        .select_related("created_from", "author__user")
        .order_by("pk")
    )
    added = 0
    for plan in plans:
        ids = lesson_services.template_lesson_ids(plan.created_from)  # type: ignore[arg-type]
        if not ids or plan.author is None:
            continue
        try:
            plan_services.revise_plan(
                user=plan.author.user, plan=plan, reason="Lessons to read at home.", lessons=ids
            )
        except PermissionDenied:  # the member was transferred or discharged: leave it
            if say is not None:
                say(f"  plan {plan.pk}: no longer this PT's member, lessons left out\n")
            continue
        added += 1
    return added


def seed_demo_lessons(*, say: Callable[[str], object] | None = None) -> int:
    """Records first reads for demo members with lessons and no read yet. Returns how many."""
    topped = _top_up(say)
    if topped and say is not None:
        say(f"  {topped} plans given their template's lessons\n")
    members = (
        Member.objects.filter(plans__plan_lessons__isnull=False)
        .exclude(Exists(LessonRead.objects.filter(member=OuterRef("pk"))))
        .select_related("user")
        .distinct()
        .order_by("pk")
    )
    now = timezone.now()
    written = 0
    for member in members:
        # By the member's id, not their place in this run's list: a member left with none
        # read stays so on the next run (idempotent).
        count = 2 if member.user.username == "demo_member" else READ_PATTERN[member.pk % 6]
        lessons = list(lessons_for(member.user))[:count]
        plan = member.plans.exclude(status=PlanStatus.DRAFT).order_by("start_date").first()
        start = plan.created_at if plan is not None else now - timedelta(days=len(lessons) * 3)
        for number, lesson in enumerate(lessons):
            at = min(start + timedelta(days=2 + number * 3, hours=3), now)
            lesson_services.record_lesson_read(user=member.user, lesson_id=lesson.pk, at=at)
            written += 1
    return written
