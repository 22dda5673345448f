"""`/api/v1/notifications/`: every user's in-app inbox."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access
from members.models import (
    Notification,
    NotificationKind,
)
from members.selectors.reminders import unread_count
from members.services import reminders as services


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    kind = serializers.ChoiceField(choices=NotificationKind.choices, read_only=True)

    class Meta:
        model = Notification
        fields = ("id", "kind", "title", "body", "link", "created_at", "read_at", "dismissed_at")
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer[Any]):
    unread = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField()


class NotificationViewSet(viewsets.GenericViewSet[Notification]):
    """The signed-in user's in-app inbox, newest first. `unread=true` lists unread ones only."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()
    filter_backends = ()
    parser_classes = (JSONParser,)

    def get_queryset(self) -> QuerySet[Notification]:
        return access.visible_notifications(self.request.user).order_by("-created_at", "-id")

    @extend_schema(parameters=[OpenApiParameter("unread", bool)])
    def list(self, request: Request) -> Response:
        qs = self.get_queryset()
        unread = request.query_params.get("unread")
        if unread is not None:
            if unread not in ("true", "false"):
                raise serializers.ValidationError({"unread": ["Give true or false."]})
            qs = qs.filter(read_at__isnull=unread == "true")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(NotificationSerializer(self.get_object()).data)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = services.mark_read(user=request.user, notification=self.get_object())  # type: ignore[arg-type]
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        """Not now. Dismissing the same reminder 3 times in a row brings a suggestion to move it."""
        notification = services.dismiss(user=request.user, notification=self.get_object())  # type: ignore[arg-type]
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": unread_count(request.user)})

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": services.mark_all_read(user=request.user)})  # type: ignore[arg-type]
