"""Writing the change log. Services call `record` inside their transaction."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import TYPE_CHECKING, Any

from django.db import models

from redline.core.context import current
from redline.core.models import ChangeLog

if TYPE_CHECKING:
    from redline.accounts.models import User


def plain(value: Any) -> Any:
    """A value as the change log stores it (JSON-safe)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON-safe dict of an instance's concrete fields (foreign keys as ids)."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        value = field.value_from_object(instance)
        data[field.name] = plain(value)
        if field.is_relation and value is not None:
            # What the id stood for when the change was made, for people reading the log.
            data[f"{field.name}{LABEL_SUFFIX}"] = str(getattr(instance, field.name))
    return data


LABEL_SUFFIX = "__label"


def record(
    *,
    actor: User | None,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    enterprise_id: int | None = None,
    comment: str = "",
) -> ChangeLog:
    row = entry(
        actor=actor,
        action=action,
        instance=instance,
        before=before,
        after=after,
        enterprise_id=enterprise_id,
        comment=comment,
    )
    row.save()
    return row


def entry(
    *,
    actor: User | None,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    enterprise_id: int | None = None,
    comment: str = "",
) -> ChangeLog:
    """The change-log row `record` writes, unsaved."""
    return ChangeLog(
        **entry_values(
            actor=actor,
            action=action,
            instance=instance,
            before=before,
            after=after,
            enterprise_id=enterprise_id,
            comment=comment,
        )
    )


def entry_values(
    *,
    actor: User | None,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    enterprise_id: int | None = None,
    comment: str = "",
) -> dict[str, Any]:
    """The change-log row `record` writes, as the values of its fields (attribute names;
    `at` left to its default, now): for a writer that creates many records at once and
    inserts their log rows with them (`core.bulk.insert_values`, which makes no model
    instance: most of the cost at tens of thousands of rows)."""
    ctx = current()
    user = actor if actor is not None and getattr(actor, "pk", None) else None
    return {
        "actor_id": user.pk if user else None,
        "actor_name": (user.get_full_name() or user.get_username()) if user else ctx.client,
        "client": ctx.client,
        "ip": ctx.ip,
        "request_id": ctx.request_id,
        "action": action,
        "model": instance._meta.label,
        "object_id": str(instance.pk),
        "object_repr": str(instance)[:300],
        "enterprise_id": enterprise_id,
        "before": before,
        "after": after,
        "comment": comment,
    }


def history(instance: models.Model) -> models.QuerySet[ChangeLog]:
    return ChangeLog.objects.filter(model=instance._meta.label, object_id=str(instance.pk))
