"""Demo progression suggestions (seed_demo's "progression suggestions" step): the real rules
(programs.rules.progression) run over the session logs the "session logs" step wrote, for every
demo member with an active plan. Nothing is made up here: what the PTs see pending is what the
rules find in the demo logs. Running it again adds nothing (one pending suggestion per item and
rule, and the same logs give the same evidence)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from members.models import Member
from programs.models import (
    PendingEvaluation,
    PlanStatus,
    ProgressionSuggestion,
    SuggestionStatus,
)
from programs.services.suggestions import evaluate_member

DEMO_ORG_SLUGS = ("demo-clinic", "other-clinic")


def seed_demo_suggestions(
    *, say: Callable[[str], object] = print, now: datetime | None = None
) -> int:
    member_ids = list(
        Member.objects.filter(
            user__organization__slug__in=DEMO_ORG_SLUGS, plans__status=PlanStatus.ACTIVE
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    added = sum(evaluate_member(member_id=pk, now=now) for pk in member_ids)
    # Evaluated here: what the plans step asked of the outbox (programs.services.evaluations)
    # is done, and no sweep needs to do it again.
    PendingEvaluation.objects.filter(member_id__in=member_ids).delete()
    pending = ProgressionSuggestion.objects.filter(
        member_id__in=member_ids, status=SuggestionStatus.PENDING
    ).count()
    say(f"  {added} new suggestions; {pending} pending for {len(member_ids)} members\n")
    return added
