"""Admin: the working calendar (statutory holidays and swapped working days) is maintained
here each year; every edit is in the change log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction

from redline.core import audit
from redline.core.admin_audit import AuditedAdmin
from redline.hazards.models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    list_display = ("date", "kind", "name", "source")
    list_filter = ("kind",)
    search_fields = ("name", "date")
    date_hierarchy = "date"

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # A wrongly entered day is removed (calendar data, not a business record); audited.
        return bool(request.user.is_superuser)

    def delete_model(self, request: Any, obj: CalendarDay) -> None:
        with transaction.atomic():
            audit.record(
                actor=request.user,
                action="archive",
                instance=obj,
                before=audit.snapshot(obj),
                after=None,
                comment="admin: deleted",
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
