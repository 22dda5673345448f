"""Input serializers: the shape of a request body, checked in one place before a service sees it.

Every input serializer derives from `InputSerializer`, which keeps the contract of
shared/DESIGN.md: "a client may send back what it read". Fields its matching output serializer
declares (`read_from`: ids, computed labels, revision numbers) are ignored when they come back
in a body; fields neither declares are refused, naming them. Errors are flat and name the field
the way a client finds it: `entries[2].reps_done`, `items[0].sets`.

The fields here take JSON types as the schema says them (no "12" for 12, no "yes" for true)
and word their errors for people; limits come from the models' constants, never literals.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any, ClassVar

from django.utils.module_loading import import_string
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import BindingDict, ReturnDict

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
_lent = threading.local()
MAX_ID = 2**63 - 1  # the largest primary key (bigint), as exercise_tracker.api says


def flat_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {"entries[2].reps_done": [...]}; an object's own errors (unknown
    fields, say) on its path (`entries[2]`)."""
    out: dict[str, list[str]] = {}
    _flatten(detail, prefix, out)
    return out


def _flatten(detail: Any, prefix: str, out: dict[str, list[str]]) -> None:
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if key == NON_FIELD:
                name = prefix or NON_FIELD
            elif isinstance(key, int):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            _flatten(value, name, out)
    elif isinstance(detail, list | tuple) and any(isinstance(d, Mapping | list) for d in detail):
        # A list of objects (many=True): one entry per item, empty for the good ones.
        for index, item in enumerate(detail):
            if item:
                _flatten(item, f"{prefix}[{index}]", out)
    elif isinstance(detail, list | tuple):
        out.setdefault(prefix or NON_FIELD, []).extend(str(message) for message in detail)
    else:
        out.setdefault(prefix or NON_FIELD, []).append(str(detail))


class InputSerializer(serializers.Serializer[Any]):
    """A request body: its own fields validated, the output's read-only fields ignored,
    anything else refused. Set `read_from` to the serializer of what the client read."""

    # The output serializer, or its dotted path when the input lives apart from the API module.
    read_from: ClassVar[type[serializers.BaseSerializer[Any]] | str | None] = None
    _ignored_cache: ClassVar[dict[type, frozenset[str]]] = {}

    @cached_property
    def fields(self) -> BindingDict:
        """DRF deep-copies every declared field (and a list's child serializer with its own)
        for each instance: most of the cost of checking a session's body. Validating holds
        no state in the fields, so each thread builds them once per class and lends them to
        the next instance of that class (rebound to it)."""
        lent: dict[type, BindingDict] = _lent.__dict__.setdefault("by_class", {})
        lend = self.parent is None and not self.context  # a body, not a part of one
        fields = lent.get(type(self)) if lend else None
        if fields is None:
            fields = BindingDict(self)
            for key, value in self.get_fields().items():
                fields[key] = value
            if lend:
                lent[type(self)] = fields
            return fields
        fields.serializer = self
        for field in fields.values():
            field.parent = self
        return fields

    @classmethod
    def output_fields(cls) -> frozenset[str]:
        """The names the output serializer declares: sent back, they are ignored."""
        found = InputSerializer._ignored_cache.get(cls)
        if found is None:
            names: set[str] = set()
            output = cls.read_from
            if isinstance(output, str):
                output = import_string(output)
            if output is not None:
                names = set(getattr(output(), "fields", {}))
            found = InputSerializer._ignored_cache[cls] = frozenset(names)
        return found

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({NON_FIELD: ["Give a JSON object."]})
        writable = {name for name, field in self.fields.items() if not field.read_only}
        ignored = self.output_fields() | (set(self.fields) - writable)
        unknown = sorted(str(key) for key in data if key not in writable and key not in ignored)
        if unknown:
            raise serializers.ValidationError(
                {NON_FIELD: [f"Unknown field(s): {', '.join(unknown)}."]}
            )
        if any(key not in writable for key in data):
            data = {key: value for key, value in data.items() if key in writable}
        return super().to_internal_value(data)

    @property
    def errors(self) -> ReturnDict:
        return ReturnDict(flat_errors(super().errors), serializer=self)


def max_length(model: Any, name: str) -> int:
    """A text column's length, for the serializer that takes it (never a copied literal)."""
    return int(getattr(model._meta.get_field(name), "max_length", 0) or 0)


def validated(serializer_class: type[InputSerializer], data: Any, **kwargs: Any) -> Any:
    """The validated data of a body, or a ValidationError naming every field."""
    form = serializer_class(data=data, **kwargs)
    form.is_valid(raise_exception=True)
    return form.validated_data


# --- fields ---------------------------------------------------------------------------------


class WholeNumberField(serializers.IntegerField):
    """A JSON integer (not "12", not true) within [min_value, max_value]. Out of range says
    the range; `below` words the message for a number under the minimum."""

    default_error_messages = {"invalid": "Give a whole number."}

    def __init__(self, *, below: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = []  # the range is checked below, with one message
        self.below = below

    def _range_message(self) -> str:
        low, high = self.min_value, self.max_value
        if low is not None and high is not None:
            return f"Give a number from {low} to {high}."
        if low is not None:
            return f"Give a number of {low} or more."
        return f"Give a number of {high} or less."

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        if self.min_value is not None and data < self.min_value:
            raise serializers.ValidationError(self.below or self._range_message())
        if self.max_value is not None and data > self.max_value:
            raise serializers.ValidationError(self._range_message())
        return int(data)


@extend_schema_field({"type": "boolean"})
class TrueFalseField(serializers.Field):
    """true or false, not "yes" or 1: a client sending those has a bug worth hearing about."""

    default_error_messages = {"invalid": "Give true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data

    def to_representation(self, value: bool) -> bool:
        return bool(value)


@extend_schema_field({"type": "integer", "minimum": 1})
class IdField(serializers.Field):
    """The id of a related row; the object a GET returned for it (`{"id": 12, "name": ...}`)
    names it as well, so what was read can be sent back as it is."""

    default_error_messages = {"invalid": "Give an id (a whole number)."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, Mapping):
            data = data.get("id")
        if isinstance(data, bool) or not isinstance(data, int) or not 1 <= data <= MAX_ID:
            self.fail("invalid")
        return int(data)

    def to_representation(self, value: Any) -> Any:
        return value


class OneOfField(serializers.ChoiceField):
    """One of a model's choices; the error lists them. Null or "" (when allowed) is ""."""

    def __init__(self, choices: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(choices, **kwargs)
        self.error_messages["invalid_choice"] = (
            f"Choose one of: {', '.join(str(c) for c in self.choices)}."
        )

    def to_internal_value(self, data: Any) -> Any:
        if data == "" and self.allow_blank:
            return ""
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None and self.allow_null:
            return True, ""
        return super().validate_empty_values(data)
