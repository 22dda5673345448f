"""The shapes of what members send about their sessions, for the API and the today page alike.

Each field is checked against the model's limits (members.models.logs) and handed to
members.services.sessions as typed values (`EntryInput`); the service checks what depends on
the plan (the item in force that day, no more than twice the prescription). Errors name the
field: `entries[2].reps_done`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from exercise_tracker.api import MAX_ID
from exercise_tracker.inputs import InputSerializer, OneOfField, TrueFalseField, WholeNumberField
from members.models import EntrySide, EntryStatus, Feedback, SessionStatus
from members.models.logs import (
    ENTRY_DONE_STATUSES,
    MAX_DURATION_SECONDS_DONE,
    MAX_HOLD_SECONDS_DONE,
    MAX_NOTES,
    MAX_REPS_DONE,
    MAX_SETS_DONE,
    PAIN_MAX,
    PAIN_MIN,
    RPE_MAX,
    RPE_MIN,
)
from members.services.sessions import MAX_ENTRIES, EntryInput

NOT_NEGATIVE = "Give a number of 0 or more."


def _count(high: int, **kwargs: Any) -> WholeNumberField:
    return WholeNumberField(
        required=False, allow_null=True, min_value=0, max_value=high, below=NOT_NEGATIVE, **kwargs
    )


def _score(low: int, high: int, **kwargs: Any) -> WholeNumberField:
    return WholeNumberField(
        required=False, allow_null=True, min_value=low, max_value=high, **kwargs
    )


class EntryInputSerializer(InputSerializer):
    """One exercise of a session. Sets and reps above twice the prescription are refused as
    implausible (by the service: it knows the prescription)."""

    read_from = "members.api.sessions.EntrySerializer"

    plan_item = WholeNumberField(
        min_value=1, max_value=MAX_ID, help_text="The id of an item of your plan (today's list)."
    )
    status = OneOfField(
        EntryStatus.choices,
        error_messages={"required": f"Choose one of: {', '.join(EntryStatus.values)}."},
        help_text="What the member did of this exercise: nothing is assumed done.",
    )
    done = TrueFalseField(
        required=False, help_text="Optional: follows from `status` (done or partial)."
    )
    sets_done = _count(MAX_SETS_DONE)
    reps_done = _count(MAX_REPS_DONE)
    hold_seconds_done = _count(MAX_HOLD_SECONDS_DONE)
    duration_seconds_done = _count(MAX_DURATION_SECONDS_DONE)
    side = OneOfField(EntrySide.choices, required=False, allow_null=True, allow_blank=True)
    feedback = OneOfField(Feedback.choices, required=False, allow_null=True, allow_blank=True)
    pain = _score(PAIN_MIN, PAIN_MAX, help_text="Pain during, 0-10.")

    def validate(self, attrs: dict[str, Any]) -> EntryInput:
        done = attrs["status"] in ENTRY_DONE_STATUSES
        if "done" in attrs and attrs["done"] is not done:
            raise serializers.ValidationError(
                {"done": ["Leave it out or make it agree with the status."]}
            )
        return EntryInput(**{**attrs, "done": done})


class SessionFieldsSerializer(InputSerializer):
    """What a member says of a session, in a POST or a correction."""

    read_from = "members.api.sessions.SessionSerializer"

    pain_before = _score(PAIN_MIN, PAIN_MAX)
    pain_after = _score(PAIN_MIN, PAIN_MAX)
    rpe = _score(RPE_MIN, RPE_MAX, help_text="Effort, 0-10.")
    notes = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=MAX_NOTES,
        trim_whitespace=True,
    )
    entries = serializers.ListField(
        child=EntryInputSerializer(), required=False, allow_null=True, max_length=MAX_ENTRIES
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "notes" in attrs and attrs["notes"] is None:
            attrs["notes"] = ""
        if "entries" in attrs and attrs["entries"] is None:
            attrs["entries"] = []
        return attrs


class SessionInputSerializer(SessionFieldsSerializer):
    """A session as a member's phone sends it. Sets or reps above twice the prescription are
    refused as implausible; the date is the member's local date, today or up to 7 days back."""

    client_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Made by the phone: a retry sends it again."
    )
    date = serializers.DateField()
    status = OneOfField(SessionStatus.choices)


class SessionPatchSerializer(SessionFieldsSerializer):
    """A correction on the session's own day: the fields given replace the stored ones;
    `entries`, when given, replace all of them. `date` may come back as read, unchanged."""

    status = OneOfField(SessionStatus.choices, required=False)
    date = serializers.DateField(required=False)


def logged_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """What members.services.sessions.log_session takes from a checked session (the API's POST
    and the today page's form alike)."""
    return {
        "local_date": data["date"],
        "client_id": data.get("client_id"),
        "status": data["status"],
        "pain_before": data.get("pain_before"),
        "pain_after": data.get("pain_after"),
        "rpe": data.get("rpe"),
        "notes": data.get("notes", ""),
        "entries": data.get("entries", []),
    }
