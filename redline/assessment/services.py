"""Writing assessments: create a draft, measure its computed figures, enter the office's items
with evidence, publish (the machine's step, which freezes the inputs). Only the city
government's and the Safety Committee office's managers (the door's "manage") write; every
write of a record is in the change log."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.assessment import measures, selectors
from redline.assessment.models import (
    Assessment,
    AssessmentEntry,
    AssessmentState,
    PeriodKind,
    SubjectKind,
)
from redline.assessment.workflow import ASSESSMENT
from redline.core import audit, uploads
from redline.core.errors import PermissionDenied, ValidationFailed
from redline.core.inputs import Input, read
from redline.core.readers import Choice, Count, Number, Text
from redline.core.records import log_change
from redline.core.workflow import take_step, write_event
from redline.organisations.access import can
from redline.organisations.models import Organisation, Region
from redline.organisations.vocab import OrganisationKind, RegionLevel

if TYPE_CHECKING:
    from redline.accounts.models import User


def _ensure_manages(actor: User) -> None:
    if not can(actor, "manage"):
        raise PermissionDenied(
            _("Assessments are the city government's and Safety Committee office's to manage.")
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class AssessmentInput(Input):
    """A new assessment: its title, period, who it assesses (the districts or the
    departments) and its scheme version (by default the kind's current one)."""

    title: str = read(Text(limit=200))
    year: int = read(Count())
    period_kind: str = read(Choice(PeriodKind.values))
    period_index: int = read(Count(), 0)
    subject_kind: str = read(Choice(SubjectKind.values), SubjectKind.DISTRICT)
    scheme_version: str = read(Choice(selectors.versions()), "")


def _check_period(data: AssessmentInput) -> None:
    errors: dict[str, Any] = {}
    if not 2000 <= data.year <= 2100:
        errors["year"] = _("Give a year between 2000 and 2100.")
    top = {PeriodKind.YEAR: 0, PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12}[
        PeriodKind(data.period_kind)
    ]
    if top == 0 and data.period_index != 0:
        errors["period_index"] = _("A year's assessment has no quarter or month.")
    elif top and not 1 <= data.period_index <= top:
        errors["period_index"] = _("Give a quarter from 1 to 4 or a month from 1 to 12.")
    if not data.title.strip():
        errors["title"] = _("This field is required.")
    if data.scheme_version and data.scheme_version not in selectors.versions(data.subject_kind):
        errors["scheme_version"] = _("This scheme does not assess this kind of subject.")
    if errors:
        raise ValidationFailed(fields=errors)


@transaction.atomic
def assessment_create(
    *, actor: User, data: AssessmentInput, now: dt.datetime | None = None
) -> Assessment:
    _ensure_manages(actor)
    _check_period(data)
    now = now or timezone.now()
    record = Assessment.objects.create(
        title=data.title.strip(),
        subject_kind=data.subject_kind,
        scheme_version=data.scheme_version or selectors.CURRENT_OF[SubjectKind(data.subject_kind)],
        year=data.year,
        period_kind=data.period_kind,
        period_index=data.period_index,
        created_by=actor,
        created_at=now,
    )
    write_event(ASSESSMENT, record, actor=actor, action="create", at=now, to_state=record.state)
    log_change(actor, "create", record, None, enterprise_id=None)
    return record


# A draft's kept figures older than this are measured again when a manager opens it.
MEASURE_AGAIN_AFTER = dt.timedelta(minutes=15)


def assessment_measure(*, actor: User, assessment_id: Any, now: dt.datetime | None = None) -> bool:
    """Measure a draft's computed figures from the records as the actor reads them (a
    manager reads the whole city) and keep them with the time they were taken, so its pages
    read them at once. Derived figures, not a record's change: no change-log entry. Kept only
    if no measurement taken later was kept meanwhile (two measurements racing keep the
    newer); False when not kept (that, or the assessment was published meanwhile: its inputs
    are frozen)."""
    _ensure_manages(actor)
    record = Assessment.objects.get_for(actor, "manage", pk=assessment_id)
    if record.is_published:
        return False
    taken = now or timezone.now()
    figures = measures.measure(actor, record)
    kept = (
        Assessment.objects.filter(pk=record.pk, state=AssessmentState.DRAFT)
        .filter(Q(measured_at__isnull=True) | Q(measured_at__lt=taken))
        .update(measured=figures, measured_at=taken)
    )
    return kept == 1


@dataclasses.dataclass(frozen=True, kw_only=True)
class EntryInput(Input):
    """The office's mark for one subject (a district: `region`; a department: `department`)
    on one entered indicator, bonus item or veto."""

    region: int | None = read(Count(), None)
    department: int | None = read(Count(), None)
    item: str = read(Text(limit=40))
    points: Decimal | None = read(Number(), None)
    triggered: bool = False
    note: str = read(Text(limit=2000), "")


def entered_items(version: str) -> dict[str, tuple[str, float | None]]:
    """The items the office enters: key -> (what, maximum points; None for a veto)."""
    plan = selectors.scheme(version)
    items: dict[str, tuple[str, float | None]] = {
        i.key: ("indicator", i.points) for i in plan.indicators if i.source == "entered"
    }
    items |= {b.key: ("bonus", b.max) for b in plan.bonuses}
    items |= {v.key: ("veto", None) for v in plan.vetoes if v.source == "entered"}
    return items


@transaction.atomic
def entry_set(
    *,
    actor: User,
    assessment_id: int,
    data: EntryInput,
    evidence: Any,
    now: dt.datetime | None = None,
) -> AssessmentEntry:
    """Enter (or replace) one item for one subject of a draft, with its evidence file."""
    record = Assessment.objects.get_for(actor, "manage", pk=assessment_id)
    if record.is_published:
        raise ValidationFailed(_("This assessment is published: its inputs are frozen."), fields={})
    items = entered_items(record.scheme_version)
    errors: dict[str, Any] = {}
    subject: Region | Organisation | None
    whose: dict[str, Region | Organisation | None]
    if record.subject_kind == SubjectKind.DEPARTMENT:
        subject = (
            Organisation.objects.restrict(actor)
            .filter(pk=data.department, kind=OrganisationKind.DEPARTMENT, is_archived=False)
            .first()
            if data.department is not None
            else None
        )
        if subject is None:
            errors["department"] = _("Choose a department.")
        whose = {"organisation": subject}
    else:
        subject = (
            Region.objects.restrict(actor)
            .filter(pk=data.region, level=RegionLevel.DISTRICT)
            .first()
            if data.region is not None
            else None
        )
        if subject is None:
            errors["region"] = _("Choose a district.")
        whose = {"region": subject}
    kind = items.get(data.item)
    if kind is None:
        errors["item"] = _("Choose an item the scheme has the office enter.")
    elif kind[0] != "veto":
        top = kind[1] or 0
        if data.points is None:
            errors["points"] = _("Give the points.")
        elif not 0 <= data.points <= Decimal(str(top)):
            errors["points"] = _("Give points from 0 to %(max)s.") % {"max": f"{top:g}"}
    existing = (
        AssessmentEntry.objects.restrict(actor)
        .filter(assessment=record, item=data.item, **whose)
        .first()
        if subject is not None
        else None
    )
    if evidence is None and (existing is None or not existing.evidence):
        errors["evidence"] = _("Attach the evidence (a file).")
    elif evidence is not None:
        try:
            evidence = uploads.check(evidence, field="evidence", allowed=uploads.OFFICE).as_file()
        except ValidationFailed as refused:
            errors.update(refused.fields)
    if errors:
        raise ValidationFailed(fields=errors)
    assert subject is not None and kind is not None
    now = now or timezone.now()
    entry = existing or AssessmentEntry(assessment=record, item=data.item, **whose)
    before = _entry_snapshot(existing) if existing is not None else None
    entry.points = data.points if kind[0] != "veto" else None
    entry.triggered = bool(data.triggered) if kind[0] == "veto" else False
    entry.note = data.note
    if evidence is not None:
        entry.evidence = evidence
    entry.entered_by = actor
    entry.entered_at = now
    entry.save()
    audit.record(
        actor=actor,
        action="update" if existing else "create",
        instance=entry,
        before=before,
        after=_entry_snapshot(entry),
    )
    return entry


def _entry_snapshot(entry: AssessmentEntry) -> dict[str, Any]:
    """The entry for the change log, its evidence by the file's name."""
    data = audit.snapshot(entry, exclude=("evidence",))
    data["evidence"] = entry.evidence.name if entry.evidence else ""
    return data


def assessment_step(
    *,
    actor: User,
    assessment_id: int,
    action: str,
    version: int | None,
    data: dict[str, Any],
    now: dt.datetime | None = None,
) -> Assessment:
    record: Assessment = take_step(
        ASSESSMENT,
        actor=actor,
        pk=assessment_id,
        action=action,
        version=version,
        data=data,
        now=now,
    )
    return record
