from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from redline.accounts.models import ApiToken, User
from redline.core.admin_audit import AuditedAdmin


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    audit_exclude = ("password", "last_login")

    list_display = ["username", "first_name", "organisation", "roles", "is_active"]
    list_filter = ["is_active", "organisation__kind"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Redline"), {"fields": ("organisation", "roles", "phone")}),
    )
    raw_id_fields = ["organisation"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "hint"]
