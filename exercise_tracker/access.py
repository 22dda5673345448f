"""Who may see what: the only place that scopes querysets to a user. Views start here.

Members see themselves; a PT sees the members of their open care assignments in their own
organization; a coordinator sees their organization's members; staff see everything (and their
reads are audited). Anyone else sees nothing. An object outside these sets answers 404.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from members.models import (
    Alert,
    Assessment,
    AssessmentSchedule,
    CareAssignment,
    Invitation,
    InvitationKind,
    Member,
    MemberImport,
    Notification,
    ReminderSchedule,
    Role,
    SessionLog,
    SymptomCheck,
    Therapist,
    User,
    Walk,
)
from programs.models import (
    Exercise,
    Lesson,
    LessonRead,
    Plan,
    PlanItem,
    PlanLesson,
    PlanTemplate,
    ProgressionSuggestion,
)


def _is_authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def open_assignments(*, on: Any = None) -> Q:
    """The Q (on CareAssignment) of assignments in force on a date (default: today, UTC)."""
    day = on or timezone.now().date()
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gt=day))


def primary_assignments(*, on: Any = None) -> Q:
    """The Q (on CareAssignment) of primary assignments in force on a date (default: today,
    UTC). An assignment with an end date still ahead is in force until that date. A deactivated
    PT is nobody's PT: their members show as without one until the coordinator transfers them."""
    return open_assignments(on=on) & Q(is_primary=True, therapist__user__is_active=True)


# Two primary assignments may overlap (the next PT starts before the last one's end date):
# the newest is the member's PT.
PRIMARY_NEWEST_FIRST = ("-start_date", "-id")


def primary_therapist(member: Member | int, *, on: Any = None) -> Therapist | None:
    """The member's primary PT on a date (default today): the one PT who gets their alerts,
    whose name their pages and handouts give. None when they have none."""
    member_id = member if isinstance(member, int) else member.pk
    return primary_therapists([member_id], on=on).get(member_id)


def primary_therapists(member_ids: Any, *, on: Any = None) -> dict[int, Therapist]:
    """member id → their primary PT on a date (user loaded), for many members in one query."""
    found: dict[int, Therapist] = {}
    rows = (
        CareAssignment.objects.filter(primary_assignments(on=on), member_id__in=list(member_ids))
        .select_related("therapist__user")
        .order_by("member_id", *PRIMARY_NEWEST_FIRST)
    )
    for assignment in rows:
        found.setdefault(assignment.member_id, assignment.therapist)
    return found


def primary_therapist_id(member: Any = None, *, on: Any = None) -> Subquery:
    """The member's primary PT's id as a subquery (`member`: an id or a member; default the
    outer query's member), for annotations and filters."""
    return Subquery(
        CareAssignment.objects.filter(
            primary_assignments(on=on), member=OuterRef("pk") if member is None else member
        )
        .order_by(*PRIMARY_NEWEST_FIRST)
        .values("therapist_id")[:1]
    )


def visible_members(user: Any) -> QuerySet[Member]:
    """Members whose records this user may read."""
    qs = Member.objects.select_related("user", "user__organization")
    if not _is_authenticated(user) or not user.is_active:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    if user.organization_id is None:
        return qs.none()
    in_org = qs.filter(user__organization_id=user.organization_id)
    if user.role == Role.MEMBER:
        return in_org.filter(user_id=user.pk)
    if user.role == Role.COORDINATOR:
        return in_org
    if user.role == Role.THERAPIST:
        caseload = CareAssignment.objects.filter(open_assignments(), therapist__user_id=user.pk)
        return in_org.filter(pk__in=caseload.values("member_id"))
    return qs.none()


_MEMBER_NAMES = [f.attname for f in Member._meta.concrete_fields]
_USER_NAMES = [f.attname for f in User._meta.concrete_fields]


def visible_member(user: Any, member_id: int) -> Member | None:
    """`visible_members(user).filter(pk=member_id).first()`, with the member's user loaded (not
    their organization): for a PT, visible_members' own query compiled once per day
    (exercise_tracker/compiled.py) and run with the user's ids; otherwise through the ORM."""
    from .compiled import SENTINELS, compiled

    usual = (
        _is_authenticated(user)
        and user.is_active
        and user.role == Role.THERAPIST
        and user.organization_id is not None
    )
    if not usual:
        return visible_members(user).filter(pk=member_id).first()
    day = timezone.now().date()

    def build() -> QuerySet[Any]:
        sentinel = User(
            pk=SENTINELS[0], organization_id=SENTINELS[1], role=Role.THERAPIST, is_active=True
        )
        return (
            visible_members(sentinel)
            .filter(pk=SENTINELS[2])
            .order_by()
            .values_list(*_MEMBER_NAMES, *(f"user__{name}" for name in _USER_NAMES))[:1]
        )

    rows = compiled(("visible_member", day), build).rows([user.pk, user.organization_id, member_id])
    if not rows:
        return None
    width = len(_MEMBER_NAMES)
    member = Member.from_db(DEFAULT_DB_ALIAS, _MEMBER_NAMES, list(rows[0][:width]))
    member.user = User.from_db(DEFAULT_DB_ALIAS, _USER_NAMES, list(rows[0][width:]))
    return member


def visible_therapists(user: Any) -> QuerySet[Therapist]:
    """PTs a user may name (for filters and assignments): those of their own organization."""
    qs = Therapist.objects.select_related("user")
    if not _is_authenticated(user):
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    if user.role == Role.MEMBER:
        member = getattr(user, "member_profile", None)
        if member is None:
            return qs.none()
        mine = CareAssignment.objects.filter(open_assignments(), member=member)
        return qs.filter(pk__in=mine.values("therapist_id"))
    return qs.filter(user__organization_id=user.organization_id)


def member_for(user: Any) -> Member | None:
    """The member profile of a member account, or None."""
    if not _is_authenticated(user) or user.role != Role.MEMBER:
        return None
    return Member.objects.filter(user_id=user.pk).first()


def own_member(user: Any) -> Member:
    """The caller's own member profile, for pages and endpoints that exist only for members:
    to anyone else they do not exist (404). The JWT authentication and the session middleware
    load the profile with the user, so this costs no query."""
    if not _is_authenticated(user) or user.role != Role.MEMBER:
        raise Http404
    member = getattr(user, "member_profile", None)
    if member is None:
        raise Http404
    return member


def is_care_team(user: Any, member: Member) -> bool:
    """Whether a user is one of the member's PTs now (may write their plan)."""
    if not _is_authenticated(user) or user.role != Role.THERAPIST:
        return False
    return CareAssignment.objects.filter(
        open_assignments(), member=member, therapist__user_id=user.pk
    ).exists()


def care_team_therapist(user: Any, member: Member) -> Therapist | None:
    """The user's PT profile when they are one of the member's PTs now (is_care_team), in the
    same one query; None otherwise."""
    if not _is_authenticated(user) or user.role != Role.THERAPIST:
        return None
    from .compiled import SENTINELS, compiled

    day = timezone.now().date()

    def build() -> QuerySet[Any]:
        # is_care_team's query, with the PT's id and the credentials their name shows with.
        return (
            CareAssignment.objects.filter(
                open_assignments(on=day), member_id=SENTINELS[0], therapist__user_id=SENTINELS[1]
            )
            .order_by()
            .values_list("therapist_id", "therapist__credentials")[:1]
        )

    rows = compiled(("care_team_therapist", day), build).rows([member.pk, user.pk])
    if not rows:
        return None
    therapist = Therapist.from_db(DEFAULT_DB_ALIAS, ["id", "credentials"], list(rows[0]))
    therapist.user = user
    return therapist


def visible_exercises(user: Any) -> QuerySet[Exercise]:
    """The global library plus the user's organization's own exercises (all of them for staff)."""
    qs = Exercise.objects.all()
    if not _is_authenticated(user):
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    return qs.filter(Q(organization__isnull=True) | Q(organization_id=user.organization_id))


def plan_exercises(user: Any) -> QuerySet[Exercise]:
    """Exercises a member may open: those on items of their own plans (any revision, drafts
    excluded, as visible_plans has it). A member never browses the library; other roles
    have visible_exercises, and here nothing."""
    if not _is_authenticated(user) or user.role != Role.MEMBER:
        return Exercise.objects.none()
    on_plans = PlanItem.objects.filter(plan__in=visible_plans(user).values("pk"))
    return Exercise.objects.filter(pk__in=on_plans.values("exercise_id"))


def editable_exercises(user: Any) -> QuerySet[Exercise]:
    """Exercises a user may change: PTs their organization's own; staff any (global too)."""
    qs = Exercise.objects.all()
    if not _is_authenticated(user):
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    if user.role == Role.THERAPIST and user.organization_id is not None:
        return qs.filter(organization_id=user.organization_id)
    return qs.none()


# Outcome scores are health data, not adherence figures: coordinators do not read them.
OUTCOME_READERS = (Role.MEMBER, Role.THERAPIST, Role.STAFF)


def visible_assessments(user: Any) -> QuerySet[Assessment]:
    """Questionnaires: a member's own, a PT's caseload's, all for staff; none for coordinators."""
    qs = Assessment.objects.select_related("member__user")
    if not _is_authenticated(user) or user.role not in OUTCOME_READERS:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    return qs.filter(member__in=visible_members(user).values("pk"))


def visible_assessment_schedules(user: Any) -> QuerySet[AssessmentSchedule]:
    """Questionnaire schedules, scoped as questionnaires are."""
    qs = AssessmentSchedule.objects.select_related("member__user", "created_by__user")
    if not _is_authenticated(user) or user.role not in OUTCOME_READERS:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    return qs.filter(member__in=visible_members(user).values("pk"))


# Session logs carry pain and free-text notes: health data. Coordinators see adherence figures
# (the dashboard), never the logs themselves.
SESSION_READERS = (Role.MEMBER, Role.THERAPIST, Role.STAFF)


def visible_sessions(user: Any) -> QuerySet[SessionLog]:
    """Session logs: a member's own, a PT's caseload's, all for staff; none for coordinators."""
    qs = SessionLog.objects.all()
    if not _is_authenticated(user) or user.role not in SESSION_READERS:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    if user.role == Role.MEMBER:
        # One join, no subquery: this is on every POST and GET a member's phone makes.
        return qs.filter(member__user_id=user.pk)
    return qs.filter(member__in=visible_members(user).values("pk"))


# Walks and leg symptom check-ins are health data, as session logs are: the member writes their
# own, their PTs read them; coordinators do not see them (404).
WALK_READERS = SESSION_READERS


def _own_or_caseload(user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    if not _is_authenticated(user) or user.role not in WALK_READERS:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    if user.role == Role.MEMBER:
        return qs.filter(member__user_id=user.pk)
    return qs.filter(member__in=visible_members(user).values("pk"))


def visible_walks(user: Any) -> QuerySet[Walk]:
    """Walks: a member's own, a PT's caseload's, all for staff; none for coordinators."""
    return _own_or_caseload(user, Walk.objects.all())


def visible_symptom_checks(user: Any) -> QuerySet[SymptomCheck]:
    """Leg symptom check-ins, scoped as walks are."""
    return _own_or_caseload(user, SymptomCheck.objects.all())


def visible_alerts(user: Any) -> QuerySet[Alert]:
    """Alerts: for the PTs of the member's caseload (and staff); nobody else has them."""
    qs = Alert.objects.all()
    if not _is_authenticated(user) or user.role not in (Role.THERAPIST, Role.STAFF):
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    return qs.filter(member__in=visible_members(user).values("pk"))


def visible_suggestions(user: Any) -> QuerySet[ProgressionSuggestion]:
    """Progression suggestions: for the PTs of the member's caseload (and staff, read only);
    members and coordinators have none (404)."""
    qs = ProgressionSuggestion.objects.all()
    if not _is_authenticated(user) or user.role not in (Role.THERAPIST, Role.STAFF):
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    return qs.filter(member__in=visible_members(user).values("pk"))


# Templates are a PT's tool: members and coordinators have no use for them (404).
TEMPLATE_READERS = (Role.THERAPIST, Role.STAFF)


def visible_templates(user: Any) -> QuerySet[PlanTemplate]:
    """Plan templates: the global ones plus the PT's organization's own; all for staff."""
    qs = PlanTemplate.objects.all()
    if not _is_authenticated(user) or user.role not in TEMPLATE_READERS:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    return qs.filter(Q(organization__isnull=True) | Q(organization_id=user.organization_id))


def usable_template(user: Any, template_id: int) -> PlanTemplate | None:
    """The active template `template_id` among `visible_templates(user)` (a plan may be made
    from it), with its id and name loaded, or None. The query is visible_templates' own,
    compiled once per role (exercise_tracker/compiled.py) and run with the user's ids."""
    from .compiled import SENTINELS, compiled

    role = getattr(user, "role", None)
    if (
        not _is_authenticated(user)
        or role not in TEMPLATE_READERS
        or (role != Role.STAFF and user.organization_id is None)
    ):
        return visible_templates(user).filter(pk=template_id, is_active=True).first()

    def build() -> QuerySet[Any]:
        sentinel = User(pk=SENTINELS[0], organization_id=SENTINELS[1], role=str(role))
        return (
            visible_templates(sentinel)
            .filter(pk=SENTINELS[2], is_active=True)
            .order_by()
            .values_list("pk", "name")[:1]
        )

    rows = compiled(("usable_template", role), build).rows(
        [user.pk, user.organization_id, template_id]
    )
    if not rows:
        return None
    return PlanTemplate.from_db(DEFAULT_DB_ALIAS, ["id", "name"], list(rows[0]))


# A plan holds goals and notes in free text: coordinators see adherence figures, never plans.
PLAN_READERS = (Role.MEMBER, Role.THERAPIST, Role.STAFF)


def visible_plans(user: Any) -> QuerySet[Plan]:
    """Plans: a member's own, a PT's caseload's, all for staff; none for coordinators."""
    qs = Plan.objects.all()
    if not _is_authenticated(user) or user.role not in PLAN_READERS:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    if user.role == Role.MEMBER:
        # A draft is the PT's work in progress: the member sees it once it is published.
        return qs.filter(member__user_id=user.pk).exclude(status="draft")
    return qs.filter(
        organization_id=user.organization_id, member__in=visible_members(user).values("pk")
    )


def visible_plan_row(
    user: Any, plan_id: int, *, audit_request: Any = None
) -> tuple[Any, ...] | None:
    """(member id, organization id, revision count) of plan `plan_id` when `user` may read it
    (`visible_plans`), else None. Every plan read asks this first: the query is
    `visible_plans`' own, compiled once per role (and day, for a PT's caseload) and run with
    the user's and the plan's ids (exercise_tracker/compiled.py). With `audit_request` (the
    request of `user` reading the plan), the read is audited too when the plan is found
    (`audit.record_read_by_staff`), in the same statement where the database allows it."""
    from . import audit
    from .compiled import SENTINELS, compiled

    role = getattr(user, "role", None)
    usual = (
        _is_authenticated(user)
        and user.is_active
        and role in PLAN_READERS
        and (role != Role.THERAPIST or user.organization_id is not None)
    )
    if not usual:
        found = (
            visible_plans(user)
            .filter(pk=plan_id)
            .values_list("member_id", "organization_id", "revision")
            .order_by()
            .first()
        )
        if found is not None and audit_request is not None:
            plan = Plan(pk=plan_id, member_id=found[0], organization_id=found[1])
            audit.record_read_by_staff(request=audit_request, member_id=found[0], obj=plan)
        return found
    day = timezone.now().date() if role == Role.THERAPIST else None

    def build() -> QuerySet[Any]:
        sentinel = User(
            pk=SENTINELS[0], organization_id=SENTINELS[1], role=str(role), is_active=True
        )
        return (
            visible_plans(sentinel)
            .filter(pk=SENTINELS[2])
            .values_list("member_id", "organization_id", "revision")
            .order_by()[:1]
        )

    query = compiled(("visible_plan_row", role, day), build)
    values = [user.pk, user.organization_id, plan_id]
    rows = None
    if audit_request is not None:
        rows = audit.select_read_by_staff(
            request=audit_request, sql=query.sql, params=query.params_for(values),
            object_type=Plan._meta.label_lower, object_id=str(plan_id),
        )  # fmt: skip
        if rows is None:  # not in one statement here: read, then audit
            rows = query.rows(values)
            if rows:
                plan = Plan(pk=plan_id, member_id=rows[0][0], organization_id=rows[0][1])
                audit.record_read_by_staff(request=audit_request, member_id=rows[0][0], obj=plan)
    else:
        rows = query.rows(values)
    return tuple(rows[0]) if rows else None


def visible_reminders(user: Any) -> QuerySet[ReminderSchedule]:
    """Reminder schedules: a member's own, nobody else's (staff manage them in the admin)."""
    qs = ReminderSchedule.objects.select_related("member__user")
    if not _is_authenticated(user) or user.role != Role.MEMBER:
        return qs.none()
    return qs.filter(member__user_id=user.pk)


def visible_notifications(user: Any) -> QuerySet[Notification]:
    """The in-app inbox: every user reads their own notifications only."""
    qs = Notification.objects.all()
    if not _is_authenticated(user):
        return qs.none()
    return qs.filter(user_id=user.pk)


# Adherence figures are for the people who follow members up: coordinators (their organization,
# without pain or notes), PTs (their caseload) and staff. A member reads their own figures only
# (members/{id}/adherence/), never the dashboard.
DASHBOARD_READERS = (Role.COORDINATOR, Role.THERAPIST, Role.STAFF)


def dashboard_members(user: Any) -> QuerySet[Member]:
    """The members a user's adherence dashboard rolls up; none for members."""
    if not _is_authenticated(user) or user.role not in DASHBOARD_READERS:
        return Member.objects.none()
    return visible_members(user)


def nameable_templates(user: Any) -> QuerySet[PlanTemplate]:
    """Templates a user may filter a dashboard by: the global ones and their organization's."""
    qs = PlanTemplate.objects.all()
    if not _is_authenticated(user) or user.role not in DASHBOARD_READERS:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    return qs.filter(Q(organization__isnull=True) | Q(organization_id=user.organization_id))


# Invitations: a PT manages those of their caseload's members; a coordinator every invitation of
# their organization (members and staff); staff read all. Members have none.
INVITATION_READERS = (Role.THERAPIST, Role.COORDINATOR, Role.STAFF)


def visible_invitations(user: Any) -> QuerySet[Invitation]:
    qs = Invitation.objects.select_related("member__user", "organization")
    if not _is_authenticated(user) or user.role not in INVITATION_READERS:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    in_org = qs.filter(organization_id=user.organization_id)
    if user.role == Role.COORDINATOR:
        return in_org
    return in_org.filter(kind=InvitationKind.MEMBER, member__in=visible_members(user).values("pk"))


# The care team and the staff list are the coordinator's to manage (staff see all of them).
TEAM_MANAGERS = (Role.COORDINATOR, Role.STAFF)


def visible_care_assignments(user: Any) -> QuerySet[CareAssignment]:
    """Care assignments, past and present: a coordinator's organization's; all for staff."""
    qs = CareAssignment.objects.select_related("member__user", "therapist__user")
    if not _is_authenticated(user) or not user.is_active or user.role not in TEAM_MANAGERS:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    return qs.filter(member__user__organization_id=user.organization_id)


def visible_staff(user: Any) -> QuerySet[User]:
    """PT and coordinator accounts (deactivated ones too) a coordinator manages: their
    organization's; all for staff."""
    qs = User.objects.filter(role__in=(Role.THERAPIST, Role.COORDINATOR)).select_related(
        "organization"
    )
    if not _is_authenticated(user) or not user.is_active or user.role not in TEAM_MANAGERS:
        return qs.none()
    if user.role == Role.STAFF:
        return qs
    return qs.filter(organization_id=user.organization_id)


def team_members(user: Any) -> QuerySet[Member]:
    """Members a coordinator may assign to PTs: their organization's (all for staff)."""
    if not _is_authenticated(user) or user.role not in TEAM_MANAGERS:
        return Member.objects.none()
    return visible_members(user)


def may_write_as_member(user: Any) -> bool:
    """False for a discharged member: their history and handout stay readable, nothing more.
    The member profile is loaded with the user, so this costs no query."""
    if not _is_authenticated(user) or getattr(user, "role", None) != Role.MEMBER:
        return True
    member = getattr(user, "member_profile", None)
    return member is None or member.discharged_on is None


def visible_member_imports(user: Any) -> QuerySet[MemberImport]:
    """CSV imports: a coordinator's organization's."""
    qs = MemberImport.objects.all()
    if not _is_authenticated(user) or user.role != Role.COORDINATOR:
        return qs.none()
    return qs.filter(organization_id=user.organization_id)


# Messages are between a member and their PTs now: coordinators see counts (messaging's
# selectors), staff read them through the audited admin; through the API, nobody else.
MESSAGE_READERS = (Role.MEMBER, Role.THERAPIST)


def visible_threads(user: Any) -> QuerySet[Any]:
    """Message threads: a member's own; a PT's caseload's (a transferred member's thread goes
    with them to the new PT, history included); nobody else's."""
    from messaging.models import Thread

    qs = Thread.objects.select_related("member__user", "member__user__organization")
    if not _is_authenticated(user) or not user.is_active or user.role not in MESSAGE_READERS:
        return qs.none()
    if user.role == Role.MEMBER:
        return qs.filter(member__user_id=user.pk)
    return qs.filter(member__in=visible_members(user).values("pk"))


def visible_messages(user: Any) -> QuerySet[Any]:
    """Messages of the threads a user may read."""
    from messaging.models import Message

    qs = Message.objects.select_related("thread")
    if not _is_authenticated(user) or not user.is_active or user.role not in MESSAGE_READERS:
        return qs.none()
    if user.role == Role.MEMBER:
        return qs.filter(thread__member__user_id=user.pk)
    return qs.filter(thread__member__in=visible_members(user).values("pk"))


# Lessons are one shared library (no organization): PTs assign them, members read theirs.
LESSON_READERS = (Role.MEMBER, Role.THERAPIST, Role.STAFF)


def visible_lessons(user: Any) -> QuerySet[Lesson]:
    """Lessons: a member's assigned ones (on their published plans, as visible_plans has them,
    so a lesson of another member's plan is 404); the shared library for PTs and staff."""
    qs = Lesson.objects.all()
    if not _is_authenticated(user) or user.role not in LESSON_READERS:
        return qs.none()
    if user.role == Role.MEMBER:
        assigned = PlanLesson.objects.filter(plan__in=visible_plans(user).values("pk"))
        return qs.filter(pk__in=assigned.values("lesson_id"))
    if user.role == Role.STAFF:
        return qs
    return qs.filter(is_active=True)


def assignable_lessons(user: Any) -> QuerySet[Lesson]:
    """Lessons a PT may put on a plan: the active shared ones."""
    if not _is_authenticated(user) or user.role != Role.THERAPIST:
        return Lesson.objects.none()
    return Lesson.objects.filter(is_active=True)


def visible_lesson_reads(user: Any) -> QuerySet[LessonRead]:
    """Reads of lessons by the members this user may see (not clinical: coordinators too)."""
    return LessonRead.objects.filter(member__in=visible_members(user).values("pk"))
