"""Admin for organizations, people and care assignments; staff reads of members are audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse

from exercise_tracker import audit
from members.models import CareAssignment, Coordinator, Member, Organization, Therapist, User


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
class MemberAdmin(admin.ModelAdmin[Member]):
    list_display = ("__str__", "organization_name", "condition", "timezone", "created_at")
    list_filter = ("condition", "user__organization")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user", "user__organization")
    raw_id_fields = ("user",)
    inlines = (CareAssignmentInline,)

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
class CareAssignmentAdmin(admin.ModelAdmin[CareAssignment]):
    list_display = ("member", "therapist", "is_primary", "start_date", "end_date")
    list_filter = ("is_primary",)
    list_select_related = ("member__user", "therapist__user")
    autocomplete_fields = ("therapist",)
    raw_id_fields = ("member",)


from . import invitations, reminders  # noqa: E402, F401 - registers their admins
