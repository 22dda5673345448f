"""Navigation links for the signed-in user's role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from members.models import Role

NAV = {
    Role.MEMBER: [("today", "Today"), ("programs:plan-member", "My plan"), ("history", "History")],
    Role.THERAPIST: [("caseload", "Caseload"), ("programs:library", "Library")],
    Role.COORDINATOR: [("dashboard", "Dashboard")],
    Role.STAFF: [("admin:index", "Admin"), ("programs:library", "Library")],
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    links = [
        {"url": reverse(name), "label": label, "active": request.path == reverse(name)}
        for name, label in NAV.get(user.role, [])
    ]
    return {"nav_links": links}
