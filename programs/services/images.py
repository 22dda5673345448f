"""Exercise images: adding one through the checks of programs.media, and making its thumbnails."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from io import BytesIO
from pathlib import PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from exercise_tracker.api import PayloadTooLarge
from programs import media
from programs.models import Exercise, ExerciseImage, ImageKind

logger = logging.getLogger(__name__)

ALT_TEXT_MAX = 300


def _clean_alt_text(alt_text: str | None) -> str:
    text = " ".join((alt_text or "").split())
    if not text:
        raise ValidationError(
            {"alt_text": ["Describe the picture in a few words for people who cannot see it."]}
        )
    if len(text) > ALT_TEXT_MAX:
        raise ValidationError(
            {"alt_text": [f"Keep the description to {ALT_TEXT_MAX} characters or fewer."]}
        )
    return text


def add_exercise_image(
    *,
    exercise: Exercise,
    file: IO[bytes],
    alt_text: str,
    uploaded_by: Any = None,
    kind: str = ImageKind.PHOTO,
    make_main: bool | None = None,
) -> ExerciseImage:
    """Checks, cleans and stores an image of an exercise; thumbnails follow after commit.

    Refused files (too big: 413; not a whole PNG, JPEG or WebP, too many pixels: 400 on `image`)
    leave nothing behind. The first image of an exercise becomes its main one unless
    `make_main` says otherwise; `make_main=True` moves the main mark to this image.
    """
    if kind not in ImageKind.values:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(ImageKind.values)}."]})
    text = _clean_alt_text(alt_text)
    try:
        media.check_size(file, max_bytes=settings.IMAGE_UPLOAD_MAX_BYTES)
        clean = media.clean_image(
            file,
            max_pixels=settings.IMAGE_MAX_PIXELS,
            keep_animation=kind == ImageKind.ANIMATION,
        )
    except media.ImageTooLarge as exc:
        raise PayloadTooLarge(str(exc)) from exc
    except media.ImageRejected as exc:
        raise ValidationError({"image": [str(exc)]}) from exc

    with transaction.atomic():
        # The exercise row is the lock that keeps two uploads from both becoming main.
        locked = Exercise.objects.select_for_update().get(pk=exercise.pk)
        siblings = ExerciseImage.objects.filter(exercise=locked)
        has_main = siblings.filter(is_main=True).exists()
        is_main = not has_main if make_main is None else make_main
        if is_main and has_main:
            siblings.filter(is_main=True).update(is_main=False)
        last = siblings.aggregate(last=Max("order"))["last"]
        image = ExerciseImage(
            exercise=locked,
            alt_text=text,
            kind=kind,
            order=0 if last is None else last + 1,
            is_main=is_main,
            uploaded_by=uploaded_by,
        )
        # A fresh name: the uploader's file name never reaches the disk.
        name = f"{locked.slug}-{kind}-{uuid.uuid4().hex[:12]}.{clean.extension}"
        image.image.save(name, ContentFile(clean.content), save=False)
        # Saving the file resets the dimension fields; we know them without reopening it.
        image.width, image.height = clean.width, clean.height
        try:
            image.save()
        except BaseException:
            image.image.delete(save=False)
            raise
        transaction.on_commit(partial(_queue_thumbnails, image.pk))
    return image


def _queue_thumbnails(image_id: int) -> None:
    """After the upload committed: the picture is stored whatever happens here. With the broker
    down (Redis stopped) the upload still succeeds; `queue_missing_thumbnails` (beat, every 10
    minutes) queues the thumbnails once it is back."""
    try:
        _thumbnail_queue(image_id)
    except Exception as exc:  # kombu's OperationalError, a Redis error: the broker is away
        logger.warning("thumbnails not queued (broker unavailable: %s)", type(exc).__name__)


def _no_queue(image_id: int) -> None:
    logger.warning("No thumbnail queue: image %s keeps its original until one is set.", image_id)


# What queues an image's thumbnails after commit: the Celery task, set by programs.apps when
# Django starts (this service does not import the tasks that call it).
_thumbnail_queue: Callable[[int], None] = _no_queue


def set_thumbnail_queue(queue: Callable[[int], None]) -> None:
    global _thumbnail_queue
    _thumbnail_queue = queue


# Thumbnails missing this long after an upload were not queued or their task was lost; a
# picture older than a day that still has none is one Pillow cannot read: left alone.
THUMBNAILS_OVERDUE = timedelta(minutes=2)
THUMBNAILS_GIVE_UP = timedelta(days=1)


def queue_missing_thumbnails(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queues the thumbnails of pictures that still lack them (the broker was down when they
    were uploaded). Making them twice is harmless: the task does nothing when they exist."""
    before = (now or timezone.now()) - THUMBNAILS_OVERDUE
    ids = list(
        ExerciseImage.objects.filter(created_at__lt=before)
        .filter(created_at__gte=before - THUMBNAILS_GIVE_UP)
        .filter(Q(thumbnail_small="") | Q(thumbnail_large=""))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for image_id in ids:
        _thumbnail_queue(image_id)
    return len(ids)


def make_thumbnails(*, image_id: int) -> bool:
    """Makes the small and large WebP thumbnails of an image; False when there was nothing to do.

    Safe to run twice or at once: the row is re-read under a lock before anything is saved.
    """
    image = ExerciseImage.objects.filter(pk=image_id).first()
    if image is None or (image.thumbnail_small and image.thumbnail_large):
        return False
    try:
        with image.image.open("rb") as fp:
            data = BytesIO(fp.read())
    except FileNotFoundError:
        logger.warning("Image %s has no file on storage; no thumbnails made.", image_id)
        return False
    small = media.thumbnail(data, width=media.THUMBNAIL_WIDTHS["small"])
    large = media.thumbnail(data, width=media.THUMBNAIL_WIDTHS["large"])
    stem = PurePosixPath(image.image.name or f"image-{image_id}").stem
    with transaction.atomic():
        locked = ExerciseImage.objects.select_for_update().filter(pk=image_id).first()
        if locked is None or (locked.thumbnail_small and locked.thumbnail_large):
            return False
        saved = []
        try:
            for field, content, width in (
                (locked.thumbnail_small, small, media.THUMBNAIL_WIDTHS["small"]),
                (locked.thumbnail_large, large, media.THUMBNAIL_WIDTHS["large"]),
            ):
                if field:
                    field.delete(save=False)  # half-made earlier: replace it
                field.save(f"{stem}-{width}.webp", ContentFile(content), save=False)
                saved.append(field)
            locked.save(update_fields=["thumbnail_small", "thumbnail_large"])
        except BaseException:
            for field in saved:
                field.delete(save=False)
            raise
    return True
