"""Pages shared by every role: home (routes to the role's landing page), login, errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import requires_csrf_token

from members.models import Role

from . import login_guard
from .unavailable import is_database_unavailable, unavailable_response

LANDING: dict[str, str] = {
    Role.MEMBER: "today",
    Role.THERAPIST: "caseload",
    Role.COORDINATOR: "dashboard",
    Role.STAFF: "admin:index",
}


def role_required(
    *roles: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page for some roles only; to anyone else it does not exist (404)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if getattr(request.user, "role", None) not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def background_poll(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a view a page's script calls by itself (a poll): with SESSION_SAVE_EVERY_REQUEST it
    would save the session every few seconds and keep an unattended tab signed in for ever; the
    session middleware leaves the session alone for these (exercise_tracker.unavailable)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.passive_session = True  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect(LANDING.get(getattr(request.user, "role", ""), "login"))


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            with login_guard.one_attempt_at_a_time(str(request.POST.get("username", ""))):
                return super().post(request, *args, **kwargs)
        except login_guard.LoginBusy:
            return render(
                request,
                "registration/locked.html",
                {"message": login_guard.BUSY_MESSAGE},
                status=429,
            )


class LogoutView(auth_views.LogoutView):
    pass


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": "Not found.", "errors": {}}, status=404)
    return render(request, "404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": "Bad request.", "errors": {}}, status=400)
    return render(request, "400.html", status=400)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # Also reached by a database error outside a view (a middleware's query): 503 then.
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    if _wants_json(request):
        return JsonResponse({"detail": "Server error.", "errors": {}}, status=500)
    return render(request, "500.html", status=500)
