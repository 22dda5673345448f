"""Pages for reminders: a member's reminder settings (/settings/reminders/) and every user's
inbox (/notifications/). Plain forms that call the same services as the API; they work without
JavaScript, and with the keyboard."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from exercise_tracker import access, clock
from exercise_tracker.views import role_required
from members.models import Channel, Member, ReminderSchedule, Role, User
from members.models.reminders import DISMISSALS_BEFORE_OFFER
from members.rules import reminder_times
from members.services import reminders as services

DAY_CHOICES = [
    (0, "Mon"),
    (1, "Tue"),
    (2, "Wed"),
    (3, "Thu"),
    (4, "Fri"),
    (5, "Sat"),
    (6, "Sun"),
]
INBOX_SIZE = 50


class ReminderForm(forms.Form):
    local_time = forms.TimeField(
        input_formats=["%H:%M"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 60}),
        error_messages={"invalid": "Give a time as HH:MM, for example 08:30."},
    )
    days_of_week = forms.TypedMultipleChoiceField(
        choices=DAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    channels = forms.MultipleChoiceField(
        choices=Channel.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    enabled = forms.BooleanField(required=False)
    skip_if_done = forms.BooleanField(required=False)

    def __init__(self, data: Any = None, *, schedule: ReminderSchedule | None = None) -> None:
        prefix = f"r{schedule.pk}" if schedule is not None else "new"
        initial = (
            {
                "local_time": schedule.local_time,
                "days_of_week": schedule.days_of_week,
                "channels": schedule.channels,
                "enabled": schedule.enabled,
                "skip_if_done": schedule.skip_if_done,
            }
            if schedule is not None
            else {
                "days_of_week": list(range(7)),
                "channels": [Channel.IN_APP.value],
                "enabled": True,
                "skip_if_done": True,
            }
        )
        super().__init__(data, prefix=prefix, initial=initial)
        self.schedule = schedule


class PreferencesForm(forms.Form):
    quiet_hours_start = forms.TimeField(
        required=False,
        input_formats=["%H:%M"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 60}),
    )
    quiet_hours_end = forms.TimeField(
        required=False,
        input_formats=["%H:%M"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 60}),
    )
    sms_phone = forms.CharField(
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, messages_ in errors.items():
        name = field if field in form.fields else None
        for message in messages_:
            form.add_error(name, message)


def _member(request: HttpRequest) -> Member:
    member = access.member_for(request.user)
    if member is None:
        raise Http404
    return member


def _render_settings(
    request: HttpRequest,
    member: Member,
    *,
    bound: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    schedules = list(access.visible_reminders(request.user).order_by("local_time", "id"))
    tz = reminder_times.zone(member.timezone)
    rows = []
    for schedule in schedules:
        form = (
            bound
            if isinstance(bound, ReminderForm) and bound.schedule is not None
            and bound.schedule.pk == schedule.pk
            else ReminderForm(schedule=schedule)
        )  # fmt: skip
        local = schedule.next_fire_at.astimezone(tz) if schedule.next_fire_at else None
        rows.append(
            {
                "schedule": schedule,
                "form": form,
                # Formatted here: the template's date filter would turn it back into UTC.
                "next_local": f"{local:%a} {local.day} {local:%b, %H:%M}" if local else None,
                "next_iso": local.isoformat() if local else "",
                "offer_other_time": schedule.dismissals_in_row >= DISMISSALS_BEFORE_OFFER,
            }
        )
    add_form = (
        bound if isinstance(bound, ReminderForm) and bound.schedule is None else ReminderForm()
    )
    preferences = services.preferences_of(member)
    preferences_form = (
        bound
        if isinstance(bound, PreferencesForm)
        else PreferencesForm(
            initial={
                "quiet_hours_start": preferences.quiet_hours_start if preferences else None,
                "quiet_hours_end": preferences.quiet_hours_end if preferences else None,
                "sms_phone": preferences.sms_phone if preferences else "",
            }
        )
    )
    return render(
        request,
        "members/reminder_settings.html",
        {
            "member": member,
            "rows": rows,
            "add_form": add_form,
            "preferences_form": preferences_form,
            "day_names": clock.DAY_NAMES,
        },
        status=status,
    )


def _form_values(form: ReminderForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "local_time": data["local_time"],
        "days_of_week": data["days_of_week"],
        "channels": data["channels"],
        "enabled": data["enabled"],
        "skip_if_done": data["skip_if_done"],
    }


@role_required(Role.MEMBER)
def reminder_settings(request: HttpRequest) -> HttpResponse:
    """GET: the member's reminders and quiet hours. POST: add a reminder."""
    member = _member(request)
    if request.method != "POST":
        return _render_settings(request, member)
    form = ReminderForm(request.POST)
    if form.is_valid():
        try:
            reminder = services.create_reminder(
                member=member, by=_user(request), **_form_values(form)
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Reminder added for {reminder.local_time:%H:%M}.")
            return redirect("reminder-settings")
    return _render_settings(request, member, bound=form, status=400)


def _own_schedule(request: HttpRequest, pk: int) -> ReminderSchedule:
    return get_object_or_404(access.visible_reminders(request.user), pk=pk)


@role_required(Role.MEMBER)
@require_POST
def reminder_update(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request)
    schedule = _own_schedule(request, pk)
    form = ReminderForm(request.POST, schedule=schedule)
    if form.is_valid():
        try:
            services.update_reminder(schedule=schedule, by=_user(request), **_form_values(form))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Reminder saved.")
            return redirect("reminder-settings")
    return _render_settings(request, member, bound=form, status=400)


@role_required(Role.MEMBER)
@require_POST
def reminder_delete(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _own_schedule(request, pk)
    services.delete_reminder(schedule=schedule, by=_user(request))
    messages.success(request, f"Reminder at {schedule.local_time:%H:%M} deleted.")
    return redirect("reminder-settings")


@role_required(Role.MEMBER)
@require_POST
def reminder_preferences(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    form = PreferencesForm(request.POST)
    if form.is_valid():
        try:
            services.update_preferences(member=member, by=_user(request), **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Quiet hours saved.")
            return redirect("reminder-settings")
    return _render_settings(request, member, bound=form, status=400)


# --- the inbox --------------------------------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = list(
        access.visible_notifications(request.user).order_by("-created_at", "-id")[:INBOX_SIZE]
    )
    return render(request, "members/notifications.html", {"notifications": notifications})


def _own_notification(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(access.visible_notifications(request.user), pk=pk)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # login_required: a signed-in account


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    services.mark_read(user=_user(request), notification=_own_notification(request, pk))
    return redirect("inbox")


@login_required
@require_POST
def notification_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    services.dismiss(user=_user(request), notification=_own_notification(request, pk))
    return redirect("inbox")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(user=_user(request))
    return redirect("inbox")
