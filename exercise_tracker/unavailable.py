"""The database gone for a moment (a PostgreSQL restart, a failover, a dropped connection):
503 with Retry-After, never a 500 with a traceback. The request's transaction was rolled back
(atomic blocks undo everything on the error: no session is half-written), and Django drops the
broken connection when the request ends (CONN_HEALTH_CHECKS checks a kept one before reuse), so
the next request reconnects: the app recovers without a restart."""

from __future__ import annotations

import logging
from collections.abc import Callable

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


def unavailable_response(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": DETAIL, "errors": {}}, status=503)
    else:
        response = HttpResponse(PAGE, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database connection error raised by a view (the API's included) into a 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        # The kind of error only: its message can carry a query's values.
        logger.warning("database unavailable: %s", type(exception).__name__)
        return unavailable_response(request)
