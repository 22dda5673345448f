"""Members models; a module per aggregate, re-exported here."""

from .alerts import Alert, AlertKind, AlertStatus
from .logs import EntrySide, Feedback, SessionEntry, SessionLog, SessionStatus
from .outcomes import Assessment, AssessmentSchedule, Instrument
from .people import (
    CareAssignment,
    Condition,
    Coordinator,
    Language,
    Member,
    Organization,
    Role,
    Therapist,
    User,
    validate_timezone,
)
from .reminders import (
    Channel,
    DeliveryKind,
    DeliveryStatus,
    MemberPreferences,
    Notification,
    NotificationKind,
    ReminderDelivery,
    ReminderSchedule,
    SkipReason,
)

__all__ = [
    "Alert",
    "AlertKind",
    "AlertStatus",
    "Assessment",
    "AssessmentSchedule",
    "CareAssignment",
    "Condition",
    "Coordinator",
    "EntrySide",
    "Feedback",
    "Instrument",
    "Language",
    "Member",
    "Organization",
    "Role",
    "SessionEntry",
    "SessionLog",
    "SessionStatus",
    "Therapist",
    "User",
    "validate_timezone",
]
__all__ += [
    "Channel",
    "DeliveryKind",
    "DeliveryStatus",
    "MemberPreferences",
    "Notification",
    "NotificationKind",
    "ReminderDelivery",
    "ReminderSchedule",
    "SkipReason",
]
