"""Admin for messaging: staff read conversations here, and only here; every list and every
message or thread opened is audited as a read of the member's record. Read-only: a message is
never edited, and withdrawing is the sender's."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from exercise_tracker import audit
from messaging.models import Message, MessageNotice, ReplyTemplate, Thread, WorkingHours


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AuditedReads:
    """One audit row for a list shown, one per thread or message opened."""

    list_object_type = ""

    def member_id_for(self, object_id: str) -> int | None:
        raise NotImplementedError

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        if request.method == "GET" and response.status_code == 200:
            audit.record_read_by_staff(
                request=request, member_id=None, object_type=self.list_object_type
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        if request.method == "GET" and response.status_code == 200 and object_id.isdigit():
            audit.record_read_by_staff(
                request=request,
                member_id=self.member_id_for(object_id),
                object_type=self.list_object_type.removesuffix("_list"),
            )
        return response


class MessageInline(admin.TabularInline[Message, Thread]):
    model = Message
    extra = 0
    fields = ("id", "created_at", "side", "author", "text", "exercise", "image", "withdrawn_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Thread)
class ThreadAdmin(AuditedReads, ReadOnly, admin.ModelAdmin[Thread]):
    list_object_type = "messaging.thread_list"
    list_display = ("id", "member", "last_message_at", "version", "created_at")
    list_select_related = ("member__user",)
    search_fields = ("member__user__username",)
    fields = ("member", "last_message_at", "version", "created_at")
    readonly_fields = fields
    inlines = (MessageInline,)

    def member_id_for(self, object_id: str) -> int | None:
        return Thread.objects.filter(pk=int(object_id)).values_list("member_id", flat=True).first()


@admin.register(Message)
class MessageAdmin(AuditedReads, ReadOnly, admin.ModelAdmin[Message]):
    list_object_type = "messaging.message_list"
    # The list shows who and when, not what: the words are read one message at a time.
    list_display = ("id", "thread", "side", "author", "created_at", "withdrawn_at", "red_flag")
    list_filter = ("side", "red_flag")
    list_select_related = ("author", "thread")
    date_hierarchy = "created_at"
    fields = (
        "thread",
        "author",
        "side",
        "client_id",
        "text",
        "exercise",
        "image",
        "thumbnail",
        "red_flag",
        "created_at",
        "withdrawn_at",
    )
    readonly_fields = fields

    def member_id_for(self, object_id: str) -> int | None:
        return (
            Message.objects.filter(pk=int(object_id))
            .values_list("thread__member_id", flat=True)
            .first()
        )


@admin.register(MessageNotice)
class MessageNoticeAdmin(ReadOnly, admin.ModelAdmin[MessageNotice]):
    """Operational: which notices went out, when, on which channels (no content to hide)."""

    list_display = ("key", "recipient", "status", "due_at", "sent_at", "channels_sent")
    list_filter = ("status",)
    fields = (
        "thread",
        "recipient",
        "key",
        "first_message_id",
        "last_message_id",
        "due_at",
        "status",
        "channels_sent",
        "channel_errors",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin[ReplyTemplate]):
    list_display = ("title", "therapist", "updated_at")
    list_select_related = ("therapist__user",)
    raw_id_fields = ("therapist",)


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin[WorkingHours]):
    list_display = ("organization", "updated_at", "updated_by")
    raw_id_fields = ("organization", "updated_by")
