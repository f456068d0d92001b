"""Admin: the capacity thresholds are maintained here (every edit is in the change log);
reports and alerts are read-only here (they change only through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from redline.core.admin_audit import AuditedAdmin
from redline.medical.models import CapacityAlert, CapacityReport, CapacityThreshold


@admin.register(CapacityThreshold)
class CapacityThresholdAdmin(AuditedAdmin):
    list_display = ("metric", "scope", "level", "comparison", "value", "is_active", "unconfirmed")
    list_filter = ("scope", "level", "metric", "is_active")
    search_fields = ("source", "unconfirmed")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(CapacityReport)
class CapacityReportAdmin(ReadOnlyAdmin):
    list_display = ("hospital", "day", "version", "beds_occupied", "icu_occupied", "superseded_at")
    list_filter = ("source",)
    date_hierarchy = "day"
    search_fields = ("hospital__name",)
    list_select_related = ("hospital",)


@admin.register(CapacityAlert)
class CapacityAlertAdmin(ReadOnlyAdmin):
    list_display = ("number", "hospital", "region", "metric", "level", "state", "first_day")
    list_filter = ("state", "level", "metric")
    list_select_related = ("hospital", "region")
