"""Demo session logs (seed_demo's "session logs" step): about eight weeks of logs for the demo
members, on the plans the "plans" step wrote, with the patterns a clinic sees.

- steady: most prescribed days done; demo_member is one, with nothing logged yet today (so the
  today page has something to log);
- fading: keen at first, then less and less, quiet for the last week or so;
- returning: a good start, a gap of about two weeks, back for the last weeks;
- never started: a plan and no log (the daily check raises "no session for 3 days").

Pain trends down for most, flat or a little up for a few; a few flare-ups and one exercise rated
too hard three sessions running give alerts for the PTs. Entries point at the item version in
force on each day (the schedule answers that, pauses and revisions included). Written with
bulk_create: a fixed number of queries per member, whatever the number of days. Members who
already have logs are left as they are, so running the seed again changes nothing.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from exercise_tracker import access, clock
from members.models import (
    Alert,
    AlertKind,
    AlertStatus,
    EntryStatus,
    Member,
    SessionEntry,
    SessionLog,
)
from members.models.logs import Feedback, SessionStatus
from members.services import adherence
from members.services import alerts as alert_rules
from programs.models import Plan, PlanItem, PlanStatus, Side
from programs.selectors.schedule import prescribed_sessions_for_members

SEED_DAYS = 56  # eight weeks
NAMESPACE = uuid.UUID("0d5e3a4c-7b1f-4c55-9e36-5e551017a5e5")
DEMO_ORG_SLUGS = ("demo-clinic", "other-clinic")
STEADY, FADING, RETURNING, NEVER = "steady", "fading", "returning", "never started"
# Cycled over the members in username order: steady is the most common, as in a clinic.
PATTERNS = (STEADY, FADING, STEADY, RETURNING, STEADY, NEVER, FADING, STEADY, RETURNING, STEADY)
NOTES = (
    "",
    "",
    "",
    "",
    "Felt good today.",
    "A bit stiff in the morning, easier after.",
    "Busy day, did what I could.",
    "Walked to the shop afterwards without stopping.",
    "Legs tired on the last set.",
)


def pattern_of(username: str, index: int) -> str:
    if username == "demo_member":
        return STEADY
    return PATTERNS[index % len(PATTERNS)]


def chance_of_session(pattern: str, t: float, days_ago: int, *, stops: bool = False) -> float:
    """How likely a prescribed day is done, `t` from 0 (plan start) to 1 (today), `days_ago`
    counted back from today. A fading member slows down over the last fortnight; some of them
    stop altogether in the last week (the dashboard calls those inactive, the others fading)."""
    if pattern == STEADY:
        return 0.88
    if pattern == FADING:
        if days_ago < 7:  # twice in the last week (yesterday and 4 days ago), or not at all
            return 1.0 if not stops and days_ago in (1, 4) else 0.0
        if days_ago < 14:
            return 0.8
        return 0.9 - 0.3 * t
    if pattern == RETURNING:
        return 0.05 if 0.35 < t < 0.62 else 0.85
    return 0.0


class _Member:
    """One member's seeding: their own random stream, pain course and local dates."""

    def __init__(self, member: Member, pattern: str, now: datetime) -> None:
        self.member = member
        self.pattern = pattern
        # Demo data, not secrets: a seeded generator makes the same logs on every machine.
        self.rng = random.Random(f"sessions-{member.user.username}")  # noqa: S311
        self.today = clock.local_today(member, now)
        self.base_pain = self.rng.uniform(4.5, 7.0)
        # Most improve; some stay put or get a little worse.
        self.improvement = self.rng.choice([0.55, 0.5, 0.45, 0.4, 0.35, 0.3, 0.2, 0.0, -0.1])
        self.flare_day = (
            self.today - timedelta(days=self.rng.randint(1, 9))
            if self.rng.random() < 0.25
            else None
        )
        self.too_hard_run = False  # set for one member: the last three sessions rate one too hard
        self.stops = self.rng.random() < 0.5  # fading members: quiet for the last week

    def pain_before(self, t: float) -> int:
        level = self.base_pain * (1 - self.improvement * t) + self.rng.gauss(0, 0.6)
        return max(0, min(10, round(level)))

    def pain_after(self, before: int, day: date) -> int:
        if day == self.flare_day:
            return min(10, max(7, before + 3))
        # Gentle exercise tends to ease pain a little.
        return max(0, min(10, before + self.rng.choice([-2, -1, -1, 0, 0, 0, 1])))

    def feedback(self, t: float) -> str:
        return feedback_at(t, self.rng)


def feedback_at(t: float, rng: random.Random) -> str:
    """How an exercise felt, `t` from 0 (plan start) to 1 (today): now and then too hard early
    on, more often too easy as the member gets stronger. (seed_scale uses it too.)"""
    roll = rng.random()
    if roll < (0.06 if t < 0.3 else 0.02):
        return Feedback.TOO_HARD
    if roll < 0.06 + 0.3 * t:
        return Feedback.TOO_EASY
    return Feedback.JUST_RIGHT


def entry_for(item: PlanItem, feedback: str, rng: random.Random) -> SessionEntry:
    """What was done of one item (unsaved, no session yet). (seed_scale uses it too.)"""
    sets, reps = item.sets, item.reps
    status = EntryStatus.DONE
    if rng.random() < 0.15:  # a set or a few reps short now and then, never more than asked
        if reps and reps > 3:
            reps -= rng.randint(1, 3)
            status = EntryStatus.PARTIAL
        elif sets > 1:
            sets -= 1
            status = EntryStatus.PARTIAL
    return SessionEntry(
        plan_item=item,
        exercise_id=item.exercise_id,
        status=status,
        done=True,
        sets_done=sets,
        reps_done=reps,
        hold_seconds_done=item.hold_seconds,
        duration_seconds_done=item.duration_seconds,
        side=item.side if item.side in (Side.LEFT, Side.RIGHT, Side.ALTERNATING) else "",
        feedback=feedback,
    )


def _status_of(entries: list[SessionEntry], some_left_out: bool) -> str:
    """The session's status as the member states it: completed only when every exercise was
    done in full (members.services.sessions holds API logs to the same rule)."""
    if some_left_out or any(e.status != EntryStatus.DONE for e in entries):
        return SessionStatus.PARTIAL
    return SessionStatus.COMPLETED


def _done_at(day: date, seed: _Member, sitting: int) -> datetime:
    """Morning for a first sitting, evening for a second, in the member's zone."""
    hour = 8 + 10 * sitting + seed.rng.randint(0, 3)
    return datetime.combine(day, time(hour, seed.rng.randint(0, 59)), tzinfo=seed.member.tz)


def _sessions_for(
    seed: _Member, days: dict[date, Any], start: date
) -> list[tuple[SessionLog, list[SessionEntry]]]:
    """The member's logs over their prescribed days (unsaved)."""
    rng = seed.rng
    username = seed.member.user.username
    span = max(1, (seed.today - start).days)
    logs: list[tuple[SessionLog, list[SessionEntry]]] = []
    for day in sorted(days):
        prescription = days[day]
        # demo_member has not logged today yet: the today page has something to do.
        if not prescription.items or day > seed.today:
            continue
        if day == seed.today and (username == "demo_member" or rng.random() < 0.5):
            continue
        t = (day - start).days / span
        items = [p.item for p in prescription.items]
        chance = chance_of_session(seed.pattern, t, (seed.today - day).days, stops=seed.stops)
        if rng.random() >= chance:
            if seed.pattern != NEVER and rng.random() < 0.12:
                logs.append((_session(seed, day, 0, SessionStatus.SKIPPED, t), []))
            continue
        partial = rng.random() < 0.15 and len(items) > 1
        done = rng.sample(items, k=max(1, len(items) * 2 // 3)) if partial else items
        entries = [
            entry_for(item, seed.feedback(t), rng)
            for item in sorted(done, key=lambda i: (i.order, i.pk))
        ]
        logs.append((_session(seed, day, 0, _status_of(entries, partial), t), entries))
        twice = [item for item in items if item.times_per_day > 1]
        # Steady members mostly do the second sitting an item asks for; others now and then.
        second = 0.8 if seed.pattern == STEADY else 0.3 if seed.pattern != FADING else 0.0
        if twice and rng.random() < second:
            again = [entry_for(item, seed.feedback(t), rng) for item in twice]
            logs.append((_session(seed, day, 1, _status_of(again, False), t), again))
    if seed.too_hard_run:
        _make_too_hard_run(logs)
    return logs


def _make_too_hard_run(logs: list[tuple[SessionLog, list[SessionEntry]]]) -> None:
    """The member's first exercise rated too hard in their last three sessions that had it."""
    with_entries = [(log, entries) for log, entries in logs if entries]
    if len(with_entries) < alert_rules.TOO_HARD_RUN:
        return
    exercise_id = with_entries[-1][1][0].exercise_id
    marked = 0
    for _, entries in reversed(with_entries):
        for entry in entries:
            if entry.exercise_id == exercise_id:
                entry.feedback = Feedback.TOO_HARD
                marked += 1
                break
        if marked == alert_rules.TOO_HARD_RUN:
            return


def _session(seed: _Member, day: date, sitting: int, status: str, t: float) -> SessionLog:
    rng = seed.rng
    before = after = rpe = None
    if status != SessionStatus.SKIPPED:
        before = seed.pain_before(t)
        after = seed.pain_after(before, day)
        rpe = rng.choice([3, 3, 4, 4, 5, 5, 6])
    at = _done_at(day, seed, sitting)
    return SessionLog(
        member=seed.member,
        local_date=day,
        client_id=uuid.uuid5(NAMESPACE, f"{seed.member.user.username}/{day}/{sitting}"),
        status=status,
        pain_before=before,
        pain_after=after,
        rpe=rpe,
        notes=rng.choice(NOTES) if status != SessionStatus.SKIPPED else "Not today.",
        created_at=at,
        updated_at=at,
    )


def _alerts_for(seed: _Member, logs: list[tuple[SessionLog, list[SessionEntry]]]) -> list[Alert]:
    """What the rules would have raised: open for the last 10 days, resolved before that (the
    PT dealt with it), one per finding, as the service keeps them."""
    alerts: list[Alert] = []
    recent = seed.today - timedelta(days=10)
    spikes = [
        log
        for log, _ in logs
        if alert_rules.pain_spike(pain_before=log.pain_before, pain_after=log.pain_after)
    ]
    open_spike = next((log for log in reversed(spikes) if log.local_date >= recent), None)
    older = [log for log in spikes if log.local_date < recent][-2:]
    for log in [*older, *([open_spike] if open_spike else [])]:
        finding = alert_rules.pain_spike(pain_before=log.pain_before, pain_after=log.pain_after)
        if finding is None:
            continue
        is_open = log is open_spike
        at = log.created_at
        alerts.append(
            Alert(
                member=seed.member,
                kind=AlertKind.PAIN_SPIKE,
                session=log,
                status=AlertStatus.OPEN if is_open else AlertStatus.RESOLVED,
                details={**finding.details, "date": log.local_date.isoformat()},
                acknowledged_at=None if is_open else at + timedelta(hours=20),
                resolved_at=None if is_open else at + timedelta(days=1),
            )
        )
    if seed.too_hard_run:
        sessions = [log for log, entries in logs if entries]
        with_entries = [(log, e) for log, entries in logs for e in entries]
        alerts.extend(
            Alert(
                member=seed.member,
                kind=finding.kind,
                exercise_id=finding.exercise_id,
                session=sessions[-1] if sessions else None,
                details=finding.details,
            )
            for finding in _too_hard_findings(with_entries)
        )
    return alerts


def _too_hard_findings(pairs: list[tuple[SessionLog, SessionEntry]]) -> list[Any]:
    latest: dict[int, list[tuple[SessionLog, SessionEntry]]] = {}
    for log, entry in reversed(pairs):
        run = latest.setdefault(entry.exercise_id, [])
        if len(run) < alert_rules.TOO_HARD_RUN:
            run.append((log, entry))
    return [
        alert_rules.Finding(
            kind=AlertKind.TOO_HARD_STREAK,
            exercise_id=exercise_id,
            details={
                "sessions": [log.pk for log, _ in run],
                "dates": [log.local_date.isoformat() for log, _ in run],
            },
        )
        for exercise_id, run in latest.items()
        if len(run) == alert_rules.TOO_HARD_RUN
        and all(e.feedback == Feedback.TOO_HARD for _, e in run)
    ]


def seed_demo_session_logs(
    *,
    say: Callable[[str], object] = print,
    progress: Callable[[int, int, str], object] | None = None,
    now: datetime | None = None,
) -> int:
    """Writes logs for the demo members who have an active plan and no logs yet, and refreshes
    their adherence figures from the first day written. Returns how many sessions were written.

    Each member's pattern comes from their place among all the demo members with an active
    plan, logged or not, so a second run gives everyone the pattern they had: the members who
    have logs are left as they are, and a "never started" member stays without any."""
    moment = now or timezone.now()
    members = list(
        Member.objects.filter(
            user__organization__slug__in=DEMO_ORG_SLUGS, plans__status=PlanStatus.ACTIVE
        )
        .distinct()
        .select_related("user")
        .order_by("user__username")
    )
    every = [_Member(m, pattern_of(m.user.username, i), moment) for i, m in enumerate(members)]
    # One member (not demo_member, steady) rates an exercise too hard three sessions running.
    runner = next(
        (s for s in every[1:] if s.pattern == STEADY and s.member.user.username != "demo_member"),
        None,
    )
    if runner is not None:
        runner.too_hard_run = True
    logged = set(
        SessionLog.objects.filter(member__in=members)
        .order_by()
        .values_list("member_id", flat=True)
        .distinct()
    )
    seeds = [s for s in every if s.member.pk not in logged and s.pattern != NEVER]
    if not seeds:
        say("  every demo member with a plan has logs already (or never started)\n")
        return 0
    members = [s.member for s in seeds]
    starts = dict(
        Plan.objects.filter(member__in=members, status=PlanStatus.ACTIVE).values_list(
            "member_id", "start_date"
        )
    )
    earliest = min(s.today for s in seeds) - timedelta(days=SEED_DAYS)
    latest = max(s.today for s in seeds)
    schedule = prescribed_sessions_for_members(members=members, start=earliest, end=latest)
    written = 0
    for done, seed in enumerate(seeds, start=1):
        start = max(starts.get(seed.member.pk, earliest), seed.today - timedelta(days=SEED_DAYS))
        days = {
            day: prescription
            for day, prescription in schedule[seed.member.pk].items()
            if start <= day <= seed.today
        }
        written += _write(seed, _sessions_for(seed, days, start))
        if progress is not None:
            progress(done, len(seeds), "members")
    raised = alert_rules.raise_inactivity_alerts(now=moment)
    say(f"  {written} sessions for {len(seeds)} members; {raised} inactivity alerts\n")
    return written


@transaction.atomic
def _write(seed: _Member, logs: list[tuple[SessionLog, list[SessionEntry]]]) -> int:
    if not logs:
        return 0
    stamps = [log.created_at for log, _ in logs]
    sessions = SessionLog.objects.bulk_create([log for log, _ in logs])
    # auto_now_add stamped the seeding time: put back the hour each session was done.
    for stored, stamp in zip(sessions, stamps, strict=True):
        stored.created_at = stored.updated_at = stamp
    SessionLog.objects.bulk_update(sessions, ["created_at", "updated_at"], batch_size=500)
    entries = []
    for stored, (_, items) in zip(sessions, logs, strict=True):
        for entry in items:
            entry.session = stored
            entries.append(entry)
    SessionEntry.objects.bulk_create(entries, batch_size=1000)
    primary = access.primary_therapist(seed.member)
    therapist = primary.pk if primary is not None else None
    alerts = _alerts_for(seed, list(zip(sessions, [items for _, items in logs], strict=True)))
    for alert in alerts:
        alert.therapist_id = therapist
    Alert.objects.bulk_create(alerts, ignore_conflicts=True)
    # auto_now_add again: an alert was raised a minute after the session that gave rise to it.
    raised = {a.session_id: a.session.created_at for a in alerts if a.session is not None}
    if raised:
        Alert.objects.filter(member=seed.member, session_id__in=list(raised)).update(
            created_at=Case(
                *[
                    When(session_id=pk, then=Value(at + timedelta(minutes=1)))
                    for pk, at in raised.items()
                ]
            )
        )
    # Written in bulk, so the figures are refreshed here, in the same transaction, from the
    # first day written (inside seed_demo's `adherence.deferred()` block: once, at its end).
    adherence.refresh_member(member=seed.member.pk, since=min(log.local_date for log, _ in logs))
    return len(sessions)
