"""Reads of conversations: every queryset starts at access.visible_threads, so a member sees
their own thread and a PT their caseload's; the counts for navigation and the dashboard."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from exercise_tracker import access, audit
from members.models import Organization, Role, Therapist
from members.rules.reminder_times import zone
from messaging.models import AuthorSide, Message, ReadMarker, Thread, WorkingHours
from messaging.rules import hours as hours_rules

NOT_FOR_EMERGENCIES = (
    "Messages are not for emergencies. If you have new trouble controlling your bladder or "
    "bowels, numbness in the groin or inner thighs, or leg weakness that is getting worse, "
    "call your emergency number or go to an emergency department now."
)


def other_side(user: Any) -> str:
    """The side whose messages count as unread for this user."""
    if getattr(user, "role", None) == Role.MEMBER:
        return AuthorSide.CARE_TEAM
    return AuthorSide.MEMBER


def _my_marker(user: Any, thread_ref: str = "pk") -> Coalesce:
    return Coalesce(
        Subquery(
            ReadMarker.objects.filter(thread=OuterRef(thread_ref), user_id=user.pk).values(
                "last_read_id"
            )[:1]
        ),
        Value(0),
    )


def threads_for(user: Any) -> QuerySet[Thread]:
    """The user's conversations, unread first, then the most recent: each annotated with
    `unread` (messages of the other side after the user's marker, withdrawn ones aside),
    `my_marker` and `last_message_id`. One query, however many threads."""
    unread_filter = Q(
        messages__side=other_side(user),
        messages__withdrawn_at__isnull=True,
        messages__id__gt=F("my_marker"),
    )
    return (
        access.visible_threads(user)
        .annotate(my_marker=_my_marker(user))
        .annotate(
            unread=Count("messages", filter=unread_filter),
            last_message_id=Max("messages__id"),
        )
        .annotate(
            has_unread=Case(
                When(unread__gt=0, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
        .order_by("-has_unread", F("last_message_at").desc(nulls_last=True), "-id")
    )


def unread_count(user: Any) -> int:
    """Unread messages across the user's conversations (the navigation's badge): one query; 0
    for roles without conversations, with no query."""
    if getattr(user, "role", None) not in access.MESSAGE_READERS:
        return 0
    return (
        Message.objects.filter(
            thread__in=access.visible_threads(user).values("pk"),
            side=other_side(user),
            withdrawn_at__isnull=True,
        )
        .annotate(my_marker=_my_marker(user, "thread_id"))
        .filter(id__gt=F("my_marker"))
        .count()
    )


def thread_etag(thread: Thread, *, query: str = "") -> str:
    """The ETag of a thread's messages: its version changes with every message, withdrawal and
    read marker; the query string (cursor) is part of it."""
    # crc32, not hash(): the same in every worker process.
    suffix = f".{zlib.crc32(query.encode()):08x}" if query else ""
    return f'"t{thread.pk}.v{thread.version}{suffix}"'


@dataclass(frozen=True)
class ReadUpTo:
    member: int
    care_team: int


def read_up_to(thread: Thread) -> ReadUpTo:
    """How far each side has read: the member's marker, and the furthest of the care team's
    (one query). A message is "seen" when the other side's marker has reached it."""
    rows = dict(
        ReadMarker.objects.filter(thread=thread)
        .values("side")
        .annotate(furthest=Max("last_read_id"))
        .values_list("side", "furthest")
    )
    return ReadUpTo(
        member=rows.get(AuthorSide.MEMBER, 0) or 0, care_team=rows.get(AuthorSide.CARE_TEAM, 0) or 0
    )


def is_seen(message: Message, read: ReadUpTo) -> bool:
    if message.side == AuthorSide.MEMBER:
        return message.pk <= read.care_team
    return message.pk <= read.member


DEFAULT_PAGE = 50
MAX_PAGE = 100


def messages_page(
    thread: Thread, *, before: int | None = None, after: int | None = None, limit: int = 50
) -> tuple[list[Message], bool]:
    """A page of a thread's messages, oldest first (newest last): the latest `limit` by default,
    those before a message id (scrolling back) or after one (polling). Returns the page and
    whether there are more in the direction asked (older, or newer when `after`)."""
    qs = Message.objects.filter(thread=thread).select_related("author", "exercise")
    if after is not None:
        rows = list(qs.filter(pk__gt=after).order_by("id")[: limit + 1])
        return rows[:limit], len(rows) > limit
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    return list(reversed(rows[:limit])), more


def record_thread_read(*, user: Any, thread: Thread) -> None:
    """A PT reading a conversation reads a member's record: audited as other reads are."""
    audit.record_read_by_staff(
        user=user, member_id=thread.member_id, obj=thread, object_type="messaging.thread"
    )


def record_thread_list_read(*, user: Any) -> None:
    """A PT's list of conversations names members: one audit row for the list."""
    audit.record_read_by_staff(user=user, member_id=None, object_type="messaging.thread_list")


def care_team_of(thread: Thread) -> list[Therapist]:
    """The member's PTs now (primary first): the other side of their conversation."""
    from members.models import CareAssignment

    rows = (
        CareAssignment.objects.filter(access.open_assignments(), member_id=thread.member_id)
        .filter(therapist__user__is_active=True)
        .select_related("therapist__user")
        .order_by("-is_primary", *access.PRIMARY_NEWEST_FIRST)
    )
    seen: dict[int, Therapist] = {}
    for row in rows:
        seen.setdefault(row.therapist_id, row.therapist)
    return list(seen.values())


def working_hours_of(organization: Organization | int) -> dict[str, list[list[str]]]:
    """The clinic's working hours (the default ones until a coordinator sets theirs)."""
    org_id = organization if isinstance(organization, int) else organization.pk
    row = WorkingHours.objects.filter(organization_id=org_id).values_list("hours", flat=True)
    found = row.first()
    return found if found else hours_rules.default_hours()


# --- coordinator's dashboard: counts, never content ----------------------------------------


def overdue_thread_count(user: Any, *, now: datetime | None = None) -> int:
    """Conversations of the user's organization (a PT: their caseload) with a member's message
    the care team has not read for more than a working day. Counts only: no content."""
    if getattr(user, "role", None) not in access.DASHBOARD_READERS:
        return 0
    now = now or timezone.now()
    members = access.dashboard_members(user)
    orgs = list(
        Organization.objects.filter(pk__in=members.values("user__organization_id")).values_list(
            "pk", "timezone"
        )
    )
    hours = dict(
        WorkingHours.objects.filter(organization_id__in=[o for o, _ in orgs]).values_list(
            "organization_id", "hours"
        )
    )
    condition = Q()
    any_cutoff = False
    for org_id, tz_name in orgs:
        cutoff = hours_rules.answered_by_cutoff(
            hours=hours.get(org_id) or hours_rules.default_hours(), tz=zone(tz_name), now=now
        )
        if cutoff is not None:
            any_cutoff = True
            condition |= Q(member__user__organization_id=org_id, oldest_unread_at__lt=cutoff)
    if not any_cutoff:
        return 0
    team_read = Coalesce(
        Subquery(
            ReadMarker.objects.filter(thread=OuterRef("thread_id"), side=AuthorSide.CARE_TEAM)
            .order_by("-last_read_id")
            .values("last_read_id")[:1]
        ),
        Value(0),
    )
    oldest_unread = (
        Message.objects.filter(side=AuthorSide.MEMBER, withdrawn_at__isnull=True)
        .annotate(team_read=team_read)
        .filter(thread=OuterRef("pk"), id__gt=F("team_read"))
        .order_by("id")
        .values("created_at")[:1]
    )
    return (
        Thread.objects.filter(member__in=members.values("pk"))
        .annotate(oldest_unread_at=Subquery(oldest_unread))
        .filter(condition)
        .count()
    )
