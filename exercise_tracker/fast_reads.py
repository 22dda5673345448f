"""Cached reads answered before DRF's dispatch.

A GET of `/me/`, the library list, today or a plan, sent by an app with its Bearer token, is
most often answered from the read cache (exercise_tracker/readcache.py): a 304 or the stored
bytes. For those, DRF's request wrapping, negotiation and response handling cost about as much
as the rest of the request. A view with `FastReadMixin` tries first to answer here, with the
same checks DRF's dispatch makes, in the same order, through the same classes:

- the Bearer token verified and its user signed in (ScopedJWTAuthentication: active, token
  version), which counts the user's rate limit in the same Redis round trip;
- the view's rate limits (UserThrottle reads that count) and permission classes;
- the view's own checks and audit (`fast_read`: a plan's access check, the staff read's row),
  then the cached answer.

Anything else — no Bearer token, another Accept or `?format=`, a token or user that does not
pass, a limit reached, a permission refused, an answer not in the cache — returns None here and
the request goes through DRF exactly as before; it reuses the sign-in made here (no second
fetch, no second count of the rate limit: authentication.SIGNED_IN, throttling.PRECOUNTED) and
the cache values fetched with it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.settings import api_settings

from . import readcache
from .authentication import ScopedJWTAuthentication
from .negotiation import PLAIN_ACCEPT
from .throttling import PRECOUNTED, AnonThrottle, UserThrottle


class FastReadMixin:
    """For API views whose GET may be answered from the read cache: `fast_read` returns that
    answer (or None); the rest of the view is DRF's as before."""

    # The viewset actions (None: a plain APIView's GET) `fast_read` may answer.
    fast_actions: tuple[str | None, ...] = (None,)

    def fast_read(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        return None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method == "GET":
            response = answer_before_drf(self, request, kwargs)
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


# On the HttpRequest once answer_before_drf has tried it (in the fast lane, which runs before the
# view's dispatch): not tried twice (a staff read's audit row is written once).
TRIED = "_fast_read_tried"


def answer_before_drf(view: Any, request: HttpRequest, kwargs: dict[str, Any]) -> Any:
    if getattr(request, TRIED, False):
        return None
    setattr(request, TRIED, True)
    meta = request.META
    header = meta.get("HTTP_AUTHORIZATION", "")
    action = getattr(view, "action_map", {}).get("get")  # a viewset's, as DRF sets it
    if (
        action not in view.fast_actions
        or not header.startswith("Bearer ")
        or meta.get("HTTP_ACCEPT", "*/*") not in PLAIN_ACCEPT
        or api_settings.URL_FORMAT_OVERRIDE in request.GET
        or not readcache.enabled()
    ):
        return None
    parts = header.split()
    if len(parts) != 2:  # what simplejwt refuses
        return None
    authentication = ScopedJWTAuthentication()
    authentication._request = request
    try:
        token = authentication.get_validated_token(parts[1].encode())
        user = authentication.get_user(token)
    except Exception:  # DRF authenticates again and answers the error (401) itself
        return None
    if getattr(request, PRECOUNTED, None) is None:
        return None  # the sign-in did not count the rate limit (no Redis): DRF's throttle will
    request.user = user
    view.action = action
    for throttle in view.get_throttles():
        # Only the limits whose hit the sign-in counted (a limit counted here would be counted
        # again by DRF if the answer is not in the cache).
        if not isinstance(throttle, UserThrottle | AnonThrottle):
            return None
        if not throttle.allow_request(request, view):  # type: ignore[arg-type]
            return None
    for permission in view.get_permissions():
        if not permission.has_permission(request, view):
            return None
    view.request, view.args, view.kwargs, view.format_kwarg = request, (), kwargs, None
    response = view.fast_read(request, user, **kwargs)
    if response is None:
        return None
    for key, value in view.default_response_headers.items():
        response[key] = value
    return response
