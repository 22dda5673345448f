"""`/api/v1/dashboard/adherence/` and `/api/v1/members/{id}/adherence/` (the v1 contract).

Who: coordinators see their organization's members, PTs their caseload, staff everyone (reads
audited); members never see the dashboard (404) and read their own figures only. The
coordinator's view carries no pain figures and no free text. `?format=csv` streams every row of
the dashboard. Figures are self-reported, and every answer says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from exercise_tracker import access, audit, csv_export
from exercise_tracker.api import Pagination, query_date, query_int
from exercise_tracker.models import AuditAction
from exercise_tracker.schema import ErrorSerializer
from members.models import Risk, Role
from members.selectors import adherence as selectors
from members.selectors import walks as walk_selectors
from members.selectors.adherence_filters import filters_from, window_errors
from programs.selectors.lessons import LessonProgress, lesson_progress


class CSVRenderer(renderers.BaseRenderer):
    """Lets `?format=csv` through DRF's content negotiation; the view streams the file."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        # Never used for rows (they are streamed) nor errors (JSON, see handle_exception).
        return renderers.JSONRenderer().render(data)


# --- parameters -------------------------------------------------------------------------------


DASHBOARD_PARAMS = [
    OpenApiParameter("from", date, description="Window start (a local date); default: 30 days"),
    OpenApiParameter("to", date, description="Window end (a local date); default: today"),
    OpenApiParameter("therapist", int, description="Members whose primary PT this is"),
    OpenApiParameter("template", int, description="Members whose plan came from this template"),
    OpenApiParameter("risk", str, enum=Risk.values, description="Members with this label now"),
    OpenApiParameter("ordering", str, enum=list(selectors.ORDERINGS)),
    OpenApiParameter("format", str, enum=["json", "csv"], description="csv: every row"),
    OpenApiParameter(
        "cursor", str, description="Where a page starts: from the `next` and `previous` links"
    ),
    OpenApiParameter("page", int, description="A page number (instead of `cursor`)"),
    OpenApiParameter("page_size", int, description="Rows per page (default 20, at most 100)"),
]


# --- shapes (for the schema) and rows -----------------------------------------------------------


class NamedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PainTrendSerializer(serializers.Serializer[Any]):
    first_week = serializers.FloatField(allow_null=True, help_text="Mean pain, 0-10.")
    last_week = serializers.FloatField(allow_null=True)
    trend = serializers.ChoiceField(
        choices=["better", "worse", "steady"],
        allow_null=True,
        help_text="Against the NPRS minimal clinically important difference (2 points).",
    )


class WalkToleranceSerializer(serializers.Serializer[Any]):
    week = serializers.DateField(allow_null=True, help_text="The latest week with walks.")
    median_minutes = serializers.FloatField(
        allow_null=True, help_text="Median minutes walked before leg symptoms that week."
    )
    walks = serializers.IntegerField()
    trend = serializers.ChoiceField(choices=["up", "down", "steady"], allow_null=True)


class RowSerializer(serializers.Serializer[Any]):
    """One member. `pain_trend` and `walk_tolerance` are left out for coordinators (no
    clinical details)."""

    schema_optional_fields = ("pain_trend", "walk_tolerance")

    member_id = serializers.IntegerField()
    name = serializers.CharField()
    therapist = NamedSerializer(allow_null=True)
    template = NamedSerializer(allow_null=True)
    prescribed_sessions = serializers.IntegerField(help_text="Sessions due in the window.")
    completed_sessions = serializers.IntegerField()
    adherence = serializers.FloatField(allow_null=True, help_text="Percent, capped at 100.")
    active_days_30 = serializers.IntegerField()
    current_streak = serializers.IntegerField()
    best_streak = serializers.IntegerField()
    last_active = serializers.DateField(allow_null=True)
    reminders = serializers.ChoiceField(choices=["on", "off", "none"])
    open_alerts = serializers.IntegerField()
    risk = serializers.ChoiceField(choices=Risk.choices)
    risk_label = serializers.CharField()
    pain_trend = PainTrendSerializer(required=False)
    walk_tolerance = WalkToleranceSerializer(required=False)
    url = serializers.CharField(help_text="The member's adherence page.")
    lessons_read = serializers.IntegerField(help_text="Lessons read of those assigned.")
    lessons_assigned = serializers.IntegerField(help_text="Lessons on published plans.")


class RollupSerializer(serializers.Serializer[Any]):
    members = serializers.IntegerField()
    with_plan = serializers.IntegerField()
    prescribed_sessions = serializers.IntegerField()
    completed_sessions = serializers.IntegerField()
    adherence = serializers.FloatField(allow_null=True, help_text="All sessions pooled.")
    mean_member_adherence = serializers.FloatField(allow_null=True)
    adherent_members = serializers.IntegerField(help_text="80% or more.")
    at_risk = serializers.IntegerField()


class GroupSerializer(RollupSerializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


class SummarySerializer(RollupSerializer):
    by_risk = serializers.DictField(child=serializers.IntegerField())
    mean_active_days_30 = serializers.FloatField(allow_null=True)
    rtm_threshold_members = serializers.IntegerField(help_text="16 or more active days.")
    open_alerts = serializers.IntegerField()


class WeekSerializer(serializers.Serializer[Any]):
    week_start = serializers.DateField()
    prescribed_sessions = serializers.IntegerField()
    completed_sessions = serializers.IntegerField()
    adherence = serializers.FloatField(allow_null=True)
    in_progress = serializers.BooleanField(help_text="The window ends inside this week.")


class BandSerializer(serializers.Serializer[Any]):
    band = serializers.CharField()
    members = serializers.IntegerField()


class WindowSerializer(serializers.Serializer[Any]):
    # `from` is a Python keyword: declared through the fields mapping below.
    to = serializers.DateField()
    rolling = serializers.BooleanField(help_text="Each member's own last 30 local days.")
    days = serializers.IntegerField()

    def get_fields(self) -> dict[str, Any]:
        return {"from": serializers.DateField(), **super().get_fields()}


class DashboardSerializer(serializers.Serializer[Any]):
    window = WindowSerializer()
    # Declared fields leave the class (DRF's metaclass); only the type checker sees the clash.
    source = serializers.CharField()  # type: ignore[assignment]
    source_note = serializers.CharField()
    summary = SummarySerializer()
    by_therapist = GroupSerializer(many=True)
    by_template = GroupSerializer(many=True)
    weeks = WeekSerializer(many=True)
    distribution = BandSerializer(many=True)
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RowSerializer(many=True)


def row_data(row: selectors.Row, board: selectors.Dashboard) -> dict[str, Any]:
    data: dict[str, Any] = {
        "member_id": row.member_id,
        "name": row.name,
        "therapist": (
            {"id": row.therapist_id, "name": row.therapist_name} if row.therapist_id else None
        ),
        "template": {"id": row.template_id, "name": row.template_name} if row.template_id else None,
        "prescribed_sessions": row.prescribed,
        "completed_sessions": row.completed,
        "adherence": row.adherence,
        "active_days_30": row.active_days_30,
        "current_streak": row.current_streak,
        "best_streak": row.best_streak,
        "last_active": row.last_active,
        "reminders": row.reminders,
        "open_alerts": row.open_alerts,
        "risk": row.risk,
        "risk_label": row.risk_label,
        "url": f"/members/{row.member_id}/adherence/",
    }
    if board.with_pain:
        data["pain_trend"] = {
            "first_week": row.pain_first_week,
            "last_week": row.pain_last_week,
            "trend": row.pain_trend,
        }
        data["walk_tolerance"] = walk_selectors.tolerance_data(board.walking.get(row.member_id))
    return data


def window_data(board: selectors.Dashboard) -> dict[str, Any]:
    return {
        "from": board.start,
        "to": board.end,
        "rolling": board.rolling,
        "days": (board.end - board.start).days + 1,
    }


CSV_COLUMNS = (
    "member_id",
    "name",
    "therapist",
    "template",
    "prescribed_sessions",
    "completed_sessions",
    "adherence_percent",
    "active_days_30",
    "current_streak",
    "best_streak",
    "last_active",
    "reminders",
    "open_alerts",
    "risk",
    "lessons_read",
    "lessons_assigned",
)
CSV_PAIN_COLUMNS = ("pain_first_week", "pain_last_week", "pain_trend")
CSV_TAIL = ("window_from", "window_to", "source")


def csv_lines(board: selectors.Dashboard, rows: Iterable[selectors.Row]) -> Iterator[str]:
    pain = board.with_pain
    header = [*CSV_COLUMNS, *(CSV_PAIN_COLUMNS if pain else ()), *CSV_TAIL]
    return csv_export.csv_lines(header, _csv_rows(board, rows, pain=pain))


def _csv_rows(
    board: selectors.Dashboard, rows: Iterable[selectors.Row], *, pain: bool
) -> Iterator[list[Any]]:
    tail = [board.start.isoformat(), board.end.isoformat(), selectors.SOURCE]
    for chunk in _chunks(rows, selectors.CSV_CHUNK):
        # Lessons read / assigned, as on the page: two queries a chunk.
        progress = lesson_progress([row.member_id for row in chunk])
        for row in chunk:
            yield [*_csv_values(row, _lessons(progress, row.member_id), pain=pain), *tail]


def _lessons(progress: dict[int, LessonProgress], member_id: int) -> tuple[int, int]:
    """(read, assigned) for one member: (0, 0) with none assigned."""
    found = progress.get(member_id)
    return (found.read, found.assigned) if found else (0, 0)


def _chunks(rows: Iterable[selectors.Row], size: int) -> Iterator[list[selectors.Row]]:
    chunk: list[selectors.Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _csv_values(row: selectors.Row, lessons: tuple[int, int], *, pain: bool) -> list[Any]:
    values: list[Any] = [
        row.member_id,
        row.name,
        row.therapist_name,
        row.template_name,
        row.prescribed,
        row.completed,
        "" if row.adherence is None else row.adherence,
        row.active_days_30,
        row.current_streak,
        row.best_streak,
        row.last_active.isoformat() if row.last_active else "",
        row.reminders,
        row.open_alerts,
        row.risk,
        *lessons,
    ]
    if pain:
        values += [
            "" if row.pain_first_week is None else row.pain_first_week,
            "" if row.pain_last_week is None else row.pain_last_week,
            row.pain_trend or "",
        ]
    return values


def _readers_only(request: Request) -> None:
    """The dashboard does not exist for members (404), as for anyone else outside its roles."""
    if getattr(request.user, "role", None) not in access.DASHBOARD_READERS:
        raise NotFound


class DashboardView(APIView):
    """Adherence of the members a coordinator or PT follows: roll-ups (organization, by PT, by
    template, week by week, distribution) and one row per member, at-risk members first."""

    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        # Errors answer in the one JSON error format, also when CSV was asked for.
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return response

    @extend_schema(
        parameters=DASHBOARD_PARAMS,
        responses={
            200: OpenApiResponse(DashboardSerializer, description="JSON, or text/csv rows."),
            404: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        _readers_only(request)
        params = {
            name: str(value)
            for name, value in request.query_params.items()
            if name not in ("page", "page_size", "format", "cursor")
        }
        filters = filters_from(params, request.user, today=timezone.localdate())
        paginator = Pagination()
        size = paginator.get_page_size(request)
        page = query_int(request.query_params, "page")
        cursor = request.query_params.get("cursor")
        if cursor is not None and page is not None:
            raise serializers.ValidationError({"cursor": ["Give a cursor or a page, not both."]})
        export = request.accepted_renderer.format == "csv"
        try:
            board = (
                selectors.export_board(request.user, filters)
                if export
                else selectors.dashboard(
                    request.user, filters, cursor=cursor, page_size=size, page=page
                )
            )
        except selectors.BadCursor as exc:
            raise serializers.ValidationError(
                {"cursor": ["Not a cursor of this list: follow the next and previous links."]}
            ) from exc
        audit.record_read_by_staff(
            request=request,
            member_id=None,
            object_type="members.adherence_dashboard",
            action=AuditAction.EXPORT if export else AuditAction.READ,
        )
        if export:
            name = f"adherence-{board.start.isoformat()}-{board.end.isoformat()}.csv"
            rows = selectors.every_row(request.user, filters, board)
            return csv_export.csv_response(csv_lines(board, rows), filename=name)
        if page is not None and page > 1 and not board.rows:
            raise NotFound("Invalid page.")
        data = [row_data(row, board) for row in board.rows]
        # Lessons read / assigned (not clinical): two queries for the page's rows.
        progress = lesson_progress([one["member_id"] for one in data])
        for one in data:
            one["lessons_read"], one["lessons_assigned"] = _lessons(progress, one["member_id"])
        next_link, previous_link = _links(request, board, page=page, size=size)
        return Response(
            {
                "window": window_data(board),
                "source": selectors.SOURCE,
                "source_note": selectors.SOURCE_NOTE,
                "summary": board.summary(),
                "by_therapist": board.by_therapist(),
                "by_template": board.by_template(),
                "weeks": board.weeks,
                "distribution": board.distribution(),
                "count": board.count,
                "next": next_link,
                "previous": previous_link,
                "results": data,
            }
        )


def _links(
    request: Request, board: selectors.Dashboard, *, page: int | None, size: int
) -> tuple[str | None, str | None]:
    """The next and previous pages: keyset cursors, or page numbers when the client asked by
    number (as DRF's page-number pagination links them)."""
    url = request.build_absolute_uri()
    if page is not None:
        following = (
            replace_query_param(url, "page", page + 1) if page * size < board.count else None
        )
        if page <= 1:
            return following, None
        if page == 2:
            return following, remove_query_param(url, "page")
        return following, replace_query_param(url, "page", page - 1)
    return (
        replace_query_param(url, "cursor", board.next_cursor) if board.next_cursor else None,
        replace_query_param(url, "cursor", board.previous_cursor)
        if board.previous_cursor
        else None,
    )


# --- one member ------------------------------------------------------------------------------


class DaySerializer(serializers.Serializer[Any]):
    date = serializers.DateField()
    prescribed_sessions = serializers.IntegerField(help_text="What the plan asked for.")
    due_sessions = serializers.IntegerField(help_text="Of those, due so far.")
    completed_sessions = serializers.IntegerField()
    sessions_done = serializers.IntegerField(help_text="All sessions done, extra ones too.")
    has_data = serializers.BooleanField(help_text="Anything reported: a remote monitoring day.")


class MemberAdherenceSerializer(serializers.Serializer[Any]):
    schema_optional_fields = ("pain_trend",)

    member_id = serializers.IntegerField()
    name = serializers.CharField()
    therapist = NamedSerializer(allow_null=True)
    window = WindowSerializer()
    source = serializers.CharField()  # type: ignore[assignment]
    prescribed_sessions = serializers.IntegerField()
    completed_sessions = serializers.IntegerField()
    adherence = serializers.FloatField(allow_null=True)
    active_days_30 = serializers.IntegerField()
    current_streak = serializers.IntegerField()
    best_streak = serializers.IntegerField()
    first_active = serializers.DateField(allow_null=True)
    last_active = serializers.DateField(allow_null=True)
    risk = serializers.ChoiceField(choices=Risk.choices)
    risk_label = serializers.CharField()
    pain_trend = PainTrendSerializer(required=False)
    days = DaySerializer(many=True)
    weeks = WeekSerializer(many=True)


def member_data(figures: selectors.MemberFigures, *, with_pain: bool) -> dict[str, Any]:
    window, summary, member = figures.window, figures.summary, figures.member
    risk = summary.risk if summary is not None else Risk.NO_PLAN
    data: dict[str, Any] = {
        "member_id": member.pk,
        "name": member.user.display_name,
        "therapist": (
            {"id": figures.therapist.pk, "name": figures.therapist.user.display_name}
            if figures.therapist is not None
            else None
        ),
        "window": {
            "from": window.start,
            "to": window.end,
            "rolling": False,
            "days": (window.end - window.start).days + 1,
        },
        "source": selectors.SOURCE,
        "prescribed_sessions": window.prescribed,
        "completed_sessions": window.completed,
        "adherence": window.adherence,
        "active_days_30": window.active_days_30,
        "current_streak": summary.current_streak if summary else 0,
        "best_streak": summary.best_streak if summary else 0,
        "first_active": summary.first_active if summary else None,
        "last_active": summary.last_active if summary else None,
        "risk": risk,
        "risk_label": Risk(risk).label,
        "days": [
            {
                "date": day.date,
                "prescribed_sessions": day.prescribed,
                "due_sessions": day.due,
                "completed_sessions": day.credited,
                "sessions_done": day.done,
                "has_data": day.has_data,
            }
            for day in figures.days
        ],
        "weeks": [{**week, "in_progress": False} for week in figures.weeks],
    }
    if with_pain:
        data["pain_trend"] = {
            "first_week": window.pain_first_week,
            "last_week": window.pain_last_week,
            "trend": window.pain_trend,
        }
    return data


class MemberAdherenceView(APIView):
    """One member's adherence over a window (default their last 30 local days): for the member,
    their PT, their organization's coordinators, and staff; 404 for anyone else."""

    @extend_schema(
        parameters=DASHBOARD_PARAMS[:2],
        responses={200: MemberAdherenceSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        member = access.visible_members(request.user).filter(pk=pk).first()
        if member is None:
            raise NotFound
        start, end = (
            query_date(request.query_params, "from"),
            query_date(request.query_params, "to"),
        )
        errors = window_errors(start, end, today=timezone.localdate())
        if errors:
            raise serializers.ValidationError(errors)
        figures = selectors.member_figures(member, start=start, end=end)
        audit.record_read_by_staff(request=request, member_id=member.pk, obj=member)
        role = getattr(request.user, "role", None)
        return Response(member_data(figures, with_pain=role != Role.COORDINATOR))
