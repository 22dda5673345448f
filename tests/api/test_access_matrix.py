"""Every route x every role, including another organization: 200 in scope, 404 out, 401 anonymous.

Later issues add rows to ROUTES. Each row names, per actor, the status expected; reads of a
member's data by someone other than that member, and every write of it (by anyone), must leave
exactly one audit row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from exercise_tracker.models import AuditEvent
from members.services.outcomes import record_assessment
from programs.models import Exercise, PlanTemplate
from programs.services.plans import create_plan
from tests.conftest import World, bearer_client
from tests.instrument_wording import load_fake_wording

ACTORS = (
    "anonymous",
    "member",
    "other_member",
    "pt",
    "pt_other",
    "coordinator",
    "foreign_member",
    "foreign_pt",
    "foreign_coordinator",
    "staff",
)


def actor_user(world: World, actor: str):
    return {
        "anonymous": None,
        "member": world.member.user,
        "other_member": world.other_member.user,
        "pt": world.pt.user,
        "pt_other": world.pt_other.user,
        "coordinator": world.coordinator,
        "foreign_member": world.foreign_member.user,
        "foreign_pt": world.foreign_pt.user,
        "foreign_coordinator": world.foreign_coordinator,
        "staff": world.staff,
    }[actor]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: Callable[[World], str]
    expect: dict[str, int]
    body: Callable[[World], dict] | None = None
    audited: frozenset[str] = field(default_factory=frozenset)


ALL_AUTHENTICATED_OK = {actor: 200 for actor in ACTORS if actor != "anonymous"} | {"anonymous": 401}
MEMBER_RECORD = {
    "anonymous": 401,
    "member": 200,
    "other_member": 404,
    "pt": 200,
    "pt_other": 404,
    "coordinator": 200,
    "foreign_member": 404,
    "foreign_pt": 404,
    "foreign_coordinator": 404,
    "staff": 200,
}


def _member_assessment_path(w: World) -> str:
    assessment, _ = record_assessment(member=w.member, instrument="nprs", answers=[5])
    return f"/api/v1/assessments/{assessment.pk}/"


def _worded_odi_answers() -> dict:
    # The ODI is taken once the clinic has loaded its licensed wording (made-up wording here).
    load_fake_wording("odi")
    return {"instrument": "odi", "answers": [2, 2, 2, 2, 2, 1, 1, 1, 1, 2]}


OUTCOME_LIST = {
    "anonymous": 401,
    "member": 200,
    "other_member": 200,
    "pt": 200,
    "pt_other": 200,
    "coordinator": 404,
    "foreign_member": 200,
    "foreign_pt": 200,
    "foreign_coordinator": 404,
    "staff": 200,
}
OUTCOME_STAFF_READS = frozenset({"pt", "pt_other", "foreign_pt", "staff"})
# A member's own writes (their reminders, quiet hours, questionnaires) are audited too.
MEMBERS_WRITING = frozenset({"member", "other_member", "foreign_member"})


def _exercise_images_path(w: World, *, own: bool) -> str:
    exercise, _ = Exercise.objects.get_or_create(
        slug="matrix-bridge",
        organization=w.org if own else None,
        defaults={"name": "Matrix bridge", "category": "strength", "position": "supine"},
    )
    return f"/api/v1/exercises/{exercise.pk}/images/"


ORG_EXERCISE_READ = ALL_AUTHENTICATED_OK | dict.fromkeys(
    ("foreign_member", "foreign_pt", "foreign_coordinator"), 404
)
# POST without a file: those allowed to upload get 400 (image required), those who see the
# exercise but may not add pictures 403, those who do not see it 404.
ORG_EXERCISE_UPLOAD = (
    ORG_EXERCISE_READ
    | dict.fromkeys(("member", "other_member", "coordinator"), 403)
    | {"pt": 400, "pt_other": 400, "staff": 400}
)
GLOBAL_EXERCISE_UPLOAD = dict.fromkeys(ACTORS, 403) | {"anonymous": 401, "staff": 400}


def _matrix_exercise() -> Exercise:
    exercise, _ = Exercise.objects.get_or_create(
        slug="matrix-plan-bridge",
        organization=None,
        defaults={"name": "Plan bridge", "category": "strength", "position": "supine"},
    )
    return exercise


def _plan_path(w: World, suffix: str = "") -> str:
    exercise = _matrix_exercise()
    plan = create_plan(
        user=w.pt.user,
        member_id=w.member.pk,
        title="Matrix plan",
        start_date=w.member.created_at.date(),
        status="active",
        items=[{"exercise": exercise.pk, "sets": 2, "reps": 10}],
    ).plan
    return f"/api/v1/plans/{plan.pk}/{suffix}"


def _org_template_path(w: World) -> str:
    template = PlanTemplate.objects.create(
        name="Matrix protocol", slug="matrix-protocol", condition="hip", organization=w.org
    )
    return f"/api/v1/templates/{template.pk}/"


# Plans: members read their own; PTs their caseload's; coordinators never see plan contents.
PLAN_RECORD = MEMBER_RECORD | {"coordinator": 404}
PLAN_LIST = OUTCOME_LIST
PLAN_WRITE = dict.fromkeys(ACTORS, 404) | {
    "anonymous": 401,
    "member": 403,
    "other_member": 403,
    "foreign_member": 403,
    "staff": 403,
}
TEMPLATE_READ = dict.fromkeys(ACTORS, 404) | {
    "anonymous": 401,
    "pt": 200,
    "pt_other": 200,
    "foreign_pt": 200,
    "staff": 200,
}


# --- the exercise library -----------------------------------------------------------------------


def _library_exercise_path(w: World, owner: str) -> str:
    organization = {"global": None, "own": w.org, "foreign": w.other_org}[owner]
    exercise, _ = Exercise.objects.get_or_create(
        slug=f"matrix-library-{owner}",
        organization=organization,
        defaults={
            "name": f"Matrix library {owner}",
            "category": "strength",
            "position": "supine",
            "instructions": ["Lie on your back.", "Lift the hips."],
            "default_reps": 10,
        },
    )
    return f"/api/v1/exercises/{exercise.pk}/"


def _new_library_exercise(w: World) -> dict:
    return {
        "name": "Matrix towel scrunch",
        "category": "strength",
        "position": "seated",
        "regions": ["ankles"],
        "instructions": ["Scrunch the towel."],
        "dose": {"dosing": "reps", "sets": 2, "reps": 10},
    }


# Everyone sees the global library and their own organization's exercises; PTs write their
# organization's; a visible exercise that the user may not write answers 403 (why), an
# invisible one 404. Staff edit any exercise but add global ones through the fixture (403).
FOREIGN_EXERCISE_READ = dict.fromkeys(ACTORS, 404) | {
    "anonymous": 401,
    "foreign_member": 200,
    "foreign_pt": 200,
    "foreign_coordinator": 200,
    "staff": 200,
}
EXERCISE_CREATE = dict.fromkeys(ACTORS, 403) | {
    "anonymous": 401,
    "pt": 201,
    "pt_other": 201,
    "foreign_pt": 201,
}
OWN_EXERCISE_PATCH = ORG_EXERCISE_READ | dict.fromkeys(
    ("member", "other_member", "coordinator"), 403
)
GLOBAL_EXERCISE_PATCH = dict.fromkeys(ACTORS, 403) | {"anonymous": 401, "staff": 200}

ROUTES = [
    Route("me", "get", lambda w: "/api/v1/me/", ALL_AUTHENTICATED_OK),
    Route(
        "members-list",
        "get",
        lambda w: "/api/v1/members/",
        ALL_AUTHENTICATED_OK,
        audited=frozenset(
            {"pt", "pt_other", "coordinator", "foreign_pt", "foreign_coordinator", "staff"}
        ),
    ),
    Route(
        "member-detail",
        "get",
        lambda w: f"/api/v1/members/{w.member.pk}/",
        MEMBER_RECORD,
        audited=frozenset({"pt", "coordinator", "staff"}),
    ),
    Route(
        "assessments-list",
        "get",
        lambda w: "/api/v1/assessments/",
        OUTCOME_LIST,
        audited=OUTCOME_STAFF_READS,
    ),
    Route(
        "assessment-detail",
        "get",
        _member_assessment_path,
        MEMBER_RECORD | {"coordinator": 404},
        audited=frozenset({"pt", "staff"}),
    ),
    Route(
        "assessments-create",
        "post",
        lambda w: "/api/v1/assessments/",
        dict.fromkeys(ACTORS, 404)
        | {"anonymous": 401, "member": 201, "other_member": 201, "foreign_member": 201},
        body=lambda w: _worded_odi_answers(),
        audited=frozenset({"member", "other_member", "foreign_member"}),  # a write
    ),
    Route(
        "assessment-schedules-list",
        "get",
        lambda w: "/api/v1/assessment-schedules/",
        OUTCOME_LIST,
        audited=OUTCOME_STAFF_READS,
    ),
    Route(
        "assessment-schedules-create",
        "post",
        lambda w: "/api/v1/assessment-schedules/",
        dict.fromkeys(ACTORS, 404)
        | {"anonymous": 401, "pt": 201, "pt_other": 400, "foreign_pt": 400},
        body=lambda w: {"member": w.member.pk, "instrument": "odi", "every_n_days": 14},
        audited=frozenset({"pt"}),
    ),
    Route(
        "exercise-images-list",
        "get",
        lambda w: _exercise_images_path(w, own=True),
        ORG_EXERCISE_READ,
    ),
    Route(
        "exercise-images-list-global",
        "get",
        lambda w: _exercise_images_path(w, own=False),
        ALL_AUTHENTICATED_OK,
    ),
    Route(
        "exercise-images-upload",
        "post",
        lambda w: _exercise_images_path(w, own=True),
        ORG_EXERCISE_UPLOAD,
        body=lambda w: {"alt_text": "A bridge"},
    ),
    Route(
        "exercise-images-upload-global",
        "post",
        lambda w: _exercise_images_path(w, own=False),
        GLOBAL_EXERCISE_UPLOAD,
        body=lambda w: {"alt_text": "A bridge"},
    ),
    Route(
        "templates-list",
        "get",
        lambda w: "/api/v1/templates/",
        TEMPLATE_READ,
    ),
    Route(
        "template-detail-org",
        "get",
        _org_template_path,
        TEMPLATE_READ | {"foreign_pt": 404},
    ),
    Route(
        "plans-list",
        "get",
        lambda w: "/api/v1/plans/",
        PLAN_LIST,
        audited=OUTCOME_STAFF_READS,
    ),
    Route(
        "plan-detail",
        "get",
        lambda w: _plan_path(w),
        PLAN_RECORD,
        audited=frozenset({"pt", "staff"}),
    ),
    Route(
        "plan-revisions",
        "get",
        lambda w: _plan_path(w, "revisions/"),
        PLAN_RECORD,
        audited=frozenset({"pt", "staff"}),
    ),
    Route(
        "plan-handout",
        "get",
        lambda w: _plan_path(w, "handout.pdf"),
        PLAN_RECORD,
        audited=frozenset({"pt", "staff"}),
    ),
    Route(
        "plans-preview",
        "post",
        lambda w: "/api/v1/plans/preview/",
        PLAN_WRITE | {"pt": 200, "pt_other": 400, "foreign_pt": 400},
        body=lambda w: {
            "member": w.member.pk,
            "items": [{"exercise": _matrix_exercise().pk, "reps": 10}],
        },
    ),
    Route(
        "plans-create",
        "post",
        lambda w: "/api/v1/plans/",
        PLAN_WRITE | {"pt": 201, "pt_other": 400, "foreign_pt": 400},
        body=lambda w: {
            "member": w.member.pk,
            "title": "Matrix plan",
            "start_date": "2025-03-03",
            "items": [{"exercise": _matrix_exercise().pk, "reps": 10}],
        },
        audited=frozenset({"pt"}),
    ),
    Route(
        "plan-patch",
        "patch",
        lambda w: _plan_path(w),
        PLAN_WRITE | {"pt": 200, "pt_other": 404, "other_member": 404, "foreign_member": 404},
        body=lambda w: {"reason": "Progressing", "title": "Renamed"},
        audited=frozenset({"pt"}),
    ),
    Route("exercises-list", "get", lambda w: "/api/v1/exercises/", ALL_AUTHENTICATED_OK),
    Route("instruments-list", "get", lambda w: "/api/v1/instruments/", ALL_AUTHENTICATED_OK),
    Route("instrument-detail", "get", lambda w: "/api/v1/instruments/odi/", ALL_AUTHENTICATED_OK),
    Route(
        "exercise-detail-global",
        "get",
        lambda w: _library_exercise_path(w, "global"),
        ALL_AUTHENTICATED_OK,
    ),
    Route(
        "exercise-detail-own-org",
        "get",
        lambda w: _library_exercise_path(w, "own"),
        ORG_EXERCISE_READ,
    ),
    Route(
        "exercise-detail-other-org",
        "get",
        lambda w: _library_exercise_path(w, "foreign"),
        FOREIGN_EXERCISE_READ,
    ),
    Route(
        "exercises-create",
        "post",
        lambda w: "/api/v1/exercises/",
        EXERCISE_CREATE,
        body=_new_library_exercise,
    ),
    Route(
        "exercise-patch-own-org",
        "patch",
        lambda w: _library_exercise_path(w, "own"),
        OWN_EXERCISE_PATCH,
        body=lambda w: {"summary": "Edited in the matrix."},
    ),
    Route(
        "exercise-patch-global",
        "patch",
        lambda w: _library_exercise_path(w, "global"),
        GLOBAL_EXERCISE_PATCH,
        body=lambda w: {"summary": "Edited in the matrix."},
    ),
]


# --- reminders and the inbox (a member's own reminders; everyone's own notifications) ---------


def _member_reminder_path(w: World, suffix: str = "") -> str:
    from datetime import time

    from members.services.reminders import create_reminder

    reminder = create_reminder(member=w.member, local_time=time(7, 15))
    return f"/api/v1/reminders/{reminder.pk}/{suffix}"


def _member_notification_path(w: World, suffix: str = "") -> str:
    from members.models import Notification

    note = Notification.objects.create(
        user=w.member.user, kind="reminder", title="Time for your exercises", body="Today."
    )
    return f"/api/v1/notifications/{note.pk}/{suffix}"


OWN_ONLY = dict.fromkeys(ACTORS, 404) | {"anonymous": 401, "member": 200}
EVERY_MEMBER_OWN = OWN_ONLY | {"other_member": 200, "foreign_member": 200}

ROUTES += [
    Route("reminders-list", "get", lambda w: "/api/v1/reminders/", EVERY_MEMBER_OWN),
    Route(
        "reminders-create",
        "post",
        lambda w: "/api/v1/reminders/",
        {k: 201 if v == 200 else v for k, v in EVERY_MEMBER_OWN.items()},
        body=lambda w: {"local_time": "08:15", "days_of_week": [0, 3]},
        audited=MEMBERS_WRITING,
    ),
    Route("reminder-detail", "get", _member_reminder_path, OWN_ONLY),
    Route(
        "reminder-patch",
        "patch",
        _member_reminder_path,
        OWN_ONLY,
        body=lambda w: {"enabled": False},
        audited=frozenset({"member"}),
    ),
    Route(
        "reminder-delete",
        "delete",
        _member_reminder_path,
        OWN_ONLY | {"member": 204},
        audited=frozenset({"member"}),
    ),
    Route(
        "reminder-preferences",
        "get",
        lambda w: "/api/v1/reminders/preferences/",
        EVERY_MEMBER_OWN,
    ),
    Route(
        "reminder-preferences-patch",
        "patch",
        lambda w: "/api/v1/reminders/preferences/",
        EVERY_MEMBER_OWN,
        body=lambda w: {"quiet_hours_start": "22:00", "quiet_hours_end": "06:00"},
        audited=MEMBERS_WRITING,
    ),
    Route("notifications-list", "get", lambda w: "/api/v1/notifications/", ALL_AUTHENTICATED_OK),
    Route(
        "notifications-unread-count",
        "get",
        lambda w: "/api/v1/notifications/unread-count/",
        ALL_AUTHENTICATED_OK,
    ),
    Route(
        "notifications-read-all",
        "post",
        lambda w: "/api/v1/notifications/read-all/",
        ALL_AUTHENTICATED_OK,
    ),
    Route("notification-detail", "get", _member_notification_path, OWN_ONLY),
    Route("notification-read", "post", lambda w: _member_notification_path(w, "read/"), OWN_ONLY),
    Route(
        "notification-dismiss",
        "post",
        lambda w: _member_notification_path(w, "dismiss/"),
        OWN_ONLY,
    ),
]


# --- adherence dashboard routes (issue 7) ------------------------------------------------------

# The dashboard: coordinators (their organization), PTs (their caseload) and staff; members
# never. Each read is audited (it rolls up members' records).
DASHBOARD = {
    "anonymous": 401,
    "member": 404,
    "other_member": 404,
    "pt": 200,
    "pt_other": 200,
    "coordinator": 200,
    "foreign_member": 404,
    "foreign_pt": 200,
    "foreign_coordinator": 200,
    "staff": 200,
}
DASHBOARD_READS = frozenset(
    {"pt", "pt_other", "coordinator", "foreign_pt", "foreign_coordinator", "staff"}
)
ROUTES += [
    Route(
        "dashboard-adherence",
        "get",
        lambda w: "/api/v1/dashboard/adherence/",
        DASHBOARD,
        audited=DASHBOARD_READS,
    ),
    Route(
        "dashboard-adherence-csv",
        "get",
        lambda w: "/api/v1/dashboard/adherence/?format=csv",
        DASHBOARD,
        audited=DASHBOARD_READS,
    ),
    Route(
        "member-adherence",
        "get",
        lambda w: f"/api/v1/members/{w.member.pk}/adherence/",
        MEMBER_RECORD,
        audited=frozenset({"pt", "coordinator", "staff"}),
    ),
]

# --- remote monitoring routes (issue 7) --------------------------------------------------------


def _member_today(w: World):
    from django.utils import timezone

    return timezone.localtime(timezone.now(), w.member.tz).date()


def _monitored_path(w: World, suffix: str) -> str:
    """The member's records under monitoring, started by their PT yesterday."""
    from datetime import timedelta

    from django.utils import timezone

    from members.services.rtm import start_monitoring

    start_monitoring(
        user=w.pt.user,
        member=w.member,
        start_date=_member_today(w) - timedelta(days=1),
        consent_at=timezone.now() - timedelta(days=2),
    )
    return f"/api/v1/members/{w.member.pk}/{suffix}"


def _rtm_report_path(w: World, query: str = "") -> str:
    _monitored_path(w, "")  # someone to report on
    return f"/api/v1/reports/rtm/{query}"


def _new_episode(w: World) -> dict:
    from django.utils import timezone

    return {"start_date": _member_today(w).isoformat(), "consent_at": timezone.now().isoformat()}


def _new_review(w: World) -> dict:
    return {"date": _member_today(w).isoformat(), "minutes": 15, "live_interaction": True}


# Episodes are read by whoever sees the member; only their PT writes episodes and minutes; the
# entries of review time are read by PTs (and staff). The report is for coordinators and PTs.
PT_WRITES = dict.fromkeys(ACTORS, 404) | {"anonymous": 401, "pt": 201}
REVIEW_READ = dict.fromkeys(ACTORS, 404) | {"anonymous": 401, "pt": 200, "staff": 200}
RTM_REPORT = dict.fromkeys(ACTORS, 404) | {
    "anonymous": 401,
    "pt": 200,
    "pt_other": 200,
    "coordinator": 200,
    "foreign_pt": 200,
    "foreign_coordinator": 200,
}
RTM_REPORT_READS = frozenset({"pt", "pt_other", "coordinator", "foreign_pt", "foreign_coordinator"})
ROUTES += [
    Route(
        "monitoring-list",
        "get",
        lambda w: _monitored_path(w, "monitoring/"),
        MEMBER_RECORD,
        audited=frozenset({"pt", "coordinator", "staff"}),
    ),
    Route(
        "monitoring-create",
        "post",
        lambda w: f"/api/v1/members/{w.member.pk}/monitoring/",
        PT_WRITES,
        body=_new_episode,
        audited=frozenset({"pt"}),
    ),
    Route(
        "review-time-list",
        "get",
        lambda w: _monitored_path(w, "review-time/"),
        REVIEW_READ,
        audited=frozenset({"pt", "staff"}),
    ),
    Route(
        "review-time-create",
        "post",
        lambda w: _monitored_path(w, "review-time/"),
        PT_WRITES,
        body=_new_review,
        audited=frozenset({"pt"}),
    ),
    Route(
        "rtm-report",
        "get",
        lambda w: _rtm_report_path(w),
        RTM_REPORT,
        audited=RTM_REPORT_READS,
    ),
    Route(
        "rtm-report-csv",
        "get",
        lambda w: _rtm_report_path(w, "?format=csv"),
        RTM_REPORT,
        audited=RTM_REPORT_READS,
    ),
]


# --- enrolment and invitations (issue 13) ------------------------------------------------------


def _member_invitation_path(w: World, suffix: str = "") -> str:
    """An invitation of the member (in the PT's caseload), made by their PT."""
    from members.services.invitations import issue_member_invitation

    w.member.user.email = "matrix.member@example.org"
    w.member.user.save(update_fields=["email"])
    issued = issue_member_invitation(by=w.pt.user, member=w.member)
    return f"/api/v1/invitations/{issued.invitation.pk}/{suffix}"


def _staff_invitation_path(w: World, suffix: str = "") -> str:
    """A coordinator's invitation of a PT (made directly: the service's own audit row would
    count against the route's)."""
    from datetime import timedelta

    from django.utils import timezone

    from members.models import Invitation
    from members.services.invitations import hash_token

    invitation = Invitation.objects.create(
        organization=w.org,
        kind="staff",
        role="therapist",
        email="matrix.pt@example.org",
        first_name="Matrix",
        last_name="Therapist",
        token_hash=hash_token("matrix-staff-token"),
        expires_at=timezone.now() + timedelta(days=7),
        created_by=w.coordinator,
    )
    return f"/api/v1/invitations/{invitation.pk}/{suffix}"


ENROLLERS = frozenset({"pt", "pt_other", "coordinator", "foreign_pt", "foreign_coordinator"})
# Members and staff see the members collection (members themselves), so enrolling is refused
# (403) rather than hidden.
MEMBER_ENROL = dict.fromkeys(ACTORS, 201) | {
    "anonymous": 401,
    "member": 403,
    "other_member": 403,
    "foreign_member": 403,
    "staff": 403,
}
# PATCH: whoever sees the member; the member themselves and staff may not change enrolment.
MEMBER_PATCH = MEMBER_RECORD | {"member": 403, "staff": 403}
INVITATION_LIST = dict.fromkeys(ACTORS, 200) | {
    "anonymous": 401,
    "member": 404,
    "other_member": 404,
    "foreign_member": 404,
}
MEMBER_INVITATION = dict.fromkeys(ACTORS, 404) | {
    "anonymous": 401,
    "pt": 200,
    "coordinator": 200,
    "staff": 200,
}
MEMBER_INVITATION_WRITE = MEMBER_INVITATION | {"staff": 403}
STAFF_INVITATION = MEMBER_INVITATION | {"pt": 404}
STAFF_INVITATION_WRITE = STAFF_INVITATION | {"staff": 403}
STAFF_INVITE = INVITATION_LIST | {
    "pt": 403,
    "pt_other": 403,
    "foreign_pt": 403,
    "staff": 403,
    "coordinator": 201,
    "foreign_coordinator": 201,
}
ROUTES += [
    Route(
        "members-create",
        "post",
        lambda w: "/api/v1/members/",
        MEMBER_ENROL,
        body=lambda w: {
            "first_name": "Matrix",
            "last_name": "Person",
            "email": "matrix@example.org",
            "conditions": ["hip"],
            "precautions": ["osteoporosis"],
            "timezone": "America/Chicago",
            "language": "en",
        },
        audited=ENROLLERS,
    ),
    Route(
        "member-patch",
        "patch",
        lambda w: f"/api/v1/members/{w.member.pk}/",
        MEMBER_PATCH,
        body=lambda w: {"first_name": "Renamed", "precautions": ["pregnancy"]},
        audited=frozenset({"pt", "coordinator"}),
    ),
    Route("invitations-list", "get", lambda w: "/api/v1/invitations/", INVITATION_LIST),
    Route("invitation-detail-member", "get", _member_invitation_path, MEMBER_INVITATION),
    Route("invitation-detail-staff", "get", _staff_invitation_path, STAFF_INVITATION),
    Route(
        "invitations-create",
        "post",
        lambda w: "/api/v1/invitations/",
        STAFF_INVITE,
        body=lambda w: {
            "role": "therapist",
            "email": "invited.pt@example.org",
            "first_name": "Invited",
            "last_name": "Therapist",
        },
        audited=frozenset({"coordinator", "foreign_coordinator"}),
    ),
    Route(
        "invitation-resend-member",
        "post",
        lambda w: _member_invitation_path(w, "resend/"),
        MEMBER_INVITATION_WRITE,
        audited=frozenset({"pt", "coordinator"}),
    ),
    Route(
        "invitation-revoke-member",
        "post",
        lambda w: _member_invitation_path(w, "revoke/"),
        MEMBER_INVITATION_WRITE,
        audited=frozenset({"pt", "coordinator"}),
    ),
    Route(
        "invitation-resend-staff",
        "post",
        lambda w: _staff_invitation_path(w, "resend/"),
        STAFF_INVITATION_WRITE,
        audited=frozenset({"coordinator"}),
    ),
    Route(
        "invitation-revoke-staff",
        "post",
        lambda w: _staff_invitation_path(w, "revoke/"),
        STAFF_INVITATION_WRITE,
        audited=frozenset({"coordinator"}),
    ),
    # Anyone may try a token (signed in or not: the header is not read); a wrong one is a 400.
    Route(
        "invitations-accept",
        "post",
        lambda w: "/api/v1/invitations/accept/",
        dict.fromkeys(ACTORS, 400),
        body=lambda w: {
            "token": "no-such-token-anywhere-in-this-database-000000",
            "password": "a long walk by the river",
            "consents": {"terms": True, "monitoring": True},
        },
    ),
]


# --- lessons: a shared library; members read the lessons of their own plans ---------------------
LESSON_LIBRARY = dict.fromkeys(ACTORS, 200) | {
    "anonymous": 401,
    "coordinator": 404,
    "foreign_coordinator": 404,
}
# A lesson on the member's plan: the member and every PT (the library) and staff see it; another
# member, in or out of the organization, does not.
LESSON_OF_MEMBER = LESSON_LIBRARY | {"other_member": 404, "foreign_member": 404}
LESSON_READ = dict.fromkeys(ACTORS, 404) | {"anonymous": 401, "member": 200}


def _member_lesson_path(w: World, suffix: str = "") -> str:
    from programs.models import Lesson, PlanLesson

    lesson, _ = Lesson.objects.get_or_create(
        slug="matrix-lesson",
        defaults={
            "title": "Matrix lesson",
            "summary": "A lesson.",
            "minutes": 2,
            "sections": [{"heading": "Hello", "paragraphs": ["Words."]}],
        },
    )
    plan_path = _plan_path(w)
    plan_id = int(plan_path.rstrip("/").rsplit("/", 1)[1])
    PlanLesson.objects.get_or_create(plan_id=plan_id, lesson=lesson)
    return f"/api/v1/lessons/{lesson.pk}/{suffix}"


ROUTES += [
    Route("lessons-list", "get", lambda w: "/api/v1/lessons/", LESSON_LIBRARY),
    Route("lesson-detail", "get", _member_lesson_path, LESSON_OF_MEMBER),
    Route(
        "lesson-read",
        "post",
        lambda w: _member_lesson_path(w, "read/"),
        LESSON_READ,
        audited=frozenset({"member"}),
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_route_answers_each_role(world: World, route: Route, actor: str) -> None:
    client = bearer_client(actor_user(world, actor))
    # The path and body may write rows through services (audited): before the count.
    path = route.path(world)
    kwargs = {"format": "json", "data": route.body(world)} if route.body else {}
    before = AuditEvent.objects.count()
    response = getattr(client, route.method)(path, **kwargs)
    expected = route.expect[actor]
    assert response.status_code == expected, (route.name, actor, response.content[:300])
    if expected >= 400:
        assert set(response.json()) == {"detail", "errors"}
    audit_rows = AuditEvent.objects.count() - before
    assert audit_rows == (1 if actor in route.audited else 0), (route.name, actor)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        ("member", {"member"}),
        ("pt", {"member"}),
        ("pt_other", {"other_member"}),
        ("coordinator", {"member", "other_member"}),
        ("foreign_coordinator", {"foreign_member"}),
        ("foreign_pt", {"foreign_member"}),
        ("staff", {"member", "other_member", "foreign_member"}),
    ],
)
def test_member_list_is_scoped(world: World, actor: str, visible: set[str]) -> None:
    client = bearer_client(actor_user(world, actor))
    body = client.get("/api/v1/members/").json()
    ids = {row["id"] for row in body["results"]}
    expected = {getattr(world, name).pk for name in visible}
    assert ids == expected
    assert body["count"] == len(expected)


# --- own account, passwords, care team, staff, discharge (issue 13) -----------------------------


def _discharged_member_path(w: World) -> str:
    from members.services.discharge import discharge_member

    discharge_member(by=w.pt.user, member=w.member, reason="goals_met")
    return f"/api/v1/members/{w.member.pk}/enrol-again/"


AUTHENTICATED = frozenset(a for a in ACTORS if a != "anonymous")
EVERYONE = dict.fromkeys(ACTORS, 202)
# The care team and the staff list are the coordinator's (and staff's); to others they do not
# exist. Another organization's coordinator sees an empty list, and 404 for our rows.
TEAM_LIST = dict.fromkeys(ACTORS, 404) | {
    "anonymous": 401,
    "coordinator": 200,
    "foreign_coordinator": 200,
    "staff": 200,
}
TEAM_ROW = TEAM_LIST | {"foreign_coordinator": 404}
TEAM_WRITERS = frozenset({"coordinator", "staff"})


def _assignment_path(w: World) -> str:
    from members.models import CareAssignment

    assignment = CareAssignment.objects.get(member=w.member, therapist=w.pt)
    return f"/api/v1/care-assignments/{assignment.pk}/"


ROUTES += [
    Route(
        "me-patch",
        "patch",
        lambda w: "/api/v1/me/",
        ALL_AUTHENTICATED_OK,
        body=lambda w: {"first_name": "Robin", "language": "en"},
        audited=AUTHENTICATED,
    ),
    Route(
        "password-change",
        "post",
        lambda w: "/api/v1/auth/password/change/",
        ALL_AUTHENTICATED_OK,
        body=lambda w: {
            "old_password": "correct-horse-battery",
            "new_password": "matrix-new-passphrase-93",
        },
        audited=AUTHENTICATED,
    ),
    Route(
        "password-reset",
        "post",
        lambda w: "/api/v1/auth/password/reset/",
        EVERYONE,
        # A new address each time: resets are counted per address across tests.
        body=lambda w: {"email": f"nobody-{uuid.uuid4().hex}@example.org"},
    ),
    Route(
        "password-reset-confirm",
        "post",
        lambda w: "/api/v1/auth/password/reset/confirm/",
        dict.fromkeys(ACTORS, 400),
        body=lambda w: {
            "token": f"MQ.{uuid.uuid4().hex}",
            "new_password": "matrix-new-passphrase-93",
        },
    ),
    Route("care-assignments-list", "get", lambda w: "/api/v1/care-assignments/", TEAM_LIST),
    Route("care-assignment-detail", "get", _assignment_path, TEAM_ROW),
    Route(
        "care-assignments-create",
        "post",
        lambda w: "/api/v1/care-assignments/",
        TEAM_LIST | {"coordinator": 201, "staff": 201, "foreign_coordinator": 400},
        body=lambda w: {"member": w.member.pk, "therapist": w.pt_other.pk, "is_primary": False},
        audited=TEAM_WRITERS,
    ),
    Route(
        "care-assignment-end",
        "patch",
        _assignment_path,
        TEAM_ROW,
        body=lambda w: {"end": True},
        audited=TEAM_WRITERS,
    ),
    Route("staff-list", "get", lambda w: "/api/v1/staff/", TEAM_LIST),
    Route("staff-detail", "get", lambda w: f"/api/v1/staff/{w.pt_other.user.pk}/", TEAM_ROW),
    Route(
        "staff-deactivate",
        "patch",
        lambda w: f"/api/v1/staff/{w.pt_other.user.pk}/",
        TEAM_ROW,
        body=lambda w: {"is_active": False},
        audited=TEAM_WRITERS,
    ),
    Route(
        "member-discharge",
        "post",
        lambda w: f"/api/v1/members/{w.member.pk}/discharge/",
        dict.fromkeys(ACTORS, 404) | {"anonymous": 401, "pt": 200},
        body=lambda w: {"reason": "goals_met"},
        audited=frozenset({"pt"}),
    ),
    Route(
        "member-enrol-again",
        "post",
        _discharged_member_path,
        # The discharged member may write nothing new (403, saying why), as on every write.
        dict.fromkeys(ACTORS, 404) | {"anonymous": 401, "member": 403, "pt": 201},
        audited=frozenset({"pt"}),
    ),
]


# --- messaging: the member and their PTs read the content; nobody else (404) ------------------


def _thread_path(w: World, suffix: str = "") -> str:
    from messaging.services.messages import thread_for_member

    return f"/api/v1/threads/{thread_for_member(member=w.member).pk}/{suffix}"


def _message_path(w: World, suffix: str, *, image: bool = False) -> str:
    from messaging.services.messages import send_message, thread_for_member
    from tests.messaging.helpers import jpeg_with_exif

    sent = send_message(
        thread=thread_for_member(member=w.member),
        by=w.member.user,
        client_id=uuid.uuid4(),
        text="How long should I rest between walks?",
        image=jpeg_with_exif() if image else None,
    )
    return f"/api/v1/messages/{sent.message.pk}/{suffix}"


def _log_time_path(w: World) -> str:
    from django.utils import timezone

    from members.models import MonitoringEpisode

    MonitoringEpisode.objects.create(
        member=w.member,
        start_date=timezone.now().date().replace(day=1),
        consent_at=timezone.now(),
        consent_recorded_by=w.pt.user,
    )
    return _thread_path(w, "log-time/")


THREAD_CONTENT = dict.fromkeys(ACTORS, 404) | {"anonymous": 401, "member": 200, "pt": 200}
THREAD_LIST = dict.fromkeys(ACTORS, 200) | {
    "anonymous": 401,
    "coordinator": 404,
    "foreign_coordinator": 404,
    "staff": 404,
}
PT_TOOLS = dict.fromkeys(ACTORS, 404) | {
    "anonymous": 401,
    "pt": 200,
    "pt_other": 200,
    "foreign_pt": 200,
}
ALL_PTS = frozenset({"pt", "pt_other", "foreign_pt"})

ROUTES += [
    Route("threads-list", "get", lambda w: "/api/v1/threads/", THREAD_LIST, audited=ALL_PTS),
    Route(
        "threads-open",
        "post",
        lambda w: "/api/v1/threads/",
        THREAD_LIST
        | {"member": 201, "other_member": 201, "foreign_member": 201, "pt": 201}
        | {"pt_other": 400, "foreign_pt": 400},
        body=lambda w: {"member": w.member.pk},
        audited=frozenset({"pt"}),
    ),
    Route("thread-detail", "get", _thread_path, THREAD_CONTENT, audited=frozenset({"pt"})),
    Route(
        "thread-messages",
        "get",
        lambda w: _thread_path(w, "messages/"),
        THREAD_CONTENT,
        audited=frozenset({"pt"}),
    ),
    Route(
        "thread-messages-send",
        "post",
        lambda w: _thread_path(w, "messages/"),
        THREAD_CONTENT | {"member": 201, "pt": 201},
        body=lambda w: {"client_id": str(uuid.uuid4()), "text": "Thank you, that helps."},
        audited=frozenset({"member", "pt"}),
    ),
    Route(
        "thread-read", "post", lambda w: _thread_path(w, "read/"), THREAD_CONTENT, body=lambda w: {}
    ),
    Route(
        "thread-log-time",
        "post",
        _log_time_path,
        THREAD_CONTENT | {"member": 404, "pt": 201},
        body=lambda w: {"minutes": 6, "note": "Answered about walking"},
        audited=frozenset({"pt"}),
    ),
    Route(
        "message-withdraw",
        "post",
        lambda w: _message_path(w, "withdraw/"),
        THREAD_CONTENT | {"pt": 403},
        audited=frozenset({"member"}),
    ),
    Route(
        "message-image",
        "get",
        lambda w: _message_path(w, "image/", image=True),
        THREAD_CONTENT,
        audited=frozenset({"pt"}),
    ),
    Route("reply-templates-list", "get", lambda w: "/api/v1/reply-templates/", PT_TOOLS),
    Route(
        "reply-templates-create",
        "post",
        lambda w: "/api/v1/reply-templates/",
        PT_TOOLS | dict.fromkeys(ALL_PTS, 201),
        body=lambda w: {"title": "Rest", "text": "Rest until it settles, then go on."},
    ),
    Route(
        "working-hours",
        "get",
        lambda w: "/api/v1/working-hours/",
        ALL_AUTHENTICATED_OK | {"staff": 404},
    ),
    Route(
        "working-hours-set",
        "patch",
        lambda w: "/api/v1/working-hours/",
        dict.fromkeys(ACTORS, 403)
        | {"anonymous": 401, "staff": 404, "coordinator": 200, "foreign_coordinator": 200},
        body=lambda w: {"hours": {"monday": [["08:00", "16:00"]]}},
    ),
]


# --- walks and leg symptom check-ins ------------------------------------------------------------
def _member_walk_path(w: World) -> str:
    from members.services.walks import log_walk
    from tests.members.sessions_helpers import local_today

    logged = log_walk(member=w.member, local_date=local_today(w.member), total_minutes=15, rests=1)
    return f"/api/v1/walks/{logged.row.pk}/"


def _today(w: World, member_attr: str = "member") -> str:
    from tests.members.sessions_helpers import local_today

    return local_today(getattr(w, member_attr)).isoformat()


MEMBER_WRITES_OWN = dict.fromkeys(ACTORS, 404) | {
    "anonymous": 401,
    "member": 201,
    "other_member": 201,
    "foreign_member": 201,
}

ROUTES += [
    Route(
        "walks-list", "get", lambda w: "/api/v1/walks/", OUTCOME_LIST, audited=OUTCOME_STAFF_READS
    ),
    Route(
        "walk-detail",
        "get",
        _member_walk_path,
        MEMBER_RECORD | {"coordinator": 404},
        audited=frozenset({"pt", "staff"}),
    ),
    Route(
        "walks-create",
        "post",
        lambda w: "/api/v1/walks/",
        MEMBER_WRITES_OWN,
        # Today in every member's zone: the factories' zones differ.
        body=lambda w: {
            "date": _today(w),
            "minutes_to_symptoms": None,
            "total_minutes": 15,
            "rests": 0,
        },
        audited=MEMBERS_WRITING,
    ),
    Route(
        "symptom-checks-list",
        "get",
        lambda w: "/api/v1/symptom-checks/",
        OUTCOME_LIST,
        audited=OUTCOME_STAFF_READS,
    ),
    Route(
        "symptom-checks-create",
        "post",
        lambda w: "/api/v1/symptom-checks/",
        MEMBER_WRITES_OWN,
        body=lambda w: {
            "date": _today(w),
            "numbness": "none",
            "tingling": "left",
            "tingling_change": "same",
            "weakness": "none",
        },
        audited=MEMBERS_WRITING,
    ),
]


# --- progression suggestions --------------------------------------------------------------------


def _suggestion_path(w: World, suffix: str = "") -> str:
    from programs.models import ProgressionSuggestion
    from programs.services.suggestions import evaluate_member
    from tests.programs.suggestion_helpers import bridge_plan, days_back, log_on

    _, bridge, walk, _, _ = bridge_plan(pt=w.pt, member=w.member)
    for day in days_back(w.member, 5, 3, 1):
        log_on(w.member, day, [(bridge, {"feedback": "too_easy"}), (walk, {})])
    evaluate_member(member_id=w.member.pk)
    suggestion = ProgressionSuggestion.objects.get(member=w.member, rule="too_easy")
    return f"/api/v1/suggestions/{suggestion.pk}/{suffix}"


# A PT's tool: members and coordinators have none (404); another PT or organization lists an
# empty page and gets 404 for our rows; staff read (audited) and never decide (403).
SUGGESTION_LIST = dict.fromkeys(ACTORS, 404) | {
    "anonymous": 401,
    "pt": 200,
    "pt_other": 200,
    "foreign_pt": 200,
    "staff": 200,
}
SUGGESTION_READ = SUGGESTION_LIST | {"pt_other": 404, "foreign_pt": 404}
SUGGESTION_DECIDE = SUGGESTION_READ | {"staff": 403}

ROUTES += [
    Route(
        "suggestions-list",
        "get",
        lambda w: "/api/v1/suggestions/",
        SUGGESTION_LIST,
        audited=frozenset({"pt", "pt_other", "foreign_pt", "staff"}),
    ),
    Route(
        "suggestion-read",
        "get",
        lambda w: _suggestion_path(w),
        SUGGESTION_READ,
        audited=frozenset({"pt", "staff"}),
    ),
    Route(
        "suggestion-accept",
        "post",
        lambda w: _suggestion_path(w, "accept/"),
        SUGGESTION_DECIDE,
        audited=frozenset({"pt"}),
    ),
    Route(
        "suggestion-dismiss",
        "post",
        lambda w: _suggestion_path(w, "dismiss/"),
        SUGGESTION_DECIDE,
        body=lambda w: {"reason": "Seen in clinic: not yet"},
        audited=frozenset({"pt"}),
    ),
]
