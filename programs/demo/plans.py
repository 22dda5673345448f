"""Demo plans for seed_demo: every demo member gets an active plan with a believable history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from exercise_tracker import access
from members.models import Condition, Member
from programs.models import Plan, PlanItem, PlanTemplate
from programs.services import plans as services

PLAN_START_DAYS_AGO = 56  # about eight weeks of history for logs and adherence
TEMPLATE_FOR: dict[str, str] = {
    Condition.LUMBAR_SPINAL_STENOSIS: "lss-phase-1-flexion-mobility",
    Condition.LOW_BACK_PAIN: "lbp-core-stability",
    Condition.HIP: "hip-strength-mobility",
    Condition.SHOULDER: "shoulder-posture-scapular-strength",
    # Members seen for something else start on general trunk stability.
    Condition.OTHER: "lbp-core-stability",
}


def _at(day: date) -> datetime:
    """Mid-afternoon UTC: the same local date in every demo member's zone but the Pacific ones,
    where it is the morning."""
    return datetime.combine(day, time(16, 0), tzinfo=UTC)


def _current(plan: Plan) -> list[PlanItem]:
    return list(
        PlanItem.objects.filter(plan=plan, valid_to_revision__isnull=True)
        .select_related("exercise__progression")
        .order_by("order", "id")
    )


def _progress_dose(plan: Plan, at: datetime) -> None:
    items = _current(plan)
    body: list[services.ItemInput] = [{"id": i.pk} for i in items]
    for index, item in enumerate(items):
        if item.reps and item.reps <= 90:
            body[index] = {"id": item.pk, "reps": item.reps + 2}
            break
    services.revise_plan(
        user=plan.author.user,  # type: ignore[union-attr]
        plan=plan,
        reason="Two weeks in, no flare-ups: progress the reps.",
        items=body,
        at=at,
    )


def _swap_exercise(plan: Plan, at: datetime) -> bool:
    items = _current(plan)
    for index, item in enumerate(items):
        harder = item.exercise.progression
        if harder is not None and harder.organization_id is None:
            body: list[services.ItemInput] = [{"id": i.pk} for i in items]
            body[index] = {"id": item.pk, "exercise": harder.pk}
            services.revise_plan(
                user=plan.author.user,  # type: ignore[union-attr]
                plan=plan,
                reason=f"{item.exercise.name} is easy now: move on to {harder.name}.",
                items=body,
                at=at,
            )
            return True
    return False


def _pause(plan: Plan, paused: datetime, resumed: datetime) -> None:
    author = plan.author.user  # type: ignore[union-attr]
    services.revise_plan(
        user=author,
        plan=plan,
        reason="Flare-up after gardening: rest a few days.",
        status="paused",
        at=paused,
    )
    services.revise_plan(
        user=author,
        plan=plan,
        reason="Symptoms settled: back to the program.",
        status="active",
        at=resumed,
    )


def seed_demo_plans(*, say: Callable[[str], object] | None = None) -> int:
    """Writes a plan for each demo member without one. Returns how many were written."""
    today = timezone.now().date()
    start = today - timedelta(days=PLAN_START_DAYS_AGO)
    templates = {
        t.slug: t for t in PlanTemplate.objects.filter(organization__isnull=True, is_active=True)
    }
    written = 0
    members = Member.objects.filter(plans__isnull=True).select_related("user").order_by("pk")
    for index, member in enumerate(members):
        therapist = access.primary_therapist(member)
        template = templates.get(TEMPLATE_FOR.get(member.condition, ""))
        if therapist is None or template is None:
            if say is not None:
                say(
                    f"  skipped {member.user.username}: no PT or no template for "
                    f"{member.condition} (load_templates first)\n"
                )
            continue
        plan_start = start + timedelta(days=index % 5)
        result = services.create_plan(
            user=therapist.user,
            member_id=member.pk,
            title=template.name.split(":")[0] + " home program",
            start_date=plan_start,
            status="active",
            template_id=template.pk,
            goals="Walk 30 minutes without stopping; sleep through the night.",
            note_to_member="Do these at a steady pace. Stop an exercise that makes your symptoms "
            "worse and keep them worse; mild discomfort that passes is fine.",
            reason="First visit: starting program.",
            at=_at(plan_start),
        )
        plan = result.plan
        kind = index % 4
        if kind in (0, 1):
            _progress_dose(plan, _at(plan_start + timedelta(days=14)))
        if kind == 1 and not _swap_exercise(plan, _at(plan_start + timedelta(days=28))):
            _progress_dose(plan, _at(plan_start + timedelta(days=28)))
        if kind == 2:
            _pause(plan, _at(plan_start + timedelta(days=21)), _at(plan_start + timedelta(days=25)))
        written += 1
    return written
