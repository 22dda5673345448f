"""Signal receivers that keep derived member columns current whoever writes the rows (services,
the admin, the demo, tests' factories): see members.services.care_columns."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from members.models import CareAssignment, Role, User
from programs.models import Plan, PlanStatus


def _member_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    from members.services.care_columns import sync_care_columns

    if kwargs.get("raw"):  # loaddata: the fixture holds the columns
        return
    if kwargs.get("created") and getattr(instance, "status", None) == PlanStatus.DRAFT:
        return  # a new draft is nobody's plan in force (the plan POST's statement count)
    sync_care_columns([instance.member_id])


def _account_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if kwargs.get("raw") or instance.role != Role.THERAPIST:
        return
    if fields is not None and "is_active" not in fields:
        return  # a sign-in's last_login, a name: nobody's primary PT changes
    if kwargs.get("created"):
        return  # nobody's PT yet
    from members.services.care_columns import sync_therapist_members

    sync_therapist_members(instance.pk)


def connect() -> None:
    for model in (CareAssignment, Plan):
        post_save.connect(_member_changed, sender=model, dispatch_uid=f"care_columns_{model}")
        post_delete.connect(_member_changed, sender=model, dispatch_uid=f"care_columns_d_{model}")
    post_save.connect(_account_changed, sender=User, dispatch_uid="care_columns_account")
