"""'Log time' on a conversation: the PT's minutes go to the member's monitoring review time,
marked as spent messaging (members.services.rtm owns the rules and the audit)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from exercise_tracker import clock
from members.models import ReviewSource, ReviewTime, User
from members.services import rtm
from messaging.models import Thread

NOTE_MAX_LENGTH = 200


@transaction.atomic
def log_conversation_time(
    *, thread: Thread, by: User, minutes: int, note: str = "", now: datetime | None = None
) -> ReviewTime:
    """Adds `minutes` of the PT's time today (the clinic's date) to the member's review time,
    source "messaging". The member must be in a monitoring episode (400 on `date` otherwise,
    as for any review time)."""
    now = now or timezone.now()
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"note": [f"Keep the note to {NOTE_MAX_LENGTH} characters or fewer."]}
        )
    return rtm.record_review_time(
        user=by,
        member=thread.member,
        date=clock.clinic_today(thread.member, now),
        minutes=minutes,
        live_interaction=False,
        now=now,
        source=ReviewSource.MESSAGING,
        note=note,
    )
