"""Demo care-team stories: member29 was transferred from demo_pt to demo_pt2 a week ago (the
ended assignment kept); member30 was discharged by demo_pt2 (goals met) and keeps read-only
access. Safe to run again: each story is written once."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from members.models import CareAssignment, Episode, Member, Therapist
from members.services.discharge import discharge_member

TRANSFERRED = "member29"
DISCHARGED = "member30"
TRANSFER_DAYS_AGO = 7


@transaction.atomic
def seed_care_team() -> None:
    today = timezone.now().date()
    pts = {t.user.username: t for t in Therapist.objects.select_related("user")}
    new_pt = pts.get("demo_pt2")
    moved = Member.objects.filter(user__username=TRANSFERRED).first()
    if moved is not None and new_pt is not None:
        open_primary = CareAssignment.objects.filter(
            member=moved, is_primary=True, end_date__isnull=True
        ).first()
        day = today - timedelta(days=TRANSFER_DAYS_AGO)
        if (
            open_primary is not None
            and open_primary.therapist_id != new_pt.pk
            and open_primary.start_date < day
        ):
            open_primary.end_date = day
            open_primary.save(update_fields=["end_date"])
            CareAssignment.objects.create(
                member=moved, therapist=new_pt, is_primary=True, start_date=day
            )
    done = Member.objects.filter(user__username=DISCHARGED).first()
    if (
        done is not None
        and done.discharged_on is None
        and not Episode.objects.filter(member=done, ended_on__isnull=False).exists()
    ):
        primary = (
            CareAssignment.objects.filter(member=done, is_primary=True, end_date__isnull=True)
            .select_related("therapist__user")
            .first()
        )
        if primary is not None:
            discharge_member(by=primary.therapist.user, member=done, reason="goals_met")
