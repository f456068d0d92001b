from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from redline.core.admin_audit import AuditedAdmin, AuditedInline
from redline.organisations.models import (
    ChemicalPark,
    Enterprise,
    Organisation,
    Person,
    Region,
    SectorMandate,
)


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["name", "code", "level", "parent", "population"]
    list_filter = ["level"]
    search_fields = ["name", "code"]


class MandateInline(AuditedInline):
    model = SectorMandate
    extra = 0
    autocomplete_fields = ["region"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name", "kind", "department_type", "region", "is_archived"]
    list_filter = ["kind", "department_type"]
    search_fields = ["name"]
    inlines = [MandateInline]
    raw_id_fields = ["enterprise"]


@admin.register(ChemicalPark)
class ChemicalParkAdmin(AuditedAdmin):
    list_display = ["name", "region"]


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    """Read-only here: units are changed through Redline's own pages, which audit."""

    list_display = ["name", "credit_code", "kind", "region", "status", "is_archived"]
    list_filter = ["kind", "status", "is_archived"]
    search_fields = ["name", "credit_code"]

    def has_change_permission(self, request: HttpRequest, obj: Enterprise | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Enterprise | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Person)
class PersonAdmin(AuditedAdmin):
    list_display = ["name", "role", "post", "enterprise", "organisation"]
    list_filter = ["role"]
    search_fields = ["name"]
    raw_id_fields = ["enterprise", "organisation"]
