"""Reads of adherence: the dashboard's per-member rows and roll-ups (organization, by PT, by
template, week by week), and one member's figures, from the roll-ups members.services.adherence
keeps (never by replaying schedules). A fixed number of queries whatever the number of members.

The default window is each member's last 30 local days (their MemberAdherence row, made as of
their today). A window given with `from` and `to` is summed from the day rows. Labels (risk,
streaks, last active) are always as of the member's today. Figures are self-reported.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Case, Count, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from exercise_tracker import access, clock
from members.models import (
    AT_RISK,
    RISK_ORDER,
    AdherenceDay,
    AdherenceWeek,
    Alert,
    Member,
    MemberAdherence,
    ReminderSchedule,
    Risk,
    Role,
    Therapist,
)
from members.models.alerts import ACTIVE_STATUSES
from members.rules import adherence as rules
from members.selectors import walks
from programs.models import Plan, PlanStatus

SOURCE = "self-reported"
SOURCE_NOTE = "Figures are self-reported by members in the app."
CHART_WEEKS = 12
MAX_WINDOW_DAYS = 366
BANDS = ((0, 20, "0-19%"), (20, 40, "20-39%"), (40, 60, "40-59%"), (60, 80, "60-79%"))
TOP_BAND = (80, "80-100%")
NO_FIGURE = "none"
ORDERINGS = (
    "risk",
    "adherence",
    "-adherence",
    "name",
    "-name",
    "last_active",
    "-last_active",
    "current_streak",
    "-current_streak",
    "active_days_30",
    "-active_days_30",
)


@dataclass
class Row:
    """One member on the dashboard."""

    member_id: int
    name: str
    therapist_id: int | None
    template_id: int | None
    prescribed: int = 0
    completed: int = 0
    active_days_30: int = 0
    current_streak: int = 0
    best_streak: int = 0
    last_active: date | None = None
    has_plan: bool = False
    risk: str = Risk.NO_PLAN
    pain_first_week: float | None = None
    pain_last_week: float | None = None
    open_alerts: int = 0
    reminders: str = "none"
    therapist_name: str = ""
    template_name: str = ""
    _adherence_of: tuple[int, int] | None = field(default=None, repr=False, compare=False)
    _adherence: float | None = field(default=None, repr=False, compare=False)

    @property
    def risk_label(self) -> str:
        return str(Risk(self.risk).label)

    @property
    def adherence(self) -> float | None:
        # Read about ten times per row by the sort and the roll-ups: computed once for the
        # figures it was computed from (a window applied later changes them).
        key = (self.completed, self.prescribed)
        if self._adherence_of != key:
            self._adherence_of = key
            self._adherence = rules.percent(self.completed, self.prescribed)
        return self._adherence

    @property
    def pain_trend(self) -> str | None:
        return rules.pain_trend(self.pain_first_week, self.pain_last_week)


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    therapist: int | None = None
    template: int | None = None
    risk: str | None = None
    ordering: str = "risk"


@dataclass
class Dashboard:
    """Everything the dashboard shows: rows (sorted, all of them) and their roll-ups."""

    start: date
    end: date
    rolling: bool
    rows: list[Row]
    therapists: dict[int, str]
    templates: dict[int, str]
    weeks: list[dict[str, Any]] = field(default_factory=list)
    with_pain: bool = False
    # member id → walking tolerance (PTs and staff only: clinical, like pain)
    walking: dict[int, Any] = field(default_factory=dict)

    # --- roll-ups, computed from the rows --------------------------------------------------

    def summary(self) -> dict[str, Any]:
        return {
            **_rollup(self.rows),
            "by_risk": {risk.value: 0 for risk in Risk}
            | dict(Counter(row.risk for row in self.rows)),
            "mean_active_days_30": (
                round(sum(r.active_days_30 for r in self.rows) / len(self.rows), 1)
                if self.rows
                else None
            ),
            "rtm_threshold_members": sum(
                1 for r in self.rows if r.active_days_30 >= RTM_SUPPLY_DAYS
            ),
            "open_alerts": sum(r.open_alerts for r in self.rows),
        }

    def by_therapist(self) -> list[dict[str, Any]]:
        groups: dict[int | None, list[Row]] = defaultdict(list)
        for row in self.rows:
            groups[row.therapist_id].append(row)
        return sorted(
            (
                {"id": key, "name": self.therapists.get(key, "No PT") if key else "No PT"}
                | _rollup(rows)
                for key, rows in groups.items()
            ),
            key=lambda g: (g["id"] is None, g["name"]),
        )

    def by_template(self) -> list[dict[str, Any]]:
        groups: dict[int | None, list[Row]] = defaultdict(list)
        for row in self.rows:
            groups[row.template_id].append(row)
        return sorted(
            (
                {
                    "id": key,
                    "name": self.templates.get(key, "Plan without a template")
                    if key
                    else "Plan without a template or no plan",
                }
                | _rollup(rows)
                for key, rows in groups.items()
            ),
            key=lambda g: (g["id"] is None, g["name"]),
        )

    def distribution(self) -> list[dict[str, Any]]:
        counts = Counter(band_of(row.adherence) for row in self.rows)
        labels = [label for _, _, label in BANDS] + [TOP_BAND[1], NO_FIGURE]
        return [{"band": label, "members": counts.get(label, 0)} for label in labels]


RTM_SUPPLY_DAYS = 16  # shared/domain/CLINICAL.md: 98977 at 16 or more days of data


def band_of(percent: float | None) -> str:
    if percent is None:
        return NO_FIGURE
    for low, high, label in BANDS:
        if low <= percent < high:
            return label
    return TOP_BAND[1]


def _rollup(rows: Sequence[Row]) -> dict[str, Any]:
    with_figure = [r.adherence for r in rows if r.adherence is not None]
    prescribed = sum(r.prescribed for r in rows)
    completed = sum(r.completed for r in rows)
    return {
        "members": len(rows),
        "with_plan": sum(1 for r in rows if r.has_plan),
        "prescribed_sessions": prescribed,
        "completed_sessions": completed,
        # Sessions done over sessions due, all members pooled: the organization's adherence.
        "adherence": rules.percent(completed, prescribed),
        "mean_member_adherence": (
            round(sum(with_figure) / len(with_figure), 1) if with_figure else None
        ),
        "adherent_members": sum(1 for p in with_figure if p >= rules.ADHERENT_PERCENT),
        "at_risk": sum(1 for r in rows if r.risk in AT_RISK),
    }


# --- the rows ---------------------------------------------------------------------------------


def _current_template() -> Subquery:
    """The template of the member's plan in force (active, else paused, else the latest)."""
    rank = Case(
        When(status=PlanStatus.ACTIVE, then=Value(0)),
        When(status=PlanStatus.PAUSED, then=Value(1)),
        default=Value(2),
    )
    return Subquery(
        Plan.objects.filter(member=OuterRef("pk"))
        .exclude(status=PlanStatus.DRAFT)
        .order_by(rank, "-start_date", "-id")
        .values("created_from_id")[:1]
    )


def filtered_members(user: Any, filters: Filters) -> QuerySet[Member]:
    """The dashboard's members for this user and filters, with their PT and template. Members
    discharged from care are not watched for adherence any more: they are left out (their
    history stays on their own pages)."""
    qs = (
        access.dashboard_members(user)
        .filter(discharged_on__isnull=True)
        .annotate(therapist_id=access.primary_therapist_id(), template_id=_current_template())
    )
    if filters.therapist is not None:
        qs = qs.filter(therapist_id=filters.therapist)
    if filters.template is not None:
        qs = qs.filter(template_id=filters.template)
    if filters.risk is not None:
        condition = Q(adherence__risk=filters.risk)
        if filters.risk == Risk.NO_PLAN:
            condition |= Q(adherence__isnull=True)
        qs = qs.filter(condition)
    return qs


SUMMARY_COLUMNS = (
    "adherence__as_of",
    "adherence__prescribed",
    "adherence__completed",
    "adherence__active_days_30",
    "adherence__current_streak",
    "adherence__best_streak",
    "adherence__last_active",
    "adherence__has_plan",
    "adherence__risk",
    "adherence__pain_first_week",
    "adherence__pain_last_week",
)


def _rows(members: QuerySet[Member]) -> tuple[list[Row], list[date]]:
    """A Row per member from their MemberAdherence (one query), and the as_of dates seen."""
    rows: list[Row] = []
    as_of: list[date] = []
    for values in members.order_by().values_list(
        "pk", "user__first_name", "user__last_name", "user__username",
        "therapist_id", "template_id", *SUMMARY_COLUMNS,
    ):  # fmt: skip
        pk, first, last, username, therapist_id, template_id, day, *figures = values
        name = f"{first} {last}".strip() or username
        row = Row(member_id=pk, name=name, therapist_id=therapist_id, template_id=template_id)
        if day is not None:
            as_of.append(day)
            (
                row.prescribed,
                row.completed,
                row.active_days_30,
                row.current_streak,
                row.best_streak,
                row.last_active,
                row.has_plan,
                row.risk,
                row.pain_first_week,
                row.pain_last_week,
            ) = figures
        rows.append(row)
    return rows, as_of


def _window_sums(members: QuerySet[Member], start: date, end: date) -> dict[int, dict[str, Any]]:
    """Per member, the window's sums from the day rows (one grouped query)."""
    last_30 = end - timedelta(days=rules.WINDOW_DAYS - 1)
    first_week_end = start + timedelta(days=rules.WEEK_DAYS - 1)
    last_week_start = end - timedelta(days=rules.WEEK_DAYS - 1)
    first_week = Q(date__lte=first_week_end)
    last_week = Q(date__gte=last_week_start)
    rows = (
        AdherenceDay.objects.filter(
            member_id__in=members.order_by().values("pk"), date__gte=start, date__lte=end
        )
        .order_by()
        .values("member_id")
        .annotate(
            due=Sum("due"),
            credited=Sum("credited"),
            active=Count("pk", filter=Q(done__gt=0, date__gte=last_30)),
            prescribed_days=Count("pk", filter=Q(prescribed__gt=0)),
            pain_first=Coalesce(Sum("pain_total", filter=first_week), 0),
            pain_first_n=Coalesce(Sum("pain_count", filter=first_week), 0),
            pain_last=Coalesce(Sum("pain_total", filter=last_week), 0),
            pain_last_n=Coalesce(Sum("pain_count", filter=last_week), 0),
        )
    )
    return {row["member_id"]: dict(row) for row in rows}


def _apply_window(rows: list[Row], sums: dict[int, dict[str, Any]]) -> None:
    for row in rows:
        found = sums.get(row.member_id)
        row.prescribed = found["due"] if found else 0
        row.completed = found["credited"] if found else 0
        row.active_days_30 = found["active"] if found else 0
        row.has_plan = bool(found and found["prescribed_days"])
        row.pain_first_week = (
            round(found["pain_first"] / found["pain_first_n"], 1)
            if found and found["pain_first_n"]
            else None
        )
        row.pain_last_week = (
            round(found["pain_last"] / found["pain_last_n"], 1)
            if found and found["pain_last_n"]
            else None
        )


def _weeks(members: QuerySet[Member], start: date, end: date) -> list[dict[str, Any]]:
    """The calendar weeks (Monday first) from `start` to `end`, each with sessions due and done,
    summed over the members (one grouped query on the week rows)."""
    first = rules.week_start(start)
    sums = {
        row["week_start"]: row
        for row in AdherenceWeek.objects.filter(
            member_id__in=members.order_by().values("pk"),
            week_start__gte=first,
            week_start__lte=end,
        )
        .order_by()
        .values("week_start")
        .annotate(due=Sum("due"), credited=Sum("credited"))
    }
    weeks = []
    week = first
    while week <= end:
        found: dict[str, Any] = dict(sums.get(week) or {})
        due, credited = found.get("due") or 0, found.get("credited") or 0
        weeks.append(
            {
                "week_start": week,
                "prescribed_sessions": due,
                "completed_sessions": credited,
                "adherence": rules.percent(credited, due),
                "in_progress": week + timedelta(days=6) > end,
            }
        )
        week += timedelta(days=7)
    # Weeks before anyone had a plan say nothing: the chart starts at the first with one.
    while len(weeks) > 1 and not weeks[0]["prescribed_sessions"]:
        weeks.pop(0)
    return weeks


def _alerts_and_reminders(members: QuerySet[Member], rows: Iterable[Row]) -> None:
    """Open alerts and reminder status per member: two grouped queries."""
    ids = members.order_by().values("pk")
    alerts = dict(
        Alert.objects.filter(member_id__in=ids, status__in=ACTIVE_STATUSES)
        .order_by()
        .values("member_id")
        .annotate(n=Count("pk"))
        .values_list("member_id", "n")
    )
    reminders = {
        member_id: "on" if enabled else "off"
        for member_id, enabled in ReminderSchedule.objects.filter(member_id__in=ids)
        .order_by()
        .values("member_id")
        .annotate(enabled=Count("pk", filter=Q(enabled=True)))
        .values_list("member_id", "enabled")
    }
    for row in rows:
        row.open_alerts = alerts.get(row.member_id, 0)
        row.reminders = reminders.get(row.member_id, "none")


def _sort(rows: list[Row], ordering: str) -> None:
    descending = ordering.startswith("-")
    key = ordering.lstrip("-")
    if key == "risk":
        # Worst first, then the lowest adherence, members without a figure last.
        rows.sort(
            key=lambda r: (
                RISK_ORDER.get(r.risk, len(RISK_ORDER)),
                r.adherence is None,
                r.adherence or 0.0,
                r.name.lower(),
            )
        )
        return
    if key == "name":
        rows.sort(key=lambda r: (r.name.lower(), r.member_id), reverse=descending)
        return
    # Members without the figure always come last, whichever way the rest is sorted.
    present = [r for r in rows if getattr(r, key) is not None]
    absent = [r for r in rows if getattr(r, key) is None]
    present.sort(key=lambda r: (getattr(r, key), r.name.lower()), reverse=descending)
    rows[:] = present + sorted(absent, key=lambda r: r.name.lower())


def dashboard(
    user: Any, filters: Filters, *, today: date | None = None, with_weeks: bool = True
) -> Dashboard:
    """The dashboard for this user (without the week-by-week series when `with_weeks` is
    False). Seven queries, whatever the number of members (two more for PTs and staff: the
    walking tolerance)."""
    members = filtered_members(user, filters)
    rows, as_of = _rows(members)
    rolling = filters.start is None and filters.end is None
    if rolling:
        end = max(as_of) if as_of else (today or timezone.now().date())
        start = end - timedelta(days=rules.WINDOW_DAYS - 1)
    else:
        end = filters.end or (today or timezone.now().date())
        start = filters.start or end - timedelta(days=rules.WINDOW_DAYS - 1)
        _apply_window(rows, _window_sums(members, start, end))
    _alerts_and_reminders(members, rows)
    _sort(rows, filters.ordering)
    therapists = _therapist_names(user)
    templates = dict(access.nameable_templates(user).values_list("pk", "name"))
    for row in rows:
        row.therapist_name = therapists.get(row.therapist_id, "") if row.therapist_id else ""
        row.template_name = templates.get(row.template_id, "") if row.template_id else ""
    chart_start = min(start, end - timedelta(weeks=CHART_WEEKS) + timedelta(days=1))
    with_pain = getattr(user, "role", None) in (Role.THERAPIST, Role.STAFF)
    return Dashboard(
        start=start,
        end=end,
        rolling=rolling,
        rows=rows,
        therapists=therapists,
        templates=templates,
        weeks=_weeks(members, chart_start, end) if with_weeks else [],
        with_pain=with_pain,
        walking=_walking(members) if with_pain else {},
    )


def _walking(members: QuerySet[Member]) -> dict[int, Any]:
    """Walking tolerance of the members with walks (one query for the zones, one for walks)."""
    return walks.tolerance_by_member(dict(members.values_list("pk", "timezone")))


def _therapist_names(user: Any) -> dict[int, str]:
    names = {}
    for pk, first, last, username in access.visible_therapists(user).values_list(
        "pk", "user__first_name", "user__last_name", "user__username"
    ):
        names[pk] = f"{first} {last}".strip() or username
    return names


# --- one member ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberFigures:
    member: Member
    window: rules.Window
    summary: MemberAdherence | None
    days: list[rules.Day]
    weeks: list[dict[str, Any]]
    therapist: Therapist | None


def member_figures(member: Member, *, start: date | None, end: date | None) -> MemberFigures:
    """One member's figures over [start, end] (default their last 30 local days), with the days
    and weeks for charts. Four queries."""
    summary = MemberAdherence.objects.filter(member=member).first()
    today = summary.as_of if summary else clock.local_today(member)
    end = end or today
    start = start or end - timedelta(days=rules.WINDOW_DAYS - 1)
    chart_start = min(start, end - timedelta(weeks=CHART_WEEKS) + timedelta(days=1))
    days = [
        rules.Day(*values)
        for values in AdherenceDay.objects.filter(
            member=member, date__gte=rules.week_start(chart_start), date__lte=end
        )
        .order_by("date")
        .values_list(*rules.DAY_FIELDS)
    ]
    weeks: dict[date, list[int]] = {}
    for day in days:
        week = weeks.setdefault(rules.week_start(day.date), [0, 0])
        week[0] += day.due
        week[1] += day.credited
    therapist = (
        Therapist.objects.filter(pk=access.primary_therapist_id(member))
        .select_related("user")
        .first()
    )
    return MemberFigures(
        member=member,
        window=rules.window(days, start=start, end=end),
        summary=summary,
        days=[d for d in days if start <= d.date <= end],
        weeks=[
            {
                "week_start": week,
                "prescribed_sessions": due,
                "completed_sessions": credited,
                "adherence": rules.percent(credited, due),
            }
            for week, (due, credited) in sorted(weeks.items())
            if week >= rules.week_start(chart_start)
        ],
        therapist=therapist,
    )
