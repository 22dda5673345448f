"""`/api/v1/sessions/` (the v1 contract).

Who: a member logs their own sessions (POST), corrects one on its day (PATCH) and reads theirs;
a PT reads their caseload's (filter `member`); staff read everything,
audited. Coordinators see adherence figures, never logs with pain and notes: 404.

The POST is a member's phone's hot path: the body's shape is checked by members.inputs (errors
name each field, `entries[2].reps_done`), the rules that depend on the plan by the service, and
the answer is built from the rows in memory, without serializer machinery; the output
serializers below document its shape for the schema.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access, audit
from exercise_tracker.api import (
    Conflict,
    audited_page,
    only_roles,
    query_choice,
    records_of_member,
)
from exercise_tracker.idempotency import idempotent
from exercise_tracker.inputs import validated
from members.inputs import (
    SessionInputSerializer,
    SessionPatchSerializer,
    logged_values,
    quick_session_input,
)
from members.models import (
    EntrySide,
    EntryStatus,
    Feedback,
    Role,
    SessionEntry,
    SessionLog,
    SessionStatus,
    User,
)
from members.selectors.sessions import sessions_with_entries
from members.services import sessions as services

# --- serializers: the input shapes are in members.inputs (the today page uses them too) -----


class ExerciseNameSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PrescribedSerializer(serializers.Serializer[Any]):
    sets = serializers.IntegerField()
    reps = serializers.IntegerField(allow_null=True)
    hold_seconds = serializers.IntegerField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    side = serializers.CharField()


class EntrySerializer(serializers.Serializer[Any]):
    """What was done, beside what the item version in force that day prescribed."""

    id = serializers.IntegerField()
    plan_item = serializers.IntegerField(help_text="The item version in force that day.")
    exercise = ExerciseNameSerializer()
    status = serializers.ChoiceField(choices=EntryStatus.choices)
    done = serializers.BooleanField()
    sets_done = serializers.IntegerField(allow_null=True)
    reps_done = serializers.IntegerField(allow_null=True)
    hold_seconds_done = serializers.IntegerField(allow_null=True)
    duration_seconds_done = serializers.IntegerField(allow_null=True)
    side = serializers.ChoiceField(choices=EntrySide.choices, allow_null=True)
    feedback = serializers.ChoiceField(choices=Feedback.choices, allow_null=True)
    pain = serializers.IntegerField(allow_null=True)
    prescribed = PrescribedSerializer()


class SessionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    client_id = serializers.UUIDField()
    member = serializers.IntegerField()
    date = serializers.DateField()
    status = serializers.ChoiceField(choices=SessionStatus.choices)
    pain_before = serializers.IntegerField(allow_null=True)
    pain_after = serializers.IntegerField(allow_null=True)
    rpe = serializers.IntegerField(allow_null=True)
    notes = serializers.CharField(allow_blank=True)
    entries = EntrySerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def entry_data(entry: SessionEntry) -> dict[str, Any]:
    item = entry.plan_item
    return {
        "id": entry.pk,
        "plan_item": entry.plan_item_id,
        "exercise": {"id": entry.exercise_id, "name": entry.exercise.name},
        "status": entry.status,
        "done": entry.done,
        "sets_done": entry.sets_done,
        "reps_done": entry.reps_done,
        "hold_seconds_done": entry.hold_seconds_done,
        "duration_seconds_done": entry.duration_seconds_done,
        "side": entry.side or None,
        "feedback": entry.feedback or None,
        "pain": entry.pain,
        "prescribed": {
            "sets": item.sets,
            "reps": item.reps,
            "hold_seconds": item.hold_seconds,
            "duration_seconds": item.duration_seconds,
            "side": item.side,
        },
    }


def session_data(session: SessionLog, entries: list[SessionEntry]) -> dict[str, Any]:
    """The fields of SessionSerializer, from rows already in memory."""
    return {
        "id": session.pk,
        "client_id": str(session.client_id),
        "member": session.member_id,
        "date": session.local_date.isoformat(),
        "status": session.status,
        "pain_before": session.pain_before,
        "pain_after": session.pain_after,
        "rpe": session.rpe,
        "notes": session.notes,
        "entries": [entry_data(entry) for entry in entries],
        "created_at": session.created_at,
        "updated_at": session.updated_at,
    }


DATE_PARAMS = [
    OpenApiParameter("from", date, description="Sessions on or after this local date"),
    OpenApiParameter("to", date, description="Sessions on or before this local date"),
]
MEMBER_PARAM = OpenApiParameter("member", int, description="PT and staff: one member's sessions")

# --- sessions -------------------------------------------------------------------------------


class SessionViewSet(viewsets.GenericViewSet[SessionLog]):
    """Session logs. POST (member): `{"client_id"?, "date", "status", "pain_before",
    "pain_after", "rpe", "notes", "entries": [...]}`; a retry with the same client_id (or
    Idempotency-Key) and body answers the first session (200), another body 409."""

    serializer_class = SessionSerializer
    queryset = SessionLog.objects.none()
    filter_backends = ()

    def get_queryset(self) -> QuerySet[SessionLog]:
        return sessions_with_entries(self.request.user)

    @extend_schema(
        parameters=[
            MEMBER_PARAM,
            *DATE_PARAMS,
            OpenApiParameter("status", str, enum=SessionStatus.values),
        ]
    )
    def list(self, request: Request) -> Response:
        only_roles(request, *access.SESSION_READERS)
        qs = self.get_queryset()
        qs, member = records_of_member(request, qs)
        wanted = query_choice(request.query_params, "status", SessionStatus.values)
        if wanted is not None:
            qs = qs.filter(status=wanted)
        return audited_page(
            self,
            request,
            qs,
            member=member,
            object_type="members.session_list",
            render=lambda s: session_data(s, list(s.entries.all())),
        )

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *access.SESSION_READERS)
        session = self.get_object()
        audit.record_read_by_staff(request=request, member_id=session.member_id, obj=session)
        return Response(session_data(session, list(session.entries.all())))

    @extend_schema(
        request=SessionInputSerializer,
        responses={
            201: SessionSerializer,
            200: OpenApiResponse(SessionSerializer, description="A retry: the first session."),
        },
    )
    @idempotent
    def create(self, request: Request) -> Response:
        member = access.own_member(request.user)
        data = quick_session_input(request.data)
        if data is None:  # an unusual body: the serializer checks it and names what is wrong
            data = validated(SessionInputSerializer, request.data)
        try:
            logged = services.log_session(
                member=member,
                by=cast(User, request.user),
                **logged_values(data),
            )
        except services.ClientIdReused as exc:
            raise Conflict(
                "This client_id was already used for a session with other content; "
                "make a new one for a new session."
            ) from exc
        return Response(
            session_data(logged.session, logged.entries),
            status=status.HTTP_201_CREATED if logged.created else status.HTTP_200_OK,
        )

    @extend_schema(request=SessionPatchSerializer, responses=SessionSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *access.SESSION_READERS)
        session = self.get_object()
        if getattr(request.user, "role", None) != Role.MEMBER:
            # A PT reads logs; only the member who did the session may correct it.
            raise PermissionDenied("Only the member corrects their own session.")
        changes = dict(validated(SessionPatchSerializer, request.data))
        if "date" in changes and changes.pop("date") != session.local_date:
            raise serializers.ValidationError({"date": ["A session's date cannot change."]})
        logged = services.correct_session(
            session=session,
            by=cast(User, request.user),
            changes=cast(services.SessionChanges, changes),
        )
        return Response(session_data(logged.session, logged.entries))


# --- today ----------------------------------------------------------------------------------


# --- alerts ---------------------------------------------------------------------------------
