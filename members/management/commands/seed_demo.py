"""Seeds the demo organizations: people, roles and caseloads (later: library, plans, logs)."""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from exercise_tracker import access, clock
from members.models import CareAssignment, Member, Organization, Role, Therapist, User
from members.services import adherence, assign_care, create_person, dashboard_rollup
from members.services.outcomes import record_assessment, schedule_assessment
from programs.demo.plans import seed_demo_plans

PEOPLE_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo_people.json"
# Caseloads start ten weeks back so that eight weeks of logs fit inside them.
CARE_START_DAYS_AGO = 70


class Command(BaseCommand):
    help = "Creates (or tops up) the demo organizations and their people. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DJANGO_DEBUG=0 (demo passwords are public: never in production); "
            "the demo superuser (demo_admin) is still left out.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to seed demo accounts with DJANGO_DEBUG=0: their passwords are public. "
                "Pass --force if this really is a demo server."
            )
        data = json.loads(PEOPLE_FILE.read_text(encoding="utf-8"))
        steps = [("exercise library", self._library), ("people and caseloads", self._people)]
        steps.append(("questionnaires every 2 weeks", self._questionnaires))
        # Plans need the library's exercises: these run after the "library" step.
        steps.append(("plan templates", self._templates))
        steps.append(("lessons", self._lessons))
        steps.append(("plans", self._plans))
        steps.append(("lessons read", self._lessons_read))
        steps.append(("session logs", self._session_logs))
        steps.append(("progression suggestions", self._suggestions))
        steps.append(("remote monitoring", self._monitoring))
        steps.append(("walks and leg symptoms", self._walks))
        steps.append(("reminders", self._reminders))
        steps.append(("messages", self._messages))
        steps.append(("invitations", self._invitations))
        steps.append(("a transfer and a discharge", self._care_team))
        # Plans, questionnaires and logs change adherence figures: computed once, at the end.
        with adherence.deferred(
            progress=lambda done, total: self._progress(done, total, "members")
        ):
            for number, (label, step) in enumerate(steps, start=1):
                self.stdout.write(f"[{number}/{len(steps)}] {label}…")
                step(data)
            self.stdout.write(f"[{len(steps) + 1}/{len(steps) + 1}] adherence figures…")
            self._touch_demo_members(data)
        # The organization roll-ups' appended rows folded, one per key: a second seed, which
        # changes nothing, leaves as many rows as the first.
        dashboard_rollup.compact()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _touch_demo_members(self, data: dict[str, Any]) -> None:
        """Every demo member's figures, also those whose logs the seed wrote in bulk."""
        usernames = [m["username"] for o in data["organizations"] for m in o["members"]]
        for member_id in Member.objects.filter(user__username__in=usernames).values_list(
            "pk", flat=True
        ):
            adherence.refresh_member(member=member_id)

    def _library(self, data: dict[str, Any]) -> None:
        call_command("load_library", stdout=self.stdout)

    def _templates(self, data: dict[str, Any]) -> None:
        call_command("load_templates", stdout=self.stdout)

    def _lessons(self, data: dict[str, Any]) -> None:
        call_command("load_lessons", stdout=self.stdout)

    def _lessons_read(self, data: dict[str, Any]) -> None:
        # Plans carry their templates' lessons: this runs after the "plans" step.
        from programs.demo.lessons import seed_demo_lessons

        self.stdout.write(f"  {seed_demo_lessons(say=self.stdout.write)} lessons read")

    def _plans(self, data: dict[str, Any]) -> None:
        written = seed_demo_plans(say=self.stdout.write)
        self.stdout.write(f"  {written} plans written")

    def _reminders(self, data: dict[str, Any]) -> None:
        from members.demo.reminders import seed_demo_reminders

        seed_demo_reminders(say=self.stdout.write)

    def _messages(self, data: dict[str, Any]) -> None:
        # Conversations may point at an exercise of the plan: this runs after "plans".
        from messaging.demo import seed_demo_messages

        seed_demo_messages(say=self.stdout.write)

    def _invitations(self, data: dict[str, Any]) -> None:
        from members.demo.invitations import seed_demo_invitations

        seed_demo_invitations(say=self.stdout.write)

    def _session_logs(self, data: dict[str, Any]) -> None:
        # Logs follow the plans' items and revisions: this runs after the "plans" step.
        from members.demo.sessions import seed_demo_session_logs

        seed_demo_session_logs(say=self.stdout.write, progress=self._progress)

    def _suggestions(self, data: dict[str, Any]) -> None:
        # The real rules over the logs the "session logs" step wrote: after it.
        from programs.demo.suggestions import seed_demo_suggestions

        seed_demo_suggestions(say=self.stdout.write)

    def _monitoring(self, data: dict[str, Any]) -> None:
        # Episodes start when the plans did, and review dates need them: after "plans".
        from members.demo.rtm import seed_demo_rtm

        seed_demo_rtm(say=self.stdout.write)

    def _walks(self, data: dict[str, Any]) -> None:
        # Walks start when the plans did: after "plans".
        from members.demo.walks import seed_demo_walks

        seed_demo_walks(say=self.stdout.write)

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
            # Staff are superusers: with a public password, only on a development machine.
            if settings.DEBUG:
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
                # Once: a later transfer (members/demo/care_team.py) is not undone on a rerun.
                if not CareAssignment.objects.filter(member=member).exists():
                    assign_care(
                        member=member, therapist=therapists[spec["therapist"]], start_date=start
                    )
                done += 1
                self._progress(done, total, "people")

    # --- care team: a transferred member, a discharged member ---------------------------------

    def _care_team(self, data: dict[str, Any]) -> None:
        from members.demo.care_team import seed_care_team

        seed_care_team()

    # --- questionnaires (outcomes) ---------------------------------------------------------

    @transaction.atomic
    def _questionnaires(self, data: dict[str, Any]) -> None:
        """Every 2 weeks over 8 weeks, through the scoring service: ODI and NPRS for back pain
        and stenosis, ZCQ for stenosis, PSFS for hips. Most members improve; demo_member's
        latest round is left for today, so the today page shows questionnaires due."""
        usernames = [m["username"] for o in data["organizations"] for m in o["members"]]
        members = list(
            Member.objects.filter(user__username__in=usernames)
            .select_related("user")
            .order_by("user__username")
        )
        for done, member in enumerate(members, start=1):
            instruments = SEED_INSTRUMENTS.get(member.condition, ())
            if instruments:
                self._member_questionnaires(member, instruments)
            self._progress(done, len(members), "members")

    def _member_questionnaires(self, member: Member, instruments: tuple[str, ...]) -> None:
        rng = random.Random(f"outcomes-{member.user.username}")
        today = clock.local_today(member)
        start = today - timedelta(days=SEED_WEEKS * 7)
        therapist = access.primary_therapist(member)
        # Most improve; some stay put or get a little worse; a few stop answering.
        progress = rng.choice([0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.15, 0.0, -0.1])
        rounds = SEED_WEEKS // 2 + 1
        if member.user.username == "demo_member":
            rounds -= 1
        elif rng.random() < 0.15:
            rounds = rng.randint(1, 2)
        for instrument in instruments:
            if not member.assessment_schedules.filter(instrument=instrument, active=True).exists():
                schedule_assessment(
                    member=member,
                    instrument=instrument,
                    every_n_days=14,
                    therapist=therapist,
                    start_date=start,
                )
            baseline = rng.random()
            for k in range(rounds):
                day = start + timedelta(days=14 * k)
                # Fraction of the way to the member's 8-week result, with a little noise.
                level = (1 - progress * k / (rounds - 1 if rounds > 1 else 1)) + rng.uniform(
                    -0.06, 0.06
                )
                answers = _seed_answers(instrument, baseline, level, k, rounds, rng)
                local_evening = datetime.combine(day, time(18, 0), tzinfo=member.tz)
                record_assessment(
                    member=member,
                    instrument=instrument,
                    answers=answers,
                    client_id=uuid.uuid5(
                        SEED_NAMESPACE, f"{member.user.username}/{instrument}/{k}"
                    ),
                    now=local_evening,
                    # Made-up history: it stands for a clinic that had the ODI's and ZCQ's
                    # wording; members are asked them only once a clinic loads it.
                    seeded=True,
                )


SEED_WEEKS = 8
SEED_NAMESPACE = uuid.UUID("5d1f3c1e-6f7a-4b8e-9a4e-0c0ffee0a5e5")
SEED_INSTRUMENTS: dict[str, tuple[str, ...]] = {
    "lumbar_spinal_stenosis": ("nprs", "odi", "zcq"),
    "low_back_pain": ("nprs", "odi"),
    "hip": ("psfs",),
}
SEED_PSFS_ACTIVITIES = ("Climbing stairs", "Getting out of a car", "Walking 20 minutes")


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _seed_answers(
    instrument: str, baseline: float, level: float, k: int, rounds: int, rng: random.Random
) -> Any:
    """Plausible answers for one round: `level` 1.0 is the member's baseline severity."""
    if instrument == "nprs":
        return [_clamp((5 + 3 * baseline) * level, 0, 10)]
    if instrument == "odi":
        # Baseline 30-50%: section scores around 1.5-2.5 of 5.
        mean = (1.5 + baseline) * level
        sections: list[int | None] = [_clamp(mean + rng.uniform(-1, 1), 0, 5) for _ in range(10)]
        if baseline > 0.7:
            sections[7] = None  # some leave the sex-life section empty
        return sections
    if instrument == "zcq":
        severity_mean = (3.0 + 0.8 * baseline) * level
        severity = [_clamp(severity_mean + rng.uniform(-0.7, 0.7), 1, 5) for _ in range(6)]
        balance = 1 if severity_mean < 2.5 else 3 if severity_mean < 3.6 else 5
        function_mean = (2.4 + 0.6 * baseline) * level
        answers: dict[str, Any] = {
            "severity": [*severity, balance],
            "function": [_clamp(function_mean + rng.uniform(-0.6, 0.6), 1, 4) for _ in range(5)],
        }
        if k == rounds - 1 and k > 0:
            # Satisfaction is asked after treatment only: on the last round.
            satisfied = level < 0.85
            answers["satisfaction"] = [
                _clamp((2 if satisfied else 3) + rng.uniform(-0.6, 0.6), 1, 4) for _ in range(6)
            ]
        return answers
    # psfs: higher is better, so the rating grows as `level` falls.
    return [
        {"activity": name, "score": _clamp(10 - (6 + 2 * baseline) * level + offset, 0, 10)}
        for name, offset in zip(SEED_PSFS_ACTIVITIES, (0, -1, 1), strict=True)
    ]
