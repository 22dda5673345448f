"""`/api/v1/members/{id}/monitoring/` and `/review-time/`: a PT starts remote monitoring with the
member's consent and records review minutes."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access, audit
from exercise_tracker.api import MAX_ID, Conflict, only_roles
from exercise_tracker.inputs import InputSerializer
from members.models import Member, MonitoringEpisode, ReviewTime, Role, User
from members.models.adherence import MAX_REVIEW_MINUTES
from members.selectors import rtm as selectors
from members.services import rtm as services


class EpisodeInputSerializer(InputSerializer):
    read_from = "members.api.monitoring.EpisodeSerializer"

    start_date = serializers.DateField(help_text="The member's local date monitoring starts.")
    consent_at = serializers.DateTimeField(help_text="When the member agreed to be monitored.")


class EpisodeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    member = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True, help_text="The last day counted.")
    active = serializers.BooleanField(help_text="Not ended yet.")
    consent_at = serializers.DateTimeField()
    consent_recorded_by = serializers.IntegerField(
        allow_null=True, help_text="The user (a PT) who recorded the consent."
    )
    created_at = serializers.DateTimeField()


class ReviewTimeInputSerializer(InputSerializer):
    read_from = "members.api.monitoring.ReviewTimeSerializer"

    date = serializers.DateField(help_text="The clinic's date of the review.")
    minutes = serializers.IntegerField(min_value=1, max_value=MAX_REVIEW_MINUTES)
    live_interaction = serializers.BooleanField(
        required=False, default=False, help_text="A live, two-way call or video with the member."
    )


class ReviewTimeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    member = serializers.IntegerField()
    therapist = serializers.IntegerField()
    therapist_name = serializers.CharField()
    date = serializers.DateField()
    minutes = serializers.IntegerField()
    live_interaction = serializers.BooleanField()
    created_at = serializers.DateTimeField()


def episode_data(episode: MonitoringEpisode) -> dict[str, Any]:
    return {
        "id": episode.pk,
        "member": episode.member_id,
        "start_date": episode.start_date.isoformat(),
        "end_date": episode.end_date.isoformat() if episode.end_date else None,
        "active": episode.end_date is None,
        "consent_at": episode.consent_at,
        "consent_recorded_by": episode.consent_recorded_by_id,
        "created_at": episode.created_at,
    }


def review_time_data(entry: ReviewTime) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "member": entry.member_id,
        "therapist": entry.therapist_id,
        "therapist_name": entry.therapist.user.display_name,
        "date": entry.date.isoformat(),
        "minutes": entry.minutes,
        "live_interaction": entry.live_interaction,
        "created_at": entry.created_at,
    }


def _member(request: Request, member_id: int) -> Member:
    member = (
        access.visible_members(request.user).filter(pk=member_id).first()
        if 0 < member_id <= MAX_ID
        else None
    )
    if member is None:
        raise NotFound
    return member


MEMBER_PATH = OpenApiParameter(
    "member_id", int, OpenApiParameter.PATH, description="The member's id."
)


class MonitoringViewSet(viewsets.GenericViewSet[MonitoringEpisode]):
    """`/api/v1/members/{id}/monitoring/`: the member's monitoring episodes, newest first;
    POST (a PT of the care team) starts one with the member's consent. An open episode
    already there is a 409."""

    serializer_class = EpisodeSerializer
    queryset = MonitoringEpisode.objects.none()
    filter_backends = ()

    @extend_schema(parameters=[MEMBER_PATH], responses=EpisodeSerializer(many=True))
    def list(self, request: Request, member_id: int) -> Response:
        member = _member(request, member_id)
        page = self.paginate_queryset(selectors.episodes_of(member))
        audit.record_read_by_staff(
            request=request, member_id=member.pk, object_type="members.monitoringepisode_list"
        )
        return self.get_paginated_response([episode_data(e) for e in page or []])

    @extend_schema(
        parameters=[MEMBER_PATH],
        request=EpisodeInputSerializer,
        responses={201: EpisodeSerializer},
    )
    def create(self, request: Request, member_id: int) -> Response:
        only_roles(request, Role.THERAPIST)
        member = _member(request, member_id)
        form = EpisodeInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            episode = services.start_monitoring(
                user=cast(User, request.user),  # a PT: _only() let no one else in
                member=member,
                start_date=form.validated_data["start_date"],
                consent_at=form.validated_data["consent_at"],
            )
        except services.AlreadyMonitored as exc:
            raise Conflict(exc.messages[0]) from exc
        return Response(episode_data(episode), status=status.HTTP_201_CREATED)


REVIEW_READERS = (Role.THERAPIST, Role.STAFF)


class ReviewTimeViewSet(viewsets.GenericViewSet[ReviewTime]):
    """`/api/v1/members/{id}/review-time/`: minutes PTs spent on the member's monitoring data,
    newest first; POST (a PT of the care team) records `{"date", "minutes",
    "live_interaction"}` on a date the member was monitored."""

    serializer_class = ReviewTimeSerializer
    queryset = ReviewTime.objects.none()
    filter_backends = ()

    @extend_schema(parameters=[MEMBER_PATH], responses=ReviewTimeSerializer(many=True))
    def list(self, request: Request, member_id: int) -> Response:
        only_roles(request, *REVIEW_READERS)
        member = _member(request, member_id)
        page = self.paginate_queryset(selectors.review_times_of(member))
        audit.record_read_by_staff(
            request=request, member_id=member.pk, object_type="members.reviewtime_list"
        )
        return self.get_paginated_response([review_time_data(r) for r in page or []])

    @extend_schema(
        parameters=[MEMBER_PATH],
        request=ReviewTimeInputSerializer,
        responses={201: ReviewTimeSerializer},
    )
    def create(self, request: Request, member_id: int) -> Response:
        only_roles(request, Role.THERAPIST)
        member = _member(request, member_id)
        form = ReviewTimeInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        entry = services.record_review_time(
            user=cast(User, request.user),
            member=member,
            date=form.validated_data["date"],
            minutes=form.validated_data["minutes"],
            live_interaction=form.validated_data["live_interaction"],
        )
        return Response(review_time_data(entry), status=status.HTTP_201_CREATED)
