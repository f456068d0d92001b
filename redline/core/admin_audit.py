"""Django admin pages that write the change log like every other client, and never delete."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction

from redline.core import audit


class AuditedAdmin(admin.ModelAdmin):
    audit_exclude: tuple[str, ...] = ()

    def enterprise_id_of(self, obj: Any) -> int | None:
        return getattr(obj, "enterprise_id", None)

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = None
            if change:
                stored = type(obj)._default_manager.get(pk=obj.pk)
                before = audit.snapshot(stored, exclude=self.audit_exclude)
            super().save_model(request, obj, form, change)
            after = audit.snapshot(obj, exclude=self.audit_exclude)
            if before != after:
                audit.record(
                    actor=request.user,
                    action="update" if change else "create",
                    instance=obj,
                    before=before,
                    after=after,
                    enterprise_id=self.enterprise_id_of(obj),
                    comment="admin",
                )

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            instances = formset.save(commit=False)
            for instance in instances:
                before = None
                if instance.pk:
                    stored = type(instance)._default_manager.get(pk=instance.pk)
                    before = audit.snapshot(stored)
                created = instance.pk is None
                instance.save()
                audit.record(
                    actor=request.user,
                    action="create" if created else "update",
                    instance=instance,
                    before=before,
                    after=audit.snapshot(instance),
                    comment="admin",
                )
            formset.save_m2m()

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # business records are archived, never deleted


class AuditedInline(admin.TabularInline):
    can_delete = False
