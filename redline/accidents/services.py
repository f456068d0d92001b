"""Writes of the accidents: recording one (by form, API or spreadsheet: the same input and
the same service), editing what describes it, adding photos, setting the annual control
indicators. The figures change afterwards only through the workflow's supplementary report
and investigation report (`accidents/workflow.py`). The level is never an input: the model
computes it with the Decree 493 engine on every save, and the database refuses a row whose
level disagrees with its figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from redline.accidents import files
from redline.accidents.models import Accident, ControlIndicator
from redline.accidents.readers import Casualties, Yuan
from redline.accidents.vocab import TYPES_1986, TYPES_2025, ReportingClass, standard_for
from redline.accidents.workflow import ACCIDENT
from redline.core import audit
from redline.core.errors import Conflict, PermissionDenied, ValidationFailed
from redline.core.inputs import UNSET, Input, Maybe, read
from redline.core.readers import Choice, Count, DateTime, Ref, Text
from redline.core.records import clean_or_fail, log_change, save_versioned
from redline.core.workflow import write_event
from redline.organisations.access import can, is_government_side
from redline.organisations.models import Enterprise, Region
from redline.organisations.vocab import Sector

if TYPE_CHECKING:
    from redline.accounts.models import User

UNIT_REFUSAL = _lazy("Choose a unit you may record accidents of.")
REGION_REFUSAL = _lazy("No such region in your jurisdiction.")


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccidentInput(Input):
    """An accident as it is first reported."""

    occurred_at: dt.datetime = read(DateTime())
    place: str = read(Text(limit=300))
    unit: int | None = read(Ref(UNIT_REFUSAL), None)
    region: int | None = read(Ref(REGION_REFUSAL), None)
    sector: str = read(Choice(Sector.values), "")
    reporting_class: str = read(Choice(ReportingClass.values), ReportingClass.OTHER)
    type_1986: str = read(Choice(TYPES_1986.values), "")
    type_2025: str = read(Choice(TYPES_2025.values), "")
    deaths: int = read(Casualties())
    serious_injuries: int = read(Casualties())
    direct_loss_cny: Decimal = read(Yuan())
    narrative: str = read(Text(limit=20000), "")
    reported_at: dt.datetime | None = read(DateTime(), None)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccidentUpdateInput(Input):
    """What an edit changes (the figures change through the supplementary report)."""

    occurred_at: Maybe[dt.datetime] = read(DateTime(), UNSET)
    place: Maybe[str] = read(Text(limit=300), UNSET)
    sector: Maybe[str] = read(Choice(Sector.values), UNSET)
    reporting_class: Maybe[str] = read(Choice(ReportingClass.values), UNSET)
    type_1986: Maybe[str] = read(Choice(TYPES_1986.values), UNSET)
    type_2025: Maybe[str] = read(Choice(TYPES_2025.values), UNSET)
    narrative: Maybe[str] = read(Text(limit=20000), UNSET)
    reported_at: Maybe[dt.datetime] = read(DateTime(), UNSET)


def type_errors(accident: Accident) -> dict[str, str]:
    """The type the accident's date asks for: GB 6441-1986 before 2026-07-01, GB 6441-2025
    from then on (the other standard's type may be given as well)."""
    day = timezone.localtime(accident.occurred_at).date()
    if standard_for(day) == "2025" and not accident.type_2025:
        return {"type_2025": _("From 2026-07-01 an accident is typed by GB 6441-2025.")}
    if standard_for(day) == "1986" and not accident.type_1986:
        return {"type_1986": _("Before 2026-07-01 an accident is typed by GB 6441-1986.")}
    return {}


def _time_errors(accident: Accident, now: dt.datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if accident.occurred_at > now:
        errors["occurred_at"] = _("The accident cannot be in the future.")
    elif accident.reported_at < accident.occurred_at:
        errors["reported_at"] = _("The report cannot come before the accident.")
    return errors


def _place(actor: User, data: AccidentInput) -> tuple[Enterprise | None, Region, str]:
    """The unit (through the door: one the actor may change), the region and the sector."""
    errors: dict[str, Any] = {}
    unit = None
    region = None
    sector = data.sector
    if data.unit is not None:
        unit = Enterprise.objects.restrict(actor, "change").filter(pk=data.unit).first()
        if unit is None:
            errors["unit"] = str(UNIT_REFUSAL)
        else:
            region = unit.region
            if not sector:
                sector = next(iter(unit.sector_list), Sector.OTHER)
    else:
        if not is_government_side(actor):
            errors["unit"] = str(UNIT_REFUSAL)
        if data.region is None:
            errors["region"] = _("Give the region of an accident in no registered unit.")
        else:
            region = Region.objects.restrict(actor).filter(pk=data.region).first()
            if region is None:
                errors["region"] = str(REGION_REFUSAL)
        if not sector:
            errors["sector"] = _("Give the sector of an accident in no registered unit.")
    if errors:
        raise ValidationFailed(fields=errors)
    assert region is not None
    return unit, region, sector


def _next_number(year: int) -> str:
    prefix = f"SG{year}-"
    last = (
        Accident.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    serial = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{serial:05d}"


@transaction.atomic
def accident_record(
    *,
    actor: User,
    data: AccidentInput,
    photos: list[Any] | None = None,
    now: dt.datetime | None = None,
) -> Accident:
    """Record an accident: the level is the engine's (Decree 493), the deadlines follow."""
    now = now or timezone.now()
    if not can(actor, "change"):
        raise PermissionDenied(_("You may not record accidents."))
    unit, region, sector = _place(actor, data)
    uploads = files.check_photos(photos or [])
    accident = Accident(
        occurred_at=data.occurred_at,
        place=data.place,
        unit=unit,
        region=region,
        sector=sector,
        reporting_class=data.reporting_class,
        type_1986=data.type_1986,
        type_2025=data.type_2025,
        deaths=data.deaths,
        serious_injuries=data.serious_injuries,
        direct_loss_cny=data.direct_loss_cny,
        narrative=data.narrative,
        reported_at=data.reported_at or now,
        created_by=actor,
        created_at=now,
    )
    accident.number = _next_number(timezone.localtime(data.occurred_at).year)
    accident.compute()
    errors = _time_errors(accident, now) | type_errors(accident)
    if errors:
        raise ValidationFailed(fields=errors)
    clean_or_fail(accident)
    try:
        with transaction.atomic():
            accident.save()
    except IntegrityError:
        raise Conflict(_("Another accident was recorded at the same moment. Try again.")) from None
    # The door decides whether this actor may record this accident (its unit, its region
    # and sector): what they could not change afterwards they cannot record.
    if not Accident.objects.restrict(actor, "change").filter(pk=accident.pk).exists():
        field = "unit" if unit is not None else "region"
        raise ValidationFailed(fields={field: str(UNIT_REFUSAL if unit else REGION_REFUSAL)})
    write_event(ACCIDENT, accident, actor=actor, action="record", at=now, to_state=accident.state)
    log_change(actor, "create", accident, None, enterprise_id=accident.unit_id)
    stored = files.store(uploads, accident=accident, actor=actor, kind="photo")
    files.log_stored(actor, stored, enterprise_id=accident.unit_id)
    return accident


@transaction.atomic
def accident_update(
    *, actor: User, accident_id: int, version: int, data: AccidentUpdateInput
) -> Accident:
    """Change what describes an accident, from the version read (409 when someone changed it
    since); the deadlines follow a changed time."""
    accident: Accident = Accident.objects.get_for(actor, "change", pk=accident_id)
    before = audit.snapshot(accident, exclude=ACCIDENT.audit_exclude)
    for name, value in data.given().items():
        setattr(accident, name, value)
    accident.compute()
    errors = _time_errors(accident, timezone.now()) | type_errors(accident)
    if errors:
        raise ValidationFailed(fields=errors)
    clean_or_fail(accident)
    save_versioned(accident, version)
    write_event(ACCIDENT, accident, actor=actor, action="edit", at=timezone.now())
    log_change(actor, "update", accident, before, enterprise_id=accident.unit_id)
    return accident


@transaction.atomic
def accident_add_photos(*, actor: User, accident_id: int, photos: list[Any]) -> int:
    accident: Accident = Accident.objects.get_for(actor, "change", pk=accident_id)
    uploads = files.check_photos(photos)
    stored = files.store(uploads, accident=accident, actor=actor, kind="photo")
    files.log_stored(actor, stored, enterprise_id=accident.unit_id)
    return len(stored)


# --- control indicators ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class IndicatorInput(Input):
    year: int = read(Count())
    region: int = read(Ref(REGION_REFUSAL))
    sector: str = read(Choice(Sector.values), "")
    max_accidents: int = read(Count())
    max_deaths: int = read(Count())


@transaction.atomic
def indicator_set(*, actor: User, data: IndicatorInput) -> ControlIndicator:
    """Set (or change) a year's ceilings for a region and sector: the city Safety Committee
    office's and government's managers (the door's "manage")."""
    if not can(actor, "manage"):
        raise PermissionDenied(_("Control indicators are set by the city Safety Committee."))
    region = Region.objects.restrict(actor).filter(pk=data.region).first()
    if region is None:
        raise ValidationFailed(fields={"region": str(REGION_REFUSAL)})
    if not 2000 <= data.year <= 2100:
        raise ValidationFailed(fields={"year": _("Give a year between 2000 and 2100.")})
    found = (
        ControlIndicator.objects.restrict(actor, "manage")
        .filter(year=data.year, region=region, sector=data.sector)
        .first()
    )
    before = audit.snapshot(found) if found else None
    indicator = found or ControlIndicator(
        year=data.year,
        region=region,
        sector=data.sector,
        created_by=actor,
        created_at=timezone.now(),
    )
    indicator.max_accidents = data.max_accidents
    indicator.max_deaths = data.max_deaths
    clean_or_fail(indicator)
    if found:
        save_versioned(indicator, found.version)
    else:
        indicator.save()
    log_change(actor, "update" if found else "create", indicator, before, enterprise_id=None)
    return indicator
