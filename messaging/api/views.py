"""`/api/v1/threads/`, `/api/v1/messages/`, `/api/v1/reply-templates/`, `/api/v1/working-hours/`.

Who: the member and their PTs now (access.visible_threads); to anyone else a thread does not
exist (404): coordinators get counts on their dashboard, staff read through the audited admin.
A PT's reads are audited as reads of the member's record. Answers are built from rows in
memory; the serializers in messaging.api.serializers document their shapes.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exercise_tracker import access
from exercise_tracker.api import Conflict, only_roles, parse_int, query_int
from exercise_tracker.idempotency import idempotent
from exercise_tracker.inputs import validated
from exercise_tracker.schema import ErrorSerializer
from members.models import Member, Role, User
from messaging.api import serializers as s
from messaging.models import Message, ReplyTemplate, Thread
from messaging.selectors import threads as selectors
from messaging.services import hours as hours_services
from messaging.services import messages as services
from messaging.services import review_time as review_services
from messaging.services import templates as template_services
from programs.api.images import ImageSizeLimitHandler

# --- rows to answers --------------------------------------------------------------------------


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def message_data(message: Message, *, read: selectors.ReadUpTo, viewer: Any) -> dict[str, Any]:
    withdrawn = message.withdrawn_at is not None
    image = None
    if message.image and not withdrawn:
        base = f"/api/v1/messages/{message.pk}"
        image = {
            "url": f"{base}/image/",
            "thumbnail": f"{base}/thumbnail/" if message.thumbnail else None,
            "width": message.image_width,
            "height": message.image_height,
        }
    exercise = None
    if message.exercise_id is not None and not withdrawn and message.exercise is not None:
        exercise = {"id": message.exercise_id, "name": message.exercise.name}
    mine = message.author_id == getattr(viewer, "pk", None)
    return {
        "id": message.pk,
        "thread": message.thread_id,
        "client_id": str(message.client_id),
        "author": {
            "id": message.author_id,
            "name": _name(message.author),
            "side": message.side,
        },
        "text": "" if withdrawn else message.text,
        "exercise": exercise,
        "image": image,
        "created_at": message.created_at,
        "withdrawn": withdrawn,
        "withdrawn_at": message.withdrawn_at,
        "withdrawable_until": (
            message.created_at + services.WITHDRAW_WINDOW if mine and not withdrawn else None
        ),
        "seen": selectors.is_seen(message, read),
    }


def thread_data(thread: Thread) -> dict[str, Any]:
    member = thread.member
    return {
        "id": thread.pk,
        "member": {"id": member.pk, "name": _name(member.user)},
        "unread": getattr(thread, "unread", 0),
        "last_message_id": getattr(thread, "last_message_id", None),
        "last_message_at": thread.last_message_at,
        "version": thread.version,
    }


def _may_write(request: Request) -> None:
    if not access.may_write_as_member(request.user):
        raise PermissionDenied("Your care with the clinic has ended: messages can be read only.")


# --- threads ----------------------------------------------------------------------------------

THREAD_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The thread's id.")
PAGE_PARAMS = [
    OpenApiParameter("before", int, description="Older messages: those before this message id."),
    OpenApiParameter("after", int, description="Newer messages (polling): those after this id."),
    OpenApiParameter(
        "limit",
        int,
        description=(
            f"At most this many (default {selectors.DEFAULT_PAGE}, up to {selectors.MAX_PAGE})."
        ),
    ),
]


class ThreadViewSet(viewsets.GenericViewSet[Thread]):
    """A member's conversation with their care team. A member has one (made on first use); a
    PT lists their caseload's conversations, unread first, and opens one with POST
    `{"member"}`."""

    serializer_class = s.ThreadSerializer
    queryset = Thread.objects.none()
    filter_backends = ()

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before anything may read the body: an oversized picture stops at 10 MB (413).
        request.upload_handlers.insert(0, ImageSizeLimitHandler(request))
        return super().initialize_request(request, *args, **kwargs)

    def get_parsers(self) -> list[Any]:
        # Pictures come as multipart, to the messages only (the action is not known yet when
        # the request is made: the path says it).
        request = getattr(self, "request", None)
        if getattr(self, "action", None) == "messages" or (
            request is not None and request.path.endswith("/messages/")
        ):
            return [JSONParser(), MultiPartParser(), FormParser()]
        return [JSONParser()]

    def get_queryset(self) -> QuerySet[Thread]:
        return access.visible_threads(self.request.user)

    def _thread(self, pk: str | None) -> Thread:
        only_roles(self.request, *access.MESSAGE_READERS)
        if pk is None or not pk.isdigit():
            raise Http404
        return get_object_or_404(self.get_queryset(), pk=parse_int(pk) or 0)

    def list(self, request: Request) -> Response:
        """Mine: the member's own thread; a PT's caseload's threads, unread first, then the
        most recent."""
        only_roles(request, *access.MESSAGE_READERS)
        if getattr(request.user, "role", None) == Role.MEMBER:
            services.thread_for_member(member=access.own_member(request.user))
        page = self.paginate_queryset(selectors.threads_for(request.user))
        rows = page if page is not None else []
        selectors.record_thread_list_read(user=request.user)
        return self.get_paginated_response([thread_data(t) for t in rows])

    @extend_schema(
        request=s.ThreadOpenInput,
        responses={201: s.ThreadDetailSerializer, 200: s.ThreadDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        """Opens the conversation with a member (a PT: `{"member"}` of their caseload; a member:
        their own, no body needed). 201 when new, 200 when it was there."""
        only_roles(request, *access.MESSAGE_READERS)
        data = validated(s.ThreadOpenInput, request.data)
        member: Member | None
        if getattr(request.user, "role", None) == Role.MEMBER:
            member = access.own_member(request.user)
        else:
            member_id = data.get("member")
            if member_id is None:
                raise s.serializers.ValidationError({"member": ["Choose a member."]})
            member = access.visible_members(request.user).filter(pk=member_id).first()
            if member is None:
                raise s.serializers.ValidationError(
                    {"member": ["No member of your caseload has this id."]}
                )
        existed = Thread.objects.filter(member=member).exists()
        thread = services.thread_for_member(member=member)
        thread = selectors.threads_for(request.user).get(pk=thread.pk)
        selectors.record_thread_read(user=request.user, thread=thread)
        return Response(
            self._detail(thread),
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    def _detail(self, thread: Thread) -> dict[str, Any]:
        org = thread.member.user.organization
        data = thread_data(thread)
        data.update(
            {
                "care_team": [
                    {"id": t.user_id, "name": _name(t.user), "credentials": t.credentials}
                    for t in selectors.care_team_of(thread)
                ],
                "my_last_read_id": getattr(thread, "my_marker", 0),
                "not_for_emergencies": selectors.NOT_FOR_EMERGENCIES,
                "working_hours": selectors.working_hours_of(org.pk) if org else {},
                "clinic_timezone": org.timezone if org else "UTC",
                "withdraw_window_seconds": int(services.WITHDRAW_WINDOW.total_seconds()),
            }
        )
        return data

    @extend_schema(parameters=[THREAD_PARAM], responses=s.ThreadDetailSerializer)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        self._thread(pk)
        thread = selectors.threads_for(request.user).get(pk=int(cast(str, pk)))
        selectors.record_thread_read(user=request.user, thread=thread)
        return Response(self._detail(thread))

    @extend_schema(
        methods=["GET"],
        parameters=[THREAD_PARAM, *PAGE_PARAMS],
        responses={
            200: s.MessagePageSerializer,
            304: OpenApiResponse(description="Not modified (If-None-Match)."),
        },
        description=(
            "Messages, oldest first (newest last): the latest page by default; `before` pages "
            "back, `after` polls for newer ones. Answers an ETag; send it back in If-None-Match "
            "to get 304 (one query) until something changes: a message, a withdrawal, a read."
        ),
    )
    @extend_schema(
        methods=["POST"],
        parameters=[THREAD_PARAM],
        request={
            "application/json": s.MessageInput,
            "multipart/form-data": s.MessageInput,
        },
        responses={
            201: s.SentMessageSerializer,
            200: OpenApiResponse(
                s.SentMessageSerializer, description="A retry: the first message."
            ),
        },
        description=(
            'Send `{"client_id", "text", "exercise"?}` (a picture as multipart `image`). '
            "Sent once: a retry with the same client_id (or Idempotency-Key) and body answers the "
            "first message (200), another body 409. `exercise` must be on the member's current "
            "plan (400). A member's message that mentions red-flag symptoms answers "
            "`emergency_guidance` to show at once."
        ),
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request: Request, pk: str | None = None) -> Response:
        if request.method == "POST":
            return self._send(request, pk)
        thread = self._thread(pk)
        params = request.query_params
        etag = selectors.thread_etag(thread, query=request.META.get("QUERY_STRING", ""))
        if etag in _etags(request.headers.get("If-None-Match", "")):
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
            response["ETag"] = etag
            return response
        before = query_int(params, "before")
        after = query_int(params, "after", low=0)
        if before is not None and after is not None:
            raise s.serializers.ValidationError({"after": ["Give before or after, not both."]})
        limit = query_int(params, "limit", high=selectors.MAX_PAGE) or selectors.DEFAULT_PAGE
        rows, more = selectors.messages_page(thread, before=before, after=after, limit=limit)
        read = selectors.read_up_to(thread)
        selectors.record_thread_read(user=request.user, thread=thread)
        path = request.path
        older = newer = None
        if rows and (more if after is None else True) and after is None:
            older = f"{path}?{urlencode({'before': rows[0].pk, 'limit': limit})}"
        if rows:
            newer = f"{path}?{urlencode({'after': rows[-1].pk, 'limit': limit})}"
        elif after is not None:
            newer = f"{path}?{urlencode({'after': after, 'limit': limit})}"
        response = Response(
            {
                "next": newer,
                "previous": older,
                "results": [message_data(m, read=read, viewer=request.user) for m in rows],
            }
        )
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response

    @idempotent
    def _send(self, request: Request, pk: str | None) -> Response:
        thread = self._thread(pk)
        _may_write(request)
        data = validated(s.MessageInput, request.data)
        try:
            sent = services.send_message(
                thread=thread,
                by=cast(User, request.user),
                client_id=data["client_id"],
                text=data["text"],
                exercise_id=data["exercise"],
                image=data["image"],
            )
        except services.ClientIdReused as exc:
            raise Conflict(
                "This client_id was already used for a message with other content; make a new "
                "one for a new message.",
                field="client_id",
            ) from exc
        read = selectors.read_up_to(thread)
        body = message_data(sent.message, read=read, viewer=request.user)
        body["emergency_guidance"] = sent.emergency_guidance
        return Response(
            body, status=status.HTTP_201_CREATED if sent.created else status.HTTP_200_OK
        )

    @extend_schema(parameters=[THREAD_PARAM], request=s.ReadInput, responses=s.ReadSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        """Marks the thread read up to a message (`up_to`; default the latest)."""
        thread = self._thread(pk)
        data = validated(s.ReadInput, request.data)
        last = services.mark_read(thread=thread, by=cast(User, request.user), up_to=data["up_to"])
        unread = selectors.threads_for(request.user).get(pk=thread.pk).unread  # type: ignore[attr-defined]
        return Response({"thread": thread.pk, "last_read_id": last, "unread": unread})

    @extend_schema(
        parameters=[THREAD_PARAM],
        request=s.LogTimeInput,
        responses={201: s.ReviewTimeOutSerializer},
    )
    @action(detail=True, methods=["post"], url_path="log-time")
    def log_time(self, request: Request, pk: str | None = None) -> Response:
        """A PT adds the minutes spent on this conversation to the member's monitoring review
        time (today, the clinic's date; source "messaging")."""
        only_roles(request, Role.THERAPIST)
        thread = self._thread(pk)
        data = validated(s.LogTimeInput, request.data)
        entry = review_services.log_conversation_time(
            thread=thread, by=cast(User, request.user), minutes=data["minutes"], note=data["note"]
        )
        return Response(
            {
                "id": entry.pk,
                "member": entry.member_id,
                "date": entry.date,
                "minutes": entry.minutes,
                "source": entry.source,
                "note": entry.note,
            },
            status=status.HTTP_201_CREATED,
        )


def _etags(header: str) -> set[str]:
    tags = {tag.strip() for tag in header.split(",") if tag.strip()}
    return tags | {tag[2:] for tag in tags if tag.startswith("W/")}


# --- messages ---------------------------------------------------------------------------------

MESSAGE_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The message's id.")
# Pictures are stored as the library's checks leave them: PNG, JPEG or WebP.
PICTURE_RESPONSES = {
    (200, f"image/{kind}"): OpenApiTypes.BINARY for kind in ("jpeg", "png", "webp")
}


class MessageViewSet(viewsets.GenericViewSet[Message]):
    serializer_class = s.MessageSerializer
    queryset = Message.objects.none()
    filter_backends = ()
    pagination_class = None
    parser_classes = (JSONParser,)

    def get_queryset(self) -> QuerySet[Message]:
        return access.visible_messages(self.request.user).select_related("author", "exercise")

    def _message(self, pk: str | None) -> Message:
        only_roles(self.request, *access.MESSAGE_READERS)
        if pk is None or not pk.isdigit():
            raise Http404
        return get_object_or_404(self.get_queryset(), pk=parse_int(pk) or 0)

    @extend_schema(parameters=[MESSAGE_PARAM], request=None, responses=s.MessageSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """The sender takes a message back within 5 minutes of sending it (409 after): it shows
        as withdrawn, its text and picture are no longer served."""
        message = self._message(pk)
        try:
            message = services.withdraw_message(message=message, by=cast(User, request.user))
        except services.WithdrawRefused as exc:
            if message.author_id != request.user.pk:
                raise PermissionDenied(str(exc)) from exc
            raise Conflict(str(exc)) from exc
        read = selectors.read_up_to(message.thread)
        message = self.get_queryset().get(pk=message.pk)
        return Response(message_data(message, read=read, viewer=request.user))

    def _file(self, request: Request, pk: str | None, field: str) -> FileResponse:
        message = self._message(pk)
        file = getattr(message, field)
        if message.withdrawn_at is not None or not file:
            raise Http404
        selectors.record_thread_read(user=request.user, thread=message.thread)
        response = FileResponse(file.open("rb"))
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(parameters=[MESSAGE_PARAM], responses=PICTURE_RESPONSES)
    @action(detail=True, methods=["get"])
    def image(self, request: Request, pk: str | None = None) -> FileResponse:
        """The message's picture, for the thread's readers only."""
        return self._file(request, pk, "image")

    @extend_schema(parameters=[MESSAGE_PARAM], responses={(200, "image/webp"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def thumbnail(self, request: Request, pk: str | None = None) -> FileResponse:
        """The picture's 480 px thumbnail (404 until made)."""
        return self._file(request, pk, "thumbnail")


# --- reply templates --------------------------------------------------------------------------


class ReplyTemplateViewSet(viewsets.GenericViewSet[ReplyTemplate]):
    """A PT's own saved replies (nobody else's; other roles: 404)."""

    serializer_class = s.ReplyTemplateSerializer
    queryset = ReplyTemplate.objects.none()
    filter_backends = ()
    parser_classes = (JSONParser,)

    def get_queryset(self) -> QuerySet[ReplyTemplate]:
        user = self.request.user
        if getattr(user, "role", None) != Role.THERAPIST:
            return ReplyTemplate.objects.none()
        return ReplyTemplate.objects.filter(therapist__user_id=user.pk or 0).order_by("title", "id")

    def _template(self, pk: str | None) -> ReplyTemplate:
        only_roles(self.request, Role.THERAPIST)
        if pk is None or not pk.isdigit():
            raise Http404
        return get_object_or_404(self.get_queryset(), pk=parse_int(pk) or 0)

    def list(self, request: Request) -> Response:
        only_roles(request, Role.THERAPIST)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ReplyTemplateSerializer(page, many=True).data)

    @extend_schema(request=s.ReplyTemplateInput, responses={201: s.ReplyTemplateSerializer})
    def create(self, request: Request) -> Response:
        only_roles(request, Role.THERAPIST)
        data = validated(s.ReplyTemplateInput, request.data)
        template = template_services.create_reply_template(
            by=cast(User, request.user), title=data["title"], text=data["text"]
        )
        return Response(s.ReplyTemplateSerializer(template).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(s.ReplyTemplateSerializer(self._template(pk)).data)

    @extend_schema(request=s.ReplyTemplatePatchInput, responses=s.ReplyTemplateSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        template = self._template(pk)
        data = validated(s.ReplyTemplatePatchInput, request.data)
        template = template_services.update_reply_template(
            template=template, title=data.get("title"), text=data.get("text")
        )
        return Response(s.ReplyTemplateSerializer(template).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        template_services.delete_reply_template(template=self._template(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- working hours ----------------------------------------------------------------------------


class WorkingHoursView(APIView):
    """The clinic's working hours, shown in every thread with "messages are not for
    emergencies". Anyone of the organization reads them; its coordinator sets them (PATCH
    `{"hours": {"monday": [["08:00", "17:00"]], ...}}`; a day left out is closed)."""

    parser_classes = (JSONParser,)

    def _organization(self, request: Request) -> Any:
        org = getattr(request.user, "organization", None)
        if org is None:
            raise Http404
        return org

    @extend_schema(responses={200: s.WorkingHoursSerializer, 404: ErrorSerializer})
    def get(self, request: Request) -> Response:
        org = self._organization(request)
        return Response(
            {
                "organization": org.pk,
                "timezone": org.timezone,
                "hours": selectors.working_hours_of(org.pk),
            }
        )

    @extend_schema(
        request=s.WorkingHoursInput, responses={200: s.WorkingHoursSerializer, 404: ErrorSerializer}
    )
    def patch(self, request: Request) -> Response:
        org = self._organization(request)
        if getattr(request.user, "role", None) != Role.COORDINATOR:
            raise PermissionDenied("Only the clinic's coordinator sets its working hours.")
        data = validated(s.WorkingHoursInput, request.data)
        row = hours_services.set_working_hours(
            organization=org, by=cast(User, request.user), hours=data["hours"]
        )
        return Response({"organization": org.pk, "timezone": org.timezone, "hours": row.hours})
