"""The coordinator's people page (/people/): the staff list (deactivate, reactivate) and the
care team (assign, transfer, add a second PT, end), and the CSV import page (/people/import/).
Plain forms calling the same services as the API; keyboard-usable, no script."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from exercise_tracker import access
from exercise_tracker.views import role_required
from members.models import CareAssignment, ImportStatus, Role, User
from members.services import care_team
from members.services.imports import (
    COLUMNS,
    MAX_BYTES,
    check_only,
    import_progress,
    queue_import,
)

MANAGERS = (Role.COORDINATOR,)
PAGE_SIZE = 50


def _first_error(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else "That did not work."


def _back(request: HttpRequest) -> HttpResponse:
    page = request.POST.get("page", "")
    query = f"?page={page}" if page.isdigit() else ""
    return redirect(reverse("people") + query + "#care-team")


@role_required(*MANAGERS)
def people(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    today = care_team._today()
    in_force = Q(therapist_profile__care_assignments__start_date__lte=today) & (
        Q(therapist_profile__care_assignments__end_date__isnull=True)
        | Q(therapist_profile__care_assignments__end_date__gt=today)
    )
    staff = (
        access.visible_staff(user)
        .annotate(caseload=Count("therapist_profile__care_assignments", filter=in_force))
        .order_by("-is_active", "role", "last_name", "first_name", "pk")
    )
    therapists = list(
        access.visible_therapists(user).filter(user__is_active=True).order_by("user__last_name")
    )
    members = access.team_members(user).order_by("user__last_name", "user__first_name", "pk")
    paginator = Paginator(members, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    open_by_member: dict[int, list[CareAssignment]] = defaultdict(list)
    for assignment in (
        access.visible_care_assignments(user)
        .filter(access.open_assignments(), member__in=[m.pk for m in page])
        .order_by("-is_primary", "start_date", "pk")
    ):
        open_by_member[assignment.member_id].append(assignment)
    rows = []
    for member in page:
        assignments = open_by_member.get(member.pk, [])
        active_pts = [a for a in assignments if a.therapist.user.is_active]
        rows.append(
            {
                "member": member,
                "assignments": assignments,
                "unassigned": not active_pts,
            }
        )
    return render(
        request,
        "members/people.html",
        {"staff": staff, "therapists": therapists, "rows": rows, "page": page},
    )


@require_POST
@role_required(*MANAGERS)
def staff_active(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(access.visible_staff(request.user), pk=pk)
    active = request.POST.get("is_active") == "true"
    try:
        care_team.set_staff_active(
            by=cast(User, request.user), account=account, is_active=active, request=request
        )
    except care_team.CareTeamConflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    else:
        state = "reactivated" if active else "deactivated: their members show as without a PT"
        messages.success(request, f"{account.display_name} is {state}.")
    return redirect(reverse("people") + "#staff")


def _therapist_from(request: HttpRequest) -> Any:
    raw = request.POST.get("therapist", "")
    if not raw.isdigit():
        return None
    return access.visible_therapists(request.user).filter(pk=int(raw)).first()


@require_POST
@role_required(*MANAGERS)
def assign(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(access.team_members(request.user), pk=member_id)
    therapist = _therapist_from(request)
    if therapist is None:
        messages.error(request, "Choose a PT.")
        return _back(request)
    primary = request.POST.get("role", "primary") == "primary"
    try:
        care_team.assign(
            by=cast(User, request.user),
            member=member,
            therapist=therapist,
            is_primary=primary,
            request=request,
        )
    except care_team.CareTeamConflict as exc:
        messages.error(request, exc.message)
    except (ValidationError, PermissionError) as exc:
        messages.error(request, _first_error(exc) if isinstance(exc, ValidationError) else str(exc))
    else:
        role = "primary PT" if primary else "second PT"
        messages.success(
            request, f"{member.user.display_name}: {therapist.user.display_name} is now {role}."
        )
    return _back(request)


@require_POST
@role_required(*MANAGERS)
def assignment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    assignment = get_object_or_404(access.visible_care_assignments(request.user), pk=pk)
    name = assignment.member.user.display_name
    try:
        if action == "transfer":
            therapist = _therapist_from(request)
            if therapist is None:
                messages.error(request, "Choose the PT to transfer to.")
                return _back(request)
            care_team.transfer(
                by=cast(User, request.user),
                assignment=assignment,
                therapist=therapist,
                request=request,
            )
            messages.success(request, f"{name} is transferred to {therapist.user.display_name}.")
        elif action == "end":
            care_team.end_assignment(
                by=cast(User, request.user), assignment=assignment, request=request
            )
            messages.success(
                request, f"{assignment.therapist.user.display_name} no longer follows {name}."
            )
        else:
            raise PermissionDenied
    except care_team.CareTeamConflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    return _back(request)


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text=f"Columns: {', '.join(COLUMNS)}.")
    dry_run = forms.BooleanField(required=False, label="Only check the file; enrol nobody")
    skip_bad_rows = forms.BooleanField(
        required=False, label="Enrol the good rows even if some rows have problems"
    )


@role_required(*MANAGERS)
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload: every row is checked at once and the report shown; when the file is good (or
    bad rows are skipped) and it is not a dry run, the enrolment is queued and its own page
    shows the progress."""
    user = cast(User, request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    failed = False
    status = 200
    if request.method == "POST":
        text = None
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_BYTES:
                form.add_error("file", f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")
            else:
                try:
                    text = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    form.add_error("file", "Save the file as CSV in UTF-8 and try again.")
        if text is not None and user.organization is not None:
            skip = form.cleaned_data["skip_bad_rows"]
            report = check_only(organization=user.organization, text=text, skip_bad_rows=skip)
            failed = bool(report.problems) and not skip
            if not form.cleaned_data["dry_run"] and not failed and report.created:
                job = queue_import(
                    organization=user.organization,
                    text=text,
                    by=user,
                    file_name=str(upload.name or ""),
                    skip_bad_rows=skip,
                )
                return redirect("people-import-job", pk=job.pk)
            status = 400 if failed else 200
        else:
            status = 400
    return render(
        request,
        "members/people_import.html",
        {
            "form": form,
            "report": report,
            "failed": failed,
            "dry_run": bool(form.is_bound and form.is_valid() and form.cleaned_data["dry_run"]),
            "columns": COLUMNS,
        },
        status=status,
    )


@role_required(*MANAGERS)
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(access.visible_member_imports(request.user), pk=pk)
    running = job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    done, total = import_progress(job) if running else (job.total, job.total)
    return render(
        request,
        "members/people_import_job.html",
        {"job": job, "running": running, "done": done, "total": total, "report": job.report},
    )
