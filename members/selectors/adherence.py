"""Reads of adherence: the dashboard's per-member rows and roll-ups (organization, by PT, by
template, week by week), and one member's figures, from the roll-ups members.services.adherence
keeps (never by replaying schedules). A fixed number of queries whatever the number of members.

The rows are sorted and cut in the database (keyset pages: `sort_keys`, `page_of`); in the
default window by sort keys stored on Member with an index per ordering, so the first page reads
a page of rows. The default window's roll-ups and weekly chart are read, on PostgreSQL, from the
organization roll-up rows the database keeps (DashboardCell, DashboardWeek: `_cell_totals`) for
coordinators and staff, and grouped from the members' rows otherwise (`_sql_totals`): no query
brings every member to Python. Percents are whole tenths
(members.rules.adherence.percent_tenths), computed alike in SQL and in Python: `totals_of` works
the same roll-ups out from rows, as a rebuild.

The default window is each member's last 30 local days (their MemberAdherence row, made as of
their today). A window given with `from` and `to` is summed from the day rows. Labels (risk,
streaks, last active) are always as of the member's today. Figures are self-reported.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.utils import timezone

from exercise_tracker import access, clock
from members.models import (
    AT_RISK,
    RISK_ORDER,
    AdherenceDay,
    AdherenceWeek,
    Alert,
    DashboardCell,
    DashboardWeek,
    Member,
    MemberAdherence,
    ReminderSchedule,
    Risk,
    Role,
    Therapist,
)
from members.models.adherence import NO_DATE
from members.models.alerts import ACTIVE_STATUSES
from members.rules import adherence as rules
from members.selectors import walks
from members.services import dashboard_rollup
from members.services.care_columns import tenths_sql

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
    """Everything the dashboard shows: one page of rows (sorted and cut in the database) and the
    roll-ups of every member the filters keep (grouped in the database in the default window)."""

    start: date
    end: date
    rolling: bool
    rows: list[Row]
    therapists: dict[int, str]
    templates: dict[int, str]
    weeks: list[dict[str, Any]] = field(default_factory=list)
    with_pain: bool = False
    # member id → walking tolerance (PTs and staff only: clinical, like pain); the page's rows
    walking: dict[int, Any] = field(default_factory=dict)
    count: int = 0
    # Opaque keyset cursors of the pages after and before this one (None: there is none).
    next_cursor: str | None = None
    previous_cursor: str | None = None
    totals: Totals = field(default_factory=lambda: Totals())

    def summary(self) -> dict[str, Any]:
        return self.totals.summary

    def by_therapist(self) -> list[dict[str, Any]]:
        return self.totals.by_therapist(self.therapists)

    def by_template(self) -> list[dict[str, Any]]:
        return self.totals.by_template(self.templates)

    def distribution(self) -> list[dict[str, Any]]:
        return self.totals.distribution


RTM_SUPPLY_DAYS = 16  # shared/domain/CLINICAL.md: 98977 at 16 or more days of data


def band_of(percent: float | None) -> str:
    if percent is None:
        return NO_FIGURE
    for low, high, label in BANDS:
        if low <= percent < high:
            return label
    return TOP_BAND[1]


# --- roll-ups ---------------------------------------------------------------------------------


@dataclass
class Group:
    """Counters of a set of members, from which a roll-up's figures follow exactly (whole
    numbers only: the database sums them as Python would)."""

    members: int = 0
    with_plan: int = 0
    prescribed: int = 0
    completed: int = 0
    tenths_total: int = 0  # the members' adherence in tenths of a percent, summed
    with_figure: int = 0
    adherent: int = 0
    at_risk: int = 0

    def add(self, other: Group) -> None:
        for name in vars(other):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def add_row(self, row: Row) -> None:
        tenths = rules.percent_tenths(row.completed, row.prescribed)
        self.members += 1
        self.with_plan += 1 if row.has_plan else 0
        self.prescribed += row.prescribed
        self.completed += row.completed
        if tenths is not None:
            self.tenths_total += tenths
            self.with_figure += 1
            self.adherent += 1 if tenths >= 10 * rules.ADHERENT_PERCENT else 0
        self.at_risk += 1 if row.risk in AT_RISK else 0

    def data(self) -> dict[str, Any]:
        return {
            "members": self.members,
            "with_plan": self.with_plan,
            "prescribed_sessions": self.prescribed,
            "completed_sessions": self.completed,
            # Sessions done over sessions due, all members pooled: the organization's adherence.
            "adherence": rules.percent(self.completed, self.prescribed),
            "mean_member_adherence": rules.mean_percent(self.tenths_total, self.with_figure),
            "adherent_members": self.adherent,
            "at_risk": self.at_risk,
        }


@dataclass
class Totals:
    """The roll-ups of every member a dashboard's filters keep: the organization (or caseload),
    by PT, by template, by risk and by adherence band."""

    whole: Group = field(default_factory=Group)
    therapist: dict[int | None, Group] = field(default_factory=dict)
    template: dict[int | None, Group] = field(default_factory=dict)
    by_risk: Counter[str] = field(default_factory=Counter)
    bands: Counter[str] = field(default_factory=Counter)
    active_days_total: int = 0
    rtm_members: int = 0
    open_alerts: int = 0
    last_as_of: date | None = None

    @property
    def summary(self) -> dict[str, Any]:
        members = self.whole.members
        return {
            **self.whole.data(),
            "by_risk": {risk.value: 0 for risk in Risk} | dict(self.by_risk),
            "mean_active_days_30": (
                round(self.active_days_total / members, 1) if members else None
            ),
            "rtm_threshold_members": self.rtm_members,
            "open_alerts": self.open_alerts,
        }

    def by_therapist(self, names: dict[int, str]) -> list[dict[str, Any]]:
        return sorted(
            (
                {"id": key, "name": names.get(key, "No PT") if key else "No PT"} | group.data()
                for key, group in self.therapist.items()
            ),
            key=lambda g: (g["id"] is None, g["name"]),
        )

    def by_template(self, names: dict[int, str]) -> list[dict[str, Any]]:
        return sorted(
            (
                {
                    "id": key,
                    "name": names.get(key, "Plan without a template")
                    if key
                    else "Plan without a template or no plan",
                }
                | group.data()
                for key, group in self.template.items()
            ),
            key=lambda g: (g["id"] is None, g["name"]),
        )

    @property
    def distribution(self) -> list[dict[str, Any]]:
        return [{"band": label, "members": self.bands.get(label, 0)} for label in BAND_LABELS]


def totals_of(rows: Iterable[Row], *, open_alerts: int = 0) -> Totals:
    """The roll-ups of these rows, worked out in Python: what a rebuild from the rows gives
    (the windowed dashboard uses it; tests compare the database's roll-ups with it)."""
    totals = Totals(open_alerts=open_alerts)
    for row in rows:
        totals.whole.add_row(row)
        totals.therapist.setdefault(row.therapist_id, Group()).add_row(row)
        totals.template.setdefault(row.template_id, Group()).add_row(row)
        totals.by_risk[row.risk] += 1
        totals.bands[band_of(row.adherence)] += 1
        totals.active_days_total += row.active_days_30
        totals.rtm_members += 1 if row.active_days_30 >= RTM_SUPPLY_DAYS else 0
    return totals


ROLLING_TENTHS = tenths_sql(F("adherence__completed"), F("adherence__prescribed"))
RISK = Coalesce(F("adherence__risk"), Value(Risk.NO_PLAN.value), output_field=CharField())


BAND_LABELS = (*(label for _, _, label in BANDS), TOP_BAND[1], NO_FIGURE)


def _in_band(label: str) -> Q:
    """The Q (on members annotated with `figure_tenths`) of an adherence band."""
    if label == NO_FIGURE:
        return Q(figure_tenths__isnull=True)
    if label == TOP_BAND[1]:
        return Q(figure_tenths__gte=10 * TOP_BAND[0])
    low, high = next((low, high) for low, high, name in BANDS if name == label)
    return Q(figure_tenths__gte=10 * low, figure_tenths__lt=10 * high)


def _group_counters() -> dict[str, Any]:
    return {
        "members": Count("pk"),
        "with_plan": Count("pk", filter=Q(adherence__has_plan=True)),
        "prescribed": Coalesce(Sum("adherence__prescribed"), 0),
        "completed": Coalesce(Sum("adherence__completed"), 0),
        "tenths_total": Coalesce(Sum("figure_tenths"), 0),
        "with_figure": Count("figure_tenths"),
        "adherent": Count("pk", filter=Q(figure_tenths__gte=10 * rules.ADHERENT_PERCENT)),
        "at_risk": Count("pk", filter=Q(risk_now__in=AT_RISK)),
    }


def _sql_totals(members: QuerySet[Member]) -> Totals:
    """The default window's roll-ups grouped in the database from the members' MemberAdherence
    rows: one query by (PT, template) with the counts by risk and band as columns, and one count
    of open alerts. No member row comes to Python."""
    totals = Totals()
    figures = members.order_by().alias(figure_tenths=ROLLING_TENTHS, risk_now=RISK)
    by_pair = figures.values("therapist_id", "template_id").annotate(
        **_group_counters(),
        active=Coalesce(Sum("adherence__active_days_30"), 0),
        rtm=Count("pk", filter=Q(adherence__active_days_30__gte=RTM_SUPPLY_DAYS)),
        last_as_of=Max("adherence__as_of"),
        **{f"risk_{n}": Count("pk", filter=Q(risk_now=risk)) for n, risk in enumerate(Risk)},
        **{f"band_{n}": Count("pk", filter=_in_band(label)) for n, label in enumerate(BAND_LABELS)},
    )
    for cell in by_pair:
        values: dict[str, Any] = dict(cell)
        group = Group(**{name: values[name] for name in vars(Group())})
        totals.whole.add(group)
        totals.therapist.setdefault(cell["therapist_id"], Group()).add(group)
        totals.template.setdefault(cell["template_id"], Group()).add(group)
        totals.active_days_total += cell["active"]
        totals.rtm_members += cell["rtm"]
        for n, risk in enumerate(Risk):
            totals.by_risk[risk.value] += values[f"risk_{n}"]
        for n, label in enumerate(BAND_LABELS):
            totals.bands[label] += values[f"band_{n}"]
        if cell["last_as_of"] is not None:
            totals.last_as_of = max(totals.last_as_of or cell["last_as_of"], cell["last_as_of"])
    totals.open_alerts = Alert.objects.filter(
        member_id__in=members.order_by().values("pk"), status__in=ACTIVE_STATUSES
    ).count()
    return totals


def _rollup_scope(user: Any, filters: Filters) -> dict[str, Any] | None:
    """Which organization roll-up rows (DashboardCell) hold the default window's totals of this
    user's dashboard with these filters: a coordinator's organization, or every organization for
    staff. None where the roll-ups do not say (a PT's caseload counts every PT of the care team,
    not only the primary one; databases other than PostgreSQL keep no roll-ups)."""
    if not dashboard_rollup.kept() or not getattr(user, "is_active", False):
        return None
    role = getattr(user, "role", None)
    if role == Role.COORDINATOR and user.organization_id is not None:
        scope: dict[str, Any] = {"organization_id": user.organization_id}
    elif role == Role.STAFF:
        scope = {}
    else:
        return None
    if filters.therapist is not None:
        scope["therapist_id"] = filters.therapist
    if filters.template is not None:
        scope["template_id"] = filters.template
    if filters.risk is not None:
        scope["risk"] = filters.risk
    return scope


def _week_scope(scope: dict[str, Any] | None, filters: Filters) -> dict[str, Any] | None:
    """The weekly roll-up rows of the same members: none by risk (a member's risk is today's,
    their weeks are history), so a risk filter sums the members' week rows."""
    if scope is None or filters.risk is not None:
        return None
    return scope


CELL_SUMS = dashboard_rollup.CELL_SUMS
# GROUPING(therapist_id, template_id, risk, as_of) of each grouping set (a bit set: left out).
BY_THERAPIST, BY_TEMPLATE, BY_RISK, BY_DATE, WHOLE = 0b0111, 0b1011, 0b1101, 0b1110, 0b1111


def _cell_totals(scope: dict[str, Any], members: QuerySet[Member]) -> Totals:
    """The default window's roll-ups from the organization's roll-up rows: one query grouping
    them by PT, by template, by risk, by date and as a whole (GROUPING SETS: a row per PT and
    per template come to Python, not a row per member or per cell), and the count of open
    alerts."""
    quote = connection.ops.quote_name
    where = " AND ".join(f"{quote(name)} = %s" for name in scope) or "TRUE"
    at_risk = ", ".join("%s" for _ in AT_RISK)
    sql = (
        "SELECT GROUPING(therapist_id, template_id, risk, as_of), therapist_id, template_id, "  # noqa: S608
        f"risk, as_of, {', '.join(f'SUM({name})' for name in CELL_SUMS)}, "
        f"SUM(members) FILTER (WHERE risk IN ({at_risk})) "
        f"FROM {quote(DashboardCell._meta.db_table)} WHERE {where} "
        "GROUP BY GROUPING SETS ((therapist_id), (template_id), (risk), (as_of), ()) "
        "HAVING SUM(members) > 0"
    )
    totals = Totals()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(str(r) for r in AT_RISK), *scope.values()])
        found = cursor.fetchall()
    for grouping, therapist, template, risk, as_of, *values in found:
        sums = dict(zip(CELL_SUMS, (int(v or 0) for v in values[:-1]), strict=True))
        group = Group(
            members=sums["members"],
            with_plan=sums["with_plan"],
            prescribed=sums["prescribed"],
            completed=sums["completed"],
            tenths_total=sums["tenths_total"],
            with_figure=sums["with_figure"],
            adherent=sums["adherent"],
            at_risk=int(values[-1] or 0),
        )
        if grouping == BY_THERAPIST:
            totals.therapist[therapist or None] = group
        elif grouping == BY_TEMPLATE:
            totals.template[template or None] = group
        elif grouping == BY_RISK:
            totals.by_risk[risk] = sums["members"]
        elif grouping == BY_DATE and as_of != NO_DATE:
            totals.last_as_of = max(totals.last_as_of or as_of, as_of)
        elif grouping == WHOLE:
            totals.whole = group
            totals.active_days_total = sums["active_days"]
            totals.rtm_members = sums["rtm"]
            for n, label in enumerate(BAND_LABELS):
                totals.bands[label] = sums[f"band_{n}"]
    totals.open_alerts = Alert.objects.filter(
        member_id__in=members.order_by().values("pk"), status__in=ACTIVE_STATUSES
    ).count()
    return totals


# --- the rows ---------------------------------------------------------------------------------


def filtered_members(user: Any, filters: Filters) -> QuerySet[Member]:
    """The dashboard's members for this user and filters, with their PT and template. Members
    discharged from care are not watched for adherence any more: they are left out (their
    history stays on their own pages)."""
    qs = (
        access.dashboard_members(user)
        .filter(discharged_on__isnull=True)
        # Stored columns (members.services.care_columns), not subqueries per member.
        .annotate(therapist_id=F("primary_therapist_id"), template_id=F("current_template_id"))
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
ROW_COLUMNS = (
    "pk", "user__first_name", "user__last_name", "user__username", "therapist_id", "template_id",
    *SUMMARY_COLUMNS,
)  # fmt: skip


def _row(values: Sequence[Any]) -> tuple[Row, date | None]:
    pk, first, last, username, therapist_id, template_id, day, *figures = values
    name = f"{first} {last}".strip() or username
    row = Row(member_id=pk, name=name, therapist_id=therapist_id, template_id=template_id)
    if day is not None:
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
        ) = figures[:10]
    return row, day


def _rows(members: QuerySet[Member]) -> tuple[list[Row], list[date]]:
    """A Row per member from their MemberAdherence (one query), and the as_of dates seen."""
    rows: list[Row] = []
    as_of: list[date] = []
    for values in members.order_by().values_list(*ROW_COLUMNS):
        row, day = _row(values)
        if day is not None:
            as_of.append(day)
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


def _weeks(
    members: QuerySet[Member], start: date, end: date, *, rollup: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The calendar weeks (Monday first) from `start` to `end`, each with sessions due and done,
    summed over the members (one grouped query: on the organization's weekly roll-up rows when
    `rollup` scopes them, else on the members' week rows)."""
    first = rules.week_start(start)
    source: QuerySet[Any] = (
        DashboardWeek.objects.filter(**rollup)
        if rollup is not None
        else AdherenceWeek.objects.filter(member_id__in=members.order_by().values("pk"))
    )
    sums = {
        row["week_start"]: row
        for row in source.filter(week_start__gte=first, week_start__lte=end)
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


def _alerts_and_reminders(rows: Sequence[Row]) -> None:
    """Open alerts and reminder status of these rows' members: two grouped queries."""
    ids = [row.member_id for row in rows]
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


# --- order and pages: in the database, by keyset ------------------------------------------------

PAGE_SIZE = 20
CSV_CHUNK = 2000


@dataclass(frozen=True)
class SortKey:
    """One column of an ordering: its alias, SQL expression, direction, and the Python type of
    its values (for the cursor)."""

    alias: str
    expression: Any
    descending: bool = False
    kind: type = int


def _window(start: date, end: date) -> dict[str, Any]:
    """Per member, the window's sums from the day rows (subqueries: a custom window is summed
    for every member the filters keep, as its order depends on them)."""
    days = AdherenceDay.objects.filter(member=OuterRef("pk"), date__gte=start, date__lte=end)
    last_30 = end - timedelta(days=rules.WINDOW_DAYS - 1)

    def total(expression: Any, queryset: QuerySet[AdherenceDay] = days) -> Subquery:
        return Subquery(
            queryset.order_by().values("member").annotate(n=expression).values("n"),
            output_field=IntegerField(),
        )

    return {
        "w_due": Coalesce(total(Sum("due")), 0),
        "w_credited": Coalesce(total(Sum("credited")), 0),
        "w_active": Coalesce(total(Count("pk"), days.filter(done__gt=0, date__gte=last_30)), 0),
    }


def sort_keys(ordering: str, *, windowed: bool) -> list[SortKey]:
    """The columns the rows are sorted by: worst risk first by default, members without the
    figure last whichever way the rest goes, and the member's id last (a unique key)."""
    descending = ordering.startswith("-")
    key = ordering.lstrip("-")
    tenths = tenths_sql(F("w_credited"), F("w_due")) if windowed else ROLLING_TENTHS
    pk = SortKey("k_pk", F("pk"), descending)
    # Stored with the figures (members.services.care_columns), each ordering of the default
    # window has an index (Member.Meta): its first page is an index scan.
    name = SortKey("k_name", F("sort_name"), descending, str)
    if key == "risk" and not windowed:
        return [
            SortKey("k_rank", F("risk_rank")),
            SortKey("k_none", F("no_figure")),
            SortKey("k_value", F("tenths")),
            name,
            pk,
        ]
    if key == "adherence" and not windowed:
        value = SortKey("k_value", F("tenths"), descending)
        return [SortKey("k_none", F("no_figure")), value, name, pk]
    if key == "risk":
        rank = Case(
            *(When(risk_now=risk, then=Value(n)) for risk, n in RISK_ORDER.items()),
            default=Value(len(RISK_ORDER)),
            output_field=IntegerField(),
        )
        return [
            SortKey("k_rank", rank),
            SortKey("k_none", _is_null(tenths)),
            SortKey("k_value", Coalesce(tenths, 0)),
            name,
            pk,
        ]
    if key == "name":
        return [name, pk]
    if key == "adherence":
        value = SortKey("k_value", Coalesce(tenths, 0), descending)
        return [SortKey("k_none", _is_null(tenths)), value, name, pk]
    if key == "last_active":
        day = Coalesce(F("adherence__last_active"), Value(date.min), output_field=DateField())
        none = _is_null(F("adherence__last_active"))
        return [SortKey("k_none", none), SortKey("k_value", day, descending, date), name, pk]
    column = {
        "active_days_30": "w_active" if windowed else "adherence__active_days_30",
        "current_streak": "adherence__current_streak",
    }[key]
    return [SortKey("k_value", Coalesce(F(column), 0), descending), name, pk]


def _is_null(expression: Any) -> Case:
    return Case(
        When(IsNull(expression, True), then=Value(1)), default=Value(0), output_field=IntegerField()
    )


def encode_cursor(keys: Sequence[SortKey], values: Sequence[Any], *, backwards: bool) -> str:
    plain = [v.isoformat() if isinstance(v, date) else v for v in values]
    text = json.dumps({"b": backwards, "k": plain}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


MAX_CURSOR_TEXT = 1000


class BadCursor(ValueError):
    """A cursor this ordering did not make."""


def decode_cursor(keys: Sequence[SortKey], cursor: str) -> tuple[list[Any], bool]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values, backwards = data["k"], data["b"]
        if (
            not isinstance(values, list)
            or len(values) != len(keys)
            or backwards
            not in (
                True,
                False,
            )
        ):
            raise BadCursor(cursor)
        parsed: list[Any] = []
        for key, value in zip(keys, values, strict=True):
            if key.kind is date:
                parsed.append(date.fromisoformat(value))
            elif type(value) is not key.kind or not _holdable(value):
                raise BadCursor(cursor)
            else:
                parsed.append(value)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise BadCursor(cursor) from exc
    return parsed, bool(backwards)


def _holdable(value: Any) -> bool:
    """What a column may hold: anything else, the database would answer with an error rather
    than an empty page."""
    if isinstance(value, int):
        return abs(value) < 2**62
    return len(value) <= MAX_CURSOR_TEXT if isinstance(value, str) else True


def _after(keys: Sequence[SortKey], values: Sequence[Any], *, backwards: bool) -> Q:
    """The rows after `values` in the keys' order (before them when `backwards`): the keyset
    condition, spelled out column by column as the directions differ."""
    condition = Q()
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        later = key.descending == backwards  # ascending and forwards: greater
        step = Q(**{f"{key.alias}__{'gt' if later else 'lt'}": value})
        condition |= equal & step
        equal &= Q(**{key.alias: value})
    return condition


@dataclass
class Page:
    rows: list[Row]
    as_of: list[date]
    next_cursor: str | None
    previous_cursor: str | None


def _keyed(members: QuerySet[Member], keys: Sequence[SortKey], windowed: dict[str, Any]) -> Any:
    return members.alias(**windowed, risk_now=RISK).annotate(
        **{key.alias: key.expression for key in keys}
    )


def page_of(
    members: QuerySet[Member],
    keys: Sequence[SortKey],
    *,
    cursor: str | None,
    size: int,
    windowed: dict[str, Any],
    offset: int | None = None,
) -> Page:
    """One page of rows in the keys' order: after the cursor's row (before it when the cursor
    points backwards), or at `offset` (page numbers). One query, LIMIT size + 1."""
    qs = _keyed(members, keys, windowed)
    backwards = False
    started = cursor is not None
    if cursor is not None:
        values, backwards = decode_cursor(keys, cursor)
        qs = qs.filter(_after(keys, values, backwards=backwards))
    order = [(F(k.alias).desc() if k.descending != backwards else F(k.alias).asc()) for k in keys]
    aliases = [k.alias for k in keys]
    qs = qs.order_by(*order).values_list(*ROW_COLUMNS, *aliases)
    start = offset or 0
    found = list(qs[start : start + size + 1])
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    rows, as_of = [], []
    for values in found:
        row, day = _row(values[: len(ROW_COLUMNS)])
        rows.append(row)
        if day is not None:
            as_of.append(day)
    first = found[0][len(ROW_COLUMNS) :] if found else None
    last = found[-1][len(ROW_COLUMNS) :] if found else None
    has_next = more if not backwards else started
    has_previous = (started or bool(offset)) if not backwards else more
    return Page(
        rows=rows,
        as_of=as_of,
        next_cursor=encode_cursor(keys, last, backwards=False) if has_next and last else None,
        previous_cursor=(
            encode_cursor(keys, first, backwards=True) if has_previous and first else None
        ),
    )


def _complete(
    rows: list[Row],
    *,
    windowed: bool,
    start: date,
    end: date,
    therapists: dict[int, str],
    templates: dict[int, str],
    sums: dict[int, dict[str, Any]] | None = None,
) -> None:
    """The page's rows with what is not in their MemberAdherence row: the window's figures (a
    custom window: from `sums` when given, else summed for these rows), open alerts, reminders,
    and the names of PT and template."""
    if not rows:
        return
    if windowed:
        if sums is None:
            ids = [row.member_id for row in rows]
            sums = _window_sums(Member.objects.filter(pk__in=ids), start, end)
        _apply_window(rows, sums)
    _alerts_and_reminders(rows)
    for row in rows:
        row.therapist_name = therapists.get(row.therapist_id, "") if row.therapist_id else ""
        row.template_name = templates.get(row.template_id, "") if row.template_id else ""


@contextmanager
def _without_jit() -> Iterator[None]:
    """PostgreSQL compiles a query whose estimated cost is high (a grouped read of every member
    is) to machine code first: some 400 ms each time, far more than the query itself. Off for
    the dashboard's transaction only. In the same transaction every statement is planned for
    its own values even once prepared (`plan_cache_mode`), as before statements were prepared:
    after five runs PostgreSQL may keep one plan for any values (a generic plan), and the best
    plan for an organization of 30 members is not the best for one of 100,000."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan")
        yield


def dashboard(
    user: Any,
    filters: Filters,
    *,
    today: date | None = None,
    with_weeks: bool = True,
    cursor: str | None = None,
    page_size: int | None = PAGE_SIZE,
    page: int | None = None,
) -> Dashboard:
    """The dashboard for this user: the roll-ups of every member the filters keep and one page
    of rows (`cursor`: a keyset cursor of an earlier answer; `page`: a page number; `page_size`
    None: every row, for a PT's caseload). In the default window every figure is grouped and
    sorted in the database: the first page reads `page_size` rows whatever the number of
    members, in a fixed number of queries (two more for PTs and staff: the walking tolerance).
    A custom window (`from`, `to`) sums the day rows of every member in the database for the
    order, and its roll-ups in Python."""
    with _without_jit():
        return _dashboard(
            user,
            filters,
            today=today,
            with_weeks=with_weeks,
            cursor=cursor,
            page_size=page_size,
            page=page,
        )


def _dashboard(
    user: Any,
    filters: Filters,
    *,
    today: date | None,
    with_weeks: bool,
    cursor: str | None,
    page_size: int | None,
    page: int | None,
) -> Dashboard:
    members = filtered_members(user, filters)
    rolling = filters.start is None and filters.end is None
    scope = _rollup_scope(user, filters) if rolling else None
    if rolling:
        totals = _cell_totals(scope, members) if scope is not None else _sql_totals(members)
        end = totals.last_as_of or (today or timezone.now().date())
        start = end - timedelta(days=rules.WINDOW_DAYS - 1)
        windowed: dict[str, Any] = {}
        sums = None
    else:
        end = filters.end or (today or timezone.now().date())
        start = filters.start or end - timedelta(days=rules.WINDOW_DAYS - 1)
        everyone, _ = _rows(members)
        sums = _window_sums(members, start, end)
        _apply_window(everyone, sums)
        totals = totals_of(
            everyone,
            open_alerts=Alert.objects.filter(
                member_id__in=members.order_by().values("pk"), status__in=ACTIVE_STATUSES
            ).count(),
        )
        del everyone
        windowed = _window(start, end)
    keys = sort_keys(filters.ordering, windowed=not rolling)
    size = page_size if page_size is not None else max(totals.whole.members, 1)
    offset = (page - 1) * size if page is not None else None
    found = page_of(members, keys, cursor=cursor, size=size, windowed=windowed, offset=offset)
    therapists = _therapist_names(user)
    templates = dict(access.nameable_templates(user).values_list("pk", "name"))
    _complete(
        found.rows,
        windowed=not rolling,
        start=start,
        end=end,
        therapists=therapists,
        templates=templates,
        sums=sums,
    )
    chart_start = min(start, end - timedelta(weeks=CHART_WEEKS) + timedelta(days=1))
    with_pain = getattr(user, "role", None) in (Role.THERAPIST, Role.STAFF)
    return Dashboard(
        start=start,
        end=end,
        rolling=rolling,
        rows=found.rows,
        therapists=therapists,
        templates=templates,
        weeks=(
            _weeks(members, chart_start, end, rollup=_week_scope(scope, filters))
            if with_weeks
            else []
        ),
        with_pain=with_pain,
        walking=_walking(found.rows) if with_pain and found.rows else {},
        count=totals.whole.members,
        next_cursor=found.next_cursor,
        previous_cursor=found.previous_cursor,
        totals=totals,
    )


def export_board(user: Any, filters: Filters, *, today: date | None = None) -> Dashboard:
    """What an export of every row needs besides the rows (`every_row`): the window, and the
    names of PTs and templates; no roll-ups and no page (three queries)."""
    rolling = filters.start is None and filters.end is None
    if rolling:
        members = filtered_members(user, filters).order_by()
        last = members.aggregate(last=Max("adherence__as_of"))["last"]
        end = last or (today or timezone.now().date())
    else:
        end = filters.end or (today or timezone.now().date())
    start = (
        filters.start
        if filters.start is not None and not rolling
        else end - timedelta(days=rules.WINDOW_DAYS - 1)
    )
    return Dashboard(
        start=start,
        end=end,
        rolling=rolling,
        rows=[],
        therapists=_therapist_names(user),
        templates=dict(access.nameable_templates(user).values_list("pk", "name")),
        with_pain=getattr(user, "role", None) in (Role.THERAPIST, Role.STAFF),
    )


def every_row(user: Any, filters: Filters, board: Dashboard) -> Iterator[Row]:
    """Every row of the dashboard in its order (the CSV export): one sorted query read through a
    server-side cursor, a chunk at a time, each chunk completed with two queries (alerts and
    reminders; a custom window's sums, a third): bounded memory whatever the number of
    members, and one sort, not one per chunk."""
    members = filtered_members(user, filters)
    keys = sort_keys(filters.ordering, windowed=not board.rolling)
    windowed = {} if board.rolling else _window(board.start, board.end)
    order = [F(k.alias).desc() if k.descending else F(k.alias).asc() for k in keys]
    query = _keyed(members, keys, windowed).order_by(*order).values_list(*ROW_COLUMNS)
    chunk: list[Row] = []
    # One read-only transaction for the whole export (the planner's JIT off, as for the page).
    with _without_jit():
        for values in query.iterator(chunk_size=CSV_CHUNK):
            chunk.append(_row(values)[0])
            if len(chunk) == CSV_CHUNK:
                yield from _completed(chunk, board)
                chunk = []
        yield from _completed(chunk, board)


def _completed(rows: list[Row], board: Dashboard) -> list[Row]:
    _complete(
        rows,
        windowed=not board.rolling,
        start=board.start,
        end=board.end,
        therapists=board.therapists,
        templates=board.templates,
    )
    return rows


def _walking(rows: Sequence[Row]) -> dict[int, Any]:
    """Walking tolerance of the page's members with walks (one query for the zones, one for
    walks)."""
    ids = [row.member_id for row in rows]
    return walks.tolerance_by_member(
        dict(Member.objects.filter(pk__in=ids).values_list("pk", "timezone"))
    )


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
