"""The shapes of what members send about walks and leg symptoms, for the API and the pages.

Numbers are checked against the models' bounds (members.models.walks); the service checks what
depends on the member (their local date, their plan's items) and that symptoms did not start
after the walk ended. Nothing has a default: a missing answer is refused, naming the field.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from exercise_tracker.api import MAX_ID
from exercise_tracker.inputs import InputSerializer, OneOfField, WholeNumberField
from members.models import SymptomChange, SymptomSide, WalkSupport
from members.models.walks import MAX_DISTANCE_M, MAX_RESTS, MAX_WALK_MINUTES, SYMPTOMS


class WalkInputSerializer(InputSerializer):
    """A walk: minutes before leg symptoms started (null: none came), total minutes, rests."""

    read_from = "members.api.walks.WalkSerializer"

    client_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Made by the phone: a retry sends it again."
    )
    date = serializers.DateField(help_text="Your local date: today or up to 7 days back.")
    minutes_to_symptoms = WholeNumberField(
        allow_null=True,
        min_value=0,
        max_value=MAX_WALK_MINUTES,
        help_text="Minutes walked before leg symptoms started; null when none came.",
    )
    total_minutes = WholeNumberField(min_value=1, max_value=MAX_WALK_MINUTES)
    rests = WholeNumberField(min_value=0, max_value=MAX_RESTS, help_text="Rests taken.")
    distance_m = WholeNumberField(
        required=False, allow_null=True, min_value=0, max_value=MAX_DISTANCE_M
    )
    support = OneOfField(WalkSupport.choices, required=False, allow_null=True, allow_blank=True)
    plan_item = WholeNumberField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="The walking item of your plan this walk was for, if any.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        to_symptoms, total = attrs.get("minutes_to_symptoms"), attrs.get("total_minutes")
        if to_symptoms is not None and total is not None and to_symptoms > total:
            raise serializers.ValidationError(
                {
                    "minutes_to_symptoms": [
                        "Symptoms cannot start after the walk ended: give at most the total "
                        "minutes."
                    ]
                }
            )
        return attrs


def walk_values(data: dict[str, Any]) -> dict[str, Any]:
    """What members.services.walks.log_walk takes from a checked walk."""
    return {
        "client_id": data.get("client_id"),
        "local_date": data["date"],
        "minutes_to_symptoms": data["minutes_to_symptoms"],
        "total_minutes": data["total_minutes"],
        "rests": data["rests"],
        "distance_m": data.get("distance_m"),
        "support": data.get("support") or "",
        "plan_item": data.get("plan_item"),
    }


def _side() -> OneOfField:
    return OneOfField(SymptomSide.choices, help_text="Where it is felt.")


def _change() -> OneOfField:
    return OneOfField(
        SymptomChange.choices,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Against last week; required when the symptom is felt.",
    )


class SymptomCheckInputSerializer(InputSerializer):
    """A leg symptoms check-in: each symptom's side, and better/same/worse where felt."""

    read_from = "members.api.walks.SymptomCheckCreatedSerializer"

    client_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Made by the phone: a retry sends it again."
    )
    date = serializers.DateField(help_text="Your local date: today or up to 7 days back.")
    numbness = _side()
    numbness_change = _change()
    tingling = _side()
    tingling_change = _change()
    weakness = _side()
    weakness_change = _change()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {
            f"{name}_change": ["Felt in a leg: say whether it is better, the same or worse."]
            for name in SYMPTOMS
            if attrs.get(name) not in (None, SymptomSide.NONE) and not attrs.get(f"{name}_change")
        }
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def check_values(data: dict[str, Any]) -> dict[str, Any]:
    """What members.services.walks.log_symptom_check takes from a checked check-in."""
    values: dict[str, Any] = {"client_id": data.get("client_id"), "local_date": data["date"]}
    for name in SYMPTOMS:
        values[name] = data[name]
        values[f"{name}_change"] = data.get(f"{name}_change") or ""
    return values
