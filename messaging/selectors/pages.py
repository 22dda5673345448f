"""Reads for the messaging pages: unread counts (the navigation, the caseload, the PT's list of
conversations), one conversation with its "seen" marks, the member's plan exercises for the
"about this exercise" choice, and the clinic's working hours in words. Every queryset starts
from exercise_tracker.access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Max

from exercise_tracker import access
from members.models import Member, Role
from messaging.models import WEEKDAYS, Message, ReadMarker, ReplyTemplate, Thread
from messaging.polling import POLL_SECONDS as POLL_SECONDS
from messaging.selectors import threads
from messaging.services.messages import WITHDRAW_WINDOW
from programs.models import Exercise, PlanItem


def unread_by_member(user: Any) -> dict[int, int]:
    """member id → unread messages, for a PT's caseload and list of conversations (one query,
    the navigation's count per thread: messaging.selectors.threads.threads_for)."""
    if getattr(user, "role", None) not in access.MESSAGE_READERS:
        return {}
    rows = threads.threads_for(user).values_list("member_id", "unread")  # type: ignore[misc]
    return {member_id: unread for member_id, unread in rows if unread}


@dataclass
class ConversationRow:
    member: Member
    unread: int
    last_message_at: datetime | None


def conversations(user: Any) -> list[ConversationRow]:
    """A PT's caseload as conversations: unread first, then the latest message first, then
    members without a message yet by name. Two queries."""
    members = list(
        access.visible_members(user)
        .annotate(last_message_at=Max("message_thread__last_message_at"))
        .order_by("user__last_name", "user__first_name", "pk")
    )
    unread = unread_by_member(user)
    rows = [ConversationRow(m, unread.get(m.pk, 0), m.last_message_at) for m in members]
    rows.sort(
        key=lambda r: (
            r.unread == 0,
            r.last_message_at is None,
            -(r.last_message_at.timestamp() if r.last_message_at else 0),
        )
    )
    return rows


def visible_member(user: Any, member_id: int) -> Member | None:
    """A member whose conversation this user may open (the member themselves, their PTs)."""
    if getattr(user, "role", None) not in (Role.MEMBER, Role.THERAPIST):
        return None
    return access.visible_members(user).filter(pk=member_id).first()


def thread_of(user: Any, member: Member) -> Thread | None:
    return access.visible_threads(user).filter(member=member).first()


@dataclass
class Shown:
    """One message as the page shows it."""

    message: Message
    own: bool
    seen: bool
    unread: bool
    may_withdraw: bool


def shown(user: Any, thread: Thread, items: list[Message], *, now: datetime) -> list[Shown]:
    """The page's view of messages: whose, seen by the other side, new to the viewer, still
    withdrawable by them (one query: the read markers)."""
    read = threads.read_up_to(thread)
    mine = read.member if user.role == Role.MEMBER else None
    if mine is None:
        mine = (
            ReadMarker.objects.filter(thread=thread, user_id=user.pk)
            .values_list("last_read_id", flat=True)
            .first()
            or 0
        )
    out = []
    for message in items:
        own = message.author_id == user.pk
        out.append(
            Shown(
                message=message,
                own=own,
                seen=own and threads.is_seen(message, read),
                unread=not own and message.pk > mine and message.withdrawn_at is None,
                may_withdraw=own
                and message.withdrawn_at is None
                and now - message.created_at <= WITHDRAW_WINDOW,
            )
        )
    return out


def plan_exercises(member: Member) -> list[Exercise]:
    """The exercises of the member's active plan, for "about this exercise" (one query)."""
    current = PlanItem.objects.filter(
        plan__member=member, plan__status="active", valid_to_revision__isnull=True
    ).values("exercise_id")
    return list(Exercise.objects.filter(pk__in=current).order_by("name"))


def reply_templates(user: Any) -> list[ReplyTemplate]:
    return list(ReplyTemplate.objects.filter(therapist__user_id=user.pk).order_by("title", "pk"))


# --- working hours -----------------------------------------------------------------------------

DAY_NAMES = {
    "monday": "Monday",
    "tuesday": "Tuesday",
    "wednesday": "Wednesday",
    "thursday": "Thursday",
    "friday": "Friday",
    "saturday": "Saturday",
    "sunday": "Sunday",
}


@dataclass(frozen=True)
class HoursLine:
    days: str  # "Monday to Friday", "Saturday"
    times: str  # "8:00 to 17:00"


def _clock(value: str) -> str:
    hour, minute = value.split(":")
    return f"{int(hour)}:{minute}"


def hours_lines(hours: dict[str, list[list[str]]]) -> list[HoursLine]:
    """Working hours in words, neighbouring days with the same times joined: "Monday to
    Friday: 8:00 to 17:00". Closed days are left out."""
    lines: list[HoursLine] = []
    run: list[str] = []
    times = ""

    def close() -> None:
        if run and times:
            days = (
                DAY_NAMES[run[0]]
                if len(run) == 1
                else f"{DAY_NAMES[run[0]]} to {DAY_NAMES[run[-1]]}"
            )
            lines.append(HoursLine(days=days, times=times))

    for day in WEEKDAYS:
        spans = hours.get(day) or []
        text = ", ".join(f"{_clock(a)} to {_clock(b)}" for a, b in spans)
        if text and text == times:
            run.append(day)
            continue
        close()
        run, times = ([day], text) if text else ([], "")
    close()
    return lines
