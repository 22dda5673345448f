"""Adherence roll-ups and remote monitoring: what dashboards and billing reports read.

`AdherenceDay` and `AdherenceWeek` are derived rows, rebuilt by members.services.adherence from
the plans' schedule and the session logs whenever either changes (and when a member's day
ends); `MemberAdherence` holds each member's figures as of their own local today. They exist so
that a dashboard over ten thousand members reads a few thousand small rows instead of replaying
every plan's schedule. `MonitoringEpisode` and `ReviewTime` are facts people record: consent to
remote monitoring, and the minutes a PT spent on a member's data.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .people import Member, Therapist


class AdherenceDay(models.Model):
    """One member's local date with anything to count: sessions prescribed, come due, done."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="adherence_days")
    date = models.DateField()
    # Sessions the plan asks for that day (the schedule: the most times a day of any item).
    prescribed = models.PositiveSmallIntegerField(default=0)
    # Sessions that have come due: all of them once the day is over in the member's zone; on
    # the member's today only those already done (the day is not over, nobody is late yet).
    due = models.PositiveSmallIntegerField(default=0)
    # Sessions at least partly done that day, and those of them that count: at most `prescribed`.
    done = models.PositiveSmallIntegerField(default=0)
    credited = models.PositiveSmallIntegerField(default=0)
    # Anything reported that day (a session of any status, a questionnaire): a day with data for
    # remote monitoring.
    has_data = models.BooleanField(default=False)
    # The day's pain (before the session, else after), summed over its sessions, for trends.
    pain_total = models.PositiveSmallIntegerField(default=0)
    pain_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "date"], name="adherence_day_member_date"),
            models.CheckConstraint(
                condition=Q(credited__lte=F("prescribed"))
                & Q(credited__lte=F("done"))
                & Q(due__lte=F("prescribed")),
                name="adherence_day_counts_consistent",
            ),
        ]
        indexes = [
            # Window sums for many members: an index-only scan on PostgreSQL (include is
            # ignored elsewhere).
            models.Index(
                fields=["date", "member"],
                include=["due", "credited", "done", "has_data"],
                name="adherence_day_date_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.date}: {self.credited}/{self.due}"


class AdherenceWeek(models.Model):
    """One member's calendar week (Monday first): the week's sums of AdherenceDay, for charts of
    adherence over time that read one row per member and week."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="adherence_weeks")
    week_start = models.DateField(help_text="The Monday of the week.")
    due = models.PositiveSmallIntegerField(default=0)
    credited = models.PositiveSmallIntegerField(default=0)
    active_days = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "week_start"], name="adherence_week_member_week"
            ),
        ]
        indexes = [
            models.Index(
                fields=["week_start", "member"],
                include=["due", "credited"],
                name="adherence_week_week_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} week of {self.week_start}: {self.credited}/{self.due}"


class Risk(models.TextChoices):
    """The dashboard's label for a member, worst first (the order is the at-risk list's)."""

    NEVER_STARTED = "never_started", "Never started"
    INACTIVE = "inactive", "Inactive 3+ days"
    FADING = "fading", "Fading"
    ON_TRACK = "on_track", "On track"
    NO_PLAN = "no_plan", "No plan"


RISK_ORDER = {risk.value: rank for rank, risk in enumerate(Risk)}
AT_RISK = (Risk.NEVER_STARTED, Risk.INACTIVE, Risk.FADING)


class MemberAdherence(models.Model):
    """A member's figures over the 30 local days ending on `as_of` (their today when it was
    refreshed), and the ones that look at all of their history. Rebuilt, never edited."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, primary_key=True, related_name="adherence"
    )
    as_of = models.DateField()
    prescribed = models.PositiveIntegerField(default=0, help_text="Sessions due in the window.")
    completed = models.PositiveIntegerField(default=0, help_text="Of those, the ones done.")
    adherence = models.FloatField(null=True, blank=True, help_text="Percent; none if none due.")
    active_days_30 = models.PositiveSmallIntegerField(default=0)
    current_streak = models.PositiveSmallIntegerField(default=0)
    best_streak = models.PositiveSmallIntegerField(default=0)
    first_active = models.DateField(null=True, blank=True)
    last_active = models.DateField(null=True, blank=True)
    has_plan = models.BooleanField(default=False, help_text="Anything prescribed in the window.")
    this_week = models.PositiveSmallIntegerField(default=0, help_text="Done, last 7 days.")
    last_week = models.PositiveSmallIntegerField(default=0, help_text="Done, the 7 before.")
    pain_first_week = models.FloatField(null=True, blank=True)
    pain_last_week = models.FloatField(null=True, blank=True)
    risk = models.CharField(max_length=16, choices=Risk.choices, default=Risk.NO_PLAN)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The roll-over finds members whose day has ended since; the dashboard filters risk.
            models.Index(fields=["as_of"], name="member_adherence_as_of"),
            models.Index(fields=["risk", "adherence"], name="member_adherence_risk"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} as of {self.as_of}: {self.risk}"


NO_DATE = date(1, 1, 1)  # the roll-up cells' as_of of members without figures


class DashboardCell(models.Model):
    """Organization roll-up (PostgreSQL): signed sums over the members under care (not
    discharged) of one organization with the same primary PT, current template, risk and
    figures' date: what the dashboard's summary, its roll-ups by PT and template and its
    distribution need, read from a few rows whatever the number of members.

    Written by database triggers only, in the statement that changes a member's row or figures:
    the old contribution -1, the new +1, appended (no row is updated, so concurrent writers
    never wait for each other); `compact_rollups` (the roll-over, after each batch) sums the
    rows of each key into one. `check_adherence` compares the sums with a rebuild from the data
    and `--fix` rebuilds them. Ids are 0 for none (no PT, no template, no organization)."""

    organization_id = models.BigIntegerField()
    therapist_id = models.BigIntegerField()
    template_id = models.BigIntegerField()
    risk = models.CharField(max_length=16)
    as_of = models.DateField()
    members = models.IntegerField(default=0)
    with_plan = models.IntegerField(default=0)
    prescribed = models.BigIntegerField(default=0)
    completed = models.BigIntegerField(default=0)
    tenths_total = models.BigIntegerField(default=0)
    with_figure = models.IntegerField(default=0)
    adherent = models.IntegerField(default=0)
    active_days = models.BigIntegerField(default=0)
    rtm = models.IntegerField(default=0)
    # Members by adherence band: 0-19%, 20-39%, 40-59%, 60-79%, 80-100%, no figure.
    band_0 = models.IntegerField(default=0)
    band_1 = models.IntegerField(default=0)
    band_2 = models.IntegerField(default=0)
    band_3 = models.IntegerField(default=0)
    band_4 = models.IntegerField(default=0)
    band_5 = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["organization_id"], name="dashboard_cell_org")]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.therapist_id}/{self.template_id}: {self.members}"


class DashboardWeek(models.Model):
    """Organization roll-up of the weekly chart (PostgreSQL): signed sums of the week rows
    (AdherenceWeek) of an organization's members under care with the same primary PT and
    current template. Appended by database triggers and compacted like DashboardCell."""

    organization_id = models.BigIntegerField()
    therapist_id = models.BigIntegerField()
    template_id = models.BigIntegerField()
    week_start = models.DateField()
    due = models.BigIntegerField(default=0)
    credited = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["organization_id", "week_start"], name="dashboard_week_org")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} week of {self.week_start}: {self.credited}/{self.due}"


class MonitoringEpisode(models.Model):
    """Remote therapeutic monitoring of one member from `start_date`, with their consent. Supply
    codes count days with data in 30-day periods from the start (shared/domain/CLINICAL.md)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="monitoring_episodes")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    consent_at = models.DateTimeField(help_text="When the member agreed to be monitored.")
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("member", "start_date")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(end_date__isnull=True),
                name="monitoring_one_open_episode",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="monitoring_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Monitoring of {self.member_id} from {self.start_date}"


MAX_REVIEW_MINUTES = 240  # one sitting; more is a typo


class ReviewSource(models.TextChoices):
    MANUAL = "manual", "Entered by the PT"
    MESSAGING = "messaging", "Messaging with the member"


class ReviewTime(models.Model):
    """Minutes a PT spent on a member's monitoring data on one date, and whether that included
    a live, two-way interaction (a call or video): the basis of the management codes."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="review_times")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    minutes = models.PositiveSmallIntegerField()
    live_interaction = models.BooleanField(default=False)
    # Where the minutes were spent: the review form, or a conversation (messaging's "log time").
    source = models.CharField(max_length=12, choices=ReviewSource.choices, default="manual")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("member", "date", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=MAX_REVIEW_MINUTES),
                name="review_time_minutes_range",
            ),
        ]
        indexes = [models.Index(fields=["member", "date"], name="review_time_member_date")]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.member_id} ({self.date})"
