"""Reads about outcome measures: which questionnaires are due, and scores over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from members.models import Assessment, AssessmentSchedule, Instrument, Member, SessionLog
from members.rules import scoring
from members.selectors import instruments


@dataclass(frozen=True)
class DueAssessment:
    """An instrument a member is asked to fill in on a date, due since `due_since`."""

    instrument: str
    label: str
    due_since: date
    every_n_days: int
    url: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "label": self.label,
            "due_since": self.due_since.isoformat(),
            "every_n_days": self.every_n_days,
            "url": self.url,
        }


def last_due_date(*, start_date: date, every_n_days: int, on: date) -> date | None:
    """The latest due date of a schedule on or before `on` (None before it starts)."""
    if on < start_date:
        return None
    periods = (on - start_date).days // every_n_days
    return start_date + timedelta(days=periods * every_n_days)


def due_assessments(*, member: Member, on: date) -> list[DueAssessment]:
    """Instruments due on the member's local date `on`: a schedule is due when nothing of its
    instrument was taken since its last due date. Two queries, whatever the number of schedules."""
    schedules = list(
        AssessmentSchedule.objects.filter(member=member, active=True, start_date__lte=on).order_by(
            "instrument"
        )
    )
    if not schedules:
        return []
    # Only what members are asked: a licensed instrument waits for the clinic's wording.
    offered = instruments.offered_codes()
    schedules = [s for s in schedules if s.instrument in offered]
    if not schedules:
        return []
    taken: dict[str, date] = {}
    rows = (
        Assessment.objects.filter(
            member=member,
            instrument__in=[s.instrument for s in schedules],
            local_date__lte=on,
        )
        .order_by()
        .values_list("instrument", "local_date")
    )
    for instrument, local_date in rows:
        if instrument not in taken or local_date > taken[instrument]:
            taken[instrument] = local_date
    due: list[DueAssessment] = []
    for schedule in schedules:
        since = last_due_date(
            start_date=schedule.start_date, every_n_days=schedule.every_n_days, on=on
        )
        last_taken = taken.get(schedule.instrument)
        if since is None or (last_taken is not None and last_taken >= since):
            continue
        due.append(
            DueAssessment(
                instrument=schedule.instrument,
                label=Instrument(schedule.instrument).label,
                due_since=since,
                every_n_days=schedule.every_n_days,
                url=reverse("questionnaire", args=[schedule.instrument]),
            )
        )
    return due


# Questionnaires follow one another by local date, then by when they were sent.
CHRONOLOGY = ("local_date", "completed_at", "id")


def earlier_than(*, local_date: Any, completed_at: Any, pk: Any) -> Q:
    """The Q of assessments before one in CHRONOLOGY (values or OuterRef expressions)."""
    return (
        Q(local_date__lt=local_date)
        | Q(local_date=local_date, completed_at__lt=completed_at)
        | Q(local_date=local_date, completed_at=completed_at, id__lt=pk)
    )


def with_previous(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Annotates each assessment with the score of the one before it (same member and
    instrument), in the same query. A correlated subquery rather than a window function, so
    that date filters on the list do not cut the previous one off."""
    previous = (
        Assessment.objects.filter(
            earlier_than(
                local_date=OuterRef("local_date"),
                completed_at=OuterRef("completed_at"),
                pk=OuterRef("pk"),
            ),
            member_id=OuterRef("member_id"),
            instrument=OuterRef("instrument"),
        )
        .order_by(*(f"-{name}" for name in CHRONOLOGY))
        .values("score_value")[:1]
    )
    return assessments.annotate(previous_value=Subquery(previous))


def previous_of(assessment: Assessment) -> Assessment | None:
    """The member's questionnaire of the same instrument just before this one."""
    return (
        Assessment.objects.filter(
            earlier_than(
                local_date=assessment.local_date,
                completed_at=assessment.completed_at,
                pk=assessment.pk,
            ),
            member_id=assessment.member_id,
            instrument=assessment.instrument,
        )
        .order_by(*(f"-{name}" for name in CHRONOLOGY))
        .first()
    )


@dataclass(frozen=True)
class ScoreSeries:
    """One instrument's scores over time for a chart, with the meaningful-change target line."""

    instrument: str
    label: str
    lower_is_better: bool
    points: list[dict[str, Any]]
    baseline: float | None
    target: float | None
    meaningful_change: str
    axis_max: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "label": self.label,
            "lower_is_better": self.lower_is_better,
            "points": self.points,
            "baseline": self.baseline,
            "target": self.target,
            "meaningful_change": self.meaningful_change,
            "axis_max": self.axis_max,
        }


AXIS_MAX = {"nprs": 10.0, "odi": 100.0, "psfs": 10.0, "zcq": 5.0}
# ZCQ items start at 1, so its means do too.
AXIS_MIN = {"nprs": 0.0, "odi": 0.0, "psfs": 0.0, "zcq": 1.0}
SERIES_LABELS = {
    "nprs": "Pain rating (0-10)",
    "odi": "Oswestry Disability Index (%)",
    "psfs": "Patient-Specific Functional Scale (mean, 0-10)",
    "zcq": "Zurich Claudication: symptom severity (mean, 1-5)",
}


def score_series(*, member: Member, since: date | None = None) -> list[ScoreSeries]:
    """Each instrument the member has answered, oldest first. The baseline is the first score
    ever (not only in the window): improvement is judged from where the member started."""
    rows = list(
        Assessment.objects.filter(member=member)
        .order_by("instrument", *CHRONOLOGY)
        .values("instrument", "local_date", "score_value", "band")
    )
    series: list[ScoreSeries] = []
    for instrument in Instrument:
        mine = [row for row in rows if row["instrument"] == instrument.value]
        if not mine:
            continue
        baseline = Decimal(mine[0]["score_value"])
        target = scoring.improvement_target(instrument.value, baseline)
        meaningful = scoring.MEANINGFUL[instrument.value]
        shown = [row for row in mine if since is None or row["local_date"] >= since]
        series.append(
            ScoreSeries(
                instrument=instrument.value,
                label=SERIES_LABELS[instrument.value],
                lower_is_better=meaningful.lower_is_better,
                points=[
                    {
                        "date": row["local_date"].isoformat(),
                        "score": float(row["score_value"]),
                        "band": row["band"],
                    }
                    for row in shown
                ],
                baseline=float(baseline),
                target=max(
                    AXIS_MIN[instrument.value], min(float(target), AXIS_MAX[instrument.value])
                ),
                meaningful_change=meaningful.description,
                axis_max=AXIS_MAX[instrument.value],
            )
        )
    return series


# The day's status is its best sitting's: a completed sitting makes a completed day.
STATUS_RANK = {"skipped": 0, "partial": 1, "completed": 2}


def _mean_or_none(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def session_history(*, member: Member, start: date, end: date) -> list[dict[str, Any]]:
    """The member's logged days between two local dates (inclusive), oldest first: the day's
    status and mean pain before and after over its sittings. One query."""
    rows = (
        SessionLog.objects.filter(member=member, local_date__gte=start, local_date__lte=end)
        .order_by("local_date", "id")
        .values_list("local_date", "status", "pain_before", "pain_after")
    )
    days: dict[date, dict[str, Any]] = {}
    for local_date, status, before, after in rows:
        day = days.setdefault(
            local_date, {"date": local_date, "status": status, "before": [], "after": []}
        )
        if STATUS_RANK.get(status, -1) > STATUS_RANK.get(day["status"], -1):
            day["status"] = status
        if before is not None:
            day["before"].append(before)
        if after is not None:
            day["after"].append(after)
    return [
        {
            "date": day["date"],
            "status": day["status"],
            "pain_before": _mean_or_none(day["before"]),
            "pain_after": _mean_or_none(day["after"]),
        }
        for day in days.values()
    ]
