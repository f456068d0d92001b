"""The steps every write of a business record shares: validate through the model, save
with an optimistic version check, record the change. Services compose them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import F, Model
from django.utils import timezone

from redline.core import audit
from redline.core.errors import Conflict, ValidationFailed

if TYPE_CHECKING:
    from redline.accounts.models import User


def fields_of(error: ValidationError, renames: dict[str, str] | None = None) -> dict[str, str]:
    renames = renames or {}
    if hasattr(error, "error_dict"):
        return {
            renames.get(name, name): " ".join(messages)
            for name, messages in error.message_dict.items()
        }
    return {"__all__": " ".join(error.messages)}


def clean_or_fail(instance: Model, renames: dict[str, str] | None = None) -> None:
    """Model validation (field validators, clean(), uniqueness) as a ValidationFailed."""
    try:
        instance.full_clean(validate_unique=True)
    except ValidationError as error:
        raise ValidationFailed(fields=fields_of(error, renames)) from None


def save_versioned(instance: Any, version: int) -> None:
    """Write all fields only if nobody changed the row since `version` was read (409 else)."""
    values = {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if not f.primary_key and f.name not in ("version", "created_at")
    }
    if "updated_at" in values:
        values["updated_at"] = timezone.now()
    updated = (
        type(instance)
        ._default_manager.filter(pk=instance.pk, version=version)
        .update(**values, version=F("version") + 1)
    )
    if updated != 1:
        raise Conflict()
    instance.refresh_from_db()


def log_change(
    actor: User | None,
    action: str,
    instance: Model,
    before: dict[str, Any] | None,
    *,
    enterprise_id: int | None,
    comment: str = "",
) -> None:
    audit.record(
        actor=actor,
        action=action,
        instance=instance,
        before=before,
        after=audit.snapshot(instance),
        enterprise_id=enterprise_id,
        comment=comment,
    )
