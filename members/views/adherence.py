"""Adherence pages: the coordinator's dashboard and one member's adherence (for their PT, their
coordinator and staff), both read through members.selectors.adherence, as the API is."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from exercise_tracker import access, audit, clock
from exercise_tracker.views import role_required
from members.models import Risk, Role, User
from members.rules import adherence as rules
from members.selectors import adherence as selectors
from members.selectors import rtm, walks
from members.selectors.adherence_filters import FILTER_PARAMS, filters_from, window_errors
from members.services import rtm as rtm_services
from messaging.selectors.threads import overdue_thread_count
from programs.selectors.lessons import lesson_progress, member_lessons

ROWS_PER_PAGE = 50
STATUS_WORDS = {
    "done": ("✓", "All sessions done"),
    "partly": ("◐", "Some sessions done"),
    "missed": ("✗", "Nothing done"),
    "rest": ("\u2013", "Nothing prescribed"),  # an en dash
    "pending": ("○", "Today: not done yet"),
}


def _errors_text(exc: ValidationError) -> list[str]:
    detail = exc.detail if isinstance(exc.detail, dict) else {"": exc.detail}
    return [f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in detail.items()]


def board_context(request: HttpRequest) -> dict[str, Any]:
    """The dashboard's figures for the page's filters; bad filters become messages, and the
    dashboard shows unfiltered instead of failing."""
    params = {name: request.GET[name] for name in FILTER_PARAMS if request.GET.get(name)}
    errors: list[str] = []
    try:
        filters = filters_from(params, request.user, today=timezone.localdate())
    except ValidationError as exc:
        errors = _errors_text(exc)
        params = {}
        filters = selectors.Filters()
    cursor = request.GET.get("cursor") or None
    number = request.GET.get("page", "")
    page = (
        int(number) if number.isascii() and number.isdigit() and 0 < int(number) < 10**6 else None
    )
    try:
        board = selectors.dashboard(
            request.user,
            filters,
            cursor=cursor,
            page=None if cursor else page,
            page_size=ROWS_PER_PAGE,
        )
    except selectors.BadCursor:
        errors.append("That page link is out of date: back to the first page.")
        board = selectors.dashboard(request.user, filters, page_size=ROWS_PER_PAGE)
    audit.record_read_by_staff(
        request=request, member_id=None, object_type="members.adherence_dashboard"
    )
    return {
        "board": board,
        "summary": board.summary(),
        "by_therapist": board.by_therapist(),
        "by_template": board.by_template(),
        "distribution": board.distribution(),
        "count": board.count,
        "next_query": urlencode({**params, "cursor": board.next_cursor})
        if board.next_cursor
        else None,
        "previous_query": urlencode({**params, "cursor": board.previous_cursor})
        if board.previous_cursor
        else None,
        "rows": board.rows,
        "lesson_progress": lesson_progress([row.member_id for row in board.rows]),
        # A count only: coordinators never read the messages themselves.
        "messages_waiting": overdue_thread_count(request.user),
        "params": params,
        "query": urlencode(params),
        "csv_query": urlencode({**params, "format": "csv"}),
        "errors": errors,
        "therapist_choices": sorted(board.therapists.items(), key=lambda t: t[1]),
        "template_choices": sorted(board.templates.items(), key=lambda t: t[1]),
        "risk_choices": Risk.choices,
        "ordering_choices": ORDERING_LABELS,
        "chart_data": {
            "weeks": [
                {
                    "week": week["week_start"].isoformat(),
                    "adherence": week["adherence"],
                    "in_progress": week["in_progress"],
                }
                for week in board.weeks
            ],
            "distribution": board.distribution(),
            "target": rules.ADHERENT_PERCENT,
        },
        "target": rules.ADHERENT_PERCENT,
        "source_note": selectors.SOURCE_NOTE,
    }


ORDERING_LABELS = (
    ("risk", "At risk first"),
    ("adherence", "Adherence, lowest first"),
    ("-adherence", "Adherence, highest first"),
    ("-last_active", "Active most recently"),
    ("last_active", "Longest without a session"),
    ("-current_streak", "Longest streak"),
    ("name", "Name"),
)


@role_required(Role.COORDINATOR, Role.STAFF)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "members/dashboard.html", board_context(request))


def _calendar(figures: selectors.MemberFigures) -> list[dict[str, Any]]:
    """The window's days, Monday-first weeks, each day with a symbol and words (not colour)."""
    by_date = {day.date: day for day in figures.days}
    start, end = figures.window.start, figures.window.end
    weeks: list[dict[str, Any]] = []
    day = rules.week_start(start)
    while day <= end:
        if day.weekday() == 0:
            weeks.append({"start": day, "days": []})
        found = by_date.get(day)
        if day < start:
            status = "outside"
        elif found is None or not found.prescribed:
            status = "rest" if not (found and found.done) else "done"
        elif found.credited >= found.prescribed:
            status = "done"
        elif found.credited or found.done:
            status = "partly"
        elif day == end and not found.due:
            status = "pending"  # the member's today, not over yet
        else:
            status = "missed"
        symbol, word = STATUS_WORDS.get(status, ("", ""))
        weeks[-1]["days"].append(
            {"date": day, "status": status, "symbol": symbol, "word": word, "today": day == end}
        )
        day += timedelta(days=1)
    for week in weeks:  # pad the last week to seven cells
        while len(week["days"]) < 7:
            week["days"].append({"status": "outside", "symbol": "", "word": ""})
    return weeks


@role_required(Role.THERAPIST, Role.COORDINATOR, Role.STAFF)
def member_adherence(request: HttpRequest, member_id: int) -> HttpResponse:
    member = access.visible_members(request.user).filter(pk=member_id).first()
    if member is None:
        raise Http404
    errors: list[str] = []
    start = end = None
    try:
        start = date.fromisoformat(request.GET["from"]) if request.GET.get("from") else None
        end = date.fromisoformat(request.GET["to"]) if request.GET.get("to") else None
    except ValueError:
        errors.append("Give dates as YYYY-MM-DD.")
    problems = window_errors(start, end, today=timezone.localdate())
    if problems:
        errors += [f"{field}: {' '.join(texts)}" for field, texts in problems.items()]
        start = end = None
    figures = selectors.member_figures(member, start=start, end=end)
    audit.record_read_by_staff(request=request, member_id=member.pk, obj=member)
    today = clock.local_today(member)
    # The last 90 days: three supply periods and the months they touch.
    monitored = rtm.rtm_for_members([member], start=today - timedelta(days=89), end=today)
    monitoring = monitored[0] if monitored else None
    summary = figures.summary
    is_pt = getattr(request.user, "role", None) == Role.THERAPIST
    return render(
        request,
        "members/member_adherence.html",
        {
            "member": member,
            "figures": figures,
            "window": figures.window,
            "summary": summary,
            "risk_label": Risk(summary.risk).label if summary else Risk.NO_PLAN.label,
            "risk": summary.risk if summary else Risk.NO_PLAN,
            "calendar": _calendar(figures),
            "legend": list(STATUS_WORDS.values()),
            "with_pain": getattr(request.user, "role", None) != Role.COORDINATOR,
            # Clinical, like pain: PTs and staff only.
            "walking": walks.tolerance_by_member([member]).get(member.pk)
            if getattr(request.user, "role", None) != Role.COORDINATOR
            else None,
            "is_pt": is_pt,
            "errors": errors,
            "monitoring": monitoring,
            "episode": rtm.episodes_of(member).filter(end_date__isnull=True).first(),
            "reviews": list(rtm.review_times_of(member)[:5]) if is_pt else [],
            "today": today,
            "chart_data": {
                "weeks": [
                    {"week": w["week_start"].isoformat(), "adherence": w["adherence"]}
                    for w in figures.weeks
                ],
                "distribution": [],
                "target": rules.ADHERENT_PERCENT,
            },
            "source_note": selectors.SOURCE_NOTE,
            "lessons": (lessons := member_lessons(member)),
            "read_count": sum(1 for row in lessons if row.read_at is not None),
        },
    )


def _post_errors(exc: DjangoValidationError) -> str:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    return "; ".join(" ".join(messages) for messages in fields.values())


@require_POST
@role_required(Role.THERAPIST)
def member_review_time(request: HttpRequest, member_id: int) -> HttpResponse:
    """The PT's form on the member's page: minutes spent on their data, live or not."""
    member = access.visible_members(request.user).filter(pk=member_id).first()
    if member is None:
        raise Http404
    try:
        minutes = int(request.POST.get("minutes", ""))
        day = date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        messages.error(request, "Give the date and the minutes as numbers.")
        return redirect("member-adherence", member_id=member.pk)
    try:
        rtm_services.record_review_time(
            user=cast(User, request.user),
            member=member,
            date=day,
            minutes=minutes,
            live_interaction=request.POST.get("live_interaction") == "1",
        )
    except DjangoValidationError as exc:
        messages.error(request, f"Not recorded: {_post_errors(exc)}")
    else:
        messages.success(request, f"{minutes} minutes recorded.")
    return redirect("member-adherence", member_id=member.pk)


@require_POST
@role_required(Role.THERAPIST)
def member_monitoring_start(request: HttpRequest, member_id: int) -> HttpResponse:
    """Starts remote monitoring today, once the PT confirms the member's consent."""
    member = access.visible_members(request.user).filter(pk=member_id).first()
    if member is None:
        raise Http404
    if request.POST.get("consent") != "1":
        messages.error(request, "Monitoring needs the member's consent: tick the box.")
        return redirect("member-adherence", member_id=member.pk)
    now = timezone.now()
    try:
        rtm_services.start_monitoring(
            user=cast(User, request.user),
            member=member,
            start_date=clock.local_today(member, now),
            consent_at=now,
        )
    except DjangoValidationError as exc:
        messages.error(request, f"Not started: {_post_errors(exc)}")
    else:
        messages.success(request, "Remote monitoring started, with the member's consent.")
    return redirect("member-adherence", member_id=member.pk)
