"""`manage.py load_instrument FILE.json`: loads a clinic's licensed wording of an instrument."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from members.services.instruments import load_wording


class Command(BaseCommand):
    help = (
        "Loads the wording of a licensed instrument (ODI, ZCQ) that your clinic holds a licence "
        "for. FILE.json keeps the structure of fixtures/instruments/CODE.json (same parts, items "
        "and answer values) with the words of every question and answer filled in. Until it is "
        "loaded, the instrument is not offered to members. Loading again replaces the wording."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"No file at {path}.") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path.name}: not valid JSON ({exc}).") from exc
        try:
            row, created = load_wording(data=data)
        except ValidationError as exc:
            lines = [f"  {m}" for messages in exc.message_dict.values() for m in messages]
            raise CommandError(f"{path.name}: nothing was loaded.\n" + "\n".join(lines)) from exc
        verb = "loaded" if created else "replaced"
        self.stdout.write(
            self.style.SUCCESS(
                f"{row.get_instrument_display()}: wording {verb}; it is now offered to members."
            )
        )
