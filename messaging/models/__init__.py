"""Messaging models; a module per aggregate, re-exported here."""

from .hours import WEEKDAYS, WorkingHours
from .notices import MessageNotice, NoticeStatus
from .templates import ReplyTemplate
from .threads import MAX_TEXT_LENGTH, AuthorSide, Message, ReadMarker, Thread

__all__ = [
    "MAX_TEXT_LENGTH",
    "WEEKDAYS",
    "AuthorSide",
    "Message",
    "MessageNotice",
    "NoticeStatus",
    "ReadMarker",
    "ReplyTemplate",
    "Thread",
    "WorkingHours",
]
