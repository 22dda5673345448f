"""Signal receivers that keep the dashboard's stored member columns current whoever writes the
rows (services, the admin, the demo, tests' factories): see members.services.care_columns.
Queryset updates and bulk writes send no signal: their writers call the sync themselves, every
adherence refresh syncs its members, and `check_adherence --fix` repairs what is left."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from members.models import CareAssignment, Member, Role, User
from programs.models import Plan, PlanStatus


def _member_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    from members.services.care_columns import sync_care_columns

    if kwargs.get("raw"):  # loaddata: the fixture holds the columns
        return
    if kwargs.get("created") and getattr(instance, "status", None) == PlanStatus.DRAFT:
        return  # a new draft is nobody's plan in force (the plan POST's statement count)
    sync_care_columns([instance.member_id])


NAME_FIELDS = {"first_name", "last_name", "username"}


def _account_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if kwargs.get("raw") or kwargs.get("created"):
        return  # a new account is nobody's PT, and has no member profile yet
    from members.services import care_columns

    if instance.role == Role.MEMBER and (fields is None or NAME_FIELDS & set(fields)):
        care_columns.sync_names(instance.pk)  # the dashboard sorts by name
    elif instance.role == Role.THERAPIST and (fields is None or "is_active" in fields):
        care_columns.sync_therapist_members(instance.pk)  # a deactivated PT is nobody's PT


def _member_created(sender: Any, instance: Member, **kwargs: Any) -> None:
    if kwargs.get("created") and not kwargs.get("raw"):
        from members.services.care_columns import sync_care_columns

        sync_care_columns([instance.pk])  # the sort name


def connect() -> None:
    for model in (CareAssignment, Plan):
        post_save.connect(_member_changed, sender=model, dispatch_uid=f"care_columns_{model}")
        post_delete.connect(_member_changed, sender=model, dispatch_uid=f"care_columns_d_{model}")
    post_save.connect(_account_changed, sender=User, dispatch_uid="care_columns_account")
    post_save.connect(_member_created, sender=Member, dispatch_uid="care_columns_member")
