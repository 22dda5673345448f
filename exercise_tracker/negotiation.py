"""The API's content negotiation (DRF's, with a shortcut for the usual Accept header). Its own
module: DRF imports it while defining APIView, before `exercise_tracker.api` could be."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

# What nearly every API client sends (or nothing, which means the same as */*).
PLAIN_ACCEPT = frozenset({"*/*", "application/json"})


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, without parsing the Accept header when it asks for what the first
    renderer gives (no header, `*/*` or `application/json`, no `?format=`): the same choice DRF
    makes then, without parsing the media types on every request."""

    def select_renderer(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = renderers[0] if isinstance(renderers, Sequence) and renderers else None
        if (
            first is not None
            and not format_suffix
            and first.media_type == "application/json"
            and request.headers.get("accept", "*/*") in PLAIN_ACCEPT
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return first, "application/json"
        return super().select_renderer(request, renderers, format_suffix)
