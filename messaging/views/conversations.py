"""A member's conversation with their care team (the member's /messages/, a PT's
/messages/members/<id>/), the PT's list of conversations, and the small posts around them:
withdraw, read, log time, save a reply template. Every form works without JavaScript; the
page's script (messaging/conversation.js) polls the updates view with If-None-Match."""

from __future__ import annotations

import mimetypes
import uuid
from typing import Any, cast

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from exercise_tracker import access
from exercise_tracker.api import PayloadTooLarge
from exercise_tracker.views import background_poll, role_required
from members.models import Member, Role, User
from members.rules import safety
from messaging.models import MAX_TEXT_LENGTH, Thread
from messaging.models.templates import TITLE_MAX_LENGTH
from messaging.selectors import pages, threads
from messaging.services import messages as message_services
from messaging.services import review_time
from messaging.services import templates as template_services

PARTICIPANTS = (Role.MEMBER, Role.THERAPIST)
# The member's emergency guidance, shown once on the page after a send that named red flags.
RED_FLAG_SESSION_KEY = "messaging_red_flag"


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"form": [str(m) for m in exc.messages]}


def _member_or_404(request: HttpRequest, member_id: int) -> Member:
    member = pages.visible_member(request.user, member_id)
    if member is None:
        raise Http404
    return member


def _page_url(user: Any, member: Member) -> str:
    if user.role == Role.MEMBER:
        return reverse("conversations")
    return reverse("conversation", args=[member.pk])


def _list_context(
    user: Any, member: Member, thread: Thread | None, before: int | None
) -> dict[str, Any]:
    """The message list (the page and the poll share it)."""
    common = {
        "member": member,
        "is_member": user.role == Role.MEMBER,
        "viewer_tz": _viewer_tz(user, member),
    }
    if thread is None:
        return {**common, "items": [], "more": False, "thread": None}
    items, more = threads.messages_page(thread, before=before)
    return {
        **common,
        "items": pages.shown(user, thread, items, now=timezone.now()),
        "more": more,
        "thread": thread,
    }


def _viewer_tz(user: Any, member: Member) -> str:
    """Times in the reader's zone: the member's own; a PT's, else their clinic's."""
    if user.role == Role.MEMBER:
        return member.timezone
    organization: Any = member.user.organization
    return str(user.timezone or organization.timezone)


def _conversation(
    request: HttpRequest,
    member: Member,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    thread = pages.thread_of(user, member)
    before = _int(request.GET.get("before"))
    if thread is not None and request.method == "GET" and before is None:
        # Opening the conversation reads it: the other side's "seen" and the badge follow.
        latest = thread.last_message_at is not None
        if latest:
            message_services.mark_read(thread=thread, by=cast(User, user))
            thread.refresh_from_db(fields=["version"])
    if thread is not None and user.role == Role.THERAPIST:
        threads.record_thread_read(user=user, thread=thread)
    form = form or {}
    templates: list[Any] = []
    if user.role == Role.THERAPIST:
        templates = pages.reply_templates(user)
        chosen = _int(request.GET.get("template"))
        if chosen and "text" not in form:
            found = next((t for t in templates if t.pk == chosen), None)
            if found is not None:
                form["text"] = found.text
    organization: Any = member.user.organization
    context = {
        **_list_context(user, member, thread, before),
        "page_url": _page_url(user, member),
        "poll_url": reverse("conversation-updates", args=[member.pk]),
        "read_url": reverse("conversation-read", args=[member.pk]),
        "etag": threads.thread_etag(thread) if thread is not None else '"none"',
        "poll_seconds": pages.POLL_SECONDS,
        "client_id": form.get("client_id") or uuid.uuid4(),
        "form": form,
        "errors": errors or {},
        "max_length": MAX_TEXT_LENGTH,
        "exercises": pages.plan_exercises(member),
        "templates": templates,
        "title_max_length": TITLE_MAX_LENGTH,
        "care_team": threads.care_team_of(thread) if thread is not None else _care_team(member),
        "hours": pages.hours_lines(threads.working_hours_of(organization.pk)),
        "timezone_name": organization.timezone,
        "red_flag_now": request.session.pop(RED_FLAG_SESSION_KEY, None) == member.pk,
        "guidance": safety.MESSAGE_GUIDANCE,
        "before": before,
        "today": timezone.localdate(),
    }
    return render(request, "messaging/conversation.html", context, status=status)


def _care_team(member: Member) -> list[Any]:
    therapist = access.primary_therapist(member)
    return [therapist] if therapist is not None else []


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _send(request: HttpRequest, member: Member) -> HttpResponse:
    user = cast(User, request.user)
    form = {
        "text": request.POST.get("text", ""),
        "exercise": request.POST.get("exercise", ""),
        "client_id": request.POST.get("client_id", ""),
    }
    try:
        client_id = uuid.UUID(form["client_id"])
    except ValueError:
        form["client_id"] = ""
        return _conversation(
            request, member, form=form, errors={"form": ["Please send the message again."]},
            status=400,
        )  # fmt: skip
    exercise_id = None
    if form["exercise"]:
        exercise_id = _int(form["exercise"])
        if exercise_id is None:
            return _conversation(
                request, member, form=form,
                errors={"exercise": ["Choose an exercise from the list."]}, status=400,
            )  # fmt: skip
    thread = pages.thread_of(user, member) or message_services.thread_for_member(member=member)
    try:
        sent = message_services.send_message(
            thread=thread,
            by=user,
            client_id=client_id,
            text=form["text"],
            exercise_id=exercise_id,
            image=request.FILES.get("image"),
        )
    except ValidationError as exc:
        return _conversation(request, member, form=form, errors=_errors(exc), status=400)
    except PayloadTooLarge as exc:
        return _conversation(request, member, form=form, errors={"image": [str(exc)]}, status=413)
    except message_services.ClientIdReused:
        form["client_id"] = ""
        return _conversation(
            request, member, form=form,
            errors={"form": ["This message was sent already with other words. Send it again."]},
            status=409,
        )  # fmt: skip
    if sent.emergency_guidance:
        request.session[RED_FLAG_SESSION_KEY] = member.pk
    else:
        flash.success(request, "Message sent.")
    return redirect(f"{_page_url(user, member)}#message-{sent.message.pk}")


@role_required(*PARTICIPANTS)
def conversations(request: HttpRequest) -> HttpResponse:
    """The member's conversation with their care team; a PT's list of conversations."""
    user: Any = request.user
    if user.role == Role.MEMBER:
        member = access.member_for(request.user)
        if member is None:
            raise Http404
        if request.method == "POST":
            return _send(request, member)
        return _conversation(request, member)
    if request.method == "POST":
        raise Http404
    rows = pages.conversations(user)
    return render(
        request,
        "messaging/conversations.html",
        {"rows": rows, "unread_total": sum(r.unread for r in rows)},
    )


@role_required(Role.THERAPIST)
def conversation(request: HttpRequest, member_id: int) -> HttpResponse:
    """A PT's conversation with one member of their caseload."""
    member = _member_or_404(request, member_id)
    if request.method == "POST":
        return _send(request, member)
    return _conversation(request, member)


@require_GET
@background_poll
@role_required(*PARTICIPANTS)
def updates(request: HttpRequest, member_id: int) -> HttpResponse:
    """The message list alone, for the page's poll: 304 while the thread's version (its ETag)
    has not changed, one query."""
    # One query while nothing changed: the thread (with its member) through the user's scope.
    thread = access.visible_threads(request.user).filter(member_id=member_id).first()
    member = thread.member if thread is not None else _member_or_404(request, member_id)
    etag = threads.thread_etag(thread) if thread is not None else '"none"'
    if etag in _if_none_match(request):
        response: HttpResponse = HttpResponseNotModified()
    else:
        context = _list_context(request.user, member, thread, None)
        if thread is not None and getattr(request.user, "role", None) == Role.THERAPIST:
            threads.record_thread_read(user=request.user, thread=thread)
        response = render(request, "messaging/_message_list.html", context)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _if_none_match(request: HttpRequest) -> list[str]:
    header = request.headers.get("If-None-Match", "")
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


@require_POST
@role_required(*PARTICIPANTS)
def read(request: HttpRequest, member_id: int) -> HttpResponse:
    """Marks the conversation read (the page's script, when new messages arrive in view)."""
    member = _member_or_404(request, member_id)
    thread = pages.thread_of(request.user, member)
    if thread is not None:
        message_services.mark_read(thread=thread, by=cast(User, request.user))
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    return redirect(_page_url(request.user, member))


@require_POST
@role_required(*PARTICIPANTS)
def withdraw(request: HttpRequest, member_id: int, message_id: int) -> HttpResponse:
    member = _member_or_404(request, member_id)
    found = (
        access.visible_messages(request.user).filter(pk=message_id, thread__member=member).first()
    )
    if found is None:
        raise Http404
    try:
        message_services.withdraw_message(message=found, by=cast(User, request.user))
    except message_services.WithdrawRefused as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, "Message withdrawn.")
    return redirect(_page_url(request.user, member))


@require_POST
@role_required(Role.THERAPIST)
def log_time(request: HttpRequest, member_id: int) -> HttpResponse:
    """Minutes the PT spent on this conversation, added to the member's monitoring review time."""
    member = _member_or_404(request, member_id)
    page = reverse("conversation", args=[member.pk])
    minutes = _int(request.POST.get("minutes"))
    if minutes is None:
        flash.error(request, "Give the minutes as a whole number, 1 or more.")
        return redirect(page)
    thread = pages.thread_of(request.user, member) or message_services.thread_for_member(
        member=member
    )
    try:
        review_time.log_conversation_time(
            thread=thread,
            by=cast(User, request.user),
            minutes=minutes,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        text = "; ".join(m for ms in _errors(exc).values() for m in ms)
        flash.error(request, f"Not recorded: {text}")
    else:
        flash.success(request, f"{minutes} minutes added to the monitoring review time.")
    return redirect(page)


@require_POST
@role_required(Role.THERAPIST)
def save_template(request: HttpRequest, member_id: int) -> HttpResponse:
    """Saves a reply template from the conversation page (and goes back to it)."""
    member = _member_or_404(request, member_id)
    page = reverse("conversation", args=[member.pk])
    try:
        template_services.create_reply_template(
            by=cast(User, request.user),
            title=request.POST.get("title", ""),
            text=request.POST.get("template_text", ""),
        )
    except ValidationError as exc:
        text = "; ".join(m for ms in _errors(exc).values() for m in ms)
        flash.error(request, f"Template not saved: {text}")
    else:
        flash.success(request, "Template saved.")
    return redirect(page)


@require_GET
@role_required(*PARTICIPANTS)
def picture(request: HttpRequest, member_id: int, message_id: int) -> HttpResponse:
    """A message's picture (`?size=small`: its thumbnail), to the thread's participants only;
    a withdrawn message's is gone (404)."""
    member = _member_or_404(request, member_id)
    found = (
        access.visible_messages(request.user)
        .filter(pk=message_id, thread__member=member, withdrawn_at__isnull=True)
        .exclude(image="")
        .first()
    )
    if found is None:
        raise Http404
    field = (
        found.thumbnail if request.GET.get("size") == "small" and found.thumbnail else found.image
    )
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=mimetypes.guess_type(field.name)[0] or "image/jpeg"
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, response)  # a streamed file: role_required takes any response
