"""Navigation links for the signed-in user's role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from members.models import Role

NAV = {
    Role.MEMBER: [
        ("today", "Today"),
        ("programs:plan-member", "My plan"),
        ("programs:learn", "Learn"),
        ("history", "History"),
        ("reminder-settings", "Reminders"),
        ("conversations", "Messages"),
    ],
    Role.THERAPIST: [
        ("caseload", "Caseload"),
        ("conversations", "Messages"),
        ("programs:library", "Library"),
        ("rtm-report", "Reports"),
    ],
    Role.COORDINATOR: [
        ("dashboard", "Dashboard"),
        ("people", "People"),
        ("rtm-report", "Reports"),
        ("working-hours-page", "Hours"),
    ],
    Role.STAFF: [("admin:index", "Admin"), ("programs:library", "Library")],
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    links = [
        {
            "url": reverse(name),
            "label": label,
            "active": request.path == reverse(name),
            "messages": name == "conversations",
        }
        for name, label in NAV.get(user.role, [])
    ]
    return {"nav_links": links}


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count for the inbox link on every page: one indexed count, run only when a
    template shows it (lazy), never for anonymous visitors."""
    from django.utils.functional import SimpleLazyObject

    from members.selectors.reminders import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}


def unread_messages(request: HttpRequest) -> dict[str, Any]:
    """The unread count beside "Messages" on every page (members and PTs): one query, run only
    when a template shows it (lazy); none for other roles or anonymous visitors."""
    from django.utils.functional import SimpleLazyObject

    from messaging.selectors.threads import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_messages": 0}
    return {"unread_messages": SimpleLazyObject(lambda: unread_count(user))}
