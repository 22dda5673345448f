"""Reads of the exercise library: the card list, one exercise's page, search."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from exercise_tracker import access
from members.models import Role
from programs.models import Exercise, ExerciseImage

MAX_SEARCH_TERMS = 8


def main_image_prefetch() -> Prefetch:
    # One query for the whole page; the card needs the main picture only.
    images = ExerciseImage.objects.filter(is_main=True).only(
        "id", "exercise_id", "thumbnail_small", "thumbnail_large", "alt_text", "width", "height"
    )
    return Prefetch("images", queryset=images, to_attr="main_images")


def library_cards(user: Any) -> QuerySet[Exercise]:
    """Exercises this user may see, as cards: regions, equipment and the main picture prefetched.

    Inactive exercises drop out of the list (staff still see them); their pages stay reachable
    because plans may still name them.
    """
    qs = access.visible_exercises(user).prefetch_related(
        "regions", "equipment", main_image_prefetch()
    )
    if getattr(user, "role", None) != Role.STAFF:
        qs = qs.filter(is_active=True)
    return qs


# The card's own columns: read as plain values, not model instances (a page of 20 cards is
# the library's hot path: instances, prefetch managers and serializer fields cost more than
# the queries).
CARD_COLUMNS = (
    "id",
    "name",
    "slug",
    "summary",
    "category",
    "position",
    "difficulty",
    "movement_bias",
    "dosing",
    "organization_id",
)


def library_card_rows(user: Any) -> QuerySet[Any]:
    """The same exercises as `library_cards`, as rows of CARD_COLUMNS, for `card_dicts`."""
    qs = access.visible_exercises(user)
    if getattr(user, "role", None) != Role.STAFF:
        qs = qs.filter(is_active=True)
    return qs


def card_dicts(rows: list[dict[str, Any]], *, absolute: Any) -> list[dict[str, Any]]:
    """Cards for a page of exercise rows in three more queries (regions, equipment, main
    pictures), whatever the page size. `absolute` turns a media URL into an absolute one."""
    ids = [row["id"] for row in rows]
    regions: dict[int, list[str]] = {i: [] for i in ids}
    equipment: dict[int, list[str]] = {i: [] for i in ids}
    pictures: dict[int, tuple[str, str | None]] = {}
    if ids:
        through = Exercise.regions.through.objects.filter(exercise_id__in=ids)
        for exercise_id, code in through.order_by("bodyregion_id").values_list(
            "exercise_id", "bodyregion_id"
        ):
            regions[exercise_id].append(code)
        kit = Exercise.equipment.through.objects.filter(exercise_id__in=ids)
        for exercise_id, slug in kit.order_by("equipment__name").values_list(
            "exercise_id", "equipment__slug"
        ):
            equipment[exercise_id].append(slug)
        mains = ExerciseImage.objects.filter(exercise_id__in=ids, is_main=True)
        for exercise_id, small, text in mains.values_list(
            "exercise_id", "thumbnail_small", "alt_text"
        ):
            pictures[exercise_id] = (small, text)
    field = ExerciseImage._meta.get_field("thumbnail_small")
    storage = field.storage
    cards = []
    for row in rows:
        thumb, alt = pictures.get(row["id"], ("", None))
        cards.append(
            {
                "id": row["id"],
                "name": row["name"],
                "slug": row["slug"],
                "summary": row["summary"],
                "category": row["category"],
                "regions": regions[row["id"]],
                "equipment": equipment[row["id"]],
                "position": row["position"],
                "difficulty": row["difficulty"],
                "movement_bias": row["movement_bias"],
                "dosing": row["dosing"],
                "is_global": row["organization_id"] is None,
                "thumbnail": absolute(storage.url(thumb)) if thumb else None,
                "thumbnail_alt_text": alt,
            }
        )
    return cards


def exercise_pages(user: Any) -> QuerySet[Exercise]:
    """Exercises this user may open, with everything their page shows in a fixed few queries."""
    images = ExerciseImage.objects.order_by("order", "id")
    return (
        access.visible_exercises(user)
        .select_related("regression", "progression", "organization")
        .prefetch_related("regions", "equipment", Prefetch("images", queryset=images))
    )


def plan_exercise_pages(user: Any) -> QuerySet[Exercise]:
    """Exercises a member may open (those of their own plans), with their pictures."""
    images = ExerciseImage.objects.order_by("-is_main", "order", "id")
    return access.plan_exercises(user).prefetch_related(Prefetch("images", queryset=images))


def _json_text(term: str) -> str:
    # JSON lists are stored as text with non-ASCII letters and quotes escaped on some databases
    # (SQLite): search for that spelling too.
    return json.dumps(term)[1:-1]


def search(qs: QuerySet[Exercise], text: str) -> QuerySet[Exercise]:
    """Every word must appear in the name, summary, cues or steps (any case); name hits first."""
    terms = text.split()[:MAX_SEARCH_TERMS]
    for term in terms:
        match = Q(name__icontains=term) | Q(summary__icontains=term)
        for spelling in {term, _json_text(term)}:
            match |= Q(cues__icontains=spelling) | Q(instructions__icontains=spelling)
        qs = qs.filter(match)
    if terms:
        in_name = Q()
        for term in terms:
            in_name &= Q(name__icontains=term)
        qs = qs.annotate(
            name_rank=Case(
                When(in_name, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
    return qs


def main_image(exercise: Exercise) -> ExerciseImage | None:
    images: list[ExerciseImage] = getattr(exercise, "main_images", None) or []
    return images[0] if images else None
