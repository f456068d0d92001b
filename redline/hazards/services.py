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

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from redline.core import audit
from redline.core.errors import NotFound, PermissionDenied, ValidationFailed
from redline.core.inputs import Input, read
from redline.core.notify import notify, users_of
from redline.core.readers import Choice, Codes, Ref, Text
from redline.core.workflow import actor_name, take_step, write_event
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


@dataclasses.dataclass(frozen=True, kw_only=True)
class HazardReportInput(Input):
    """A hidden hazard as its reporter gives it (a unit's own people or a government
    inspector): each field read once, where it arrives."""

    enterprise: int = read(Ref(_lazy("No such unit in your jurisdiction.")))
    name: str = read(Text(limit=200))
    description: str = read(Text())
    hazard_type: str = read(Choice(HazardType.values))
    level: str = read(Choice(HazardLevel.values))
    classification: str = read(Choice(Classification.values), "")
    source: str = read(Choice(HazardSource.values), "")
    location: str = read(Text(limit=300), "")
    measure: int | None = read(Ref(_lazy("No such control measure of this unit.")), None)
    task: int | None = read(Ref(_lazy("No such inspection task of this unit.")), None)
    determination_items: tuple[str, ...] = read(Codes(), ())
    fire_place_type: str = read(Text(), "")
    fire_elements: tuple[str, ...] = read(Codes(), ())


# --- helpers ---------------------------------------------------------------------------


def timeline_event(
    hazard: Hazard,
    *,
    actor: User | None,
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
    actor: User, data: HazardReportInput, *, source_default: str
) -> tuple[Hazard, Any]:
    """A new hazard from a unit's or a government's report (not saved)."""
    try:
        # Reported by those who may inspect the unit (a unit itself, or the government side
        # where it supervises, not where it only reads); their roles are checked below.
        enterprise = Enterprise.objects.get_for(actor, "inspect", roles=False, pk=data.enterprise)
    except NotFound:
        raise NotFound(_("No such unit in your jurisdiction.")) from None
    own = actor.organisation is not None and actor.organisation.enterprise_id == enterprise.pk
    may_report = (own or actor.is_superuser) and (can(actor, "change") or can(actor, "inspect"))
    if not (may_report or (is_government_side(actor) and can(actor, "inspect"))):
        raise PermissionDenied()

    source = data.source or source_default
    if source == HazardSource.PUBLIC:
        raise ValidationFailed(fields={"source": _("Public reports come through the public form.")})
    if source == HazardSource.GOVERNMENT and not is_government_side(actor):
        raise ValidationFailed(fields={"source": _("Only a government body reports this source.")})
    items, major_by_standard, composite = determination(
        list(data.determination_items), data.fire_place_type, list(data.fire_elements)
    )
    level = HazardLevel.MAJOR if major_by_standard else data.level
    measure = task = None
    if data.task is not None:
        task = (
            InspectionTask.objects.restrict(actor)
            .filter(pk=data.task, enterprise=enterprise)
            .select_related("measure")
            .first()
        )
        if task is None:
            raise ValidationFailed(fields={"task": _("No such inspection task of this unit.")})
        measure = task.measure
    if data.measure is not None:
        measure = (
            ControlMeasure.objects.restrict(actor)
            .filter(pk=data.measure, event__enterprise=enterprise)
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
        name=data.name,
        description=data.description,
        hazard_type=data.hazard_type,
        level=level,
        classification=data.classification,
        source=source,
        location=data.location,
        measure=measure,
        task=task,
        determination_items=items,
        fire_place_type=data.fire_place_type if composite else "",
        fire_elements=sorted(data.fire_elements) if composite else [],
        state=HazardState.REPORTED,
        reported_by=actor,
        reporter_name=actor_name(actor),
        reported_at=timezone.now(),
    )
    return hazard, composite


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
    data: HazardReportInput,
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


def announce_report(hazard: Hazard, actor: User | None) -> None:
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
