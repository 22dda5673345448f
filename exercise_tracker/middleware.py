"""Request ids: one per request, echoed in the response and carried by every log line."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


# Pages a discharged member may still post to: signing out, their account and password, the
# inbox. (The API has its own check: exercise_tracker.permissions.)
DISCHARGED_MAY_POST = ("/logout/", "/settings/account/", "/settings/password/", "/notifications/")


class DischargedReadOnlyMiddleware:
    """A discharged member's pages are read-only: a form posted elsewhere answers a calm 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD", "OPTIONS") and not request.path.startswith(
            ("/api/", *DISCHARGED_MAY_POST)
        ):
            from django.shortcuts import render

            from . import access
            from .permissions import DISCHARGED_MESSAGE

            if not access.may_write_as_member(getattr(request, "user", None)):
                return render(
                    request, "members/discharged.html", {"message": DISCHARGED_MESSAGE}, status=403
                )
        return self.get_response(request)
