"""`manage.py check_adherence [--fix]`: are the adherence roll-ups what the logs give?"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from members.services.adherence_check import check_adherence

SHOWN = 20  # differences printed; the count covers them all


class Command(BaseCommand):
    help = (
        "Rebuilds every member's adherence days, weeks and figures from the plans, session logs "
        "and questionnaires and compares them with the stored ones. Exits 1 on any difference; "
        "--fix keeps the rebuilt rows instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fix", action="store_true", help="Store the rebuilt figures where they differ."
        )
        parser.add_argument(
            "--member", type=int, action="append", dest="members", help="Only this member id."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fix: bool = options["fix"]
        result = check_adherence(member_ids=options["members"], fix=fix)
        # Member ids only: no names or health data in the output.
        for difference in result.differences[:SHOWN]:
            self.stdout.write(f"  {difference}")
        if len(result.differences) > SHOWN:
            self.stdout.write(f"  … and {len(result.differences) - SHOWN} more")
        for line in result.rollups[:SHOWN]:
            self.stdout.write(f"  roll-up {line}")
        members = result.members
        if result.rollups and not members:
            summary = f"{len(result.rollups)} organization roll-up rows differ from the data"
            if fix:
                self.stdout.write(self.style.WARNING(f"Repaired {summary} (rebuilt)."))
                return
            raise CommandError(f"{summary}. Run again with --fix to rebuild them.")
        if not members:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Adherence figures agree with the logs for all {result.checked} members."
                )
            )
            return
        summary = (
            f"{len(result.differences)} differences for {len(members)} of {result.checked} "
            f"members (ids {', '.join(map(str, members[:SHOWN]))}"
            f"{', …' if len(members) > SHOWN else ''})"
        )
        if fix:
            self.stdout.write(self.style.WARNING(f"Repaired {summary}."))
            return
        raise CommandError(f"{summary}. Run again with --fix to store the figures the logs give.")
