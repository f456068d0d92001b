from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from redline.core.models import ChangeLog


@admin.register(ChangeLog)
class ChangeLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "client", "action", "model", "object_repr"]
    list_filter = ["action", "client", "model"]
    search_fields = ["object_repr", "actor_name", "request_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ChangeLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ChangeLog | None = None) -> bool:
        return False
