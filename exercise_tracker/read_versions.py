"""Which writes bump which read-cache versions (exercise_tracker/readcache.py), and drop the
cached sign-in of a user (exercise_tracker/authentication.py).

Services call `readcache.library_changed` / `readcache.member_changed` where they write; these
receivers are the net under them: every save or delete of a model a cached read shows bumps its
scope, whoever made it (a service, the admin, a fixture load, a factory in a test). Writes that
bypass signals (`QuerySet.update`, `bulk_create`) call the helpers themselves (see the services).

| model saved or deleted                               | scopes bumped                       |
| ---------------------------------------------------- | ----------------------------------- |
| Exercise, its regions and equipment, ExerciseImage   | library of its organization (or     |
| PlanTemplate, TemplateItem                           | global), `library:all`              |
| Plan, PlanRevision, PlanItem                         | `member:<plan's member>`            |
| SessionLog, SessionEntry, Assessment,                | `member:<member>`                   |
| AssessmentSchedule, ReminderSchedule, Walk,          |                                     |
| SymptomCheck, LessonRead                             |                                     |
| Member                                               | `member:<id>`, `people:<org>`, sign-in |
| User                                                 | `people:<org>`, its cached sign-in  |
| Organization                                         | `people:<id>`                       |
| InstrumentWording                                    | `instruments`                       |
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from . import readcache


def _on_image(sender: Any, instance: Any, **kwargs: Any) -> None:
    from programs.models import Exercise, ExerciseImage

    if ExerciseImage.exercise.is_cached(instance):
        org = instance.exercise.organization_id
    else:
        org = (
            Exercise.objects.filter(pk=instance.exercise_id)
            .values_list("organization_id", flat=True)
            .first()
        )
    readcache.library_changed(org)


def _on_exercise(sender: Any, instance: Any, **kwargs: Any) -> None:
    readcache.library_changed(instance.organization_id)


def _on_exercise_tags(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("action", "").startswith("post_"):
        from programs.models import Exercise

        if isinstance(instance, Exercise):
            readcache.library_changed(instance.organization_id)
        else:  # changed from the region's or equipment's side: any organization
            readcache.bump("library:global", "library:all")
            for org in Exercise.objects.filter(pk__in=kwargs.get("pk_set") or ()).values_list(
                "organization_id", flat=True
            ):
                readcache.library_changed(org)


def _on_template(sender: Any, instance: Any, **kwargs: Any) -> None:
    readcache.library_changed(instance.organization_id)


def _on_template_item(sender: Any, instance: Any, **kwargs: Any) -> None:
    from programs.models import PlanTemplate

    org = (
        PlanTemplate.objects.filter(pk=instance.template_id)
        .values_list("organization_id", flat=True)
        .first()
    )
    readcache.library_changed(org)


def _on_plan(sender: Any, instance: Any, **kwargs: Any) -> None:
    readcache.member_changed(instance.member_id)


def _plan_member(plan_id: int) -> None:
    from programs.models import Plan

    readcache.member_changed(
        Plan.objects.filter(pk=plan_id).values_list("member_id", flat=True).first()
    )


def _on_plan_part(sender: Any, instance: Any, **kwargs: Any) -> None:
    plan = type(instance).plan
    if plan.is_cached(instance):
        readcache.member_changed(instance.plan.member_id)
        return
    _plan_member(instance.plan_id)


def _on_member_row(sender: Any, instance: Any, **kwargs: Any) -> None:
    readcache.member_changed(instance.member_id)


def _on_entry(sender: Any, instance: Any, **kwargs: Any) -> None:
    from members.models import SessionEntry, SessionLog

    if SessionEntry.session.is_cached(instance):
        readcache.member_changed(instance.session.member_id)
        return
    readcache.member_changed(
        SessionLog.objects.filter(pk=instance.session_id)
        .values_list("member_id", flat=True)
        .first()
    )


def _on_member(sender: Any, instance: Any, **kwargs: Any) -> None:
    from .authentication import forget_user

    readcache.member_changed(instance.pk)
    readcache.people_changed(instance.organization_id)
    forget_user(instance.user_id)


def _on_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    from .authentication import forget_user

    readcache.people_changed(instance.organization_id)
    forget_user(instance.pk)


def _on_organization(sender: Any, instance: Any, **kwargs: Any) -> None:
    readcache.people_changed(instance.pk)


def _on_instruments(sender: Any, instance: Any, **kwargs: Any) -> None:
    readcache.bump("instruments")


def connect() -> None:
    from members.models import (
        Assessment,
        AssessmentSchedule,
        Member,
        Organization,
        ReminderSchedule,
        SessionEntry,
        SessionLog,
        SymptomCheck,
        User,
        Walk,
    )
    from members.models.outcomes import InstrumentWording
    from programs.models import (
        Exercise,
        ExerciseImage,
        LessonRead,
        Plan,
        PlanItem,
        PlanRevision,
        PlanTemplate,
        TemplateItem,
    )

    receivers: list[tuple[Any, Any]] = [
        (Exercise, _on_exercise),
        (ExerciseImage, _on_image),
        (PlanTemplate, _on_template),
        (TemplateItem, _on_template_item),
        (Plan, _on_plan),
        (PlanItem, _on_plan_part),
        (PlanRevision, _on_plan_part),
        (SessionLog, _on_member_row),
        (SessionEntry, _on_entry),
        (Assessment, _on_member_row),
        (AssessmentSchedule, _on_member_row),
        (ReminderSchedule, _on_member_row),
        (Walk, _on_member_row),
        (SymptomCheck, _on_member_row),
        (LessonRead, _on_member_row),
        (Member, _on_member),
        (User, _on_user),
        (Organization, _on_organization),
        (InstrumentWording, _on_instruments),
    ]
    for model, receiver in receivers:
        uid = f"readcache:{model._meta.label}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ":delete")
    for through in (Exercise.regions.through, Exercise.equipment.through):
        m2m_changed.connect(
            _on_exercise_tags, sender=through, dispatch_uid=f"readcache:{through._meta.label}"
        )
