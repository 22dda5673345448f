"""The invitation link's page (`/invite/<token>/`: choose a password, agree to the terms, answer
about remote monitoring) and a member's first run (`/welcome/`: pick a time of day for a
reminder, see today's exercises). Phone first."""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from exercise_tracker import access
from exercise_tracker.views import role_required
from members.models import Channel, InvitationKind, ReminderSchedule, Role
from members.rules.consents import MONITORING, TERMS
from members.selectors.sessions import today_for
from members.services import invitations as services
from members.services.reminders import create_reminder

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
STATUS_FOR_REASON = {services.UNKNOWN: 400}
GONE = 410


class AcceptForm(forms.Form):
    password = forms.CharField(
        label="Choose a password",
        strip=False,
        help_text="At least 12 characters. A few words you will remember work well.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="Type it again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    terms = forms.BooleanField(
        label="I agree to the terms of use",
        error_messages={"required": "Agree to the terms of use to continue."},
    )
    monitoring = forms.TypedChoiceField(
        label="Remote monitoring",
        choices=[("yes", "Yes, my PT may review what I record"), ("no", "No, not now")],
        widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
        error_messages={"required": "Choose yes or no (either is fine)."},
    )

    def __init__(self, *args: Any, is_member: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not is_member:
            del self.fields["monitoring"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("password")
            and data.get("password_again") is not None
            and data["password"] != data["password_again"]
        ):
            self.add_error("password_again", "The two passwords are not the same.")
        return data


def _unusable(request: HttpRequest, exc: services.InvitationUnusable) -> HttpResponse:
    return render(
        request,
        "members/invite_unusable.html",
        {"message": exc.message},
        status=STATUS_FOR_REASON.get(exc.reason, GONE),
    )


TOO_MANY = "Too many tries. Wait a minute, then try again."


def _throttled(request: HttpRequest, token: str) -> bool:
    per_token = request.method == "POST"
    return services.accept_wait(request=request, token=token, per_token=per_token) is not None


@never_cache
def accept(request: HttpRequest, token: str) -> HttpResponse:
    if _throttled(request, token):
        return render(
            request,
            "members/invite_unusable.html",
            {"message": TOO_MANY, "heading": "Please wait a moment"},
            status=429,
        )
    try:
        invitation = services.usable_invitation(token)
    except services.InvitationUnusable as exc:
        return _unusable(request, exc)
    is_member = invitation.kind == InvitationKind.MEMBER
    form = AcceptForm(request.POST or None, is_member=is_member)
    if request.method == "POST" and form.is_valid():
        consents: dict[str, Any] = {"terms": True}
        if is_member:
            consents["monitoring"] = form.cleaned_data["monitoring"]
        try:
            user = services.accept_invitation(
                token=token,
                password=form.cleaned_data["password"],
                consents=consents,
                request=request,
            )
        except services.InvitationUnusable as exc:
            return _unusable(request, exc)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            login(request, user, backend=MODEL_BACKEND)
            if user.role == Role.MEMBER:
                return redirect("welcome")
            messages.success(request, "Your account is ready. Welcome.")
            return redirect("home")
    return render(
        request,
        "members/invite_accept.html",
        {
            "form": form,
            "invitation": invitation,
            "organization": invitation.organization.name,
            "is_member": is_member,
            "terms": TERMS,
            "monitoring": MONITORING,
        },
        status=400 if form.errors else 200,
    )


# --- first run ------------------------------------------------------------------------------------

PRESETS = (
    ("07:30", "Morning", "7:30"),
    ("12:30", "Midday", "12:30"),
    ("18:00", "Evening", "18:00"),
)


class ReminderTimeForm(forms.Form):
    local_time = forms.TimeField(
        label="Another time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


def _parse_time(raw: str) -> time | None:
    try:
        hours, minutes = raw.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        return None


@role_required(Role.MEMBER)
def welcome(request: HttpRequest) -> HttpResponse:
    member = access.own_member(request.user)
    form = ReminderTimeForm(request.POST or None)
    if request.method == "POST":
        preset = str(request.POST.get("preset", ""))
        chosen = _parse_time(preset) if preset else None
        if chosen is None and form.is_valid():
            chosen = form.cleaned_data["local_time"]
        if chosen is None:
            form.add_error("local_time", "Pick one of the times, or type another time.")
        else:
            channels = [Channel.IN_APP] + ([Channel.EMAIL] if member.user.email else [])
            try:
                create_reminder(member=member, local_time=chosen, channels=channels)
            except ValidationError as exc:
                for errors in exc.message_dict.values():
                    form.add_error("local_time", errors)
            else:
                messages.success(request, f"Reminder set for {chosen:%H:%M} every day.")
                return redirect("welcome")
    reminders = list(ReminderSchedule.objects.filter(member=member).order_by("local_time"))
    today = today_for(member)
    return render(
        request,
        "members/welcome.html",
        {
            "member": member,
            "form": form,
            "presets": PRESETS,
            "reminders": reminders,
            "today": today,
        },
        status=400 if form.errors else 200,
    )
