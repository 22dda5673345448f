"""The PT's discharge page (/members/{id}/discharge/): end a member's episode with a reason, or
enrol a discharged member again. Only the member's PTs; to anyone else it does not exist."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from exercise_tracker import access
from exercise_tracker.views import role_required
from members.models import DischargeReason, Member, Role, User
from members.services import discharge


class DischargeForm(forms.Form):
    reason = forms.ChoiceField(choices=DischargeReason.choices, label="Reason")


def _member(request: HttpRequest, member_id: int) -> Member:
    member = access.visible_members(request.user).filter(pk=member_id).first()
    if member is None or not access.is_care_team(request.user, member):
        raise Http404
    return member


@role_required(Role.THERAPIST)
def discharge_page(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member(request, member_id)
    form = DischargeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                episode = discharge.discharge_member(
                    by=cast(User, request.user),
                    member=member,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except discharge.EpisodeConflict as exc:
                messages.error(request, exc.message)
            else:
                until = episode.access_until
                when = f"{until:%b} {until.day}, {until.year}" if until else "a while"
                messages.success(
                    request,
                    f"{member.user.display_name} is discharged. They can read their history "
                    f"and handout until {when}.",
                )
            return redirect("member-discharge", member_id=member.pk)
        status = 400
    return render(
        request,
        "members/discharge.html",
        {"member": member, "form": form, "episode": discharge.current_episode(member)},
        status=status,
    )


@require_POST
@role_required(Role.THERAPIST)
def enrol_again(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member(request, member_id)
    try:
        discharge.start_episode(by=cast(User, request.user), member=member, request=request)
    except discharge.EpisodeConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{member.user.display_name} starts a new episode today.")
    return redirect("member-discharge", member_id=member.pk)
