"""Request ids: one per request, made by the server, echoed in the response and carried by every
log line. A client's own `X-Request-ID` (when it looks like an id) is kept beside it, as
`client_request_id`, never instead: a client must not be able to pick the id that ties log
lines and audit rows together, nor make two requests share one."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_client_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "client_request_id", default="-"
)
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)


def current_request_id() -> str:
    return _request_id.get()


def current_client_request_id() -> str:
    return _client_request_id.get()


def client_request_id(request: HttpRequest) -> str:
    """The client's X-Request-ID when it is a plausible id (64 safe characters at most)."""
    incoming = request.headers.get("X-Request-ID", "")
    return incoming if _VALID_ID.fullmatch(incoming) else ""


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        from_client = client_request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        request.client_request_id = from_client  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        client_token = _client_request_id.set(from_client or "-")
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
            _client_request_id.reset(client_token)
        response["X-Request-ID"] = request_id
        if from_client:
            response["X-Client-Request-ID"] = from_client
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.client_request_id = current_client_request_id()
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


# The exercise library and plan templates hold no one's health data; browsers may keep them.
CACHEABLE_API_PREFIXES = ("/api/v1/exercises/", "/api/v1/templates/")
CACHEABLE_PAGE_PREFIXES = ("/library/", "/static/", "/media/")


class NoStoreMiddleware:
    """`Cache-Control: private, no-store` on what carries health data: every API response but
    the library's and the templates', and every page seen signed in (caseloads, histories,
    questionnaires), so no browser cache or shared proxy keeps a copy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        cache_control(request, response)
        return response


def cache_control(request: HttpRequest, response: HttpResponseBase) -> None:
    """NoStoreMiddleware's header (the fast lane applies it too: exercise_tracker/fast_lane.py)."""
    path = request.path
    if path.startswith("/api/v1/"):
        private = not path.startswith(CACHEABLE_API_PREFIXES)
    else:
        user = getattr(request, "user", None)
        private = bool(user is not None and user.is_authenticated) and not path.startswith(
            CACHEABLE_PAGE_PREFIXES
        )
    if private:
        response["Cache-Control"] = "private, no-store"


# Where a response's own CSP settings live (django-csp's decorators set them).
_CSP_OVERRIDES = (
    "_csp_config", "_csp_update", "_csp_replace", "_csp_exempt",
    "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro", "_csp_exempt_ro",
)  # fmt: skip


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware; an API answer's policy is built once. API answers are JSON:
    they never take a nonce nor a view's own policy, so their header is the same string every
    time, which django-csp rebuilt from the settings on every response (about a tenth of a
    cached read's CPU). Pages, and any response that used a nonce or carries its own policy,
    go through django-csp as before."""

    _built: tuple[tuple[int, int], str, str] | None = None

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            not request.path_info.startswith("/api/")
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _CSP_OVERRIDES)
            or settings.DEBUG
        ):
            return super().process_response(request, response)
        # Built again when a setting is replaced (tests override them); keyed by the settings'
        # own objects, not by the empty dicts that stand in for a missing one.
        raw_config = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        raw_report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        key = (id(raw_config), id(raw_report_only))
        config, report_only = raw_config or {}, raw_report_only or {}
        built = self._built
        if built is None or built[0] != key:
            policy = build_policy(**asdict(self.get_policy_parts(request, response)))
            policy_ro = build_policy(
                **asdict(self.get_policy_parts(request, response, report_only=True)),
                report_only=True,
            )
            built = self._built = (key, policy, policy_ro)
        _, policy, policy_ro = built
        path = request.path_info
        excluded = tuple(config.get("EXCLUDE_URL_PREFIXES") or ())
        if policy and HEADER not in response and not path.startswith(excluded):
            response[HEADER] = policy
        excluded_ro = tuple(report_only.get("EXCLUDE_URL_PREFIXES") or ())
        if policy_ro and HEADER_REPORT_ONLY not in response and not path.startswith(excluded_ro):
            response[HEADER_REPORT_ONLY] = policy_ro
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
