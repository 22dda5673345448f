"""Demo conversations (seed_demo's "messages" step): a few weeks of ordinary exchanges between
Demo Clinic members and their PT about walking, an exercise on their plan, soreness or a trip
away; some end with a message the other side has not read yet. Rows are written directly with
their past times (no notices go out for history); a member whose thread already holds messages
keeps it, so running the seed again adds nothing."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from exercise_tracker import access
from members.models import Member
from messaging.models import AuthorSide, Message, ReadMarker, Thread
from programs.models import PlanItem, PlanStatus

DEMO_ORG_SLUG = "demo-clinic"
M, T = AuthorSide.MEMBER, AuthorSide.CARE_TEAM

# (side, text, refers to the first exercise of the plan)
SCRIPTS: tuple[tuple[tuple[str, str, bool], ...], ...] = (
    (
        (
            M,
            "Hi, I did the walks this week. I get about 12 minutes before my legs feel heavy. "
            "Is that normal?",
            False,
        ),
        (
            T,
            "Thanks for letting me know. Yes, that is common. Stop when your legs get heavy, "
            "sit or lean forward for a minute or two, then carry on. Try to add a minute or two "
            "each week.",
            False,
        ),
        (M, "OK. Leaning on the shopping cart helps a lot.", False),
        (
            T,
            "Good, that is the same idea: bending forward a little gives the nerves more room. "
            "Keep using it.",
            False,
        ),
    ),
    (
        (
            M,
            "This one feels good but I'm not sure I'm doing it right. Should it pull in my "
            "lower back?",
            True,
        ),
        (
            T,
            "A gentle stretch in the lower back or buttock is what we want. Go only as far as "
            "is comfortable and hold for the count on your plan. It should never be sharp.",
            False,
        ),
        (M, "Thanks, I was going too far. Easier now.", False),
    ),
    (
        (M, "I'm away next week visiting my daughter. Can I skip the exercises?", False),
        (
            T,
            "Try to keep the walks and two of the stretches if you can; they need no "
            "equipment. Fewer days while you're away is fine.",
            False,
        ),
        (M, "Will do.", False),
        (T, "Have a good trip. Log what you manage and we'll look at it when you're back.", False),
    ),
    (
        (M, "My back was sore the day after the bridges. It settled by the evening.", False),
        (
            T,
            "That sounds fine. Soreness that settles within a day is normal when you start "
            "something new. If it lasts longer or spreads down your leg, tell me and we'll "
            "change the dose.",
            False,
        ),
        (M, "It was better today, thanks.", False),
    ),
    (
        (
            T,
            "Hi, I've looked at your last two weeks. Nice work keeping up the walks. How is "
            "the exercise bike going?",
            False,
        ),
        (M, "Better than walking outside. I can do 15 minutes without stopping.", False),
        (T, "Great. Let's make it 18 minutes from Monday. I've updated your plan.", False),
    ),
)


@transaction.atomic
def seed_demo_messages(*, say: Callable[[str], object] = print, now: datetime | None = None) -> int:
    """Writes the conversations of Demo Clinic members whose thread has none. Returns how many
    conversations were written."""
    now = now or timezone.now()
    members = list(
        Member.objects.filter(
            user__organization__slug=DEMO_ORG_SLUG,
            discharged_on__isnull=True,
            plans__status=PlanStatus.ACTIVE,
        )
        .select_related("user")
        .distinct()
        .order_by("user__username")
    )
    therapists = access.primary_therapists(m.pk for m in members)
    busy = set(
        Message.objects.filter(thread__member__in=members).values_list(
            "thread__member_id", flat=True
        )
    )
    first_exercise: dict[int, int] = {}
    for item in (
        PlanItem.objects.filter(
            plan__member__in=members,
            plan__status=PlanStatus.ACTIVE,
            valid_to_revision__isnull=True,
        )
        .order_by("plan__member_id", "order", "id")
        .values("plan__member_id", "exercise_id")
    ):
        first_exercise.setdefault(item["plan__member_id"], item["exercise_id"])
    written = 0
    for index, member in enumerate(members):
        therapist = therapists.get(member.pk)
        if therapist is None or member.pk in busy:
            continue
        rng = random.Random(f"messages-{member.user.username}")  # noqa: S311 (demo, repeatable)
        script = SCRIPTS[index % len(SCRIPTS)]
        thread, _ = Thread.objects.get_or_create(member=member)
        at = now - timedelta(days=rng.randint(4, 21), hours=rng.randint(0, 8))
        rows = []
        for side, text, refers in script:
            author = member.user if side == M else therapist.user
            rows.append(
                Message(
                    thread=thread,
                    author=author,
                    side=side,
                    client_id=uuid.uuid4(),
                    text=text,
                    exercise_id=first_exercise.get(member.pk) if refers else None,
                )
            )
        Message.objects.bulk_create(rows)
        saved = list(Message.objects.filter(thread=thread).order_by("id"))
        times = []
        for message in saved:  # a demo's few rows: their past times, one by one
            at += timedelta(hours=rng.randint(2, 30), minutes=rng.randint(0, 59))
            at = min(at, now - timedelta(minutes=30))
            times.append(at)
            Message.objects.filter(pk=message.pk).update(created_at=at)
        # One thread in three ends unread by the side that did not write last.
        last = saved[-1]
        unread_last = index % 3 == 0
        markers = {}
        for message in saved:
            markers[(message.author_id, message.side)] = message.pk
        for user, side in ((member.user, M), (therapist.user, T)):
            own = markers.get((user.pk, side), 0)
            read = (
                last.pk
                if not (unread_last and last.side != side)
                else max(own, saved[-2].pk if len(saved) > 1 else 0)
            )
            ReadMarker.objects.create(
                thread=thread, user=user, side=side, last_read_id=read, read_at=times[-1]
            )
        Thread.objects.filter(pk=thread.pk).update(
            last_message_at=times[-1], version=F("version") + len(saved) + 2
        )
        written += 1
    say(f"  {written} conversations written\n")
    return written
