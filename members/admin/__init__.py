"""Admin for organizations, people and care assignments. Staff reads of members (the list and
each member) and every change of a member or their care team are audited, as the services
audit theirs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse

from exercise_tracker import audit
from exercise_tracker.models import AuditAction
from members.models import CareAssignment, Coordinator, Member, Organization, Therapist, User


class AuditedChanges:
    """Writes one audit row per member record the admin creates, changes or deletes."""

    @staticmethod
    def member_id_of(obj: Any) -> int | None:
        return getattr(obj, "member_id", None)

    def _audit(self, request: HttpRequest, obj: Any, action: str) -> None:
        audit.record_write(
            by=request.user, action=action, member_id=self.member_id_of(obj), obj=obj
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        self._audit(request, obj, AuditAction.UPDATE if change else AuditAction.CREATE)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._audit(request, obj, AuditAction.DELETE)
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self._audit(request, obj, AuditAction.DELETE)
        super().delete_queryset(request, queryset)  # type: ignore[misc]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for obj in formset.new_objects:
            self._audit(request, obj, AuditAction.CREATE)
        for obj, _ in formset.changed_objects:
            self._audit(request, obj, AuditAction.UPDATE)
        for obj in formset.deleted_objects:
            self._audit(request, obj, AuditAction.DELETE)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ("name", "slug", "timezone", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "organization", "is_active")
    list_filter = ("role", "organization", "is_active")
    list_select_related = ("organization",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("Role", {"fields": ("role", "organization", "phone")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Role", {"fields": ("role", "organization")}),
    )


class CareAssignmentInline(admin.TabularInline[CareAssignment, Member]):
    model = CareAssignment
    extra = 0
    autocomplete_fields = ("therapist",)


@admin.register(Member)
class MemberAdmin(AuditedChanges, admin.ModelAdmin[Member]):
    list_display = ("__str__", "organization_name", "condition", "timezone", "created_at")
    list_filter = ("condition", "user__organization")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user", "user__organization")
    raw_id_fields = ("user",)
    inlines = (CareAssignmentInline,)

    @staticmethod
    def member_id_of(obj: Any) -> int | None:
        return obj.pk if isinstance(obj, Member) else getattr(obj, "member_id", None)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            audit.record_read_by_staff(
                request=request, member_id=None, object_type="members.member_list"
            )
        return response

    @admin.display(description="Organization", ordering="user__organization__name")
    def organization_name(self, obj: Member) -> str:
        return obj.user.organization.name if obj.user.organization else ""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and object_id.isdigit():
            audit.record_read_by_staff(
                request=request, member_id=int(object_id), object_type="members.member"
            )
        return response


@admin.register(Therapist)
class TherapistAdmin(admin.ModelAdmin[Therapist]):
    list_display = ("__str__", "contact_phone", "contact_email")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(Coordinator)
class CoordinatorAdmin(admin.ModelAdmin[Coordinator]):
    list_display = ("__str__", "title")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(CareAssignment)
class CareAssignmentAdmin(AuditedChanges, admin.ModelAdmin[CareAssignment]):
    list_display = ("member", "therapist", "is_primary", "start_date", "end_date")
    list_filter = ("is_primary",)
    list_select_related = ("member__user", "therapist__user")
    autocomplete_fields = ("therapist",)
    raw_id_fields = ("member",)


from . import invitations, reminders  # noqa: E402, F401 - registers their admins
