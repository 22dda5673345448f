"""Writes to the exercise library: a PT's own exercises (create, update), the global fixture
load.

Validation speaks to the person writing: every error names its field (`regions`, `dose.reps`,
`instructions[2]`). Ids of linked exercises are resolved through access.visible_exercises, so an
exercise the writer may not see is a 400 on that field, decided before anything is written.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from exercise_tracker import access, readcache
from members.models import Role, User
from programs.models import (
    BodyRegion,
    Category,
    Dosing,
    Equipment,
    Exercise,
    MovementBias,
    Position,
    PrecautionTag,
    Region,
    Side,
)
from programs.models.templates import ITEM_RANGES
from programs.services.numbers import clean_numbers, whole_number

DIFFICULTY_RANGE = (1, 3)
MAX_STEPS = 12
MAX_CUES = 8
MAX_PRECAUTIONS = 8
MAX_TEXT = 300  # one step, cue or precaution
NAME_MAX = 120
SUMMARY_MAX = 240
DOSE_NOTE_MAX = 200
SLUG_ATTEMPTS = 50

# Model field of each dose key (the API and the fixture say `dose.sets`; the row `default_sets`).
DOSE_FIELDS = {
    "sets": "default_sets",
    "reps": "default_reps",
    "hold_seconds": "default_hold_seconds",
    "duration_seconds": "default_duration_seconds",
    "rest_seconds": "default_rest_seconds",
    "side": "default_side",
    "times_per_day": "default_times_per_day",
    "note": "dose_note",
    "dosing": "dosing",
}
# An exercise's default dose has no effort target: a PT sets one on the plan.
DOSE_RANGES = {name: limits for name, limits in ITEM_RANGES.items() if name != "target_rpe"}
# What a dose of each kind must give, so that a plan item started from it is valid.
DOSE_NEEDS: dict[str, tuple[str, ...]] = {
    Dosing.REPS: ("reps",),
    Dosing.HOLD: ("hold_seconds",),
    Dosing.REPS_HOLD: ("reps", "hold_seconds"),
    Dosing.DURATION: ("duration_seconds",),
}
# Scalar fields a writer may set, besides the lists, the dose, links and many-to-many fields.
TEXT_FIELDS = {"name": NAME_MAX, "summary": SUMMARY_MAX}
CHOICE_FIELDS = {
    "category": Category,
    "position": Position,
    "movement_bias": MovementBias,
}
LIST_FIELDS = {
    "instructions": (MAX_STEPS, True),
    "cues": (MAX_CUES, False),
    "precautions": (MAX_PRECAUTIONS, False),
}
WRITABLE = {
    *TEXT_FIELDS,
    *CHOICE_FIELDS,
    *LIST_FIELDS,
    "difficulty",
    "regions",
    "equipment",
    "dose",
    "regression",
    "progression",
    "is_active",
    "precaution_tags",
}


# --- validation -------------------------------------------------------------------------------


def _choices(enum: Any) -> str:
    return ", ".join(enum.values)


def _int(value: Any) -> int | None:
    number = whole_number(value)
    return number if number is None or number >= 0 else None


def _clean_text_list(
    value: Any, name: str, limit: int, required: bool, errors: dict[str, list[str]]
) -> list[str] | None:
    if not isinstance(value, list | tuple):
        errors[name] = ["Give a list of short texts, one per line."]
        return None
    items = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            errors[f"{name}[{index}]"] = ["Give text."]
            continue
        text = " ".join(item.split())
        if len(text) > MAX_TEXT:
            errors[f"{name}[{index}]"] = [f"Keep each line to {MAX_TEXT} characters or fewer."]
        elif text:
            items.append(text)
    if required and not items and name not in errors:
        errors[name] = ["Give at least one step."]
    if len(items) > limit:
        errors[name] = [f"At most {limit} lines."]
    return items


def _clean_dose(raw: Any, base: Mapping[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """The dose over `base` (the current one, or none). Returns model field values."""
    if not isinstance(raw, Mapping):
        errors["dose"] = ["Give the default dose as an object (dosing, sets, reps, ...)."]
        return {}
    dose = dict(base)
    unknown = sorted(set(raw) - set(DOSE_FIELDS))
    if unknown:
        errors["dose"] = [f"Unknown dose fields: {', '.join(unknown)}."]
    if "dosing" in raw:
        if raw["dosing"] in Dosing.values:
            dose["dosing"] = raw["dosing"]
        else:
            errors["dose.dosing"] = [f"Choose one of: {_choices(Dosing)}."]
    numbers, number_errors = clean_numbers(
        raw, DOSE_RANGES, prefix="dose", required=("sets", "times_per_day")
    )
    dose.update(numbers)
    errors.update(number_errors)
    if "side" in raw:
        if raw["side"] in Side.values:
            dose["side"] = raw["side"]
        else:
            errors["dose.side"] = [f"Choose one of: {_choices(Side)}."]
    if "note" in raw:
        note = raw["note"] if raw["note"] is not None else ""
        if not isinstance(note, str):
            errors["dose.note"] = ["Give text."]
        elif len(note.strip()) > DOSE_NOTE_MAX:
            errors["dose.note"] = [f"At most {DOSE_NOTE_MAX} characters."]
        else:
            dose["note"] = note.strip()
    dosing = dose.get("dosing") or Dosing.REPS
    for key in DOSE_NEEDS.get(dosing, ()):
        if dose.get(key) is None and f"dose.{key}" not in errors:
            label = Dosing(dosing).label.lower()
            errors[f"dose.{key}"] = [f"A dose counted in {label} needs {key}."]
    return {DOSE_FIELDS[key]: value for key, value in dose.items() if key in DOSE_FIELDS}


def dose_of(exercise: Exercise) -> dict[str, Any]:
    """The default dose as the API and the fixture write it."""
    return {key: getattr(exercise, attr) for key, attr in DOSE_FIELDS.items()}


Errors = dict[str, list[str]]


@dataclass
class CleanExercise:
    values: dict[str, Any] = field(default_factory=dict)  # model fields
    regions: list[str] | None = None
    equipment: list[Equipment] | None = None
    links: dict[str, Exercise | None] = field(default_factory=dict)


def _resolve_link(
    raw: Any,
    name: str,
    *,
    user: User | None,
    exercise: Exercise | None,
    organization_id: int | None,
    errors: dict[str, list[str]],
) -> Exercise | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, Exercise):  # the fixture loader passes rows it resolved itself
        return raw
    pk = _int(raw)
    found = access.visible_exercises(user).filter(pk=pk).first() if pk is not None else None
    if found is None:
        errors[name] = ["No such exercise in your library."]
        return None
    if exercise is not None and found.pk == exercise.pk:
        errors[name] = ["An exercise cannot be its own easier or harder version."]
        return None
    if organization_id is None and found.organization_id is not None:
        # Everyone sees the global library: its links must not point into one clinic's exercises.
        errors[name] = ["A global exercise may only link to global exercises."]
        return None
    return found


def _clean_fields(data: Mapping[str, Any], clean: CleanExercise, errors: Errors) -> None:
    """The exercise's own columns: texts, choices, lists of steps, difficulty, active."""
    for name, limit in TEXT_FIELDS.items():
        if name not in data:
            continue
        value = data[name]
        text = " ".join(value.split()) if isinstance(value, str) else None
        if text is None:
            errors[name] = ["Give text."]
        elif name == "name" and not text:
            errors[name] = ["Give the exercise a name."]
        elif len(text) > limit:
            errors[name] = [f"At most {limit} characters."]
        else:
            clean.values[name] = text
    for name, enum in CHOICE_FIELDS.items():
        if name in data:
            if data[name] in enum.values:
                clean.values[name] = data[name]
            else:
                errors[name] = [f"Choose one of: {_choices(enum)}."]
    for name, (limit, required) in LIST_FIELDS.items():
        if name in data:
            items = _clean_text_list(data[name], name, limit, required, errors)
            if items is not None:
                clean.values[name] = items
    if "difficulty" in data:
        number = _int(data["difficulty"])
        low, high = DIFFICULTY_RANGE
        if number is None or not low <= number <= high:
            errors["difficulty"] = [f"Give a level from {low} (easiest) to {high}."]
        else:
            clean.values["difficulty"] = number
    if "precaution_tags" in data:
        raw = data["precaution_tags"]
        if not isinstance(raw, list | tuple) or any(tag not in PrecautionTag.values for tag in raw):
            errors["precaution_tags"] = [f"Choose from: {_choices(PrecautionTag)}."]
        else:
            clean.values["precaution_tags"] = list(dict.fromkeys(raw))
    if "is_active" in data:
        if isinstance(data["is_active"], bool):
            clean.values["is_active"] = data["is_active"]
        else:
            errors["is_active"] = ["Give true or false."]


def _clean_regions(raw: Any, errors: Errors) -> list[str] | None:
    if not isinstance(raw, list | tuple) or not raw:
        errors["regions"] = ["Give at least one body region."]
    elif any(code not in Region.values for code in raw):
        errors["regions"] = [f"Choose from: {_choices(Region)}."]
    else:
        return list(dict.fromkeys(raw))
    return None


def _clean_equipment(raw: Any, errors: Errors) -> list[Equipment] | None:
    if not isinstance(raw, list | tuple) or not all(isinstance(s, str) for s in raw):
        errors["equipment"] = ["Give a list of equipment slugs."]
        return None
    found = {e.slug: e for e in Equipment.objects.filter(slug__in=raw)}
    missing = [slug for slug in raw if slug not in found]
    if missing:
        errors["equipment"] = [f"Unknown equipment: {', '.join(missing)}."]
        return None
    return [found[slug] for slug in dict.fromkeys(raw)]


def _clean_default_dose(raw: Any, exercise: Exercise | None, errors: Errors) -> dict[str, Any]:
    """The default dose given over the exercise's own (a new exercise's: 1 set, both sides)."""
    base = dict.fromkeys(DOSE_FIELDS) | {
        "dosing": Dosing.REPS,
        "side": Side.BOTH,
        "times_per_day": 1,
        "sets": 1,
        "note": "",
    }
    if exercise is not None:
        base = dose_of(exercise)
    return _clean_dose(raw, base, errors)


def clean_exercise(
    *,
    user: User | None,
    data: Mapping[str, Any],
    exercise: Exercise | None = None,
    organization_id: int | None = None,
) -> CleanExercise:
    """Checks the given fields (all required ones when `exercise` is None: a create).

    Raises ValidationError naming every field that is wrong.
    """
    errors: Errors = {}
    clean = CleanExercise()
    unknown = sorted(set(data) - WRITABLE)
    if unknown:
        errors["non_field_errors"] = [f"Unknown fields: {', '.join(unknown)}."]
    if exercise is None:
        for name in ("name", "category", "position", "regions", "instructions", "dose"):
            if name not in data:
                errors[name] = ["This field is required."]
    _clean_fields(data, clean, errors)
    if "regions" in data:
        clean.regions = _clean_regions(data["regions"], errors)
    if "equipment" in data:
        clean.equipment = _clean_equipment(data["equipment"], errors)
    if "dose" in data:
        clean.values.update(_clean_default_dose(data["dose"], exercise, errors))
    for name in ("regression", "progression"):
        if name in data:
            clean.links[name] = _resolve_link(
                data[name],
                name,
                user=user,
                exercise=exercise,
                organization_id=organization_id,
                errors=errors,
            )
    if errors:
        raise ValidationError(errors)
    return clean


# --- writes -----------------------------------------------------------------------------------


def _unique_slug(name: str, organization_id: int, *, taken: Iterable[str] = ()) -> str:
    base = slugify(name)[:100] or "exercise"
    existing = set(
        Exercise.objects.filter(organization_id=organization_id, slug__startswith=base).values_list(
            "slug", flat=True
        )
    ) | set(taken)
    if base not in existing:
        return base
    for number in range(2, SLUG_ATTEMPTS + 2):
        candidate = f"{base}-{number}"
        if candidate not in existing:
            return candidate
    return f"{base}-{timezone.now():%Y%m%d%H%M%S%f}"


def _apply(exercise: Exercise, clean: CleanExercise) -> None:
    if clean.regions is not None:
        exercise.regions.set(clean.regions)  # type: ignore[arg-type]  # keyed by code, a str
    if clean.equipment is not None:
        exercise.equipment.set(clean.equipment)


def create_exercise(*, user: User, data: Mapping[str, Any]) -> Exercise:
    """A PT's new exercise, owned by their organization; the slug comes from the name."""
    if getattr(user, "role", None) != Role.THERAPIST or user.organization_id is None:
        raise PermissionError("Only a physical therapist adds exercises to their organization.")
    organization_id = user.organization_id
    clean = clean_exercise(user=user, data=data, organization_id=organization_id)
    taken: list[str] = []
    for _ in range(3):
        slug = _unique_slug(clean.values["name"], organization_id, taken=taken)
        try:
            with transaction.atomic():
                exercise = Exercise(
                    organization_id=organization_id,
                    slug=slug,
                    created_by=user,
                    **clean.values,
                    **clean.links,
                )
                exercise.save()
                _apply(exercise, clean)
            return exercise
        except IntegrityError:
            # Another PT of the clinic took the same slug a moment ago: try the next one.
            taken.append(slug)
    raise ValidationError({"name": ["Could not make a unique address for this name; rename it."]})


@transaction.atomic
def update_exercise(*, user: User, exercise: Exercise, data: Mapping[str, Any]) -> Exercise:
    """Changes the given fields of an exercise the user may edit (the caller checked that).

    The slug stays as it was: plans, templates and links keep pointing at the same address.
    """
    locked = Exercise.objects.select_for_update().get(pk=exercise.pk)
    clean = clean_exercise(
        user=user, data=data, exercise=locked, organization_id=locked.organization_id
    )
    changed = {**clean.values, **clean.links}
    for name, value in changed.items():
        setattr(locked, name, value)
    if changed:
        locked.save()
    _apply(locked, clean)
    if not changed and (clean.regions is not None or clean.equipment is not None):
        Exercise.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    readcache.library_changed(locked.organization_id)  # lists, plans and todays showing it
    return locked


# --- the global library fixture ---------------------------------------------------------------


class LibraryError(ValueError):
    """The fixture is wrong; the message names the exercise and field."""


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    equipment_created: int = 0
    links_changed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.equipment_created or self.links_changed)


Progress = Callable[[int, int, str], None]

# Row fields the fixture sets, compared to decide whether a row changed.
FIXTURE_FIELDS = (
    "name",
    "summary",
    "category",
    "position",
    "difficulty",
    "movement_bias",
    "instructions",
    "cues",
    "precautions",
    "precaution_tags",
    *DOSE_FIELDS.values(),
)
FIXTURE_DEFAULTS: dict[str, Any] = {
    "summary": "",
    "difficulty": 1,
    "movement_bias": MovementBias.NEUTRAL,
    "cues": [],
    "precautions": [],
    "precaution_tags": [],
}


def _fixture_values(spec: Mapping[str, Any], equipment: set[str]) -> CleanExercise:
    slug = spec.get("slug") or "?"
    data = {key: spec[key] for key in WRITABLE - {"regression", "progression"} if key in spec}
    unknown_equipment = [s for s in spec.get("equipment", []) if s not in equipment]
    if unknown_equipment:
        raise LibraryError(f"{slug}: equipment {', '.join(unknown_equipment)} is not listed.")
    data.pop("equipment", None)
    try:
        # No user: the fixture names no ids, only slugs resolved by the loader.
        clean = clean_exercise(user=None, data=data)
    except ValidationError as exc:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        raise LibraryError(f"{slug}: {problems}") from exc
    # What the fixture leaves out takes the model's default, so that a second load compares equal.
    clean.values = copy.deepcopy(FIXTURE_DEFAULTS) | clean.values
    return clean


@transaction.atomic
def _check_slugs(slugs: list[Any]) -> None:
    duplicates = sorted({s for s in slugs if slugs.count(s) > 1 and s})
    if duplicates:
        raise LibraryError(f"Slugs appear twice: {', '.join(duplicates)}.")
    if not all(isinstance(s, str) and s == slugify(s) for s in slugs):
        raise LibraryError("Every exercise needs a slug of lowercase letters, digits and dashes.")


def _load_equipment(data: Mapping[str, Any], result: LoadResult) -> dict[str, Equipment]:
    """The body regions and the fixture's equipment (created or renamed), by slug."""
    BodyRegion.objects.bulk_create(
        [BodyRegion(code=code) for code in Region.values], ignore_conflicts=True
    )
    equipment_specs = {e["slug"]: e["name"] for e in data.get("equipment", [])}
    equipment = {e.slug: e for e in Equipment.objects.filter(slug__in=equipment_specs)}
    new_equipment = [
        Equipment(slug=slug, name=name)
        for slug, name in equipment_specs.items()
        if slug not in equipment
    ]
    Equipment.objects.bulk_create(new_equipment)
    result.equipment_created = len(new_equipment)
    renamed = [e for e in equipment.values() if e.name != equipment_specs[e.slug]]
    for item in renamed:
        item.name = equipment_specs[item.slug]
    Equipment.objects.bulk_update(renamed, ["name"])
    return {e.slug: e for e in Equipment.objects.filter(slug__in=equipment_specs)}


def _global_rows(slugs: list[Any]) -> dict[str, Exercise]:
    return {
        e.slug: e
        for e in Exercise.objects.filter(organization__isnull=True, slug__in=slugs)
        .prefetch_related("regions", "equipment")
        .order_by()
    }


@dataclass
class _Written:
    cleaned: dict[str, CleanExercise] = field(default_factory=dict)
    created: list[Exercise] = field(default_factory=list)
    updated: list[Exercise] = field(default_factory=list)


def _write_exercises(
    specs: Sequence[Mapping[str, Any]],
    equipment: dict[str, Equipment],
    *,
    now: datetime,
    progress: Progress | None,
) -> _Written:
    """Creates the new exercises and updates those whose columns differ (no other write)."""
    existing = _global_rows([spec.get("slug") for spec in specs])
    written = _Written()
    for done, spec in enumerate(specs, start=1):
        clean = _fixture_values(spec, set(equipment))
        slug = spec["slug"]
        written.cleaned[slug] = clean
        row = existing.get(slug)
        if row is None:
            written.created.append(Exercise(slug=slug, organization=None, **clean.values))
        elif any(getattr(row, f) != clean.values.get(f) for f in FIXTURE_FIELDS):
            for name in FIXTURE_FIELDS:
                setattr(row, name, clean.values.get(name))
            row.updated_at = now
            written.updated.append(row)
        if progress:
            progress(done, len(specs), "exercises")
    Exercise.objects.bulk_create(written.created)
    if written.updated:
        Exercise.objects.bulk_update(written.updated, [*FIXTURE_FIELDS, "updated_at"])
    return written


def _sync_tags(
    specs: Sequence[Mapping[str, Any]],
    rows: dict[str, Exercise],
    cleaned: dict[str, CleanExercise],
    equipment: dict[str, Equipment],
) -> set[str]:
    """Regions and equipment as the fixture lists them; returns the slugs whose tags changed."""
    region_through = Exercise.regions.through
    equipment_through = Exercise.equipment.through
    add_regions, add_equipment = [], []
    drop_regions: list[tuple[int, str]] = []
    drop_equipment: list[tuple[int, int]] = []
    changed: set[str] = set()
    for spec in specs:
        row = rows[spec["slug"]]
        want_regions = set(cleaned[row.slug].regions or [])
        have_regions = {r.code for r in row.regions.all()}
        want_equipment = {equipment[s].pk for s in spec.get("equipment", [])}
        have_equipment = {e.pk for e in row.equipment.all()}
        if want_regions != have_regions or want_equipment != have_equipment:
            changed.add(row.slug)
        add_regions += [
            region_through(exercise_id=row.pk, bodyregion_id=code)
            for code in want_regions - have_regions
        ]
        drop_regions += [(row.pk, code) for code in have_regions - want_regions]
        add_equipment += [
            equipment_through(exercise_id=row.pk, equipment_id=pk)
            for pk in want_equipment - have_equipment
        ]
        drop_equipment += [(row.pk, pk) for pk in have_equipment - want_equipment]
    region_through.objects.bulk_create(add_regions)
    equipment_through.objects.bulk_create(add_equipment)
    for exercise_id, code in drop_regions:
        region_through.objects.filter(exercise_id=exercise_id, bodyregion_id=code).delete()
    for exercise_id, pk in drop_equipment:
        equipment_through.objects.filter(exercise_id=exercise_id, equipment_id=pk).delete()
    return changed


def _link(specs: Sequence[Mapping[str, Any]], rows: dict[str, Exercise]) -> list[Exercise]:
    """Easier and harder versions, by slug; returns the exercises whose links changed."""
    linked = []
    for spec in specs:
        row = rows[spec["slug"]]
        changed = False
        for name in ("regression", "progression"):
            target = spec.get(name)
            if target is not None and target not in rows:
                raise LibraryError(f"{row.slug}: {name} {target!r} is not in the library.")
            if target == row.slug:
                raise LibraryError(f"{row.slug}: {name} points at itself.")
            target_id = rows[target].pk if target else None
            if getattr(row, f"{name}_id") != target_id:
                setattr(row, f"{name}_id", target_id)
                changed = True
        if changed:
            linked.append(row)
    if linked:
        Exercise.objects.bulk_update(linked, ["regression", "progression"])
    return linked


@transaction.atomic
def load_library(*, data: Mapping[str, Any], progress: Progress | None = None) -> LoadResult:
    """Creates or updates the global library from the fixture's data, by slug; idempotent.

    A row is written only when a field differs, so a second load changes nothing (not even
    `updated_at`). Exercises missing from the fixture are left alone: plans may point at them.
    """
    result = LoadResult()
    specs: Sequence[Mapping[str, Any]] = data.get("exercises", [])
    slugs = [spec.get("slug") for spec in specs]
    _check_slugs(slugs)
    # Regions and equipment first: exercises point at them.
    equipment = _load_equipment(data, result)
    now = timezone.now()
    written = _write_exercises(specs, equipment, now=now, progress=progress)
    result.created = len(written.created)
    # Re-read: bulk_create does not give primary keys back on every database.
    rows = _global_rows(slugs)
    tags_changed = _sync_tags(specs, rows, written.cleaned, equipment)
    # Links last: an exercise may point at one defined further down the file.
    linked = _link(specs, rows)
    result.links_changed = len(linked)

    created = {e.slug for e in written.created}
    rewritten = {row.slug for row in written.updated}
    updated = (rewritten | tags_changed | {r.slug for r in linked}) - created
    touch = updated - rewritten
    if touch:
        Exercise.objects.filter(organization__isnull=True, slug__in=touch).update(updated_at=now)
    readcache.library_changed(None)  # bulk writes send no signals: the global library changed
    result.updated = len(updated)
    result.unchanged = len(specs) - result.created - result.updated
    return result
