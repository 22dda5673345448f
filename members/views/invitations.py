"""Pages for enrolling members and inviting people: "Add member" (PT, coordinator), "Invite
staff" (coordinator), the invitations list and one invitation (its link and QR code right after
it was made or resent), resend and revoke."""

from __future__ import annotations

from typing import Any, cast

import segno
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from exercise_tracker import access
from exercise_tracker.views import role_required
from members.models import (
    STAFF_ROLES,
    Condition,
    Invitation,
    InvitationStatus,
    Language,
    Precaution,
    Role,
    Therapist,
    User,
)
from members.services import invitations as services
from members.services.enrolment import enroll_member

# A token shown once: kept in the session from the POST that made it until the page shows it.
SESSION_LINKS = "invitation_links"
MANAGERS = (Role.THERAPIST, Role.COORDINATOR)
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Mexico_City",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)


class EnrolForm(forms.Form):
    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")
    email = forms.CharField(
        required=False,
        max_length=254,
        label="Email",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )
    phone = forms.CharField(
        required=False,
        max_length=20,
        label="Mobile phone",
        help_text="With the country code, e.g. +15551234567. Give an email, a phone or both.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    date_of_birth = forms.DateField(
        required=False, label="Date of birth", widget=forms.DateInput(attrs={"type": "date"})
    )
    conditions = forms.MultipleChoiceField(
        required=False,
        choices=[c for c in Condition.choices if c[0] != Condition.OTHER],
        widget=forms.CheckboxSelectMultiple,
        label="Conditions the plan depends on",
    )
    precautions = forms.MultipleChoiceField(
        required=False,
        choices=Precaution.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Precautions",
    )
    timezone = forms.ChoiceField(label="Time zone", choices=())
    language = forms.ChoiceField(choices=Language.choices, label="Language")
    primary_therapist = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Primary PT", choices=()
    )
    external_id = forms.CharField(
        required=False, max_length=64, label="Clinic record number (optional)"
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organization_zone = user.organization.timezone if user.organization else "UTC"
        zones = list(dict.fromkeys((organization_zone, *COMMON_ZONES)))
        self.fields["timezone"].choices = [(z, z.replace("_", " ")) for z in zones]  # type: ignore[attr-defined]
        self.fields["timezone"].initial = organization_zone
        therapists = access.visible_therapists(user).filter(user__is_active=True)
        choices: list[tuple[Any, str]] = [("", "None yet")]
        choices += [(t.pk, t.user.display_name) for t in therapists]
        self.fields["primary_therapist"].choices = choices  # type: ignore[attr-defined]
        if user.role == Role.THERAPIST:
            mine = Therapist.objects.filter(user=user).first()
            self.fields["primary_therapist"].initial = mine.pk if mine else None


class StaffInviteForm(forms.Form):
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in STAFF_ROLES], label="Role", initial=Role.THERAPIST
    )
    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")
    email = forms.EmailField(max_length=254, label="Email")


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _remember_link(request: HttpRequest, issued: services.Issued) -> None:
    links = dict(request.session.get(SESSION_LINKS, {}))
    links[str(issued.invitation.pk)] = issued.token
    request.session[SESSION_LINKS] = links


def qr_svg(url: str) -> SafeString:
    """The link as an inline SVG QR code (no script, no request to anyone)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=5, border=2, dark="#1d2a30", light="#ffffff", omitsize=True)
    return mark_safe(svg)  # noqa: S308 (segno's own SVG of a URL we made)


@role_required(*MANAGERS)
def enrol(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = EnrolForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = enroll_member(
                by=user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data["phone"],
                date_of_birth=data["date_of_birth"],
                conditions=data["conditions"],
                precautions=data["precautions"],
                timezone_name=data["timezone"],
                language=data["language"],
                primary_therapist=data["primary_therapist"],
                external_id=data["external_id"],
                request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except services.DuplicatePerson as exc:
            form.add_error(exc.field, exc.message)
        else:
            _remember_link(request, result.issued)
            messages.success(request, f"{result.member.user.display_name} is enrolled and invited.")
            return redirect("invitation-page", pk=result.issued.invitation.pk)
    return render(
        request,
        "members/enrol.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@role_required(Role.COORDINATOR)
def invite_staff(request: HttpRequest) -> HttpResponse:
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.invite_staff(
                by=cast(User, request.user), request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except services.DuplicatePerson as exc:
            form.add_error(exc.field, exc.message)
        else:
            _remember_link(request, issued)
            messages.success(request, f"{issued.invitation.name} is invited.")
            return redirect("invitation-page", pk=issued.invitation.pk)
    return render(
        request, "members/invite_staff.html", {"form": form}, status=400 if form.errors else 200
    )


STATUS_LABELS = dict(InvitationStatus.choices)


@role_required(*MANAGERS)
def invitation_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    wanted = request.GET.get("status", "")
    rows = []
    for invitation in access.visible_invitations(request.user).order_by("-created_at", "-id")[:200]:
        status = invitation.status_at(now)
        if wanted and status != wanted:
            continue
        rows.append({"invitation": invitation, "status": status, "label": STATUS_LABELS[status]})
    return render(
        request,
        "members/invitations.html",
        {
            "rows": rows,
            "statuses": InvitationStatus.choices,
            "wanted": wanted if wanted in STATUS_LABELS else "",
        },
    )


def _visible(request: HttpRequest, pk: int) -> Invitation:
    invitation = access.visible_invitations(request.user).filter(pk=pk).first()
    if invitation is None:
        raise Http404
    return invitation


@role_required(*MANAGERS)
def invitation_page(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _visible(request, pk)
    links = dict(request.session.get(SESSION_LINKS, {}))
    token = links.pop(str(pk), None)
    if token is not None:
        request.session[SESSION_LINKS] = links
    status = invitation.status
    url = services.accept_url(token) if token and status == InvitationStatus.PENDING else None
    response = render(
        request,
        "members/invitation.html",
        {
            "invitation": invitation,
            "status": status,
            "label": STATUS_LABELS[status],
            "url": url,
            "qr": qr_svg(url) if url else None,
        },
    )
    # The link is shown once: no copy in a cache or the back button's memory.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@role_required(*MANAGERS)
def invitation_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    invitation = _visible(request, pk)
    by = cast(User, request.user)
    try:
        if action == "resend":
            issued = services.resend_invitation(by=by, invitation=invitation, request=request)
            _remember_link(request, issued)
            messages.success(request, "A new link was sent. The previous link no longer works.")
        elif action == "revoke":
            services.revoke_invitation(by=by, invitation=invitation, request=request)
            messages.success(request, "The invitation was revoked: its link no longer works.")
        else:
            raise Http404
    except services.InvitationConflict as exc:
        messages.error(request, str(exc))
    except PermissionDenied as exc:
        raise Http404 from exc
    return redirect("invitation-page", pk=pk)
