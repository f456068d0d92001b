"""Writes of the training module: training records, certificates, a person's training
profile (when they started, the special operations they perform) and post changes.

Every edge (the forms, the API, the spreadsheet import) builds a typed input and calls these
services. The person is named by id and must be a person of a unit the actor may change
(`Person.objects.restrict(actor, "change")`): a person the actor does not see is a 422
naming the field, one they see but may not change a 403. Each write is in one transaction
and recorded in the change log with the person's unit."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from redline.core import audit, uploads
from redline.core.errors import PermissionDenied, ValidationFailed
from redline.core.inputs import Input, read
from redline.core.readers import Choice, Codes, Count, Date, Number, Ref, Text
from redline.core.records import log_change, save_versioned
from redline.engines.training_compliance import certificate_dates
from redline.organisations.models import Person
from redline.organisations.vocab import PersonRole
from redline.training import requirements as req
from redline.training.models import (
    Certificate,
    PostChange,
    TrainingProfile,
    TrainingRecord,
)
from redline.training.vocab import CertificateKind, ChangeKind, Level, Purpose

if TYPE_CHECKING:
    from redline.accounts.models import User

PERSON_REFUSAL = _lazy("Choose a person of a unit you may change.")


def person_for(actor: User, pk: int, field: str = "person") -> Person:
    """The person of a unit (not archived) the actor may change: 422 on `field` when the
    actor does not see such a person, 403 when they see them but may not change the unit."""
    of_units = {"enterprise__isnull": False, "is_archived": False, "pk": pk}
    gov = PersonRole.GOVERNMENT_CONTACT
    found = (
        Person.objects.restrict(actor, "change")
        .select_related("enterprise")
        .filter(**of_units)
        .exclude(role=gov)
        .first()
    )
    if found is not None:
        return found
    if Person.objects.restrict(actor).filter(**of_units).exclude(role=gov).exists():
        raise PermissionDenied()
    raise ValidationFailed(fields={field: PERSON_REFUSAL})


def _full_clean(instance: Any, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as invalid:
        raise ValidationFailed(
            fields={k: " ".join(str(m) for m in v) for k, v in invalid.message_dict.items()}
        ) from None


def _evidence(file: Any) -> Any:
    if file is None:
        return None
    return uploads.check(file, field="evidence", allowed=uploads.DOCUMENTS).as_file()


# --- training records ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainingRecordInput(Input):
    """One training a person took (one line of their file)."""

    person: int = read(Ref(PERSON_REFUSAL))
    course: str = read(Text(limit=200))
    hours: Decimal = read(Number(places=1))
    day: dt.date = read(Date())
    level: str = read(Choice(Level.values))
    purpose: str = read(Choice(Purpose.values))
    trainer: str = read(Text(limit=100), "")
    trainer_signed: bool = False
    trainee_signed: bool = False
    evidence: Any = None  # an uploaded file (PDF or image), from a form or the API


@transaction.atomic
def training_record_add(*, actor: User, data: TrainingRecordInput) -> TrainingRecord:
    person = person_for(actor, data.person)
    if data.hours <= 0 or data.hours > 1000:
        raise ValidationFailed(fields={"hours": _("Give the hours: more than 0, at most 1000.")})
    if data.day > timezone.localdate():
        raise ValidationFailed(fields={"day": _("A training cannot be dated in the future.")})
    if not data.course:
        raise ValidationFailed(fields={"course": _("This field is required.")})
    record = TrainingRecord(
        person=person,
        course=data.course,
        hours=data.hours,
        day=data.day,
        level=data.level,
        purpose=data.purpose,
        trainer=data.trainer,
        trainer_signed=bool(data.trainer_signed),
        trainee_signed=bool(data.trainee_signed),
        created_by=actor,
        created_at=timezone.now(),
    )
    evidence = _evidence(data.evidence)
    if evidence is not None:
        record.evidence.save(evidence.name, evidence, save=False)
    _full_clean(record, exclude=["evidence", "created_by"])
    record.save()
    after = audit.snapshot(record, exclude=("evidence",))
    after["evidence"] = record.evidence.name or ""
    audit.record(
        actor=actor,
        action="create",
        instance=record,
        before=None,
        after=after,
        enterprise_id=person.enterprise_id,
    )
    return record


# --- certificates ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class CertificateInput(Input):
    person: int = read(Ref(PERSON_REFUSAL))
    kind: str = read(Choice(CertificateKind.values))
    item: str = read(Text(limit=40), "")  # a special operation's item code
    number: str = read(Text(limit=60))
    issuer: str = read(Text(limit=200), "")
    issued_on: dt.date = read(Date())
    valid_until: dt.date | None = read(Date(), None)  # default: from the kind's validity
    reviewed_on: dt.date | None = read(Date(), None)
    long_service: bool = False


def certificate_rule_dates(
    kind: str, issued_on: dt.date, reviewed_on: dt.date | None, long_service: bool
) -> tuple[dt.date, dt.date | None]:
    rule = req.requirements().certificates[kind]
    return certificate_dates(rule, issued_on, reviewed_on, long_service)


@transaction.atomic
def certificate_add(*, actor: User, data: CertificateInput) -> Certificate:
    person = person_for(actor, data.person)
    errors: dict[str, str] = {}
    category = ""
    if data.kind == CertificateKind.SPECIAL_OPERATION:
        operation = req.operations().get(data.item)
        if operation is None:
            errors["item"] = _("Choose a special-operation item of the catalogue.")
        else:
            category = operation.category
    elif data.item:
        errors["item"] = _("Only a special-operation certificate names an operation item.")
    if not data.number:
        errors["number"] = _("This field is required.")
    today = timezone.localdate()
    if data.issued_on > today:
        errors["issued_on"] = _("A certificate cannot be issued in the future.")
    if data.reviewed_on is not None and not (data.issued_on <= data.reviewed_on <= today):
        errors["reviewed_on"] = _("A review falls between the issue date and today.")
    if errors:
        raise ValidationFailed(fields=errors)
    valid_until, review_due = certificate_rule_dates(
        data.kind, data.issued_on, data.reviewed_on, data.long_service
    )
    if data.valid_until is not None:
        if data.valid_until < data.issued_on:
            raise ValidationFailed(fields={"valid_until": _("Valid until comes after issue.")})
        valid_until = data.valid_until
        if review_due is not None and review_due >= valid_until:
            review_due = None
    certificate = Certificate(
        person=person,
        kind=data.kind,
        category=category,
        item=data.item,
        number=data.number,
        issuer=data.issuer,
        issued_on=data.issued_on,
        valid_until=valid_until,
        reviewed_on=data.reviewed_on,
        review_due=review_due,
        long_service=data.long_service,
        created_by=actor,
        created_at=timezone.now(),
    )
    _full_clean(certificate, exclude=["created_by", "number", "kind"])
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError:
        raise ValidationFailed(
            fields={"number": _("A certificate of this kind has this number.")}
        ) from None
    log_change(actor, "create", certificate, None, enterprise_id=person.enterprise_id)
    return certificate


# --- what the rules need to know of a person --------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainingProfileInput(Input):
    person: int = read(Ref(PERSON_REFUSAL))
    started_on: dt.date | None = read(Date(), None)
    operations: tuple[str, ...] = read(Codes(), ())


@transaction.atomic
def training_profile_save(*, actor: User, data: TrainingProfileInput) -> TrainingProfile:
    """Set when the person started and the special operations they perform."""
    person = person_for(actor, data.person)
    known = req.operations()
    wrong = [code for code in data.operations if code not in known]
    if wrong:
        raise ValidationFailed(
            fields={
                "operations": _("Unknown operation items: %(codes)s.") % {"codes": ", ".join(wrong)}
            }
        )
    if data.started_on is not None and data.started_on > timezone.localdate():
        raise ValidationFailed(fields={"started_on": _("This date is in the future.")})
    operations = "," + ",".join(data.operations) + "," if data.operations else ""
    profile = (
        TrainingProfile.objects.restrict(actor, "change")
        .select_for_update()
        .filter(person=person)
        .first()
    )
    if profile is None:
        profile = TrainingProfile.objects.create(
            person=person, started_on=data.started_on, operations=operations
        )
        log_change(actor, "create", profile, None, enterprise_id=person.enterprise_id)
        return profile
    before = audit.snapshot(profile)
    profile.started_on = data.started_on
    profile.operations = operations
    save_versioned(profile, profile.version)
    profile.version += 1
    log_change(actor, "update", profile, before, enterprise_id=person.enterprise_id)
    return profile


@dataclasses.dataclass(frozen=True, kw_only=True)
class PostChangeInput(Input):
    person: int = read(Ref(PERSON_REFUSAL))
    on: dt.date = read(Date())
    kind: str = read(Choice(ChangeKind.values))
    absent_days: int = read(Count(), 0)
    note: str = read(Text(limit=200), "")


@transaction.atomic
def post_change_add(*, actor: User, data: PostChangeInput) -> PostChange:
    person = person_for(actor, data.person)
    if data.on > timezone.localdate():
        raise ValidationFailed(fields={"on": _("This date is in the future.")})
    if data.kind == ChangeKind.RETURN and data.absent_days <= 0:
        raise ValidationFailed(fields={"absent_days": _("Say how many days the person was away.")})
    change = PostChange.objects.create(
        person=person,
        on=data.on,
        kind=data.kind,
        absent_days=data.absent_days if data.kind == ChangeKind.RETURN else 0,
        note=data.note,
        created_by=actor,
        created_at=timezone.now(),
    )
    log_change(actor, "create", change, None, enterprise_id=person.enterprise_id)
    return change


# --- a certificate's steps (review, revoke) --------------------------------------------------


def certificate_step(
    *,
    actor: User,
    certificate_id: int,
    action: str,
    version: int | None,
    data: Any = None,
    now: dt.datetime | None = None,
) -> Certificate:
    """Take a step of the certificate machine (`training/workflow.py`)."""
    from redline.core.workflow import take_step
    from redline.training.workflow import CERTIFICATE

    certificate: Certificate = take_step(
        CERTIFICATE,
        actor=actor,
        pk=certificate_id,
        action=action,
        version=version,
        data=data,
        now=now,
    )
    return certificate
