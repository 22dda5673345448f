"""The parts of `make bench` that run inside Django (through `manage.py shell -c`), against the
benchmark database: the ids the scenarios need, the thumbnail rate, and clean-up afterwards."""

from __future__ import annotations

import json
import statistics
import time

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
