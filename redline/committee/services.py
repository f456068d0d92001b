"""Writes of the Safety Committee's work: recording a meeting, deploying a key task, reporting
its progress (idempotent by key) and taking its steps. The steps are the workflow kernel's
(`committee/workflow.py`); a progress report is the machine's "report" step, taken with the
task locked so that reports arriving together are applied one after the other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy

from redline.committee.models import KeyTask, Meeting, ProgressReport, audit_extra
from redline.committee.vocab import Cadence, MeetingKind, advance
from redline.committee.workflow import KEY_TASK
from redline.core import audit
from redline.core.errors import PermissionDenied, ValidationFailed
from redline.core.inputs import UNSET, Input, Maybe, read
from redline.core.readers import Choice, Codes, Date, Number, Ref, Text
from redline.core.records import log_change, save_versioned
from redline.core.workflow import take_step, write_event
from redline.organisations.access import can
from redline.organisations.models import Organisation, Person, Region
from redline.organisations.vocab import OrganisationKind, PersonRole

if TYPE_CHECKING:
    from redline.accounts.models import User

SUPERVISING_KINDS = (OrganisationKind.GOVERNMENT, OrganisationKind.COMMITTEE_OFFICE)


def _ensure_manages(actor: User) -> None:
    if not can(actor, "manage"):
        raise PermissionDenied(
            _("Meetings and key tasks are the city Safety Committee office's to record.")
        )


def _supervising_body(actor: User, pk: int | None, field: str) -> Organisation:
    """A government or Safety Committee office the actor names (default: their own)."""
    bodies = Organisation.objects.restrict(actor).filter(
        kind__in=SUPERVISING_KINDS, enterprise__isnull=True, is_archived=False
    )
    wanted = pk if pk is not None else actor.organisation_id
    found = bodies.filter(pk=wanted).first() if wanted is not None else None
    if found is None:
        raise ValidationFailed(
            fields={field: _("Choose the Safety Committee office or a government.")}
        )
    return found


# --- meetings ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class MeetingInput(Input):
    """A meeting as the office records it."""

    title: str = read(Text(limit=200))
    held_on: dt.date = read(Date())
    kind: str = read(Choice(MeetingKind.values))
    body: int | None = read(Ref(_lazy("Choose the Safety Committee office or a government.")), None)
    attendees: str = read(Text(limit=4000), "")
    minutes: str = read(Text(limit=20000), "")


@transaction.atomic
def meeting_record(*, actor: User, data: MeetingInput) -> Meeting:
    _ensure_manages(actor)
    meeting = Meeting.objects.create(
        body=_supervising_body(actor, data.body, "body"),
        held_on=data.held_on,
        kind=data.kind,
        title=data.title,
        attendees=data.attendees,
        minutes=data.minutes,
        created_by=actor,
        created_at=timezone.now(),
    )
    log_change(actor, "create", meeting, None, enterprise_id=None)
    return meeting


@dataclasses.dataclass(frozen=True, kw_only=True)
class MeetingUpdateInput(Input):
    """What an update of a meeting changes (the rest is left as it is)."""

    title: Maybe[str] = read(Text(limit=200), UNSET)
    held_on: Maybe[dt.date] = read(Date(), UNSET)
    kind: Maybe[str] = read(Choice(MeetingKind.values), UNSET)
    attendees: Maybe[str] = read(Text(limit=4000), UNSET)
    minutes: Maybe[str] = read(Text(limit=20000), UNSET)


@transaction.atomic
def meeting_update(
    *, actor: User, meeting_id: int, version: int, data: MeetingUpdateInput
) -> Meeting:
    """Change a meeting's record (its minutes, attendees...) from the version read (409 when
    someone changed it since)."""
    meeting: Meeting = Meeting.objects.get_for(actor, "manage", pk=meeting_id)
    before = audit.snapshot(meeting)
    for name, value in data.given().items():
        setattr(meeting, name, value)
    save_versioned(meeting, version)
    log_change(actor, "update", meeting, before, enterprise_id=None)
    return meeting


# --- key tasks -----------------------------------------------------------------------------


def _ids(values: Iterable[str], field: str) -> list[int]:
    try:
        return [int(value) for value in values]
    except ValueError:
        raise ValidationFailed(fields={field: _("Give ids.")}) from None


@dataclasses.dataclass(frozen=True, kw_only=True)
class KeyTaskInput(Input):
    """A key task as the office deploys it."""

    title: str = read(Text(limit=200))
    description: str = read(Text(limit=8000), "")
    meeting: int | None = read(Ref(_lazy("Choose a meeting you see.")), None)
    lead: int = read(Ref(_lazy("Choose a government body or department.")))
    lead_person: int | None = read(Ref(_lazy("Choose a contact of the lead department.")), None)
    cooperating: tuple[str, ...] = read(Codes(), ())  # organisation ids
    regions: tuple[str, ...] = read(Codes(), ())  # region ids; none: the whole city
    deadline: dt.date = read(
        Date(not_past=pgettext_lazy("key task", "The deadline cannot be in the past."))
    )
    outcome: str = read(Text(limit=300))
    target_value: Decimal | None = read(Number(), None)
    unit: str = read(Text(limit=20), "")
    cadence: str = read(Choice(Cadence.values))
    first_report_due: dt.date | None = read(Date(), None)


def _bodies(actor: User, ids: list[int]) -> dict[int, Organisation]:
    """Government-side bodies (not units) the actor sees, by id."""
    found = Organisation.objects.restrict(actor).filter(
        pk__in=ids, enterprise__isnull=True, is_archived=False
    )
    return {o.pk: o for o in found}


def _task_relations(
    actor: User, data: KeyTaskInput
) -> tuple[Meeting | None, Organisation, Person | None, list[Organisation], list[Region]]:
    """The records the task names, each through the door; every bad one named at once."""
    errors: dict[str, Any] = {}
    meeting = None
    if data.meeting is not None:
        meeting = Meeting.objects.restrict(actor).filter(pk=data.meeting).first()
        if meeting is None:
            errors["meeting"] = _("Choose a meeting you see.")
    cooperating_ids = _ids(data.cooperating, "cooperating")
    bodies = _bodies(actor, [data.lead, *cooperating_ids])
    lead = bodies.get(data.lead)
    if lead is None:
        errors["lead"] = _("Choose a government body or department.")
    if data.lead in cooperating_ids or any(i not in bodies for i in cooperating_ids):
        errors["cooperating"] = _("Choose government bodies or departments other than the lead.")
    person = None
    if data.lead_person is not None:
        person = (
            Person.objects.restrict(actor)
            .filter(
                pk=data.lead_person,
                organisation_id=data.lead,
                role=PersonRole.GOVERNMENT_CONTACT,
                is_archived=False,
            )
            .first()
        )
        if person is None:
            errors["lead_person"] = _("Choose a contact of the lead department.")
    region_ids = _ids(data.regions, "regions")
    regions = list(Region.objects.restrict(actor).filter(pk__in=region_ids))
    if len(regions) != len(set(region_ids)):
        errors["regions"] = _("No such region in your jurisdiction.")
    if errors:
        raise ValidationFailed(fields=errors)
    assert lead is not None
    return meeting, lead, person, [bodies[i] for i in cooperating_ids], regions


@transaction.atomic
def key_task_deploy(*, actor: User, data: KeyTaskInput, now: dt.datetime | None = None) -> KeyTask:
    """Deploy a key task (the city Safety Committee office or government): supervised by
    the body that held its meeting (or the actor's own), its first report due one period
    from today unless given."""
    _ensure_manages(actor)
    now = now or timezone.now()
    today = timezone.localdate(now)
    meeting, lead, person, cooperating, regions = _task_relations(actor, data)
    supervisor = meeting.body if meeting is not None else _supervising_body(actor, None, "meeting")
    first_due = data.first_report_due or advance(today, data.cadence)
    if first_due < today:
        raise ValidationFailed(
            fields={"first_report_due": _("The first report is due today or later.")}
        )
    task = KeyTask.objects.create(
        number=f"~{uuid.uuid4().hex[:20]}",  # numbered once its id is known
        meeting=meeting,
        supervisor=supervisor,
        title=data.title,
        description=data.description,
        lead=lead,
        lead_person=person,
        deadline=data.deadline,
        outcome=data.outcome,
        target_value=data.target_value,
        unit=data.unit,
        cadence=data.cadence,
        next_report_due=first_due,
        created_by=actor,
        created_at=now,
    )
    task.number = f"AW{today:%Y}-{task.pk:04d}"
    KeyTask.objects.filter(pk=task.pk).update(number=task.number)
    task.cooperating.set(cooperating)
    task.regions.set(regions)
    write_event(
        KEY_TASK,
        task,
        actor=actor,
        action="deploy",
        at=now,
        to_state=task.state,
        data={"lead": str(lead), "next_due": first_due.isoformat()},
    )
    audit.record(
        actor=actor,
        action="create",
        instance=task,
        before=None,
        after=audit.snapshot(task, exclude=KEY_TASK.audit_exclude) | audit_extra(task),
    )
    return task


def key_task_step(
    *,
    actor: User,
    task_id: int,
    action: str,
    version: int | None,
    data: Any = None,
    files: Iterable[Any] = (),
    now: dt.datetime | None = None,
) -> KeyTask:
    task: KeyTask = take_step(
        KEY_TASK,
        actor=actor,
        pk=task_id,
        action=action,
        version=version,
        data=data,
        files=files,
        now=now,
    )
    return task


# --- progress reports ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProgressReportInput(Input):
    """A progress report: what was done, and the figure reached toward the target."""

    text: str = read(Text(limit=4000))
    figure: Decimal | None = read(Number(), None)


def progress_report_submit(
    *,
    actor: User,
    task_id: int,
    data: ProgressReportInput,
    files: Iterable[Any] = (),
    idempotency_key: str = "",
    now: dt.datetime | None = None,
) -> tuple[ProgressReport, bool]:
    """Report a task's progress: the machine's "report" step, taken on the task as it is
    (reports add to each other: the task is locked, so that two arriving together are
    applied one after the other). The lead department's report answers the period: the next
    report is due a period later, and the overdue flag and escalation are cleared. Returns
    (report, created): a retry with the same key returns the first one's report."""
    key = idempotency_key.strip()
    stored = f"{actor.pk}:{key}"[:120] if key else None
    try:
        with transaction.atomic():
            task: KeyTask = KeyTask.objects.select_for_update().get_for(actor, pk=task_id)
            if stored:
                existing = ProgressReport.objects.restrict(actor).filter(idempotency_key=stored)
                first = existing.first()
                if first is not None:
                    return first, False
            fields: dict[str, Any] = {"comment": data.text, "figure": data.figure, "key": key}
            take_step(
                KEY_TASK,
                actor=actor,
                pk=task.pk,
                action="report",
                version=task.version,
                data=fields,
                files=files,
                now=now,
            )
            report = (
                ProgressReport.objects.restrict(actor)
                .filter(task_id=task.pk, reported_by=actor)
                .order_by("-pk")
                .first()
            )
            assert report is not None
            return report, True
    except IntegrityError:
        found = ProgressReport.objects.restrict(actor).filter(idempotency_key=stored).first()
        if stored is None or found is None:
            raise
        return found, False
