"""`/api/v1/assessments/`: members send answers (scored on the server), PTs read them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access, audit
from exercise_tracker.api import (
    Conflict,
    only_roles,
    query_choice,
    records_of_member,
)
from exercise_tracker.idempotency import idempotent
from exercise_tracker.inputs import InputSerializer
from members.models import Assessment, Instrument, Role, User
from members.rules import scoring
from members.rules.questionnaires import member_lines
from members.selectors.outcomes import previous_of, with_previous
from members.services import outcomes as services

# --- serializers ----------------------------------------------------------------------------


class AssessmentInputSerializer(InputSerializer):
    read_from = "members.api.assessments.AssessmentSerializer"

    instrument = serializers.ChoiceField(choices=Instrument.choices)
    answers = serializers.JSONField()
    client_id = serializers.UUIDField(required=False, allow_null=True)
    date = serializers.DateField(required=False, allow_null=True)


class ChangeSerializer(serializers.Serializer[Any]):
    previous_score = serializers.FloatField()
    delta = serializers.FloatField()
    threshold = serializers.FloatField()
    direction = serializers.ChoiceField(choices=["better", "worse", "same"])
    meaningful = serializers.BooleanField()


class MeaningfulChangeSerializer(serializers.Serializer[Any]):
    points = serializers.FloatField()
    percent = serializers.FloatField(allow_null=True)
    lower_is_better = serializers.BooleanField()
    description = serializers.CharField()


class AssessmentSerializer(serializers.Serializer[Any]):
    """An assessment as the API shows it. `score` is a number, or per subscale for zcq.

    Member-facing results are neutral: a member reading their own gets no `band` (null) and an
    `interpretation` that gives each score on its own scale; the bands (e.g. the ODI's) are for
    the PT and staff."""

    id = serializers.IntegerField(read_only=True)
    member = serializers.IntegerField(source="member_id", read_only=True)
    instrument = serializers.CharField(read_only=True)
    answers = serializers.JSONField(read_only=True)
    score = serializers.JSONField(
        read_only=True,
        help_text=(
            "nprs 0-10, odi 0-100 (%), psfs mean 0-10; zcq per subscale (`severity`, "
            "`function`, `satisfaction` or null): `mean` on the subscale's own scale (severity "
            "1-5, function and satisfaction 1-4) and `answered`; PT and staff also get "
            "`percent` (mean / maximum x 100), members do not."
        ),
    )
    band = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text=(
            'For PT and staff: the instrument\'s band (e.g. ODI "moderate disability"; empty '
            "where the instrument has none). Null for a member: their results are shown "
            "without bands."
        ),
    )
    interpretation = serializers.CharField(
        read_only=True,
        help_text=(
            "The score in words. For PT and staff with the band; for a member neutral, each "
            "score on its own scale and which way is better."
        ),
    )
    meaningful_change = MeaningfulChangeSerializer(read_only=True)
    change = ChangeSerializer(read_only=True, allow_null=True)
    local_date = serializers.DateField(read_only=True)
    completed_at = serializers.DateTimeField(read_only=True)
    client_id = serializers.UUIDField(read_only=True, allow_null=True)


def _member_score(instrument: str, score: Any) -> Any:
    """ZCQ for a member: each subscale's mean on its own scale, no percentage (which would read
    20% for no symptoms)."""
    if instrument != scoring.ZCQ or not isinstance(score, dict):
        return score
    return {
        part: (
            {key: value for key, value in sub.items() if key != "percent"}
            if isinstance(sub, dict)
            else sub
        )
        for part, sub in score.items()
    }


def assessment_data(
    assessment: Assessment, previous: Decimal | None, *, for_member: bool
) -> dict[str, Any]:
    """The fields of AssessmentSerializer; the interpretation is re-derived from the stored
    answers by the same pure scoring code, so it never drifts from the score. `for_member`:
    the neutral version for the member themself (no band, scores on their own scales)."""
    result = scoring.score(assessment.instrument, assessment.answers)
    change = (
        scoring.compare(assessment.instrument, Decimal(previous), assessment.score_value)
        if previous is not None
        else None
    )
    if for_member:
        score = _member_score(assessment.instrument, assessment.score)
        band = None
        interpretation = " ".join(member_lines(assessment.instrument, assessment.score))
    else:
        score, band, interpretation = assessment.score, assessment.band, result.interpretation
    return {
        "id": assessment.pk,
        "member_id": assessment.member_id,
        "instrument": assessment.instrument,
        "answers": assessment.answers,
        "score": score,
        "band": band,
        "interpretation": interpretation,
        "meaningful_change": result.meaningful_change.as_dict(),
        "change": change.as_dict() if change is not None else None,
        "local_date": assessment.local_date,
        "completed_at": assessment.completed_at,
        "client_id": assessment.client_id,
    }


# --- helpers --------------------------------------------------------------------------------


MEMBER_PARAM = OpenApiParameter("member", int, description="PT and staff: one member's records")

# --- assessments ----------------------------------------------------------------------------


class AssessmentViewSet(viewsets.GenericViewSet[Assessment]):
    """GET: the member's own questionnaires, a PT's caseload's (filter `member`). POST (member):
    `{"instrument", "answers", "client_id"?, "date"?}`, scored here."""

    serializer_class = AssessmentSerializer
    queryset = Assessment.objects.none()
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Assessment]:
        return with_previous(access.visible_assessments(self.request.user)).order_by(
            "-local_date", "-completed_at", "-id"
        )

    @extend_schema(
        parameters=[
            MEMBER_PARAM,
            OpenApiParameter("instrument", str, enum=Instrument.values),
            OpenApiParameter("from", date),
            OpenApiParameter("to", date),
        ]
    )
    def list(self, request: Request) -> Response:
        only_roles(request, *access.OUTCOME_READERS)
        qs = self.get_queryset()
        qs, member = records_of_member(request, qs)
        # An empty `instrument=` lists every instrument, as this endpoint always has.
        if request.query_params.get("instrument"):
            qs = qs.filter(
                instrument=query_choice(request.query_params, "instrument", Instrument.values)
            )
        page = self.paginate_queryset(qs)
        rows = page if page is not None else list(qs)
        for_member = cast(User, request.user).is_member
        data = AssessmentSerializer(
            [
                assessment_data(a, getattr(a, "previous_value", None), for_member=for_member)
                for a in rows
            ],
            many=True,
        ).data
        audit.record_read_by_staff(
            request=request,
            member_id=member.pk if member is not None else None,
            object_type="members.assessment_list",
        )
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *access.OUTCOME_READERS)
        assessment = self.get_object()
        audit.record_read_by_staff(request=request, member_id=assessment.member_id, obj=assessment)
        return Response(
            AssessmentSerializer(
                assessment_data(
                    assessment,
                    getattr(assessment, "previous_value", None),
                    for_member=cast(User, request.user).is_member,
                )
            ).data
        )

    @extend_schema(request=AssessmentInputSerializer, responses={201: AssessmentSerializer})
    @idempotent
    def create(self, request: Request) -> Response:
        only_roles(request, Role.MEMBER)
        member = access.member_for(request.user)
        if member is None:
            raise NotFound
        form = AssessmentInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            assessment, created = services.record_assessment(
                member=member,
                instrument=form.validated_data["instrument"],
                answers=form.validated_data["answers"],
                client_id=form.validated_data.get("client_id"),
                local_date=form.validated_data.get("date"),
                by=cast(User, request.user),
            )
        except services.ClientIdReused as exc:
            raise Conflict(
                "This client_id was already used for a questionnaire with other answers."
            ) from exc
        before = previous_of(assessment)
        previous = before.score_value if before is not None else None
        return Response(
            AssessmentSerializer(assessment_data(assessment, previous, for_member=True)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# --- schedules ------------------------------------------------------------------------------
