"""The shapes of what members send about their sessions, for the API and the today page alike.

Each field is checked against the model's limits (members.models.logs) and handed to
members.services.sessions as typed values (`EntryInput`); the service checks what depends on
the plan (the item in force that day, no more than twice the prescription). Errors name the
field: `entries[2].reps_done`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
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


# --- the usual body without DRF's machinery -------------------------------------------------
#
# A phone's session is nearly always well formed, and checking it through the serializers above
# (a field object and its validators per value, for every entry) cost more than storing it.
# `quick_session_input` accepts only bodies whose every value the serializers would take as they
# are, read from the serializers' own fields (their limits and choices), and gives the same
# validated data; anything else (an unknown or ignored field, a wrong type, a value out of range,
# a date in another format) gives None, and SessionInputSerializer checks it and words the errors.


def _spec(serializer: InputSerializer) -> dict[str, tuple[str, Any, Any, bool, bool]]:
    """Per field: (kind, low or choices, high, allow_null, required)."""
    spec: dict[str, tuple[str, Any, Any, bool, bool]] = {}
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, WholeNumberField):
            kind: tuple[str, Any, Any] = ("int", field.min_value, field.max_value)
        elif isinstance(field, OneOfField):
            kind = ("choice", frozenset(str(c) for c in field.choices), field.allow_blank)
        elif isinstance(field, TrueFalseField):
            kind = ("bool", None, None)
        else:
            kind = ("other", None, None)
        spec[name] = (*kind, field.allow_null, field.required)
    return spec


_specs: dict[str, Any] = {}


_Spec = dict[str, tuple[str, Any, Any, bool, bool]]


def _quick_values(data: Any, spec: _Spec) -> dict[str, Any] | None:
    """The values of `data` for the int, choice and bool fields of `spec` (others skipped), or
    None when one is not taken as it is."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        kind, a, b, allow_null, _ = spec[name]
        if kind == "other":
            continue
        if value is None:
            if not allow_null:
                return None
            out[name] = "" if kind == "choice" else None
        elif kind == "int":
            if type(value) is not int or not a <= value <= b:
                return None
            out[name] = value
        elif kind == "choice":
            if type(value) is not str or not (value in a or (value == "" and b)):
                return None
            out[name] = value
        elif type(value) is not bool:
            return None
        else:
            out[name] = value
    return out


def quick_session_input(data: Any) -> dict[str, Any] | None:
    """What `validated(SessionInputSerializer, data)` gives for a body in the usual shape, or
    None: then the serializer checks the body (and names what is wrong)."""
    specs = _specs or _make_specs()
    session_spec, entry_spec = specs["session"], specs["entry"]
    if type(data) is not dict or not data.keys() <= session_spec.keys():
        return None
    if any(spec[4] and name not in data for name, spec in session_spec.items()):
        return None
    out = _quick_values(data, session_spec)
    if out is None:
        return None
    day = data["date"]
    if type(day) is not str or len(day) != 10 or day[4] != "-" or day[7] != "-":
        return None
    try:
        out["date"] = date.fromisoformat(day)
    except ValueError:
        return None
    if "client_id" in data:
        client_id = data["client_id"]
        if client_id is None:
            out["client_id"] = None
        elif type(client_id) is not str:
            return None
        else:
            try:
                out["client_id"] = uuid.UUID(client_id)
            except ValueError:
                return None
    if "notes" in data:
        notes = data["notes"]
        if notes is None:
            out["notes"] = ""
        elif type(notes) is not str:
            return None
        else:
            notes = notes.strip()
            if len(notes) > MAX_NOTES or "\x00" in notes or not _encodes(notes):
                return None
            out["notes"] = notes
    if "entries" in data:
        given = data["entries"]
        if given is None:
            out["entries"] = []
        elif type(given) is not list or len(given) > MAX_ENTRIES:
            return None
        else:
            entries = []
            for item in given:
                if type(item) is not dict or not item.keys() <= entry_spec.keys():
                    return None
                if "plan_item" not in item or "status" not in item:
                    return None
                values = _quick_values(item, entry_spec)
                if values is None:
                    return None
                done = values["status"] in ENTRY_DONE_STATUSES
                if values.get("done", done) is not done:
                    return None
                values["done"] = done
                entries.append(EntryInput(**values))
            out["entries"] = entries
    return out


def _encodes(text: str) -> bool:
    """No lone surrogates (which the serializer's CharField refuses)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _make_specs() -> dict[str, Any]:
    session = _spec(SessionInputSerializer())
    entry = _spec(EntryInputSerializer())
    # The fields read apart above: they must be the ones the serializer has.
    others = {name for name, spec in session.items() if spec[0] == "other"}
    if others != {"client_id", "date", "notes", "entries"} or any(
        spec[0] == "other" for spec in entry.values()
    ):  # pragma: no cover - a new field: teach this function, or every body takes the long way
        raise RuntimeError(f"quick_session_input does not know {sorted(others)}")
    _specs.update(session=session, entry=entry)
    return _specs
