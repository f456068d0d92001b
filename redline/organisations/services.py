"""Writes to the organisation registry. Web views, the API, the CLI and jobs all call these.

Each service validates through the model (one home for field rules), checks the
actor's jurisdiction and role, writes in one transaction with an optimistic
version check, and records the change in the append-only log.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from redline.core import audit
from redline.core.errors import Conflict, ValidationFailed
from redline.core.inputs import UNSET, Input, Maybe
from redline.core.records import clean_or_fail, log_change, save_versioned
from redline.organisations.access import ensure_can
from redline.organisations.models import (
    ChemicalPark,
    Enterprise,
    EnterpriseSector,
    Person,
    Region,
)
from redline.organisations.signals import unit_changed
from redline.organisations.vocab import PersonRole

if TYPE_CHECKING:
    from redline.accounts.models import User


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnterpriseInput(Input):
    """A unit's fields as an edge validated them; an update changes those given. The region
    and the park come as records or ids: either way the service finds them through the door,
    where the actor may place a unit."""

    name: Maybe[str] = UNSET
    credit_code: Maybe[str] = UNSET
    kind: Maybe[str] = UNSET
    sector_list: Maybe[tuple[str, ...]] = UNSET
    region: Maybe[Region | int | None] = UNSET
    chemical_park: Maybe[ChemicalPark | int | None] = UNSET
    address: Maybe[str] = UNSET
    latitude: Maybe[Decimal | None] = UNSET
    longitude: Maybe[Decimal | None] = UNSET
    headcount: Maybe[int | None] = UNSET
    status: Maybe[str] = UNSET


@dataclasses.dataclass(frozen=True, kw_only=True)
class PersonInput(Input):
    """A unit's person (never a government contact: administrators keep those)."""

    name: Maybe[str] = UNSET
    role: Maybe[str] = UNSET
    post: Maybe[str | None] = UNSET
    phone: Maybe[str | None] = UNSET
    email: Maybe[str | None] = UNSET


def _full_clean(instance: Model) -> None:
    clean_or_fail(instance, {"sector_list": "sectors"})


def _resolve(user: User, model: type[Model], value: Any, field: str, action: str) -> Any:
    """A related record where the actor may take `action` (place a unit there), or a field
    error (never a leak of others)."""
    if value in (None, ""):
        return None
    if isinstance(value, model):
        value = value.pk
    try:
        return model.objects.restrict(user, action).get(pk=value)  # type: ignore[attr-defined]
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise ValidationFailed(fields={field: _("No such record in your jurisdiction.")}) from None


def _apply_enterprise(
    actor: User, enterprise: Enterprise, data: EnterpriseInput, action: str
) -> None:
    for name, value in data.given().items():
        if name == "region":
            enterprise.region = _resolve(actor, Region, value, "region", action)
        elif name == "chemical_park":
            park = _resolve(actor, ChemicalPark, value, "chemical_park", action)
            enterprise.chemical_park = park
        elif name == "sector_list":
            enterprise.sector_list = list(value or ())
        elif name == "credit_code" and isinstance(value, str):
            enterprise.credit_code = "".join(value.split()).upper()
        else:
            setattr(enterprise, name, value)


def _ensure_in_jurisdiction(actor: User, enterprise: Enterprise, action: str) -> None:
    """After a write: the unit must still lie where the actor may take `action` on it."""
    if not Enterprise.objects.restrict(actor, action).filter(pk=enterprise.pk).exists():
        raise ValidationFailed(
            fields={"region": _("This would place the unit outside your jurisdiction.")}
        )


def enterprise_for(actor: User, enterprise_id: int, action: str) -> Enterprise:
    """A unit the actor can see (404 otherwise) and may take `action` on (403 otherwise)."""
    enterprise: Enterprise = Enterprise.objects.get_for(actor, action, pk=enterprise_id)
    return enterprise


@transaction.atomic
def enterprise_create(*, actor: User, data: EnterpriseInput) -> Enterprise:
    ensure_can(actor, "create")
    enterprise = Enterprise()
    _apply_enterprise(actor, enterprise, data, "create")
    if enterprise.region_id is None:
        raise ValidationFailed(fields={"region": _("This field is required.")})
    _full_clean(enterprise)
    enterprise.save()
    _ensure_in_jurisdiction(actor, enterprise, "create")
    _log(actor, "create", enterprise, None)
    return enterprise


@transaction.atomic
def enterprise_update(
    *, actor: User, enterprise_id: int, version: int, data: EnterpriseInput
) -> Enterprise:
    enterprise = enterprise_for(actor, enterprise_id, "change")
    if enterprise.is_archived:
        raise ValidationFailed(_("An archived unit cannot be edited; restore it first."))
    before = audit.snapshot(enterprise)
    _apply_enterprise(actor, enterprise, data, "change")
    _full_clean(enterprise)
    after = audit.snapshot(enterprise)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    changed.pop("updated_at", None)
    if not changed:
        if enterprise.version != version:
            raise Conflict()
        return enterprise
    save_versioned(enterprise, version)
    if "sectors" in changed:
        EnterpriseSector.sync([enterprise])
    _ensure_in_jurisdiction(actor, enterprise, "change")
    _log(actor, "update", enterprise, before)
    if {"region", "sectors", "kind"} & changed.keys():
        unit_changed.send(sender=Enterprise, enterprise=enterprise)
    return enterprise


@transaction.atomic
def enterprise_set_archived(
    *, actor: User, enterprise_id: int, archived: bool, comment: str = ""
) -> Enterprise:
    enterprise = enterprise_for(actor, enterprise_id, "archive")
    if enterprise.is_archived == archived:
        return enterprise
    before = audit.snapshot(enterprise)
    enterprise.is_archived = archived
    save_versioned(enterprise, enterprise.version)
    _log(actor, "archive" if archived else "restore", enterprise, before, comment)
    return enterprise


def _apply_person(person: Person, data: PersonInput) -> None:
    for name, value in data.given().items():
        setattr(person, name, value if value is not None else "")
    if person.role == PersonRole.GOVERNMENT_CONTACT:
        raise ValidationFailed(fields={"role": _("Choose a role within the unit.")})


def _person_for(actor: User, person_id: int) -> Person:
    """A unit's person the actor may change (government contacts are kept by admins)."""
    person: Person = Person.objects.get_for(actor, "change", pk=person_id, enterprise__isnull=False)
    return person


def _log(actor: User, action: str, instance: Any, before: Any, comment: str = "") -> None:
    enterprise_id = instance.pk if isinstance(instance, Enterprise) else instance.enterprise_id
    log_change(actor, action, instance, before, enterprise_id=enterprise_id, comment=comment)


@transaction.atomic
def person_create(*, actor: User, enterprise_id: int, data: PersonInput) -> Person:
    enterprise = enterprise_for(actor, enterprise_id, "change")
    person = Person(enterprise=enterprise)
    _apply_person(person, data)
    _full_clean(person)
    person.save()
    _log(actor, "create", person, None)
    return person


@transaction.atomic
def person_update(*, actor: User, person_id: int, version: int, data: PersonInput) -> Person:
    person = _person_for(actor, person_id)
    before = audit.snapshot(person)
    _apply_person(person, data)
    _full_clean(person)
    save_versioned(person, version)
    _log(actor, "update", person, before)
    return person


@transaction.atomic
def person_archive(*, actor: User, person_id: int, version: int) -> Person:
    person = _person_for(actor, person_id)
    before = audit.snapshot(person)
    person.is_archived = True
    save_versioned(person, version)
    _log(actor, "archive", person, before)
    return person
