"""Members models; a module per aggregate, re-exported here."""

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

__all__ = [
    "CareAssignment",
    "Condition",
    "Coordinator",
    "Language",
    "Member",
    "Organization",
    "Role",
    "Therapist",
    "User",
    "validate_timezone",
]
