"""`/api/v1/reports/rtm/`: the remote therapeutic monitoring billing report (JSON, or every row as
CSV), for coordinators (their organization) and PTs (their caseload); to members and staff it
does not exist (404). A CSV export is audited as an export.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exercise_tracker import access, audit, clock, csv_export
from exercise_tracker.api import Pagination, only_roles, query_date, query_object
from exercise_tracker.models import AuditAction
from members.models import Member, Role, Therapist
from members.selectors import rtm as selectors

# A report spans at most a year: a billing year, and a bounded amount of work per request.
MAX_REPORT_DAYS = 366
# Members per batch of the CSV: each batch is the report's few queries.
CSV_BATCH = 500
SUPPLY_CODES = [selectors.SUPPLY_FULL, selectors.SUPPLY_SHORT]
MANAGEMENT_CODES = [
    selectors.MANAGEMENT_FIRST_10,
    selectors.MANAGEMENT_FIRST_20,
    selectors.MANAGEMENT_EACH_20,
]

# --- serializers (the documented shapes) ------------------------------------------------------


class RtmPeriodSerializer(serializers.Serializer[Any]):
    episode = serializers.IntegerField()
    number = serializers.IntegerField(help_text="1 for the first 30 days of the episode.")
    start = serializers.DateField()
    end = serializers.DateField(help_text="Day 30, or the episode's end if earlier.")
    complete = serializers.BooleanField(help_text="False while today is in the period.")
    days_with_data = serializers.IntegerField(help_text="Self-reported: sessions, questionnaires.")
    supply_code = serializers.ChoiceField(choices=SUPPLY_CODES, allow_null=True)


class RtmMonthSerializer(serializers.Serializer[Any]):
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="YYYY-MM")
    minutes = serializers.IntegerField(help_text="Review minutes recorded by the member's PTs.")
    reviews = serializers.IntegerField()
    live_interaction = serializers.BooleanField()
    codes = serializers.ListField(
        child=serializers.ChoiceField(choices=MANAGEMENT_CODES),
        help_text="Each unit listed: 60 minutes with a live interaction is 98980, 98981, 98981.",
    )


class RtmMemberSerializer(serializers.Serializer[Any]):
    member = serializers.IntegerField()
    member_name = serializers.CharField()
    therapist = serializers.IntegerField(allow_null=True, help_text="The primary PT now.")
    therapist_name = serializers.CharField(allow_null=True)
    as_of = serializers.DateField(help_text="The member's local date the figures are as of.")
    periods = RtmPeriodSerializer(many=True)
    months = RtmMonthSerializer(many=True)


RtmReportSerializer = inline_serializer(
    "RtmReport",
    fields={
        "source": serializers.ChoiceField(choices=[selectors.SOURCE]),
        "note": serializers.CharField(),
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "count": serializers.IntegerField(help_text="Monitored members in the report."),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": RtmMemberSerializer(many=True),
    },
)


def member_rtm_data(figures: selectors.MemberRtm) -> dict[str, Any]:
    therapist = figures.therapist
    return {
        "member": figures.member.pk,
        "member_name": figures.member.user.display_name,
        "therapist": therapist.pk if therapist is not None else None,
        "therapist_name": therapist.user.display_name if therapist is not None else None,
        "as_of": figures.today.isoformat(),
        "periods": [
            {
                "episode": p.episode_id,
                "number": p.number,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "complete": p.complete,
                "days_with_data": p.days_with_data,
                "supply_code": p.supply_code,
            }
            for p in figures.periods
        ],
        "months": [
            {
                "month": m.month.strftime("%Y-%m"),
                "minutes": m.minutes,
                "reviews": m.reviews,
                "live_interaction": m.live_interaction,
                "codes": list(m.codes),
            }
            for m in figures.months
        ],
    }


# --- helpers --------------------------------------------------------------------------------


def report_range(request: Request) -> tuple[date, date]:
    """`from` and `to`; without either, the clinic's current month; with one, that date's
    month fills in the other."""
    start, end = query_date(request.query_params, "from"), query_date(request.query_params, "to")
    if start is None or end is None:
        month = (end or start or clock.clinic_today(request.user)).replace(day=1)
        start = start or month
        end = end or selectors.month_end(month)
    if start > end:
        raise serializers.ValidationError({"from": ["Give a date on or before `to`."]})
    if (end - start).days >= MAX_REPORT_DAYS:
        raise serializers.ValidationError(
            {"to": [f"A report covers at most {MAX_REPORT_DAYS} days."]}
        )
    return start, end


def report_therapist(request: Request) -> Therapist | None:
    therapist: Therapist | None = query_object(
        access.visible_therapists(request.user),
        request.query_params,
        "therapist",
        "No PT you can see has this id.",
    )
    return therapist


# --- episodes -------------------------------------------------------------------------------


# --- review time ----------------------------------------------------------------------------


# --- the report -----------------------------------------------------------------------------

REPORT_READERS = (Role.COORDINATOR, Role.THERAPIST)
CSV_COLUMNS = [
    "record",
    "member_id",
    "member",
    "therapist",
    "episode_id",
    "period",
    "period_start",
    "period_end",
    "period_complete",
    "days_with_data",
    "supply_code",
    "month",
    "minutes",
    "reviews",
    "live_interaction",
    "management_codes",
    "source",
]


def csv_rows(figures: selectors.MemberRtm) -> Iterator[list[object]]:
    """One row per 30-day period, then one per calendar month, of one member."""
    member = figures.member
    name = member.user.display_name
    therapist = figures.therapist.user.display_name if figures.therapist is not None else ""
    blank_month = ["", "", "", "", ""]
    for p in figures.periods:
        yield [
            "period",
            member.pk,
            name,
            therapist,
            p.episode_id,
            p.number,
            p.start.isoformat(),
            p.end.isoformat(),
            "yes" if p.complete else "no",
            p.days_with_data,
            p.supply_code or "",
            *blank_month,
            selectors.SOURCE,
        ]
    for m in figures.months:
        yield [
            "month",
            member.pk,
            name,
            therapist,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            m.month.strftime("%Y-%m"),
            m.minutes,
            m.reviews,
            "yes" if m.live_interaction else "no",
            " ".join(m.codes),
            selectors.SOURCE,
        ]


def stream_csv(members: list[Member], *, start: date, end: date, now: datetime) -> Iterator[str]:
    return csv_export.csv_lines(CSV_COLUMNS, _all_rows(members, start=start, end=end, now=now))


def _all_rows(
    members: list[Member], *, start: date, end: date, now: datetime
) -> Iterator[list[object]]:
    for offset in range(0, len(members), CSV_BATCH):
        batch = members[offset : offset + CSV_BATCH]
        for figures in selectors.rtm_for_members(batch, start=start, end=end, now=now):
            yield from csv_rows(figures)


class FormatIsTheViews(DefaultContentNegotiation):
    """`?format=csv` is the report's own switch, not DRF's renderer override (which would 404
    without a CSV renderer): answers and errors are JSON, the CSV is streamed by the view."""

    def select_renderer(
        self, request: Any, renderers: Any, format_suffix: Any = None
    ) -> tuple[Any, str]:
        renderer = renderers[0]
        return renderer, renderer.media_type


class RtmReportView(APIView):
    """`GET /api/v1/reports/rtm/`: per monitored member, the 30-day periods overlapping
    [`from`, `to`] with days with data and the supply code, and the calendar months with PT
    minutes and management codes. `therapist` narrows to one PT's caseload. Members are paged
    as lists are; `?format=csv` streams every row of every member instead. Figures are
    self-reported."""

    content_negotiation_class = FormatIsTheViews

    @extend_schema(
        operation_id="reports_rtm",
        parameters=[
            OpenApiParameter(
                "from", date, description="First day (default: the first of `to`'s month)"
            ),
            OpenApiParameter(
                "to", date, description="Last day (default: the last of `from`'s month)"
            ),
            OpenApiParameter("therapist", int, description="One PT's caseload"),
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="csv: every row, streamed"
            ),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={
            (200, "application/json"): RtmReportSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="One row per member and 30-day period, and per member and "
                "calendar month (`record` says which); every row is marked self-reported.",
            ),
        },
        tags=["reports"],
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        only_roles(request, *REPORT_READERS)
        wanted = request.query_params.get("format", "json")
        if wanted not in ("json", "csv"):
            raise serializers.ValidationError({"format": ["Choose json or csv."]})
        start, end = report_range(request)
        therapist = report_therapist(request)
        members = selectors.monitored_members(
            request.user, start=start, end=end, therapist=therapist
        )
        now = timezone.now()
        if wanted == "csv":
            Pagination().check_params(request)
            everyone = list(members)
            audit.record(
                request=request, action=AuditAction.EXPORT, object_type="members.rtm_report"
            )
            filename = f"rtm-{start.isoformat()}-to-{end.isoformat()}.csv"
            return csv_export.csv_response(
                stream_csv(everyone, start=start, end=end, now=now), filename=filename
            )
        paginator = Pagination()
        page = paginator.paginate_queryset(members, request, view=self) or []
        figures = selectors.rtm_for_members(page, start=start, end=end, now=now)
        audit.record_read_by_staff(
            request=request, member_id=None, object_type="members.rtm_report"
        )
        count = paginator.page.paginator.count if paginator.page is not None else len(page)
        return Response(
            {
                "source": selectors.SOURCE,
                "note": selectors.SOURCE_NOTE,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "count": count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": [member_rtm_data(f) for f in figures],
            }
        )
