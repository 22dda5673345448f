"""Writes of a conversation: opening a member's thread, sending (once), withdrawing, reading.

Who may write is decided by access.visible_threads (the member and their PTs now); a sender's
picture goes through programs.media's checks (size, decompression bombs, EXIF stripped) and
gets its thumbnail from a task after commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from io import BytesIO
from pathlib import PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from exercise_tracker import access, audit
from exercise_tracker.api import PayloadTooLarge
from exercise_tracker.models import AuditAction
from members.models import Member, Role, User
from members.services import alerts as alert_services
from messaging.models import MAX_TEXT_LENGTH, AuthorSide, Message, ReadMarker, Thread
from messaging.rules import red_flags
from programs import media
from programs.models import Exercise, PlanItem, PlanStatus

logger = logging.getLogger(__name__)

WITHDRAW_WINDOW = timedelta(minutes=5)


class ClientIdReused(Exception):
    """The client_id was used by this author for a message with other content."""


class WithdrawRefused(Exception):
    """Not the sender's, or the 5-minute window has passed (409)."""


@dataclass(frozen=True)
class Sent:
    message: Message
    created: bool
    # The member's text mentions red-flag symptoms: what they are shown at once (else None).
    emergency_guidance: dict[str, object] | None


def side_of(user: Any) -> str:
    return AuthorSide.MEMBER if getattr(user, "role", None) == Role.MEMBER else AuthorSide.CARE_TEAM


# --- threads ----------------------------------------------------------------------------------


def thread_for_member(*, member: Member) -> Thread:
    """The member's one thread, made the first time anyone needs it (race-safe)."""
    thread = Thread.objects.filter(member=member).first()
    if thread is not None:
        return thread
    try:
        with transaction.atomic():
            return Thread.objects.create(member=member)
    except IntegrityError:
        return Thread.objects.get(member=member)


def _bump(thread_id: int, **fields: Any) -> None:
    Thread.objects.filter(pk=thread_id).update(version=F("version") + 1, **fields)


# --- sending ----------------------------------------------------------------------------------


def _plan_exercise(*, member: Member, exercise_id: int) -> Exercise:
    """An exercise on an item of the member's current plan (the active one), or a 400."""
    item = (
        PlanItem.objects.filter(
            plan__member=member,
            plan__status=PlanStatus.ACTIVE,
            valid_to_revision__isnull=True,
            exercise_id=exercise_id,
        )
        .select_related("exercise")
        .first()
    )
    if item is None:
        raise ValidationError({"exercise": ["Choose an exercise on the member's current plan."]})
    return item.exercise


def _clean_text(text: str | None) -> str:
    value = (text or "").strip()
    if len(value) > MAX_TEXT_LENGTH:
        raise ValidationError(
            {"text": [f"Keep a message to {MAX_TEXT_LENGTH} characters or fewer."]}
        )
    return value


def _same_content(message: Message, *, text: str, exercise_id: int | None, image: bool) -> bool:
    return (
        message.text == text and message.exercise_id == exercise_id and bool(message.image) == image
    )


def send_message(
    *,
    thread: Thread,
    by: User,
    client_id: uuid.UUID,
    text: str,
    exercise_id: int | None = None,
    image: IO[bytes] | None = None,
) -> Sent:
    """Sends a message once: a retry with the same client_id and content answers the first
    message (created False); other content under the same client_id raises ClientIdReused.

    Text (up to 4,000 characters) or a picture is required; an exercise must be on the
    member's current plan (400 on `exercise`). A member's red-flag words return the emergency
    guidance and raise an urgent alert for the PT; the other side is notified in the app at
    once and by email or text message later if still unread (messaging.services.notices).
    """
    clean_text = _clean_text(text)
    if not clean_text and image is None:
        raise ValidationError({"text": ["Write a message or add a picture."]})
    member = thread.member
    exercise = _plan_exercise(member=member, exercise_id=exercise_id) if exercise_id else None
    side = side_of(by)

    earlier = Message.objects.filter(author=by, client_id=client_id).first()
    if earlier is not None:
        return _replayed(earlier, text=clean_text, exercise_id=exercise_id, image=image)

    clean: media.CleanImage | None = None
    if image is not None:
        try:
            media.check_size(image, max_bytes=settings.IMAGE_UPLOAD_MAX_BYTES)
            clean = media.clean_image(image, max_pixels=settings.IMAGE_MAX_PIXELS)
        except media.ImageTooLarge as exc:
            raise PayloadTooLarge(str(exc)) from exc
        except media.ImageRejected as exc:
            raise ValidationError({"image": [str(exc)]}) from exc

    finding = red_flags.red_flag_signs(clean_text) if side == AuthorSide.MEMBER else None
    try:
        with transaction.atomic():
            message = Message(
                thread=thread,
                author=by,
                side=side,
                client_id=client_id,
                text=clean_text,
                exercise=exercise,
                red_flag=bool(finding),
            )
            if clean is not None:
                name = f"{uuid.uuid4().hex}.{clean.extension}"
                message.image.save(name, ContentFile(clean.content), save=False)
                message.image_width, message.image_height = clean.width, clean.height
            try:
                message.save()
            except BaseException:
                if message.image:
                    message.image.delete(save=False)
                raise
            _bump(thread.pk, last_message_at=message.created_at)
            # The sender has read their own thread up to here.
            _advance_marker(thread=thread, user=by, side=side, up_to=message.pk)
            audit.record_write(by=by, action=AuditAction.CREATE, member_id=member.pk, obj=message)
            if finding:
                _raise_red_flag_alert(member=member, message=message, signs=finding.signs)
            from messaging.services import notices

            notices.notify_new_message(message=message)
            if clean is not None:
                transaction.on_commit(partial(_queue_thumbnail, message.pk))
    except IntegrityError:
        # A racing retry of the same send committed first: answer that one.
        earlier = Message.objects.filter(author=by, client_id=client_id).first()
        if earlier is None:
            raise
        return _replayed(earlier, text=clean_text, exercise_id=exercise_id, image=image)
    return Sent(
        message=message,
        created=True,
        emergency_guidance=red_flags.emergency_guidance() if finding else None,
    )


def _replayed(
    earlier: Message, *, text: str, exercise_id: int | None, image: IO[bytes] | None
) -> Sent:
    if not _same_content(earlier, text=text, exercise_id=exercise_id, image=image is not None):
        raise ClientIdReused
    return Sent(
        message=earlier,
        created=False,
        emergency_guidance=red_flags.emergency_guidance() if earlier.red_flag else None,
    )


def _raise_red_flag_alert(*, member: Member, message: Message, signs: tuple[str, ...]) -> None:
    """One active red-flag alert per member (the alerts' life cycle): a repeat brings the open
    one up to date and back to open, as a session's repeat finding does."""
    details = {"message_id": message.pk, "signs": list(signs)}
    finding = alert_services.Finding(kind="red_flag", details=details)
    alert_services.raise_alerts(member_id=member.pk, findings=[finding])
    from members.models import Alert
    from members.models.alerts import ACTIVE_STATUSES

    Alert.objects.filter(member_id=member.pk, kind="red_flag", status__in=ACTIVE_STATUSES).exclude(
        details__message_id=message.pk
    ).update(
        details=details,
        status="open",
        acknowledged_at=None,
        acknowledged_by=None,
        created_at=timezone.now(),
    )


# --- withdrawing ------------------------------------------------------------------------------


def withdraw_message(*, message: Message, by: User, now: datetime | None = None) -> Message:
    """The sender takes a message back within 5 minutes: it stays in the thread as withdrawn,
    its text and picture are no longer served (and the files are deleted after commit)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().select_related("thread").get(pk=message.pk)
        if locked.author_id != by.pk:
            raise WithdrawRefused("Only the sender may withdraw a message.")
        if locked.withdrawn_at is not None:
            return locked
        if now - locked.created_at > WITHDRAW_WINDOW:
            raise WithdrawRefused("A message can be withdrawn within 5 minutes of sending it.")
        files = [str(f.name) for f in (locked.image, locked.thumbnail) if f]
        locked.withdrawn_at = now
        locked.text = ""
        locked.image = ""
        locked.thumbnail = ""
        locked.save(update_fields=["withdrawn_at", "text", "image", "thumbnail"])
        _bump(locked.thread_id)
        audit.record_write(
            by=by, action=AuditAction.UPDATE, member_id=locked.thread.member_id, obj=locked
        )
        if files:
            transaction.on_commit(partial(_delete_files, files))
    return locked


def _delete_files(names: list[str]) -> None:
    field = Message._meta.get_field("image")
    for name in names:
        try:
            field.storage.delete(name)
        except OSError:
            logger.warning("Withdrawn picture %s not deleted from storage.", name)


# --- reading ----------------------------------------------------------------------------------


def _advance_marker(*, thread: Thread, user: User, side: str, up_to: int) -> bool:
    """Moves the user's marker forward to `up_to` (never back); True when it moved."""
    moved = ReadMarker.objects.filter(thread=thread, user=user, last_read_id__lt=up_to).update(
        last_read_id=up_to, read_at=timezone.now()
    )
    if moved:
        return True
    if ReadMarker.objects.filter(thread=thread, user=user).exists():
        return False
    try:
        with transaction.atomic():
            ReadMarker.objects.create(
                thread=thread, user=user, side=side, last_read_id=up_to, read_at=timezone.now()
            )
    except IntegrityError:
        return _advance_marker(thread=thread, user=user, side=side, up_to=up_to)
    return True


def mark_read(*, thread: Thread, by: User, up_to: int | None = None) -> int:
    """Marks the thread read by `by` up to a message (default: the latest). Returns the
    marker's message id. A marker never moves back; moving it changes the thread's version."""
    last = Message.objects.filter(thread=thread).order_by("-id").values_list("id", flat=True)
    latest = last.first() or 0
    if up_to is None:
        up_to = latest
    elif up_to > latest or (up_to and not Message.objects.filter(thread=thread, pk=up_to).exists()):
        raise ValidationError({"up_to": ["Give the id of a message of this thread."]})
    with transaction.atomic():
        moved = _advance_marker(thread=thread, user=by, side=side_of(by), up_to=up_to)
        if moved:
            _bump(thread.pk)
            from messaging.services import notices

            notices.cancel_read_notices(thread=thread, user=by, up_to=up_to)
    marker = ReadMarker.objects.filter(thread=thread, user=by).values_list(
        "last_read_id", flat=True
    )
    return marker.first() or 0


# --- thumbnails -------------------------------------------------------------------------------

THUMBNAIL_WIDTH = media.THUMBNAIL_WIDTHS["large"]


def _queue_thumbnail(message_id: int) -> None:
    try:
        _thumbnail_queue(message_id)
    except Exception as exc:  # the broker is away: the picture is served full size meanwhile
        logger.warning("message thumbnail not queued (broker unavailable: %s)", type(exc).__name__)


def _no_queue(message_id: int) -> None:
    logger.warning("No thumbnail queue: message %s keeps its picture only.", message_id)


_thumbnail_queue: Callable[[int], None] = _no_queue


def set_thumbnail_queue(queue: Callable[[int], None]) -> None:
    global _thumbnail_queue
    _thumbnail_queue = queue


def make_thumbnail(*, message_id: int) -> bool:
    """Makes a message picture's WebP thumbnail; False when there was nothing to do (none, made
    already, withdrawn). Safe to run twice: re-checked under a lock before saving."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None or not message.image or message.thumbnail or message.withdrawn_at:
        return False
    try:
        with message.image.open("rb") as fp:
            data = BytesIO(fp.read())
    except FileNotFoundError:
        return False
    content = media.thumbnail(data, width=THUMBNAIL_WIDTH)
    stem = PurePosixPath(message.image.name or f"message-{message_id}").stem
    with transaction.atomic():
        locked = Message.objects.select_for_update().filter(pk=message_id).first()
        if locked is None or not locked.image or locked.thumbnail or locked.withdrawn_at:
            return False
        locked.thumbnail.save(f"{stem}-{THUMBNAIL_WIDTH}.webp", ContentFile(content), save=False)
        locked.save(update_fields=["thumbnail"])
    return True


def visible_thread_or_none(user: Any, thread_id: int) -> Thread | None:
    return access.visible_threads(user).filter(pk=thread_id).first()
