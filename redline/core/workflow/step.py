"""The one step function of every case workflow.

    load through the door -> refuse with a reason -> conditional UPDATE on version and state
    -> event row -> change-log row -> side effects

all in one transaction. The side effects (`Machine.after`) write notification rows in the
same transaction, so a step and its announcements commit or vanish together; the e-mails
leave after the commit (`redline.core.notify`), the one place that hands work to the outside.
Jobs write timeline entries of their own through `system_event`, with the system as actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.db.models import F, Field
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from redline.core import audit
from redline.core.errors import Conflict, PermissionDenied, ValidationFailed
from redline.core.models import CaseEvent
from redline.core.readers import blank, read_fields
from redline.core.workflow.machine import Machine, Transition, ensure_allowed

if TYPE_CHECKING:
    from redline.accounts.models import User


@dataclass
class Step:
    """One step being taken: the hooks read it, `within` and `after` see the result."""

    machine: Machine
    transition: Transition
    actor: User
    record: Any
    values: dict[str, Any]  # the fields given, typed (`Transition.fields` says how)
    files: list[Any]
    now: dt.datetime
    from_state: str = ""
    event: CaseEvent | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # what `prepare` hands to `within`

    @property
    def action(self) -> str:
        return self.transition.name

    @property
    def comment(self) -> str:
        return str(self.values.get("comment", ""))


def actor_name(actor: User | None) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return ""
    return str(actor.get_full_name() or actor.get_username())


def organisation_name(actor: User | None) -> str:
    org = getattr(actor, "organisation", None)
    return str(org) if org else ""


def _column_values(machine: Machine, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Field -> value as the conditional UPDATE takes them (relations by their id)."""
    values = {}
    for name, value in changes.items():
        model_field = cast("Field[Any, Any]", machine.model._meta.get_field(name))
        if model_field.is_relation:
            values[model_field.attname] = getattr(value, "pk", value)
        else:
            values[name] = value
    return values


@transaction.atomic
def take_step(
    machine: Machine,
    *,
    actor: User,
    pk: Any,
    action: str,
    version: int | None,
    data: Mapping[str, Any] | None = None,
    files: Iterable[Any] = (),
    now: dt.datetime | None = None,
) -> Any:
    """Take one step of a case workflow; return the record as it is after it."""
    record = machine.load(actor, pk)
    transition = machine.transitions.get(action)
    if transition is None:
        raise ValidationFailed(fields={"action": _("Unknown step.")})
    ensure_allowed(transition, actor, record)
    data = dict(data or {})
    unknown = sorted(set(data) - set(transition.fields))
    if unknown:
        raise ValidationFailed(fields={name: _("Unknown field.") for name in unknown})
    if version is None:
        raise ValidationFailed(fields={"version": _("Give the version you read.")})
    if int(version) != record.version:
        raise Conflict(machine.messages.stale % {"state": record.get_state_display()})
    refused = machine.state_refusal(transition, record)
    if refused is not None:
        raise Conflict(str(refused))
    if transition.separation is not None:
        separated = transition.separation(actor, record)
        if separated is not None:
            raise PermissionDenied(str(separated))
    values, errors = read_fields(transition.fields, data, transition.required)
    if "comment" in errors and blank(data.get("comment")) and machine.comment_missing:
        errors["comment"] = machine.comment_missing
    if errors:
        raise ValidationFailed(fields=errors)
    step = Step(
        machine=machine,
        transition=transition,
        actor=actor,
        record=record,
        values=values,
        files=list(files),
        now=now or timezone.now(),
    )
    prepared = machine.prepare(step)
    changes = dict(prepared.changes)
    target = changes.pop("state", transition.target)
    if target is not None:
        changes["state"] = target
    changes |= {name: step.now for name in machine.touch}
    before = audit.snapshot(record, exclude=machine.audit_exclude)
    step.from_state = record.state
    updated = machine.model._default_manager.filter(
        pk=record.pk, version=record.version, state=step.from_state
    ).update(**_column_values(machine, changes), version=F("version") + 1)
    if updated != 1:
        raise Conflict(str(machine.messages.raced))
    record.refresh_from_db()
    step.event = write_event(
        machine,
        record,
        actor=actor,
        action=action,
        at=step.now,
        from_state=step.from_state,
        to_state=record.state,
        comment=step.comment,
        data=prepared.shown,
    )
    machine.within(step)
    audit.record(
        actor=actor,
        action="state" if step.from_state != record.state else "update",
        instance=record,
        before=before,
        after=audit.snapshot(record, exclude=machine.audit_exclude),
        enterprise_id=machine.enterprise_of(record),
        comment=f"{action}: {step.comment}" if step.comment else action,
    )
    machine.after(step)
    return record


def write_event(
    machine: Machine,
    record: Any,
    *,
    actor: User | None,
    action: str,
    at: dt.datetime,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: Mapping[str, Any] | None = None,
    actor_label: str = "",
) -> CaseEvent:
    """One timeline entry of a record (a person's step, or the system's when actor is None:
    `actor_label` then says which job)."""
    event = event_row(
        machine,
        record,
        actor=actor,
        action=action,
        at=at,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data,
        actor_label=actor_label,
    )
    event.save(force_insert=True)
    return event


def event_row(
    machine: Machine,
    record: Any,
    *,
    actor: User | None,
    action: str,
    at: dt.datetime,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: Mapping[str, Any] | None = None,
    actor_label: str = "",
) -> CaseEvent:
    """The timeline entry `write_event` writes, unsaved: for a writer that creates many
    records at once (`core.bulk`) and inserts their entries with them."""
    return machine.event_model(
        **{machine.event_record: record},
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=actor_label or actor_name(actor),
        organisation_name=organisation_name(actor),
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=dict(data or {}),
    )


def system_event(
    machine: Machine,
    record: Any,
    *,
    action: str,
    at: dt.datetime,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None = None,
    from_state: str = "",
    to_state: str = "",
    data: Mapping[str, Any] | None = None,
    actor_label: str,
    comment: str = "",
) -> CaseEvent:
    """What a job did to a record (it has already claimed and made the change with its own
    conditional update): the timeline entry and the change-log row, with the system as actor
    (`actor_label` names the job). `before` is what the job changed as it was (the record's
    audit snapshot, or the fields it changed; None: the job created it); `after` defaults to
    the record's snapshot."""
    event = write_event(
        machine,
        record,
        actor=None,
        action=action,
        at=at,
        from_state=from_state,
        to_state=to_state,
        data=data,
        actor_label=actor_label,
    )
    audit.record(
        actor=None,
        action=_change(before, from_state, to_state),
        instance=record,
        before=dict(before) if before is not None else None,
        after=dict(after)
        if after is not None
        else audit.snapshot(record, exclude=machine.audit_exclude),
        enterprise_id=machine.enterprise_of(record),
        comment=comment or action,
    )
    return event


def _change(before: Mapping[str, Any] | None, from_state: str, to_state: str) -> str:
    if before is None:
        return "create"
    return "state" if from_state and from_state != to_state else "update"
