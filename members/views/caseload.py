"""The PT's caseload page: members with their adherence figures and open alerts first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from exercise_tracker.views import role_required
from members.models import Role
from members.selectors import adherence
from members.selectors import caseload as selectors
from messaging.selectors import pages as message_pages
from programs.selectors.lessons import lesson_progress


@role_required(Role.THERAPIST)
def caseload(request: HttpRequest) -> HttpResponse:
    found = selectors.caseload(request.user)
    # Unread messages per member (one query), linked to each conversation.
    unread = message_pages.unread_by_member(request.user)
    for member, _figures in found.members:
        member.unread_messages = unread.get(member.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "pages/caseload.html",
        {
            "members": found.members,
            "walking": found.walking,
            "summary": found.summary,
            "source_note": adherence.SOURCE_NOTE,
            "alerts": found.alerts,
            "lesson_progress": lesson_progress([m.pk for m, _ in found.members]),
            "unread_messages_total": sum(unread.values()),
        },
    )
