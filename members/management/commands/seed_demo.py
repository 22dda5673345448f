"""Seeds the demo organizations: people, roles and caseloads (later: library, plans, logs)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from members.models import Member, Organization, Role, Therapist, User
from members.services import assign_care, create_person

PEOPLE_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo_people.json"
# Caseloads start ten weeks back so that eight weeks of logs fit inside them.
CARE_START_DAYS_AGO = 70


class Command(BaseCommand):
    help = "Creates (or tops up) the demo organizations and their people. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DJANGO_DEBUG=0 (demo passwords are public: never in production).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to seed demo accounts with DJANGO_DEBUG=0: their passwords are public. "
                "Pass --force if this really is a demo server."
            )
        data = json.loads(PEOPLE_FILE.read_text(encoding="utf-8"))
        steps = [("people and caseloads", self._people)]
        for number, (label, step) in enumerate(steps, start=1):
            self.stdout.write(f"[{number}/{len(steps)}] {label}…")
            step(data)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _progress(self, done: int, total: int, label: str) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        self.stdout.write(
            f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}", ending=""
        )
        if done == total:
            self.stdout.write("")

    def _person(
        self, spec: dict[str, Any], *, role: str, org: Organization | None, pw: str
    ) -> User:
        user = User.objects.filter(username=spec["username"]).first()
        if user is not None:
            return user
        return create_person(
            username=spec["username"],
            password=pw,
            role=role,
            organization=org,
            first_name=spec.get("first_name", ""),
            last_name=spec.get("last_name", ""),
            email=f"{spec['username']}@example.org",
            timezone_name=spec.get("timezone", "America/New_York"),
            condition=spec.get("condition", "other"),
            preferred_language=spec.get("preferred_language", "en"),
            credentials=spec.get("credentials", ""),
            contact_phone=spec.get("contact_phone", ""),
            contact_email=spec.get("contact_email", ""),
            title=spec.get("title", ""),
        )

    @transaction.atomic
    def _people(self, data: dict[str, Any]) -> None:
        password = data["password"]
        start = timezone.now().date() - timedelta(days=CARE_START_DAYS_AGO)
        total = sum(
            len(o["therapists"]) + len(o["coordinators"]) + len(o["members"])
            for o in data["organizations"]
        ) + len(data["staff"])
        done = 0
        for spec in data["staff"]:
            self._person(spec, role=Role.STAFF, org=None, pw=password)
            done += 1
            self._progress(done, total, "people")
        for org_spec in data["organizations"]:
            org, _ = Organization.objects.get_or_create(
                slug=org_spec["slug"],
                defaults={
                    "name": org_spec["name"],
                    "timezone": org_spec["timezone"],
                    "contact_phone": org_spec["contact_phone"],
                },
            )
            therapists: dict[str, Therapist] = {}
            for spec in org_spec["therapists"]:
                user = self._person(spec, role=Role.THERAPIST, org=org, pw=password)
                therapists[spec["username"]] = user.therapist_profile
                done += 1
                self._progress(done, total, "people")
            for spec in org_spec["coordinators"]:
                self._person(spec, role=Role.COORDINATOR, org=org, pw=password)
                done += 1
                self._progress(done, total, "people")
            for index, spec in enumerate(org_spec["members"]):
                user = self._person(spec, role=Role.MEMBER, org=org, pw=password)
                member: Member = user.member_profile
                # Stagger who joined when, so caseloads look like a real clinic's intake.
                Member.objects.filter(
                    pk=member.pk, created_at__gt=timezone.now() - timedelta(days=1)
                ).update(
                    created_at=timezone.now() - timedelta(days=CARE_START_DAYS_AGO + index % 14)
                )
                assign_care(
                    member=member, therapist=therapists[spec["therapist"]], start_date=start
                )
                done += 1
                self._progress(done, total, "people")
