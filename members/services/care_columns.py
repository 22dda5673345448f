"""Keeps each member's primary PT and current template as columns of Member, for the dashboard
(which filters, groups and sorts every member by them: as subqueries per member they were most
of its cost).

Both are derived: the primary PT in force today (exercise_tracker.access.primary_therapist_id:
an open primary assignment of an active PT, the newest first) and the template of the plan in
force (active, else paused, else the latest that is not a draft). `sync_care_columns` rewrites
them from the data in one UPDATE, in the caller's transaction, and is called after every change
of either: care assignments and plans saved or deleted (signals, members.apps), a PT's account
(de)activated, every adherence refresh (plans created and revised, discharge, the roll-over),
and the roll-over for assignments that start or end today. `drift` lists the members whose
columns differ from the data (`check_adherence` reports and repairs them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Least, Lower, NullIf, Trim
from django.db.models.lookups import GreaterThan, IsNull
from django.utils import timezone

from exercise_tracker import access
from members.models import RISK_ORDER, CareAssignment, Member, MemberAdherence, Risk, User
from members.models.people import NO_PLAN_RANK
from members.rules import adherence as rules
from programs.models import Plan, PlanStatus

COLUMNS = (
    "primary_therapist_id",
    "current_template_id",
    "sort_name",
    "risk_rank",
    "no_figure",
    "tenths",
)
if RISK_ORDER[Risk.NO_PLAN] != NO_PLAN_RANK:  # the column's default is the rank of "no plan"
    raise ImproperlyConfigured("members.models.people.NO_PLAN_RANK is not Risk.NO_PLAN's rank")


def tenths_sql(completed: Any, prescribed: Any) -> Case:
    """rules.percent_tenths in SQL (whole numbers: integer division on every backend)."""
    return Case(
        When(
            GreaterThan(prescribed, 0),
            then=Least(
                Value(1000),
                (Value(2000) * completed + prescribed) / (Value(2) * prescribed),
            ),
        ),
        default=None,
        output_field=IntegerField(),
    )


def name_sql(prefix: str = "") -> Lower:
    """The name the dashboard sorts by: lower case "first last", else the username."""
    return Lower(
        Coalesce(
            NullIf(
                Trim(Concat(f"{prefix}first_name", Value(" "), f"{prefix}last_name")), Value("")
            ),
            f"{prefix}username",
            output_field=CharField(),
        )
    )


def sort_keys_of(summary: MemberAdherence | None) -> dict[str, int]:
    """A member's stored sort keys from their figures (None: no figures), as SQL gives them."""
    if summary is None:
        return {"risk_rank": NO_PLAN_RANK, "no_figure": 1, "tenths": 0}
    tenths = rules.percent_tenths(summary.completed, summary.prescribed)
    return {
        "risk_rank": RISK_ORDER.get(summary.risk, len(RISK_ORDER)),
        "no_figure": 1 if tenths is None else 0,
        "tenths": tenths or 0,
    }


def current_template_id() -> Subquery:
    """The template of the outer member's plan in force (active, else paused, else the latest
    that is not a draft), as a subquery."""
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


def _figure(expression: Any) -> Subquery:
    return Subquery(
        MemberAdherence.objects.filter(member_id=OuterRef("pk"))
        .annotate(value=expression)
        .values("value")[:1],
        output_field=IntegerField(),
    )


def stored_values() -> dict[str, Any]:
    """Every stored column as an expression over the outer member (subqueries): what they hold
    when they agree with the data."""
    rank = Case(
        *(When(risk=risk, then=Value(n)) for risk, n in RISK_ORDER.items()),
        default=Value(len(RISK_ORDER)),
        output_field=IntegerField(),
    )
    tenths = _figure(tenths_sql(F("completed"), F("prescribed")))
    return {
        "primary_therapist_id": access.primary_therapist_id(),
        "current_template_id": current_template_id(),
        "sort_name": Subquery(
            User.objects.filter(pk=OuterRef("user_id")).annotate(n=name_sql()).values("n")[:1],
            output_field=CharField(),
        ),
        "risk_rank": Coalesce(_figure(rank), Value(NO_PLAN_RANK)),
        "no_figure": Case(
            When(IsNull(tenths, False), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        "tenths": Coalesce(tenths, Value(0)),
    }


def _members(member_ids: Iterable[int] | QuerySet[Any] | None) -> QuerySet[Member] | None:
    members = Member.objects.order_by()
    if isinstance(member_ids, QuerySet):
        return members.filter(pk__in=member_ids)
    if member_ids is not None:
        ids = sorted(set(member_ids))
        return members.filter(pk__in=ids) if ids else None
    return members


def sync_care_columns(member_ids: Iterable[int] | QuerySet[Any] | None = None) -> int:
    """Rewrites these members' (ids, or a queryset of ids; default: every member's) stored
    columns from the data: one UPDATE. Returns the rows updated."""
    members = _members(member_ids)
    return 0 if members is None else members.update(**stored_values())


def sync_therapist_members(user_id: int) -> int:
    """After a PT's account was (de)activated: the members they are primary PT of (one UPDATE)."""
    return sync_care_columns(
        CareAssignment.objects.filter(therapist__user_id=user_id, is_primary=True).values(
            "member_id"
        )
    )


def sync_names(user_id: int) -> int:
    """After a user's names changed: their member profile's sort name (one UPDATE)."""
    return sync_care_columns(Member.objects.filter(user_id=user_id).values("pk"))


def drift(
    member_ids: Iterable[int] | None = None,
) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """Members whose stored columns differ from the data: (id, stored, computed), one query."""
    members = _members(member_ids)
    if members is None:
        return []
    computed = {f"computed_{name}": value for name, value in stored_values().items()}
    found = []
    for row in members.annotate(**computed).values_list("pk", *COLUMNS, *computed):
        pk, stored, fresh = row[0], row[1 : 1 + len(COLUMNS)], row[1 + len(COLUMNS) :]
        if tuple(stored) != tuple(fresh):
            changed = [i for i, (a, b) in enumerate(zip(stored, fresh, strict=True)) if a != b]
            found.append(
                (
                    pk,
                    {COLUMNS[i]: stored[i] for i in changed},
                    {COLUMNS[i]: fresh[i] for i in changed},
                )
            )
    return found


def members_with_assignment_changes(*, today: date | None = None) -> list[int]:
    """Members with an assignment starting or ending today or yesterday (UTC): their primary PT
    changes with the date, with no write to say so."""
    today = today or timezone.now().date()
    days = (today - timedelta(days=1), today)
    return sorted(
        set(
            CareAssignment.objects.filter(Q(start_date__in=days) | Q(end_date__in=days))
            .order_by()
            .values_list("member_id", flat=True)
        )
    )
