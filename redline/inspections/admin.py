"""Admin: the inspector library (competences, yearly capacity, recusals) is maintained here,
every edit in the change log; checklist versions and annual plans are read-only here (they
come from the data files and from the planner)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from redline.core.admin_audit import AuditedAdmin
from redline.inspections.models import ChecklistTemplate, InspectionPlan, InspectorProfile


@admin.register(InspectorProfile)
class InspectorProfileAdmin(AuditedAdmin):
    list_display = ("user", "capacity", "is_active")
    list_filter = ("is_active",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    raw_id_fields = ("user", "recusals")  # a city has tens of thousands of units


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(ReadOnly):
    list_display = ("code", "version", "sector", "status", "is_current", "loaded_at")
    list_filter = ("sector", "status", "is_current")


@admin.register(InspectionPlan)
class InspectionPlanAdmin(ReadOnly):
    list_display = ("year", "seed", "state", "drafted_at", "published_at")
    list_filter = ("state",)
