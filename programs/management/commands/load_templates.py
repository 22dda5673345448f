"""Loads the global plan templates from fixtures/templates/*.json, idempotently by slug."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from programs.inputs import ItemInputSerializer
from programs.models import Exercise, PlanTemplate, TemplateItem
from programs.services.plan_items import clean_dose

TEMPLATES_DIR = Path(settings.BASE_DIR) / "fixtures" / "templates"


class Command(BaseCommand):
    help = (
        "Creates or updates the global plan templates from fixtures/templates/. Templates naming "
        "an exercise that is not loaded yet are skipped (run load_library first)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", type=Path, default=TEMPLATES_DIR)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        if not files or not all(f.exists() for f in files):
            raise CommandError(f"No template files at {path}.")
        counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
        for file in files:
            try:
                specs = json.loads(file.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise CommandError(f"{file.name}: not valid JSON ({exc}).") from exc
            for spec in specs:
                outcome = self._load(spec)
                counts[outcome] += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Templates: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged, {counts['skipped']} skipped."
            )
        )

    @transaction.atomic
    def _load(self, spec: dict[str, Any]) -> str:
        slug = spec["slug"]
        wanted = [item["exercise"] for item in spec["items"]]
        exercises = {
            e.slug: e for e in Exercise.objects.filter(organization__isnull=True, slug__in=wanted)
        }
        missing = [s for s in wanted if s not in exercises]
        if missing:
            self.stdout.write(
                self.style.WARNING(
                    f"Skipped {slug}: exercises not loaded yet: {', '.join(missing)} "
                    "(run load_library first)."
                )
            )
            return "skipped"
        items = []
        problems: dict[str, list[str]] = {}
        for index, raw in enumerate(spec["items"]):
            exercise = exercises[raw["exercise"]]
            # The fixture's doses take the same shape check as a request's (slug aside).
            shape = ItemInputSerializer(data={k: v for k, v in raw.items() if k != "exercise"})
            if not shape.is_valid():
                problems.update(
                    {f"items[{index}].{field}": texts for field, texts in shape.errors.items()}
                )
                continue
            dose, errors = clean_dose(
                exercise=exercise, raw=shape.validated_data, where=f"items[{index}]"
            )
            problems.update(errors)
            items.append(TemplateItem(exercise=exercise, order=index, **dose))
        if problems:
            self.stdout.write(self.style.WARNING(f"Skipped {slug}: {problems}"))
            return "skipped"
        fields = {
            "name": spec["name"],
            "condition": spec["condition"],
            "phase": spec.get("phase"),
            "description": spec.get("description", ""),
            "progression_criteria": spec.get("progression_criteria", ""),
            "is_active": spec.get("is_active", True),
        }
        current = PlanTemplate.objects.filter(slug=slug, organization=None).first()
        if (
            current is not None
            and all(getattr(current, name) == value for name, value in fields.items())
            and _signature(current.items.order_by("order", "pk")) == _signature(items)
        ):
            return "unchanged"  # a second run (seed_demo's) writes nothing
        template, created = PlanTemplate.objects.update_or_create(
            slug=slug,
            organization=None,
            defaults=fields,
        )
        # Template items are not history (plans copy them), so they are simply replaced.
        template.items.all().delete()
        for template_item in items:
            template_item.template = template
        TemplateItem.objects.bulk_create(items)
        return "created" if created else "updated"


def _signature(items: Iterable[TemplateItem]) -> list[tuple[Any, ...]]:
    """What a template's items prescribe, without their ids."""
    fields = TemplateItem._meta.concrete_fields
    names = [f.attname for f in fields if f.attname not in ("id", "template_id")]
    return [tuple(getattr(item, name) for name in names) for item in items]
