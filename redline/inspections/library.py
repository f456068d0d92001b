"""The double-random plan's two libraries as people keep them (双随机 "两库"): the inspection
targets (the registry's units with what the planner weighs: sector, region, the level of
their risk inventory, standardisation grade, open major hazards, the last inspection) and the
inspectors (body, competences, yearly capacity, recusals).

Who sees and keeps them follows the planner (`planning.targets_of`, `inspectors_of`): the city
government and its Safety Committee office (who plan for the city) the whole city; another
body that may inspect its own targets (the door's "inspect") and its own inspectors. A body's
managers keep its inspectors' profiles; the city's planners keep everybody's."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from redline.core import audit
from redline.core.errors import PermissionDenied, ValidationFailed
from redline.core.inputs import Input, read
from redline.core.readers import Codes, Ref
from redline.core.readers import Count as CountReader
from redline.hazards.models import Hazard
from redline.hazards.vocab import HazardLevel, HazardState
from redline.inspections.models import Inspection
from redline.inspections.models_plan import InspectorProfile
from redline.inspections.planning import RISK_LEVEL, UNASSESSED, _units, may_plan
from redline.organisations.access import is_government_side, jurisdiction, role_allows
from redline.organisations.models import Enterprise
from redline.organisations.vocab import Sector
from redline.risk.models import RiskEvent

if TYPE_CHECKING:
    from redline.accounts.models import User

RISK_ORDER = {name: level for level, name in RISK_LEVEL.items()}


def may_see(user: User) -> bool:
    """A government body that may inspect somewhere (the plan's planners included)."""
    return is_government_side(user) and (
        may_plan(user)
        or (role_allows(user, "inspect") and not jurisdiction(user, "inspect").is_empty)
    )


def _whole_city(user: User) -> bool:
    return may_plan(user) or jurisdiction(user, "inspect").everything


# --- targets ---------------------------------------------------------------------------


def targets(user: User, *, sector: str = "", risk: str = "") -> QuerySet[Enterprise]:
    """The targets the user plans with, each with its risk level (1 red ... 4 blue, None for
    no inventory), open major hazards and last completed inspection."""
    units = _units(None if _whole_city(user) else user)
    level = (
        RiskEvent.objects.filter(enterprise=OuterRef("pk"), is_archived=False)
        .values("enterprise")
        .annotate(level=Min("level"))
        .values("level")
    )
    majors = (
        Hazard.objects.filter(
            enterprise=OuterRef("pk"),
            level=HazardLevel.MAJOR,
            state__in=HazardState.open_states(),
        )
        .values("enterprise")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last = (
        Inspection.objects.filter(enterprise=OuterRef("pk"), completed_at__isnull=False)
        .values("enterprise")
        .annotate(at=Max("completed_at"))
        .values("at")
    )
    found = units.annotate(
        risk_level=Subquery(level), open_majors=Subquery(majors), last_inspected=Subquery(last)
    )
    if sector:
        found = found.filter(sectors__startswith=f",{sector},")
    if risk:
        order = RISK_ORDER.get(risk)
        if risk == UNASSESSED:
            found = found.filter(Q(risk_level=order) | Q(risk_level__isnull=True))
        else:
            found = found.filter(risk_level=order)
    return found.order_by("region__path", "name", "pk")


def risk_name(unit: Enterprise) -> str:
    """The planner's name of a target's risk level (`targets`' annotation; a unit with no
    inventory is "general")."""
    return RISK_LEVEL.get(getattr(unit, "risk_level", None) or 0, UNASSESSED)


# --- inspectors ------------------------------------------------------------------------


def inspectors(user: User) -> QuerySet[InspectorProfile]:
    """The inspector profiles the user sees: all for the city's planners, else its body's."""
    profiles = InspectorProfile.objects.select_related("user__organisation__region").annotate(
        recused=Count("recusals")
    )
    if not _whole_city(user):
        if user.organisation_id is None:
            return profiles.none()
        profiles = profiles.filter(user__organisation_id=user.organisation_id)
    return profiles.order_by("user__organisation__name", "user__username")


def may_keep(actor: User, person: Any) -> bool:
    """The city's planners keep every profile; a body's managers those of its people."""
    if may_plan(actor):
        return True
    return (
        role_allows(actor, "manage")
        and actor.organisation_id is not None
        and actor.organisation_id == person.organisation_id
    )


def candidates(actor: User) -> QuerySet[Any]:
    """People the actor may add to the library: active users of a body it keeps who may
    inspect and have no profile yet."""
    people = get_user_model().objects.filter(is_active=True, inspector_profile__isnull=True)
    if not may_plan(actor):
        if actor.organisation_id is None:
            return people.none()
        people = people.filter(organisation_id=actor.organisation_id)
    people = people.filter(organisation__isnull=False).select_related("organisation")
    return people.order_by("organisation__name", "username")


@dataclasses.dataclass(frozen=True, kw_only=True)
class InspectorInput(Input):
    """An inspector's profile as its keeper gives it; recusals are units' credit codes."""

    user: int = read(Ref(_lazy("Choose a person of a body you keep who may inspect.")))
    sectors: tuple[str, ...] = read(Codes(Sector.values))
    capacity: int = read(CountReader())
    recusals: tuple[str, ...] = read(Codes(), ())
    is_active: bool = True


def _snapshot(profile: InspectorProfile) -> dict[str, Any]:
    return {
        "user": profile.user_id,
        "sectors": list(profile.sectors),
        "capacity": profile.capacity,
        "is_active": profile.is_active,
        "recusals": sorted(profile.recusals.values_list("credit_code", flat=True)),
    }


@transaction.atomic
def inspector_save(*, actor: User, data: InspectorInput) -> InspectorProfile:
    """Add a person to the inspector library or change their profile (competences,
    capacity, recusals, whether they are drawn). Every problem is named by field; nothing
    changes then."""
    person = get_user_model().objects.filter(pk=data.user, is_active=True).first()
    refusal = _("Choose a person of a body you keep who may inspect.")
    if person is None or person.organisation_id is None:
        raise ValidationFailed(fields={"user": refusal})
    if not may_keep(actor, person):
        raise PermissionDenied(_("Only the city's planners and the body's managers keep it."))
    problems: dict[str, str] = {}
    if not role_allows(person, "inspect"):
        problems["user"] = refusal
    if not data.sectors:
        problems["sectors"] = _("Choose at least one sector.")
    if data.capacity < 1:
        problems["capacity"] = _("Give the most inspections a year, 1 or more.")
    units = list(Enterprise.objects.filter(credit_code__in=set(data.recusals)))
    unknown = sorted(set(data.recusals) - {u.credit_code for u in units})
    if unknown:
        problems["recusals"] = _("No unit with the credit code: %s") % "、".join(unknown)
    if problems:
        raise ValidationFailed(fields=problems)
    profile = InspectorProfile.objects.select_for_update().filter(
        user=person
    ).first() or InspectorProfile(user=person)
    before = _snapshot(profile) if profile.pk else None
    profile.sectors = sorted(set(data.sectors), key=Sector.values.index)
    profile.capacity = data.capacity
    profile.is_active = data.is_active
    profile.save()
    profile.recusals.set(units)
    after = _snapshot(profile)
    if before != after:
        audit.record(
            actor=actor,
            action="create" if before is None else "update",
            instance=profile,
            before=before,
            after=after,
        )
    return profile
