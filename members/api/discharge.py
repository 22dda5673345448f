"""`/api/v1/members/{id}/discharge/`: a PT of the member's care team ends their episode;
`/api/v1/members/{id}/enrol-again/`: one of them starts a new episode for a discharged member.
To anyone else neither exists (404), as on the discharge page."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exercise_tracker import access
from exercise_tracker.schema import ErrorSerializer
from members.models import DischargeReason, Episode, Member, User
from members.services import discharge


class DischargeSerializer(serializers.Serializer[Any]):
    reason = serializers.ChoiceField(choices=DischargeReason.choices)


class CareEpisodeSerializer(serializers.ModelSerializer[Episode]):
    class Meta:
        model = Episode
        fields = ("id", "member", "started_on", "ended_on", "reason", "access_until")
        read_only_fields = fields


def _care_team_member(user: User, pk: int) -> Member:
    member = access.visible_members(user).filter(pk=pk).first()
    if member is None or not access.is_care_team(user, member):
        raise NotFound
    return member


def _conflict(exc: discharge.EpisodeConflict) -> Response:
    return Response({"detail": exc.message, "errors": {}}, status=status.HTTP_409_CONFLICT)


class DischargeView(APIView):
    @extend_schema(
        request=DischargeSerializer,
        responses={
            200: CareEpisodeSerializer,
            409: OpenApiResponse(response=ErrorSerializer, description="already discharged"),
        },
        description=(
            "Ends the member's episode of care today (their local date): the active plan is "
            "completed, reminders and remote monitoring stop, figures stop counting after "
            "today. The member keeps read-only access until access_until, then the account "
            "is closed. Only a PT of the member's care team; to anyone else it does not exist."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        user = cast(User, request.user)
        member = _care_team_member(user, pk)
        data = DischargeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            episode = discharge.discharge_member(
                by=user,
                member=member,
                reason=data.validated_data["reason"],
                request=request._request,
            )
        except discharge.EpisodeConflict as exc:
            return _conflict(exc)
        return Response(CareEpisodeSerializer(episode).data)


class EnrolAgainView(APIView):
    @extend_schema(
        request=None,
        responses={
            201: CareEpisodeSerializer,
            409: OpenApiResponse(response=ErrorSerializer, description="already in care"),
        },
        description=(
            "Starts a new episode of care for a discharged member from today (their local "
            "date). A closed account is opened again (the member signs in with their old "
            "password); old plans, logs and episodes stay as they were, and the PT writes a "
            "new plan. Only a PT of the member's care team: once the account has closed, the "
            "care assignment has ended too, and a coordinator assigns a PT first. To anyone "
            "else it does not exist."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        user = cast(User, request.user)
        member = _care_team_member(user, pk)
        try:
            episode = discharge.start_episode(by=user, member=member, request=request._request)
        except discharge.EpisodeConflict as exc:
            return _conflict(exc)
        return Response(CareEpisodeSerializer(episode).data, status=status.HTTP_201_CREATED)
