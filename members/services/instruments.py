"""Loading a clinic's licensed wording of an instrument (`manage.py load_instrument`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from members.models import Instrument, InstrumentWording
from members.rules import instruments as rules
from members.selectors.instruments import shipped


@transaction.atomic
def load_wording(*, data: Any) -> tuple[InstrumentWording, bool]:
    """Checks a wording file against the shipped structure and stores it (replacing an earlier
    one). Returns (row, created); raises ValidationError naming what is wrong."""
    code = data.get("code") if isinstance(data, dict) else None
    if code not in Instrument.values:
        raise ValidationError(
            {"code": [f"Give the instrument's code, one of: {', '.join(Instrument.values)}."]}
        )
    errors = rules.check_wording(shipped(code), data)
    if errors:
        raise ValidationError({"wording": errors})
    row, created = InstrumentWording.objects.update_or_create(
        instrument=code, defaults={"definition": data, "loaded_at": timezone.now()}
    )
    return row, created
