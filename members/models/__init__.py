"""Members models; a module per aggregate, re-exported here."""

from .adherence import (
    AT_RISK,
    RISK_ORDER,
    AdherenceDay,
    AdherenceWeek,
    DashboardCell,
    DashboardWeek,
    MemberAdherence,
    MonitoringEpisode,
    ReviewSource,
    ReviewTime,
    Risk,
)
from .alerts import Alert, AlertKind, AlertStatus
from .episodes import DischargeReason, Episode, ImportStatus, MemberImport
from .invitations import (
    INVITABLE_ROLES,
    STAFF_ROLES,
    Consent,
    ConsentKind,
    Invitation,
    InvitationKind,
    InvitationStatus,
)
from .logs import EntrySide, EntryStatus, Feedback, SessionEntry, SessionLog, SessionStatus
from .outcomes import Assessment, AssessmentSchedule, Instrument, InstrumentWording
from .people import (
    CareAssignment,
    Condition,
    Coordinator,
    Language,
    Member,
    Organization,
    Precaution,
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
from .walks import SymptomChange, SymptomCheck, SymptomSide, Walk, WalkSupport

__all__ = [
    "AT_RISK",
    "RISK_ORDER",
    "AdherenceDay",
    "AdherenceWeek",
    "Alert",
    "AlertKind",
    "AlertStatus",
    "Assessment",
    "AssessmentSchedule",
    "CareAssignment",
    "Condition",
    "Coordinator",
    "DashboardCell",
    "DashboardWeek",
    "DischargeReason",
    "EntrySide",
    "EntryStatus",
    "Episode",
    "Feedback",
    "ImportStatus",
    "Instrument",
    "InstrumentWording",
    "Language",
    "Member",
    "MemberAdherence",
    "MemberImport",
    "MonitoringEpisode",
    "Organization",
    "Precaution",
    "ReviewSource",
    "ReviewTime",
    "Risk",
    "Role",
    "SessionEntry",
    "SessionLog",
    "SessionStatus",
    "Therapist",
    "User",
    "validate_timezone",
]
__all__ += [
    "INVITABLE_ROLES",
    "STAFF_ROLES",
    "Consent",
    "ConsentKind",
    "Invitation",
    "InvitationKind",
    "InvitationStatus",
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
__all__ += ["SymptomChange", "SymptomCheck", "SymptomSide", "Walk", "WalkSupport"]
