"""The schedule: which item versions are prescribed on each of a member's local dates.

This is the denominator of adherence. For each date: find the revision of each plan in force
that day (the last one whose effective date is on or before it; revision 1 also governs the days
from the plan's start date), and prescribe its items when, at that revision, the plan was active
and the date fell between its start and end dates (both inclusive), on the item's days of week.
Several revisions made on one local date: the last of them governs that whole date.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q

from members.models import Member
from programs.models import PlanItem, PlanRevision, PlanStatus
from programs.models.plans import Plan


@dataclass(frozen=True)
class PrescribedItem:
    """One item version prescribed on a date, `times_per_day` times."""

    item: PlanItem
    plan_id: int
    revision: int

    @property
    def times_per_day(self) -> int:
        return self.item.times_per_day


@dataclass(frozen=True)
class DayPrescription:
    """What a member is asked to do on one local date."""

    date: date
    items: tuple[PrescribedItem, ...]

    @property
    def sessions(self) -> int:
        """Sessions prescribed that day: the most times a day any item asks for (an item
        asked for once is done in the first session)."""
        return max((p.times_per_day for p in self.items), default=0)


def _dates(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


class _PlanHistory:
    """One plan's revisions and item versions, answering 'what is prescribed on this date'."""

    def __init__(self, plan_id: int, revisions: list[PlanRevision], items: list[PlanItem]):
        self.plan_id = plan_id
        self.revisions = sorted(revisions, key=lambda r: (r.effective_date, r.number))
        self.dates = [r.effective_date for r in self.revisions]
        self.items = sorted(items, key=lambda i: (i.order, i.id))

    def revision_on(self, day: date) -> PlanRevision | None:
        if not self.revisions:
            return None
        index = bisect.bisect_right(self.dates, day) - 1
        # Revision 1 governs backwards to the plan's start: a plan may be entered after it began.
        return self.revisions[max(index, 0)]

    def prescribed(self, day: date) -> list[PrescribedItem]:
        revision = self.revision_on(day)
        if revision is None or revision.status != PlanStatus.ACTIVE:
            return []
        if day < revision.start_date or (revision.end_date and day > revision.end_date):
            return []
        weekday = day.weekday()
        return [
            PrescribedItem(item=item, plan_id=self.plan_id, revision=revision.number)
            for item in self.items
            if item.in_force_at(revision.number) and item.prescribed_on_weekday(weekday)
        ]


def prescribed_sessions_for_members(
    *, members: Iterable[Member | int], start: date, end: date
) -> dict[int, dict[date, DayPrescription]]:
    """For many members at once (member id → date → prescription), in three queries whatever
    the number of members and days. Dates are the members' local dates."""
    member_ids = [m if isinstance(m, int) else m.pk for m in members]
    if end < start or not member_ids:
        return {member_id: {} for member_id in member_ids}
    # Candidates: plans with a revision that was active over dates meeting the range. The
    # revisions' own dates count, not the plan's current ones: history is never rewritten.
    could_prescribe = PlanRevision.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start),
        status=PlanStatus.ACTIVE,
        start_date__lte=end,
    ).values("plan_id")
    plans = list(
        Plan.objects.filter(member_id__in=member_ids, pk__in=could_prescribe).values_list(
            "pk", "member_id"
        )
    )
    plan_ids = [pk for pk, _ in plans]
    revisions: dict[int, list[PlanRevision]] = defaultdict(list)
    for revision in PlanRevision.objects.filter(plan_id__in=plan_ids).only(
        "plan_id", "number", "effective_date", "status", "start_date", "end_date"
    ):
        revisions[revision.plan_id].append(revision)
    items: dict[int, list[PlanItem]] = defaultdict(list)
    for item in PlanItem.objects.filter(plan_id__in=plan_ids).select_related("exercise"):
        items[item.plan_id].append(item)
    histories: dict[int, list[_PlanHistory]] = defaultdict(list)
    for plan_id, member_id in plans:
        histories[member_id].append(_PlanHistory(plan_id, revisions[plan_id], items[plan_id]))

    days = _dates(start, end)
    result: dict[int, dict[date, DayPrescription]] = {}
    for member_id in member_ids:
        schedule = {}
        for day in days:
            prescribed: list[PrescribedItem] = []
            for history in histories.get(member_id, ()):
                prescribed.extend(history.prescribed(day))
            schedule[day] = DayPrescription(date=day, items=tuple(prescribed))
        result[member_id] = schedule
    return result


def prescribed_sessions(
    *, member: Member | int, start: date, end: date
) -> dict[date, DayPrescription]:
    """For one member: each local date from `start` to `end` (inclusive) with what is
    prescribed that day (possibly nothing)."""
    member_id = member if isinstance(member, int) else member.pk
    return prescribed_sessions_for_members(members=[member_id], start=start, end=end)[member_id]
