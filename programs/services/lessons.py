"""Writes about lessons: loading the shared library from its fixture (idempotent, versioned),
drawing their pictures, choosing a plan's lessons, and recording a member's first read."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from exercise_tracker import access, audit
from exercise_tracker.models import AuditAction
from exercise_tracker.rows import insert_rows
from members.models import User
from programs.models import Lesson, LessonRead, Plan, PlanLesson, PlanTemplate

SECTION_INCLUDES = frozenset({"red_flags"})
MAX_LESSONS_PER_PLAN = 20
# The fields of a lesson its `version` covers: change one, raise the version.
WORDED_FIELDS = ("title", "summary", "minutes", "sections", "picture_spec")


class LessonError(ValueError):
    """The lesson fixture is wrong; nothing was changed."""


@dataclass
class LessonLoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    links_changed: int = 0
    pictures: int = 0
    missing_templates: tuple[str, ...] = ()


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LessonError(f"{where}: a list of sentences.")
    return [v.strip() for v in value]


def _check_sections(raw: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise LessonError(f"{where}: at least one section.")
    out: list[dict[str, Any]] = []
    for index, section in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(section, Mapping):
            raise LessonError(f"{at}: a section is an object.")
        if "include" in section:
            if section["include"] not in SECTION_INCLUDES or len(section) != 1:
                raise LessonError(f"{at}: include one of {', '.join(sorted(SECTION_INCLUDES))}.")
            out.append({"include": section["include"]})
            continue
        unknown = set(section) - {"heading", "paragraphs", "bullets"}
        if unknown:
            raise LessonError(f"{at}: unknown key {sorted(unknown)[0]!r}.")
        heading = section.get("heading")
        if not isinstance(heading, str) or not heading.strip():
            raise LessonError(f"{at}: a heading.")
        clean: dict[str, Any] = {"heading": heading.strip()}
        for key in ("paragraphs", "bullets"):
            if key in section:
                clean[key] = _strings(section[key], f"{at}.{key}")
        if len(clean) == 1:
            raise LessonError(f"{at}: paragraphs or bullets.")
        out.append(clean)
    return out


def _check_spec(spec: Any, position: int) -> dict[str, Any]:
    """One lesson of the fixture, checked and in the shape stored."""
    if not isinstance(spec, Mapping):
        raise LessonError(f"lessons[{position}]: a lesson is an object.")
    slug = spec.get("slug")
    where = f"lessons.{slug or position}"
    if not isinstance(slug, str) or not slug.strip():
        raise LessonError(f"lessons[{position}]: a slug.")
    version = spec.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise LessonError(f"{where}: version is a whole number from 1.")
    minutes = spec.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 15:
        raise LessonError(f"{where}: minutes is a whole number from 1 to 15.")
    for key, limit in (("title", 120), ("summary", 300)):
        if not isinstance(spec.get(key), str) or not 0 < len(spec[key].strip()) <= limit:
            raise LessonError(f"{where}: {key} of 1 to {limit} characters.")
    picture = spec.get("picture") or {}
    if picture:
        from programs.figures import PoseError
        from programs.lesson_figures import check_picture

        try:
            check_picture(picture, f"{where}.picture")
        except PoseError as exc:
            raise LessonError(str(exc)) from exc
    templates = spec.get("suggested_for", [])
    if not isinstance(templates, list):
        raise LessonError(f"{where}: suggested_for is a list of template slugs.")
    return {
        "slug": slug,
        "version": version,
        "order": position,
        "title": spec["title"].strip(),
        "summary": spec["summary"].strip(),
        "minutes": minutes,
        "sections": _check_sections(spec.get("sections"), f"{where}.sections"),
        "picture_spec": dict(picture),
        "suggested_for": [str(s) for s in templates],
    }


@transaction.atomic
def load_lessons(*, data: Mapping[str, Any]) -> LessonLoadResult:
    """Creates or updates the shared lessons by slug; idempotent (an unchanged lesson is not
    written). A lesson whose words changed must carry a higher version than the stored one, and
    a fixture older than what is stored is refused: a member's read names the version read."""
    raw = data.get("lessons")
    if not isinstance(raw, list):
        raise LessonError("The file needs a 'lessons' list.")
    specs = [_check_spec(spec, position) for position, spec in enumerate(raw)]
    slugs = [s["slug"] for s in specs]
    if len(set(slugs)) != len(slugs):
        raise LessonError("Two lessons share a slug.")
    stored = {lesson.slug: lesson for lesson in Lesson.objects.filter(slug__in=slugs)}
    templates = {
        t.slug: t
        for t in PlanTemplate.objects.filter(
            organization__isnull=True, slug__in={s for spec in specs for s in spec["suggested_for"]}
        )
    }
    result = LessonLoadResult()
    now = timezone.now()
    missing: set[str] = set()
    for spec in specs:
        lesson = stored.get(spec["slug"])
        fields = {k: spec[k] for k in (*WORDED_FIELDS, "version", "order")}
        if lesson is None:
            lesson = Lesson.objects.create(
                slug=spec["slug"], created_at=now, updated_at=now, **fields
            )
            result.created += 1
        else:
            worded = any(getattr(lesson, k) != spec[k] for k in WORDED_FIELDS)
            if spec["version"] < lesson.version:
                raise LessonError(
                    f"lessons.{lesson.slug}: version {spec['version']} is older than the stored "
                    f"version {lesson.version}."
                )
            if worded and spec["version"] == lesson.version:
                raise LessonError(
                    f"lessons.{lesson.slug}: its words changed: raise its version "
                    f"(now {lesson.version})."
                )
            changed = [k for k, v in fields.items() if getattr(lesson, k) != v]
            if not lesson.is_active:
                lesson.is_active = True
                changed.append("is_active")
            if changed:
                for key in changed:
                    if key != "is_active":
                        setattr(lesson, key, fields[key])
                lesson.updated_at = now
                lesson.save(update_fields=[*changed, "updated_at"])
                result.updated += 1
            else:
                result.unchanged += 1
        wanted = {templates[s].pk for s in spec["suggested_for"] if s in templates}
        missing |= {s for s in spec["suggested_for"] if s not in templates}
        have = set(lesson.suggested_for.values_list("pk", flat=True))
        if wanted != have:
            lesson.suggested_for.set(wanted)
            result.links_changed += 1
    result.missing_templates = tuple(sorted(missing))
    return result


def draw_lesson_pictures(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Draws the picture of each lesson whose picture is missing or older than its version;
    idempotent. Returns how many were drawn."""
    from programs.figures import encode_png
    from programs.lesson_figures import render_lesson_picture

    lessons = [
        lesson
        for lesson in Lesson.objects.exclude(picture_spec={}).order_by("order", "id")
        if lesson.picture_version != lesson.version or not lesson.picture
    ]
    for done, lesson in enumerate(lessons, start=1):
        png = encode_png(render_lesson_picture(lesson.picture_spec, f"lessons.{lesson.slug}"))
        old = lesson.picture.name if lesson.picture else ""
        lesson.picture.save(f"{lesson.slug}.png", ContentFile(png), save=False)
        lesson.picture_alt = str(lesson.picture_spec.get("alt", ""))[:400]
        lesson.picture_version = lesson.version
        lesson.save(update_fields=["picture", "picture_alt", "picture_version"])
        if old and old != lesson.picture.name:
            lesson.picture.storage.delete(old)
        if progress:
            progress(done, len(lessons))
    return len(lessons)


# --- a plan's lessons ---------------------------------------------------------------------------


def clean_lesson_ids(*, user: User, ids: Sequence[int]) -> list[Lesson]:
    """The lessons a PT chose, in their order, through the lessons the PT may assign; an id
    they may not assign (or named twice) is a 400 on `lessons`."""
    if len(ids) > MAX_LESSONS_PER_PLAN:
        raise ValidationError({"lessons": [f"At most {MAX_LESSONS_PER_PLAN} lessons a plan."]})
    if len(set(ids)) != len(ids):
        raise ValidationError({"lessons": ["A lesson is named twice."]})
    found = {lesson.pk: lesson for lesson in access.assignable_lessons(user).filter(pk__in=ids)}
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise ValidationError({"lessons": [f"No lesson you can assign has the id {unknown[0]}."]})
    return [found[i] for i in ids]


def template_lesson_ids(template: PlanTemplate) -> list[int]:
    """The template's active suggested lessons, in order: one query, compiled once."""
    from exercise_tracker.compiled import SENTINELS, compiled

    def build() -> Any:
        return (
            PlanTemplate(pk=SENTINELS[0])
            .suggested_lessons.filter(is_active=True)
            .order_by("order", "id")
            .values_list("pk")
        )

    return [pk for (pk,) in compiled(("template_lesson_ids",), build).rows([template.pk])]


def set_plan_lessons(
    *, plan: Plan, lessons: Iterable[Lesson], at: datetime, new_plan: bool = False
) -> list[str]:
    """Makes the plan's lessons these, in this order; returns the words of the changes for the
    plan's revision. Called inside the plan's transaction. A plan created in this transaction
    (`new_plan`) has none yet: nothing to read or remove, and the rows written are the plan's
    `plan_lessons` as the answer shows them (no read back)."""
    wanted = list(lessons)
    wanted_ids = [lesson.pk for lesson in wanted]
    if new_plan:
        current: dict[int, PlanLesson] = {}
        changes: list[str] = []
    else:
        current = {
            pl.lesson_id: pl for pl in PlanLesson.objects.filter(plan=plan).select_related("lesson")
        }
        changes = [
            f"Removed lesson “{pl.lesson.title}”"
            for pk, pl in current.items()
            if pk not in wanted_ids
        ]
        if any(pk not in wanted_ids for pk in current):
            PlanLesson.objects.filter(plan=plan).exclude(lesson_id__in=wanted_ids).delete()
    new = [
        PlanLesson(plan=plan, lesson=lesson, order=order, added_at=at)
        for order, lesson in enumerate(wanted)
        if lesson.pk not in current
    ]
    if new:
        insert_rows(new)  # as bulk_create (no signals): the plan's writer bumps the member
    if new_plan:
        plan._prefetched_objects_cache = {  # type: ignore[attr-defined]
            **getattr(plan, "_prefetched_objects_cache", {}),
            "plan_lessons": new,
        }
    changes += [f"Added lesson “{pl.lesson.title}”" for pl in new]
    moved = [
        pl
        for order, lesson in enumerate(wanted)
        if (pl := current.get(lesson.pk)) and pl.order != order
    ]
    for pl in moved:
        pl.order = wanted_ids.index(pl.lesson_id)
    if moved:
        PlanLesson.objects.bulk_update(moved, ["order"])
        if not changes:
            changes.append("Lessons reordered")
    return changes


# --- reading --------------------------------------------------------------------------------


def record_lesson_read(*, user: User, lesson_id: int, at: datetime | None = None) -> LessonRead:
    """A member's first read of one of their lessons; reading again changes nothing and returns
    the first read. A lesson not assigned to them does not exist for them (Lesson.DoesNotExist)."""
    member = access.own_member(user)
    lesson = access.visible_lessons(user).get(pk=lesson_id)
    existing = LessonRead.objects.filter(member=member, lesson=lesson).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            read = LessonRead.objects.create(
                member=member, lesson=lesson, read_at=at or timezone.now(), version=lesson.version
            )
            audit.record_write(by=user, action=AuditAction.CREATE, member_id=member.pk, obj=read)
    except IntegrityError:
        # Two taps racing: the other one stored the first read.
        return LessonRead.objects.get(member=member, lesson=lesson)
    return read


__all__ = [
    "LessonError",
    "LessonLoadResult",
    "clean_lesson_ids",
    "draw_lesson_pictures",
    "load_lessons",
    "record_lesson_read",
    "set_plan_lessons",
    "template_lesson_ids",
]
