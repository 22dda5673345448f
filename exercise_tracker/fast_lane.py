"""The fast lane: an API read the read cache answers, served before the rest of the middleware.

A GET of `/me/`, the library, today or a plan, sent by an app with its Bearer token, is most
often answered from the read cache: a 304, or bytes stored earlier. Once exercise_tracker/
fast_reads.py answered those before DRF's dispatch, what was left of such a request's CPU was
mostly the middleware around it: a dozen layers, each a call in and a call out, most of which
have nothing to do on it (sessions, CSRF, messages, whitenoise, axes, the discharged member's
page guard: an API GET with a Bearer token uses none of them). This middleware sits just inside
the request id and audit context and tries that answer first:

- only a GET under `/api/v1/` with a Bearer token, whose route is a view with
  `FastReadMixin` and an action it may answer; the host is checked against ALLOWED_HOSTS and the
  HTTPS redirect applies first, as Django's own middleware would do them;
- the answer comes from `fast_reads.answer_before_drf`, the same code the view's dispatch runs
  (the token, the user, the rate limits, the permissions, the view's own checks and audit);
- the response then passes through the same header-writing steps the skipped middleware would
  apply (SecurityMiddleware, CommonMiddleware, X-Frame-Options, the CSP, no-store), in their
  order: the same headers whichever way the answer goes (tests/exercise_tracker/
  test_fast_lane.py compares every header both ways).

Anything else — a request it does not take, an answer not in the cache, a database error while
answering (the plan's audit row) — goes on through the whole middleware and DRF, which answer as
before (reusing the sign-in and the rate-limit count made here, as after fast_reads' own
fallback). `FAST_LANE = False` in settings turns it off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import Resolver404, get_resolver

from .fast_reads import FastReadMixin, answer_before_drf
from .middleware import CSPMiddleware, cache_control

PREFIX = "/api/v1/"


def _unused(request: HttpRequest) -> HttpResponse:  # the wrapped middleware's get_response
    raise AssertionError("the fast lane calls only process_request/process_response")


class FastLaneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.security = SecurityMiddleware(_unused)
        self.common = CommonMiddleware(_unused)
        self.xframe = XFrameOptionsMiddleware(_unused)
        self.csp = CSPMiddleware(_unused)
        self.api: Any = None

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        meta = request.META
        if (
            meta["REQUEST_METHOD"] == "GET"
            and request.path_info.startswith(PREFIX)
            and meta.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")
            and settings.FAST_LANE
        ):
            response = self.answer(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _api(self) -> Any:
        """The v1 API's resolver (the root URLconf's first pattern: exercise_tracker/urls.py)."""
        root = get_resolver()
        if self.api is None or self.api[0] is not root:
            api = next(p for p in root.url_patterns if str(p.pattern) == PREFIX.lstrip("/"))
            self.api = (root, api)
        return self.api[1]

    def answer(self, request: HttpRequest) -> HttpResponseBase | None:
        try:
            request.get_host()  # DisallowedHost: CommonMiddleware answers the 400
        except DisallowedHost:
            return None
        if self.security.process_request(request) is not None:
            return None  # the HTTPS redirect
        try:
            match = self._api().resolve(request.path_info.removeprefix("/"))
        except Resolver404:
            return None
        callback = match.func
        cls = getattr(callback, "cls", None)
        if cls is None or not issubclass(cls, FastReadMixin):
            return None
        view = cls(**getattr(callback, "initkwargs", {}))
        actions = getattr(callback, "actions", None)
        if actions is not None:  # a viewset's route: what DRF's viewset view function sets
            if "get" in actions and "head" not in actions:
                actions = {**actions, "head": actions["get"]}
            view.action_map = actions
            for method, action in actions.items():
                setattr(view, method, getattr(view, action))
        elif None not in cls.fast_actions:
            return None
        else:  # what Django's view function does first (`head` answered as `get`)
            view.setup(request, **match.kwargs)
        request.resolver_match = match
        response: Any
        try:
            response = answer_before_drf(view, request, dict(match.kwargs))
        except DatabaseError:
            return None  # answered by DRF (a 503 when the database is gone, as everywhere)
        if response is None:
            return None
        # The skipped middleware's own work on the way out, innermost first.
        cache_control(request, response)
        response = self.csp.process_response(request, response)
        response = self.xframe.process_response(request, response)
        response = self.common.process_response(request, response)
        return self.security.process_response(request, response)
