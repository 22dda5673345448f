"""Account pages for every role: own details (/settings/account/), password change
(/settings/password/), and for anyone signed out the forgotten-password pages (/password/reset/).
Plain forms calling the same services as the API; no script, keyboard-usable."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from exercise_tracker.throttling import count_hit
from members.api.password import RESET_ANSWER
from members.models import Language, Role, User
from members.services import accounts

HOUR = 60 * 60


@cache
def zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class AccountForm(forms.Form):
    first_name = forms.CharField(
        required=False, max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.CharField(
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
    )
    phone = forms.CharField(
        required=False,
        max_length=30,
        help_text="With the country code, e.g. +15551234567.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    timezone = forms.CharField(
        max_length=64,
        help_text="Your reminders and your day follow it, e.g. America/New_York.",
        widget=forms.TextInput(attrs={"list": "zones", "autocomplete": "off"}),
    )
    language = forms.ChoiceField(choices=Language.choices)


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, field_messages in errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _initial(user: User) -> dict[str, Any]:
    member = getattr(user, "member_profile", None) if user.role == Role.MEMBER else None
    if member is not None:
        zone, language = member.timezone, member.preferred_language
    else:
        zone = user.timezone or (user.organization.timezone if user.organization else "UTC")
        language = user.language or Language.ENGLISH
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.phone,
        "timezone": zone,
        "language": language,
    }


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = AccountForm(request.POST or None, initial=_initial(user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            changes = {k: v for k, v in form.cleaned_data.items() if form.initial.get(k) != v}
            try:
                accounts.update_account(user=user, changes=changes, request=request)
            except ValidationError as exc:
                _apply_errors(form, exc)
            except accounts.AccountConflict as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(request, "Your details are saved.")
                return redirect("account-settings")
        status = 400
    return render(
        request,
        "members/account_settings.html",
        {"form": form, "zones": zone_names()},
        status=status,
    )


class NewPasswordForm(forms.Form):
    """A new password typed twice (the change and the reset pages)."""

    new_password = forms.CharField(
        label="New password",
        strip=False,
        help_text="At least 12 characters; not like your name or a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "The two new passwords differ.")
        return data


class PasswordChangeForm(NewPasswordForm):
    old_password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ("old_password", "new_password", "new_password_again")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = accounts.change_password(
                    user=cast(User, request.user),
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password"],
                    request=request,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                # This browser stays signed in; every other session and token has ended.
                update_session_auth_hash(request, user)
                messages.success(
                    request, "Your password is changed. You were signed out everywhere else."
                )
                return redirect("account-settings")
        status = 400
    return render(request, "members/password_change.html", {"form": form}, status=status)


class ResetRequestForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
    )


def _throttled(scope: str, value: str, per_hour: int) -> bool:
    import hashlib

    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return count_hit(f"{scope}:{digest}", window_seconds=HOUR) > per_hour


def password_reset(request: HttpRequest) -> HttpResponse:
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if _throttled("password-reset", email, settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR):
            return render(
                request,
                "members/password_reset.html",
                {"form": form, "throttled": True},
                status=429,
            )
        accounts.request_password_reset(email=email, request=request)
        return render(request, "members/password_reset.html", {"sent": RESET_ANSWER})
    status = 400 if request.method == "POST" else 200
    return render(request, "members/password_reset.html", {"form": form}, status=status)


class ResetConfirmForm(NewPasswordForm):
    pass


def password_reset_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if _throttled("password-reset-token", token, 10) or not accounts.token_is_valid(token):
        return render(
            request,
            "members/password_reset_confirm.html",
            {"invalid": accounts.INVALID_LINK},
            status=400,
        )
    form = ResetConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.reset_password(
                token=token, new_password=form.cleaned_data["new_password"], request=request
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Your password is set. Sign in with it.")
            return redirect("login")
    status = 400 if request.method == "POST" else 200
    return render(request, "members/password_reset_confirm.html", {"form": form}, status=status)
