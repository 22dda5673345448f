"""The shape of a plan or template item in a request, for the API and the templates loader.

Limits come from the dose model (programs.models.templates); what depends on the exercise or
the plan (an item in force, an exercise the PT may use, the numbers its dosing kind needs) is
programs.services.plans' to check. Errors name the field: `items[2].reps`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exercise_tracker.api import MAX_ID
from exercise_tracker.inputs import (
    IdField,
    InputSerializer,
    OneOfField,
    WholeNumberField,
    max_length,
)
from programs.models import PlanItem, Side
from programs.models.templates import (
    DURATION_RANGE,
    HOLD_RANGE,
    REPS_RANGE,
    REST_RANGE,
    RPE_RANGE,
    SETS_RANGE,
    TIMES_PER_DAY_RANGE,
)


def _in(limits: tuple[int, int], **kwargs: Any) -> WholeNumberField:
    return WholeNumberField(min_value=limits[0], max_value=limits[1], required=False, **kwargs)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 6},
        "minItems": 1,
        "maxItems": 7,
        "description": "0 = Monday ... 6 = Sunday.",
    }
)
class WeekdaysField(serializers.Field):
    default_error_messages = {
        "invalid": "Give a non-empty list of weekdays, 0 (Monday) to 6 (Sunday)."
    }

    def to_internal_value(self, data: Any) -> list[int]:
        if (
            not isinstance(data, list)
            or not data
            or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in data)
        ):
            self.fail("invalid")
        return sorted(set(data))

    def to_representation(self, value: list[int]) -> list[int]:
        return list(value)


class ItemInputSerializer(InputSerializer):
    """An item in a request. Omitted dose fields: the exercise's default dose for a new item,
    the current value for an item named by `id`. Sent back as read (`key`, `order`, the
    revisions, the exercise as an object), it is taken as the same item."""

    read_from = "programs.api.plans.PlanItemSerializer"

    id = WholeNumberField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="The version id of an item kept.",
    )
    exercise = IdField(required=False, allow_null=True, help_text="An exercise's id.")
    sets = _in(SETS_RANGE)
    reps = _in(REPS_RANGE, allow_null=True)
    hold_seconds = _in(HOLD_RANGE, allow_null=True)
    duration_seconds = _in(DURATION_RANGE, allow_null=True)
    rest_seconds = _in(REST_RANGE, allow_null=True)
    side = OneOfField(Side.choices, required=False)
    load = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=max_length(PlanItem, "load")
    )
    target_rpe = _in(RPE_RANGE, allow_null=True)
    times_per_day = _in(TIMES_PER_DAY_RANGE)
    days_of_week = WeekdaysField(required=False)
    note = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=max_length(PlanItem, "note")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("load", "note"):
            if name in attrs:
                attrs[name] = (attrs[name] or "").strip()
        return attrs


class ItemsField(serializers.ListField):
    """The whole list of items of a plan or template."""

    def __init__(self, **kwargs: Any) -> None:
        from programs.services.plan_items import MAX_ITEMS

        super().__init__(child=ItemInputSerializer(), max_length=MAX_ITEMS, **kwargs)
