"""Serializers of `/api/v1/exercises/`: the card (list), the full exercise (detail), the input."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exercise_tracker.api import StrictIntegerField
from programs.models import Category, Dosing, Exercise, MovementBias, Position, Region, Side
from programs.models.templates import (
    DURATION_RANGE,
    HOLD_RANGE,
    REPS_RANGE,
    REST_RANGE,
    SETS_RANGE,
    TIMES_PER_DAY_RANGE,
)
from programs.selectors.library import dose_label, main_image
from programs.services.library import (
    DIFFICULTY_RANGE,
    DOSE_NOTE_MAX,
    MAX_CUES,
    MAX_PRECAUTIONS,
    MAX_STEPS,
    MAX_TEXT,
    NAME_MAX,
    SUMMARY_MAX,
    dose_of,
)

from .images import ExerciseImageSerializer

MAX_ID = 2**63 - 1


def _absolute(request: Any, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


class ExerciseRefSerializer(serializers.Serializer[Exercise]):
    """An easier or harder version, as a link."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)


class DoseSerializer(serializers.Serializer[Any]):
    """The default dose: a starting point a PT changes on the plan."""

    dosing = serializers.ChoiceField(choices=Dosing.choices, required=False)
    sets = serializers.IntegerField(
        min_value=SETS_RANGE[0], max_value=SETS_RANGE[1], required=False
    )
    reps = serializers.IntegerField(
        min_value=REPS_RANGE[0], max_value=REPS_RANGE[1], allow_null=True, required=False
    )
    hold_seconds = serializers.IntegerField(
        min_value=HOLD_RANGE[0], max_value=HOLD_RANGE[1], allow_null=True, required=False
    )
    duration_seconds = serializers.IntegerField(
        min_value=DURATION_RANGE[0], max_value=DURATION_RANGE[1], allow_null=True, required=False
    )
    rest_seconds = serializers.IntegerField(
        min_value=REST_RANGE[0], max_value=REST_RANGE[1], allow_null=True, required=False
    )
    side = serializers.ChoiceField(choices=Side.choices, required=False)
    times_per_day = serializers.IntegerField(
        min_value=TIMES_PER_DAY_RANGE[0], max_value=TIMES_PER_DAY_RANGE[1], required=False
    )
    note = serializers.CharField(max_length=DOSE_NOTE_MAX, allow_blank=True, required=False)
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label
        read_only=True, help_text='As on a handout: "3 x 12, 3 s hold".'
    )


class ExerciseCardSerializer(serializers.Serializer[Exercise]):
    """What a library card shows. `thumbnail` is the main picture's small thumbnail (160 px),
    null until it is made: a list never loads an original."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    category = serializers.ChoiceField(choices=Category.choices, read_only=True)
    regions = serializers.SerializerMethodField(help_text="Body region codes.")
    equipment = serializers.SerializerMethodField(help_text="Equipment slugs.")
    position = serializers.ChoiceField(choices=Position.choices, read_only=True)
    difficulty = serializers.IntegerField(read_only=True)
    movement_bias = serializers.ChoiceField(choices=MovementBias.choices, read_only=True)
    dosing = serializers.ChoiceField(choices=Dosing.choices, read_only=True)
    is_global = serializers.BooleanField(read_only=True)
    thumbnail = serializers.SerializerMethodField()
    thumbnail_alt_text = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail(self, exercise: Exercise) -> str | None:
        image = main_image(exercise)
        if image is None or not image.thumbnail_small:
            return None
        return _absolute(self.context.get("request"), image.thumbnail_small.url)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_thumbnail_alt_text(self, exercise: Exercise) -> str | None:
        image = main_image(exercise)
        return image.alt_text if image is not None else None

    # From the prefetched rows: no query per card.
    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Region.choices)))
    def get_regions(self, exercise: Exercise) -> list[str]:
        return [region.code for region in exercise.regions.all()]

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_equipment(self, exercise: Exercise) -> list[str]:
        return [item.slug for item in exercise.equipment.all()]


class ExerciseDetailSerializer(ExerciseCardSerializer):
    """The whole exercise: steps, cues, precautions, dose, pictures, easier and harder versions."""

    organization = serializers.IntegerField(
        source="organization_id", read_only=True, allow_null=True, help_text="null: global."
    )
    instructions = serializers.ListField(child=serializers.CharField(), read_only=True)
    cues = serializers.ListField(child=serializers.CharField(), read_only=True)
    precautions = serializers.ListField(child=serializers.CharField(), read_only=True)
    dose = serializers.SerializerMethodField()
    images = ExerciseImageSerializer(many=True, read_only=True)
    regression = ExerciseRefSerializer(read_only=True, allow_null=True)
    progression = ExerciseRefSerializer(read_only=True, allow_null=True)
    is_active = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(DoseSerializer)
    def get_dose(self, exercise: Exercise) -> dict[str, Any]:
        dose = dose_of(exercise)
        return {**dose, "label": dose_label(dose)}

    def get_thumbnail(self, exercise: Exercise) -> str | None:
        image = next((i for i in exercise.images.all() if i.is_main), None)
        if image is None or not image.thumbnail_small:
            return None
        return _absolute(self.context.get("request"), image.thumbnail_small.url)

    def get_thumbnail_alt_text(self, exercise: Exercise) -> str | None:
        image = next((i for i in exercise.images.all() if i.is_main), None)
        return image.alt_text if image is not None else None


def _lines(limit: int, required: bool) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=MAX_TEXT, allow_blank=True),
        max_length=limit,
        allow_empty=not required,
        required=False,
    )


class ExerciseWriteSerializer(serializers.Serializer[Any]):
    """POST (all of name, category, position, regions, instructions and dose) and PATCH (any).
    The slug is made from the name; the organization is the PT's: neither is written here."""

    name = serializers.CharField(max_length=NAME_MAX, required=False)
    summary = serializers.CharField(max_length=SUMMARY_MAX, allow_blank=True, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    regions = serializers.ListField(
        child=serializers.ChoiceField(choices=Region.choices), allow_empty=False, required=False
    )
    equipment = serializers.ListField(
        child=serializers.SlugField(), required=False, help_text="Equipment slugs."
    )
    position = serializers.ChoiceField(choices=Position.choices, required=False)
    difficulty = serializers.IntegerField(
        min_value=DIFFICULTY_RANGE[0], max_value=DIFFICULTY_RANGE[1], required=False
    )
    movement_bias = serializers.ChoiceField(choices=MovementBias.choices, required=False)
    instructions = _lines(MAX_STEPS, required=True)
    cues = _lines(MAX_CUES, required=False)
    precautions = _lines(MAX_PRECAUTIONS, required=False)
    dose = DoseSerializer(required=False)
    regression = StrictIntegerField(
        allow_null=True,
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Id of the easier version.",
    )
    progression = StrictIntegerField(
        allow_null=True,
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Id of the harder version.",
    )
    is_active = serializers.BooleanField(required=False)
