"""Members writes, a module per concern (people, outcomes, ...); people's are re-exported here."""

from .people import assign_care, create_person

__all__ = ["assign_care", "create_person"]
