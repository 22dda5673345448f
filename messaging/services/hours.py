"""Setting the clinic's working hours (the coordinator), shown in every thread."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from members.models import Organization, User
from messaging.models import WorkingHours
from messaging.rules.hours import clean_hours


@transaction.atomic
def set_working_hours(*, organization: Organization, by: User, hours: Any) -> WorkingHours:
    """Replaces the organization's working hours (`{"monday": [["08:00", "17:00"]], ...}`; a
    day left out is closed)."""
    cleaned = clean_hours(hours)
    row, _ = WorkingHours.objects.update_or_create(
        organization=organization, defaults={"hours": cleaned, "updated_by": by}
    )
    return row
