"""The database gone for a moment (a PostgreSQL restart, a failover, a dropped connection):
503 with Retry-After, never a 500 with a traceback. The request's transaction was rolled back
(atomic blocks undo everything on the error: no session is half-written), and Django drops the
broken connection when the request ends (CONN_HEALTH_CHECKS checks a kept one before reuse), so
the next request reconnects: the app recovers without a restart.

Middleware reads and writes the database outside the view too: the session is saved after the
view on every request, and the signed-in user is looked up again for Cache-Control when the view
failed before it loaded. Django turns an exception raised there into a 500 before any outer
middleware sees it, so the `got_request_exception` signal marks the request and this middleware,
placed outside the session and authentication middleware, answers 503 instead of that 500. A
failed session save is worse: Django reads any database error there as a session deleted by a
concurrent logout and answers 400, so the session middleware here is Django's with that case
answered 503 as well.
`tests/integration/test_postgres_restart.py` restarts a real PostgreSQL under traffic."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DETAIL = "The service is briefly unavailable. Please try again in a moment."
# Plain HTML: the site's templates read the database (navigation, notifications).
PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
    "<title>Back in a moment</title></head><body><h1>Back in a moment</h1>"
    f"<p>{DETAIL} Nothing you entered has been half-saved.</p></body></html>"
)


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def caused_by_database_unavailable(exc: BaseException | None) -> bool:
    """The error, or one it was raised from or while handling, is a lost database."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if is_database_unavailable(exc):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": DETAIL, "errors": {}}, status=503)
    else:
        response = HttpResponse(PAGE, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


MARK = "_database_unavailable"


def _mark_request(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Sent by Django while it handles an exception it is about to answer with a 500."""
    if request is not None and is_database_unavailable(sys.exc_info()[1]):
        setattr(request, MARK, True)


got_request_exception.connect(_mark_request, dispatch_uid="exercise_tracker.unavailable")


class DatabaseUnavailableMiddleware:
    """Turns a database connection error raised by a view (the API's included) into a 503, and
    the 500 Django made of one raised by inner middleware too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, MARK, False):
            logger.warning("database unavailable outside the view")
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        # The kind of error only: its message can carry a query's values.
        logger.warning("database unavailable: %s", type(exception).__name__)
        return unavailable_response(request)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a session save refused because the database went away answers 503
    (Django's own reads it as a concurrent logout: SessionInterrupted, a 400), and that a view
    marked `passive_session` (exercise_tracker.views.background_poll) leaves the session as it
    was."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, "passive_session", False) and not request.session.modified:
            # A page's own background poll: it is not the person's activity, so it neither
            # writes the session nor moves its idle expiry (an open tab still times out).
            return response
        try:
            return super().process_response(request, response)
        except (SessionInterrupted, OperationalError, InterfaceError) as exc:
            if not caused_by_database_unavailable(exc):
                raise
            logger.warning("database unavailable while saving the session")
            return unavailable_response(request)
