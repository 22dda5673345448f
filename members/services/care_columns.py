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

from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from exercise_tracker import access
from members.models import CareAssignment, Member
from programs.models import Plan, PlanStatus

COLUMNS = ("primary_therapist_id", "current_template_id")


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


def _computed(members: QuerySet[Member], on: date | None = None) -> QuerySet[Member]:
    return members.annotate(
        computed_therapist=access.primary_therapist_id(on=on),
        computed_template=current_template_id(),
    )


def sync_care_columns(
    member_ids: Iterable[int] | QuerySet[Any] | None = None, *, on: date | None = None
) -> int:
    """Rewrites these members' (ids, or a queryset of ids; default: every member's) primary PT
    and current template from the data: one UPDATE. Returns the rows updated."""
    members = Member.objects.all()
    if isinstance(member_ids, QuerySet):
        members = members.filter(pk__in=member_ids)
    elif member_ids is not None:
        ids = sorted(set(member_ids))
        if not ids:
            return 0
        members = members.filter(pk__in=ids)
    return members.order_by().update(
        primary_therapist_id=access.primary_therapist_id(on=on),
        current_template_id=current_template_id(),
    )


def sync_therapist_members(user_id: int) -> int:
    """After a PT's account was (de)activated: the members they are primary PT of (one UPDATE)."""
    return sync_care_columns(
        CareAssignment.objects.filter(therapist__user_id=user_id, is_primary=True).values(
            "member_id"
        )
    )


def drift(
    member_ids: Iterable[int] | None = None,
) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """Members whose stored columns differ from the data: (id, stored, computed), one query."""
    members = Member.objects.all()
    if member_ids is not None:
        members = members.filter(pk__in=sorted(set(member_ids)))
    rows = _computed(members.order_by()).values_list(
        "pk",
        "primary_therapist_id",
        "current_template_id",
        "computed_therapist",
        "computed_template",
    )
    found = []
    for pk, therapist, template, new_therapist, new_template in rows:
        if (therapist, template) != (new_therapist, new_template):
            found.append(
                (
                    pk,
                    {"primary_therapist": therapist, "current_template": template},
                    {"primary_therapist": new_therapist, "current_template": new_template},
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
