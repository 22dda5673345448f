"""Admin for invitations and consents: read only (the app writes them; the token is never
stored, so there is nothing to show of it)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from members.models import Consent, Invitation


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "organization", "kind", "role", "email", "created_at", "expires_at")
    list_filter = ("kind", "role", "organization")
    search_fields = ("email", "first_name", "last_name")
    list_select_related = ("organization",)
    exclude = ("token_hash", "sent_token_hash")


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "version", "granted", "at")
    list_filter = ("kind", "version", "granted")
    list_select_related = ("user",)
