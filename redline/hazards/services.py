"""Writes of hidden-hazard governance: reporting (by a unit, a government inspector, the
API, or the public), the closed loop's transitions, and the deadline sweep (reminders,
overdue flags, escalation up the responsibility chain).

Every write: the actor must see the hazard (404) and be allowed the step (403); values are
validated (422, naming the field); the version read must still be current and the state
the step leaves must still hold (409: two people acting at once cannot both succeed);
every change is in the change log and on the hazard's timeline; notifications leave after
the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from redline.core import audit
from redline.core.errors import NotFound, PermissionDenied, ValidationFailed
from redline.core.notify import notify, users_of
from redline.core.workflow import actor_name, take_step, text, write_event
from redline.engines.fire_composite import composite_determination
from redline.hazards import evidence
from redline.hazards.models import Hazard, HazardEvent, InspectionTask, unit_copies
from redline.hazards.standards import fire_rules, item
from redline.hazards.tally import tally_add
from redline.hazards.vocab import (
    Classification,
    HazardLevel,
    HazardSource,
    HazardState,
    HazardType,
)
from redline.hazards.workflow import MACHINE
from redline.organisations import selectors as org_selectors
from redline.organisations.access import can, is_government_side
from redline.organisations.models import Enterprise
from redline.organisations.vocab import RegionLevel, Sector
from redline.risk.models import ControlMeasure

if TYPE_CHECKING:
    from redline.accounts.models import User

REPORT_FIELDS = (
    "enterprise",
    "name",
    "description",
    "hazard_type",
    "level",
    "classification",
    "source",
    "location",
    "measure",
    "task",
    "determination_items",
    "fire_place_type",
    "fire_elements",
)


# --- helpers ---------------------------------------------------------------------------


def choice(data: Mapping[str, Any], name: str, choices: Any, *, required: bool) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        if required:
            raise ValidationFailed(fields={name: _("This field is required.")})
        return ""
    if value not in choices.values:
        raise ValidationFailed(
            fields={name: _("Choose one of: %(values)s.") % {"values": ", ".join(choices.values)}}
        )
    return value


def _date(data: Mapping[str, Any], name: str, *, required: bool) -> dt.date | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            raise ValidationFailed(fields={name: _("This field is required.")})
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(fields={name: _("Give a date as YYYY-MM-DD.")}) from None


def _future_date(data: Mapping[str, Any], name: str) -> dt.date:
    value = _date(data, name, required=True)
    assert value is not None
    if value < timezone.localdate():
        raise ValidationFailed(fields={name: _("The deadline cannot be in the past.")})
    return value


def check_fields(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(fields={name: _("Unknown field.") for name in unknown})


def timeline_event(
    hazard: Hazard,
    *,
    actor: Any,
    action: str,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
    actor_name: str = "",
) -> HazardEvent:
    event = write_event(
        MACHINE,
        hazard,
        actor=actor,
        action=action,
        at=at or timezone.now(),
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data,
        actor_label=actor_name,
    )
    assert isinstance(event, HazardEvent)  # the machine's event table
    return event


def hazard_url(hazard: Hazard) -> str:
    return reverse("hazard-detail", args=[hazard.pk])


def _hazard_for(actor: User, hazard_id: int) -> Hazard:
    queryset = Hazard.objects.restrict(actor).select_related("enterprise", "region")
    try:
        return queryset.get(pk=hazard_id)
    except Hazard.DoesNotExist:
        raise NotFound() from None


# --- determination ---------------------------------------------------------------------


def determination(
    items: Iterable[str], place_type: str, elements: Iterable[str]
) -> tuple[list[str], bool, Any]:
    """Check the cited determination items and the fire composite input; say whether they
    make the hazard major, with the composite result (or None)."""
    cited: list[str] = []
    for item_id in dict.fromkeys(str(i).strip() for i in items or [] if str(i).strip()):
        try:
            entry = item(item_id)
        except KeyError:
            raise ValidationFailed(
                fields={"determination_items": _("No determination item %(id)s.") % {"id": item_id}}
            ) from None
        if entry.kind == "element":
            raise ValidationFailed(
                fields={
                    "determination_items": _(
                        "%(id)s is a fire composite element: give it under the composite "
                        "method's elements."
                    )
                    % {"id": item_id}
                }
            )
        cited.append(item_id)
    found = [str(e).strip() for e in elements or [] if str(e).strip()]
    composite = None
    if found or place_type:
        if not place_type:
            raise ValidationFailed(fields={"fire_place_type": _("Say what kind of place it is.")})
        try:
            composite = composite_determination(fire_rules(), place_type, found)
        except ValueError as error:
            raise ValidationFailed(fields={"fire_elements": str(error)}) from None
    major = bool(cited) or bool(composite and composite.is_major)
    return cited, major, composite


# --- reporting -------------------------------------------------------------------------


def _reported_hazard(
    actor: User, data: Mapping[str, Any], *, source_default: str
) -> tuple[Hazard, Any]:
    """A new hazard from a unit's or a government's report (not saved)."""
    enterprise_value = data.get("enterprise")
    if enterprise_value in (None, ""):
        raise ValidationFailed(fields={"enterprise": _("This field is required.")})
    try:
        # Reported by those who may inspect the unit (a unit itself, or the government side
        # where it supervises, not where it only reads); their roles are checked below.
        enterprise = Enterprise.objects.get_for(actor, "inspect", roles=False, pk=enterprise_value)
    except NotFound:
        raise NotFound(_("No such unit in your jurisdiction.")) from None
    own = getattr(getattr(actor, "organisation", None), "enterprise_id", None) == enterprise.pk
    may_report = (own or getattr(actor, "is_superuser", False)) and (
        can(actor, "change") or can(actor, "inspect")
    )
    if not (may_report or (is_government_side(actor) and can(actor, "inspect"))):
        raise PermissionDenied()

    source = choice(data, "source", HazardSource, required=False) or source_default
    if source == HazardSource.PUBLIC:
        raise ValidationFailed(fields={"source": _("Public reports come through the public form.")})
    if source == HazardSource.GOVERNMENT and not is_government_side(actor):
        raise ValidationFailed(fields={"source": _("Only a government body reports this source.")})
    items, major_by_standard, composite = determination(
        data.get("determination_items") or [],
        text(data, "fire_place_type", required=False),
        data.get("fire_elements") or [],
    )
    level = choice(data, "level", HazardLevel, required=True)
    if major_by_standard:
        level = HazardLevel.MAJOR
    measure = task = None
    if data.get("task") not in (None, ""):
        task = (
            InspectionTask.objects.restrict(actor)
            .filter(pk=_int(data.get("task"), "task"), enterprise=enterprise)
            .select_related("measure")
            .first()
        )
        if task is None:
            raise ValidationFailed(fields={"task": _("No such inspection task of this unit.")})
        measure = task.measure
    if data.get("measure") not in (None, ""):
        measure = (
            ControlMeasure.objects.restrict(actor)
            .filter(pk=_int(data.get("measure"), "measure"), event__enterprise=enterprise)
            .first()
        )
        if measure is None:
            raise ValidationFailed(fields={"measure": _("No such control measure of this unit.")})
    sector = _sector_of(enterprise, items)
    hazard = Hazard(
        enterprise=enterprise,
        region=enterprise.region,
        sector=sector,
        **unit_copies(enterprise),
        name=text(data, "name", required=True, limit=200),
        description=text(data, "description", required=True),
        hazard_type=choice(data, "hazard_type", HazardType, required=True),
        level=level,
        classification=choice(data, "classification", Classification, required=False),
        source=source,
        location=text(data, "location", required=False, limit=300),
        measure=measure,
        task=task,
        determination_items=items,
        fire_place_type=text(data, "fire_place_type", required=False) if composite else "",
        fire_elements=sorted({str(e).strip() for e in data.get("fire_elements") or []})
        if composite
        else [],
        state=HazardState.REPORTED,
        reported_by=actor if getattr(actor, "pk", None) else None,
        reporter_name=actor_name(actor),
        reported_at=timezone.now(),
    )
    return hazard, composite


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={field: _("Give a number.")}) from None


def _sector_of(enterprise: Enterprise, items: list[str]) -> str:
    """The sector a hazard is handled under: that of its determination standard, else the
    unit's first sector."""
    from redline.hazards.standards import determination_standards

    for item_id in items:
        sector = determination_standards()[item(item_id).standard_id].sector
        if sector in Sector.values:
            return sector
    sectors = enterprise.sector_list
    return sectors[0] if sectors else ""


@transaction.atomic
def hazard_report(
    *,
    actor: User,
    data: Mapping[str, Any],
    photos: Iterable[Any] = (),
    idempotency_key: str = "",
    source_default: str = HazardSource.DAILY,
) -> tuple[Hazard, bool]:
    """Report a hidden hazard of a unit. Returns (hazard, created): a retried submission
    with the same idempotency key returns the hazard the first one created."""
    key = f"{actor.pk}:{idempotency_key.strip()}"[:120] if idempotency_key.strip() else None
    if key:
        existing = Hazard.objects.restrict(actor).filter(idempotency_key=key).first()
        if existing is not None:
            return existing, False
    check_fields(data, REPORT_FIELDS)
    uploads = evidence.check_uploads(photos)
    hazard, composite = _reported_hazard(actor, data, source_default=source_default)
    hazard.idempotency_key = key
    try:
        with transaction.atomic():
            hazard.save()
    except IntegrityError:
        # The same key won a race a moment ago: that hazard is the answer.
        existing = (
            Hazard.objects.restrict(actor).filter(idempotency_key=key).first() if key else None
        )
        if existing is None:
            raise
        return existing, False
    event = timeline_event(
        hazard,
        actor=actor,
        action="report",
        to_state=hazard.state,
        comment=hazard.description,
        data=_determination_data(hazard, composite),
    )
    evidence.store(uploads, actor=actor, hazard=hazard, event=event)
    if hazard.task is not None:
        # The inspection's photos are the hazard's evidence too.
        evidence.share(hazard.task.photos.all(), hazard=hazard)
    tally_add(hazard)
    audit.record(
        actor=actor,
        action="create",
        instance=hazard,
        before=None,
        after=audit.snapshot(hazard),
        enterprise_id=hazard.enterprise_id,
    )
    announce_report(hazard, actor)
    return hazard, True


def _determination_data(hazard: Hazard, composite: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"level": hazard.level}
    if hazard.determination_items:
        data["items"] = list(hazard.determination_items)
    if composite is not None:
        data["fire_composite"] = {
            "place_type": composite.place_type,
            "is_major": composite.is_major,
            "rules": [
                {
                    "rule": o.rule.id,
                    "counted": list(o.counted),
                    "threshold": o.threshold,
                    "matched": o.matched,
                }
                for o in composite.outcomes
            ],
        }
    return data


def announce_report(hazard: Hazard, actor: Any) -> None:
    """A major hazard is reported at once to its supervising departments and territorial
    governments (recorded on the timeline); a general one only to the unit."""
    if hazard.enterprise_id is None:
        governments = org_selectors.governments_at(
            hazard.region, (RegionLevel.SUBDISTRICT, RegionLevel.DISTRICT)
        )
        _notify_orgs(
            hazard,
            [o.pk for o in governments],
            key="public",
            subject=_("Public report of a hidden hazard: %(name)s"),
        )
        return
    if not hazard.is_major:
        return
    departments = org_selectors.supervising_departments(hazard.enterprise, hazard.sector)
    assert hazard.enterprise is not None  # (enterprise_id checked above)
    governments = org_selectors.governments_at(
        hazard.enterprise.region, (RegionLevel.SUBDISTRICT, RegionLevel.DISTRICT)
    )
    receivers = [*departments, *[g for g in governments if g.kind == "government"]]
    timeline_event(
        hazard,
        actor=None,
        action="auto_report",
        actor_name="Redline",
        data={"to": [str(o) for o in receivers]},
    )
    _notify_orgs(
        hazard,
        [o.pk for o in receivers],
        key="major",
        subject=_("Major hidden hazard reported: %(name)s"),
    )


def _notify_orgs(hazard: Hazard, org_ids: list[int], *, key: str, subject: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        text = str(subject) % {"name": f"{hazard.number} {hazard.name}"}
        body = f"{hazard.enterprise or hazard.region} · {hazard.get_level_display()}"
    notify(
        users_of(org_ids),
        key=f"hazard:{hazard.pk}:{key}",
        subject=text,
        body=body,
        url=hazard_url(hazard),
    )


def unit_users(hazard: Hazard) -> list[Any]:
    """The active users of the hazard's unit, and its rectifier (a hazard of no unit has
    only its rectifier)."""
    found: list[Any] = []
    if hazard.enterprise_id is not None:
        found = list(
            get_user_model().objects.filter(
                organisation__enterprise_id=hazard.enterprise_id, is_active=True
            )
        )
    if hazard.rectifier_id and all(u.pk != hazard.rectifier_id for u in found):
        found.append(hazard.rectifier)
    return found


# --- transitions -----------------------------------------------------------------------


def hazard_transition(
    *,
    actor: User,
    hazard_id: int,
    action: str,
    version: int | None,
    data: Mapping[str, Any] | None = None,
    photos: Iterable[Any] = (),
) -> Hazard:
    """Take one step of the closed loop (on the workflow kernel; `hazards/steps.py` says what
    each step changes and who hears of it)."""
    hazard: Hazard = take_step(
        MACHINE,
        actor=actor,
        pk=hazard_id,
        action=action,
        version=version,
        data=data,
        files=photos,
    )
    return hazard
