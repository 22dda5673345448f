"""Telling the other side about a new message: in the app at once; by email or text message
after a delay if still unread, outside quiet hours, one notice for several messages, never
with the message's words or any clinical detail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from messaging.models import Message, Thread

MEMBER_NOTICE = "You have a new message from your care team"
STAFF_NOTICE = "You have a new message from a member"


def notify_new_message(*, message: Message) -> None:
    """Inside the send's transaction: an in-app notification for each recipient now, and a
    pending (or joined) delayed notice per recipient."""
    raise NotImplementedError


def cancel_read_notices(*, thread: Thread, user: Any, up_to: int) -> int:
    """The recipient read the messages a pending notice was for: it is skipped."""
    raise NotImplementedError


def send_due_notices(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Sends (or defers past quiet hours, or skips when read) the notices that are due."""
    raise NotImplementedError
