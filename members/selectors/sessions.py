"""Reads about session logs: the member's today (what is due, what is done, the streak) and
logged sessions with their entries, in a fixed number of queries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from exercise_tracker import access
from exercise_tracker.clock import local_today
from members.models import Member, SessionEntry, SessionLog
from members.models.logs import DONE_STATUSES
from members.rules import adherence
from members.selectors.outcomes import DueAssessment, due_assessments
from programs.models import ExerciseImage, Plan, PlanStatus
from programs.rules.doses import dose_label
from programs.selectors.schedule import DayPrescription, prescribed_sessions

# The streak looks this far back at most: enough for any streak a member would be shown.
STREAK_WINDOW_DAYS = 120
# Logged numbers above twice the prescription are refused (members.services.sessions).
IMPLAUSIBLE_FACTOR = 2


def current_streak(
    *, today: date, prescribed: dict[date, DayPrescription], done_days: set[date]
) -> int:
    """Prescribed days done in a row up to today (members.rules.adherence.streaks: rest days neither
    count nor break the run; today not done yet does not break it)."""
    current, _ = adherence.streaks(
        prescribed_days=[day for day, p in prescribed.items() if p.items],
        done_days=done_days,
        today=today,
    )
    return current


def streak_for(*, member: Member | int, today: date) -> int:
    """The member's current streak, as the today page shows it (two queries and the schedule's
    three), for callers without the schedule at hand (the reminder's words)."""
    member_id = member if isinstance(member, int) else member.pk
    since = today - timedelta(days=STREAK_WINDOW_DAYS)
    schedule = prescribed_sessions(member=member_id, start=since, end=today)
    done_days = set(
        SessionLog.objects.filter(
            member_id=member_id,
            local_date__gte=since,
            local_date__lte=today,
            status__in=DONE_STATUSES,
        ).values_list("local_date", flat=True)
    )
    return current_streak(today=today, prescribed=schedule, done_days=done_days)


@dataclass(frozen=True)
class TodayItem:
    """One exercise due today: the item version in force, its exercise and dose, and how many
    times it is due and was done today."""

    plan_item: int
    exercise: dict[str, Any]
    dose: dict[str, Any]
    dose_text: str
    note: str
    times_due: int
    times_done: int
    max: dict[str, int | None]
    precautions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan_item": self.plan_item,
            "exercise": self.exercise,
            "dose": self.dose,
            "dose_text": self.dose_text,
            "note": self.note,
            "precautions": self.precautions,
            "times_due": self.times_due,
            "times_done": self.times_done,
        }


@dataclass(frozen=True)
class Today:
    date: date
    timezone: str
    plan: dict[str, Any] | None
    items: list[TodayItem]
    due: list[DueAssessment]
    streak: int
    sessions_today: int
    last_scores: dict[str, int | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "timezone": self.timezone,
            "plan": self.plan,
            "items": [item.as_dict() for item in self.items],
            "due_questionnaires": [d.as_dict() for d in self.due],
            "streak": self.streak,
            "sessions_today": self.sessions_today,
        }


def _pictures(exercise_ids: Iterable[int], absolute: Callable[[str], str]) -> dict[int, Any]:
    """exercise id → (picture URL or None, alt text) of its main picture, in one query: the
    small thumbnail, or the original until the thumbnail task has made it."""
    ids = list(exercise_ids)
    if not ids:
        return {}
    storage = ExerciseImage._meta.get_field("thumbnail_small").storage
    rows = ExerciseImage.objects.filter(exercise_id__in=ids, is_main=True).values_list(
        "exercise_id", "thumbnail_small", "image", "alt_text"
    )
    return {
        exercise_id: (absolute(storage.url(thumb or original)) if thumb or original else None, alt)
        for exercise_id, thumb, original, alt in rows
    }


def today_for(
    member: Member, *, now: datetime | None = None, absolute: Callable[[str], str] = str
) -> Today:
    """What the member's today page shows, in the member's time zone: the items in force today,
    done counts, due questionnaires and the streak. About nine queries, whatever the plan."""
    today = local_today(member, now)
    schedule = prescribed_sessions(
        member=member, start=today - timedelta(days=STREAK_WINDOW_DAYS), end=today
    )
    prescribed = schedule[today].items
    sessions = list(
        SessionLog.objects.filter(
            member=member,
            local_date__gte=today - timedelta(days=STREAK_WINDOW_DAYS),
            local_date__lte=today,
        )
        .order_by("local_date", "id")
        .values_list("local_date", "status", "pain_before", "pain_after", "rpe")
    )
    done_days = {day for day, status, *_ in sessions if status in DONE_STATUSES}
    # Done today, per item across its versions (a revision made today changes the version id).
    done = Counter(
        SessionEntry.objects.filter(
            session__member=member, session__local_date=today, done=True
        ).values_list("plan_item__key", flat=True)
    )
    pictures = _pictures({p.item.exercise_id for p in prescribed}, absolute)
    items: list[TodayItem] = []
    for entry in sorted(prescribed, key=lambda p: (p.plan_id, p.item.order, p.item.pk)):
        item = entry.item
        exercise = item.exercise
        thumbnail, alt = pictures.get(exercise.pk, (None, None))
        dose = {
            "sets": item.sets,
            "reps": item.reps,
            "hold_seconds": item.hold_seconds,
            "duration_seconds": item.duration_seconds,
            "rest_seconds": item.rest_seconds,
            "side": item.side,
            "load": item.load,
            "target_rpe": item.target_rpe,
            "times_per_day": item.times_per_day,
        }
        items.append(
            TodayItem(
                plan_item=item.pk,
                exercise={
                    "id": exercise.pk,
                    "name": exercise.name,
                    "slug": exercise.slug,
                    "dosing": exercise.dosing,
                    "thumbnail": thumbnail,
                    "thumbnail_alt_text": alt or exercise.name,
                    "instructions": [str(s) for s in exercise.instructions or [] if str(s).strip()],
                    "url": absolute(reverse("programs:plan-exercise", args=[exercise.pk])),
                },
                # What the PT wrote to take care of: the member reads it beside the exercise.
                precautions=[str(p) for p in exercise.precautions or [] if str(p).strip()],
                dose=dose,
                dose_text=dose_label(dose, dosing=exercise.dosing),
                note=item.note,
                times_due=item.times_per_day,
                times_done=done.get(item.key, 0),
                max={
                    "sets": IMPLAUSIBLE_FACTOR * item.sets,
                    "reps": IMPLAUSIBLE_FACTOR * item.reps if item.reps else None,
                },
            )
        )
    plan = (
        Plan.objects.filter(member=member, status=PlanStatus.ACTIVE)
        .order_by("-start_date", "-id")
        .values("id", "title", "note_to_member")
        .first()
    )
    last = sessions[-1] if sessions else None
    return Today(
        date=today,
        timezone=member.timezone,
        plan=(
            {"id": plan["id"], "title": plan["title"], "note": plan["note_to_member"]}
            if plan
            else None
        ),
        items=items,
        due=due_assessments(member=member, on=today),
        streak=current_streak(today=today, prescribed=schedule, done_days=done_days),
        sessions_today=sum(1 for day, *_ in sessions if day == today),
        last_scores=(
            {"pain_before": last[2], "pain_after": last[3], "rpe": last[4]} if last else {}
        ),
    )


# --- logged sessions ---------------------------------------------------------------------------


def entries_prefetch() -> Prefetch:
    entries = SessionEntry.objects.select_related("plan_item", "exercise").only(
        "id",
        "session_id",
        "plan_item__id",
        "plan_item__sets",
        "plan_item__reps",
        "plan_item__hold_seconds",
        "plan_item__duration_seconds",
        "plan_item__side",
        "exercise__id",
        "exercise__name",
        "status",
        "done",
        "sets_done",
        "reps_done",
        "hold_seconds_done",
        "duration_seconds_done",
        "side",
        "feedback",
        "pain",
    )
    return Prefetch("entries", queryset=entries.order_by("id"))


def sessions_with_entries(user: Any) -> QuerySet[SessionLog]:
    """The sessions this user may read, newest first, entries and their exercises prefetched
    (three queries for a page, whatever its length)."""
    return (
        access.visible_sessions(user)
        .select_related("member")
        .prefetch_related(entries_prefetch())
        .order_by("-local_date", "-created_at", "-id")
    )
