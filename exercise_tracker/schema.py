"""The OpenAPI schema class: documents the error answers (one error format) of every operation.

Kept out of api.py: drf-spectacular's AutoSchema imports DRF's generics, which import the
pagination class from api.py (a circular import at settings load).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer[Any]):
    """The one error body: a sentence for people, and messages per field for forms."""

    detail = serializers.CharField()
    # Declared fields are moved off the class by DRF's metaclass, so `errors` does not shadow
    # Serializer.errors at run time; only the type checker sees the clash.
    errors = serializers.DictField(  # type: ignore[assignment]
        help_text="Field name (or non_field_errors) to its messages; nested for nested input."
    )


class ErrorAutoSchema(AutoSchema):
    """Adds the error answers an operation can give, beside its documented success.

    Without them a client (and schemathesis) sees only the success code, although an invalid
    token answers 401 anywhere, a throttle 429, an id out of scope 404 and bad input 400.

    Also honours `schema_optional_fields` on a serializer: read-only fields that are left out
    of some responses (drf-spectacular otherwise lists every read-only field as required).
    """

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        optional = set(getattr(serializer, "schema_optional_fields", ()))
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        has_body = self.method in {"POST", "PUT", "PATCH"}
        has_query = any(p.get("in") == "query" for p in self._get_parameters())
        has_path = "{" in self.path
        codes = ["401", "403", "429"]  # authentication, permission or CSRF, throttle or lockout
        if has_body or has_query:
            codes.append("400")
        if has_path or has_query or has_body:
            # An id out of the caller's scope, a page past the last, or an operation that does
            # not exist for the caller's role.
            codes.append("404")
        if self.method == "POST":
            codes.append("409")  # Idempotency-Key still in flight or reused with another body
        if has_body:
            codes += ["413", "415"]  # body over the size limit, a media type not parsed
        for code in codes:
            responses.setdefault(code, self._get_response_for_code(ErrorSerializer, code))
        return responses
