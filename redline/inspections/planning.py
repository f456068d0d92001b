"""The double-random plan from the database: the libraries read from the registry (targets:
operating units with their sector, region, standardisation grade and the level of their risk
inventory; inspectors: the inspector library), drawn by the engine
(`redline.engines.inspection_plan`, the same as `redline plan-inspections` with files),
drafted, previewed and published. Publishing creates the plan's inspections, each planned for
its month with its pair of inspectors, and makes the plan public (targets and outcomes, no
personal data)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core import audit, bulk
from redline.core.errors import Conflict, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog
from redline.core.records import log_change
from redline.core.workflow import event_row
from redline.engines.inspection_plan import (
    Inspector,
    Plan,
    PlanInfeasible,
    PlanInputError,
    Target,
    check_seed,
    check_year,
    plan,
    plan_document,
)
from redline.inspections.models import (
    ChecklistTemplate,
    Inspection,
    InspectionInspector,
    InspectionPlan,
    InspectorProfile,
)
from redline.inspections.plan_data import plan_rules
from redline.inspections.vocab import InspectionKind
from redline.inspections.workflow import INSPECTION
from redline.organisations.access import can, jurisdiction
from redline.organisations.models import Enterprise
from redline.organisations.vocab import Sector, UnitKind, UnitStatus
from redline.risk.models import RiskEvent

if TYPE_CHECKING:
    from redline.accounts.models import User

# The risk inventory's levels (1 red ... 4 blue) as the planner names them.
RISK_LEVEL = {1: "major", 2: "larger", 3: "general", 4: "low"}
UNASSESSED = "general"  # a unit without a risk inventory is not assumed to be low-risk


def _units(user: User | None) -> QuerySet[Enterprise]:
    """The units planned for: the city's when no one asks (the command), else those the
    user may inspect (the door)."""
    units = (
        Enterprise.objects.all() if user is None else Enterprise.objects.restrict(user, "inspect")
    )
    return units.filter(
        is_archived=False, status=UnitStatus.OPERATING, kind=UnitKind.ENTERPRISE
    ).select_related("region")


def targets_of(user: User | None) -> list[Target]:
    units = list(_units(user).order_by("credit_code", "pk"))
    levels = dict(
        RiskEvent.objects.filter(enterprise__in=[u.pk for u in units], is_archived=False)
        .values("enterprise_id")
        .annotate(level=Min("level"))
        .values_list("enterprise_id", "level")
    )
    return [
        Target(
            id=str(u.pk),
            name=u.name,
            sector=(u.sector_list[0] if u.sector_list else Sector.OTHER),
            region=u.region.code,
            risk_level=RISK_LEVEL.get(levels.get(u.pk, 0), UNASSESSED),
            standardisation_grade=u.standardisation_grade,
        )
        for u in units
    ]


def inspectors_of(user: User | None) -> list[Inspector]:
    profiles = InspectorProfile.objects.filter(
        is_active=True, user__is_active=True, user__organisation__isnull=False
    ).select_related("user__organisation__region")
    if user is not None and not jurisdiction(user, "inspect").everything:
        # A body plans with its own inspectors; the city (who may inspect everywhere) with
        # the whole library.
        profiles = profiles.filter(user__organisation=user.organisation)
    recusals: dict[int, list[str]] = {}
    through = InspectorProfile.recusals.through.objects.filter(
        inspectorprofile__in=profiles
    ).values_list("inspectorprofile_id", "enterprise_id")
    for profile_id, enterprise_id in through:
        recusals.setdefault(profile_id, []).append(str(enterprise_id))
    return [
        Inspector(
            id=str(p.user_id),
            name=str(p.user),
            department=str(p.user.organisation or ""),
            region=p.user.organisation.region.code if p.user.organisation else "",  # always set
            sectors=frozenset(p.sectors),
            capacity=p.capacity,
            recuse=frozenset(recusals.get(p.pk, [])),
        )
        for p in profiles.order_by("user_id")
    ]


def plan_from_database(*, year: int, seed: int, user: User | None = None) -> Plan:
    """The plan of the city's libraries (`redline plan-inspections` without files), or of
    those the user may plan with. A recusal of a unit that is not a target this year (closed,
    suspended, archived, outside the user's targets) has nothing to exclude and is left out."""
    targets, inspectors = libraries(user)
    return plan(targets, inspectors, plan_rules(), year=year, seed=seed)


def libraries(user: User | None = None) -> tuple[list[Target], list[Inspector]]:
    """The planner's two libraries from the database: the targets, and the inspectors with
    their recusals of those targets."""
    targets = targets_of(user)
    ids = {t.id for t in targets}
    inspectors = [
        dataclasses.replace(i, recuse=i.recuse & ids) if i.recuse - ids else i
        for i in inspectors_of(user)
    ]
    return targets, inspectors


def clashes(draft: InspectionPlan) -> list[tuple[Enterprise, int, str]]:
    """Units the plan visits in a month when another body already plans a visit there
    (joint management: merge the visits instead of inspecting twice)."""
    months = {(int(e["target"]), int(e["month"])) for e in draft.document["inspections"]}
    if not months:
        return []
    others = (
        Inspection.objects.filter(
            enterprise_id__in={unit for unit, _month in months},
            planned_on__year=draft.year,
            state="planned",
        )
        .exclude(plan=draft)
        .select_related("enterprise", "organisation")
    )
    found = [
        (other.enterprise, other.planned_on.month, other.organisation.name)
        for other in others
        if (other.enterprise_id, other.planned_on.month) in months
    ]
    return sorted(found, key=lambda row: (row[1], row[0].name))


# --- drafting and publishing --------------------------------------------------------------


def may_plan(user: User) -> bool:
    """Annual plans are drawn by the city government and its Safety Committee office."""
    return can(user, "manage")


def plan_draft(*, actor: User, year: Any, seed: Any = None) -> InspectionPlan:
    """Draw a plan for the year and keep it as a draft to preview (nothing is created yet).
    Refusals name the field; inputs that cannot satisfy a hard rule say which rule and
    which target or inspectors."""
    if not may_plan(actor) or actor.organisation is None:
        raise PermissionDenied(
            _("Annual plans are drawn by the city and its Safety Committee office.")
        )
    try:
        year = check_year(int(year))
    except (TypeError, ValueError, PlanInputError):
        raise ValidationFailed(fields={"year": _("Give a year such as 2027.")}) from None
    if seed in (None, ""):
        seed = secrets.randbelow(2**31)
    try:
        seed = check_seed(int(seed))
    except (TypeError, ValueError, PlanInputError):
        raise ValidationFailed(fields={"seed": _("Give a whole number of 0 or more.")}) from None
    try:
        drawn = plan_from_database(year=year, seed=seed, user=actor)
    except PlanInfeasible as error:
        raise ValidationFailed(_("The plan cannot be drawn: %(why)s") % {"why": error}) from None
    except PlanInputError as error:
        raise ValidationFailed(str(error)) from None
    with transaction.atomic():
        draft = InspectionPlan.objects.create(
            year=year,
            seed=seed,
            inputs_sha256=drawn.inputs_sha256,
            document=plan_document(drawn),
            organisation=actor.organisation,
            drafted_by=actor,
            drafted_at=timezone.now(),
        )
        log_change(actor, "create", draft, None, enterprise_id=None)
    return draft


def plan_publish(*, actor: User, plan_id: int, version: int) -> InspectionPlan:
    """Publish a draft: its inspections are created (planned, each in its month with its
    pair of inspectors, in the first inspector's body) and it becomes public. Once a year."""
    if not may_plan(actor):
        raise PermissionDenied()
    with transaction.atomic():
        draft = InspectionPlan.objects.select_for_update().filter(pk=plan_id).first()
        if draft is None:
            raise ValidationFailed(fields={"plan": _("No such plan.")})
        if draft.version != version or draft.state != "draft":
            raise Conflict(_("This plan was published or changed meanwhile. Reload it."))
        if InspectionPlan.objects.filter(year=draft.year, state="published").exists():
            raise Conflict(_("A plan for %(year)s is already published.") % {"year": draft.year})
        before = {"state": draft.state}
        now = timezone.now()
        InspectionPlan.objects.filter(pk=draft.pk).update(
            state="published", published_by=actor, published_at=now, version=draft.version + 1
        )
        draft.refresh_from_db()
        _create_inspections(draft, actor, now)
        log_change(actor, "state", draft, before, enterprise_id=None, comment="publish")
    return draft


def _create_inspections(draft: InspectionPlan, actor: User, now: dt.datetime) -> int:
    """The plan's inspections, their teams, timeline entries and change-log rows, written in
    bulk (`core.bulk`: ids reserved first, so each number is known before it is written; a
    province's plan is some hundred thousand inspections)."""
    from django.contrib.auth import get_user_model

    entries = draft.document["inspections"]
    people = get_user_model().objects.in_bulk(
        {int(i) for entry in entries for i in entry["inspectors"]}
    )
    units = Enterprise.objects.in_bulk({int(entry["target"]) for entry in entries})
    templates = {
        t.sector: t for t in ChecklistTemplate.objects.filter(is_current=True, campaign_code="")
    }
    made: list[tuple[Inspection, list[Any]]] = []
    for entry in entries:
        unit = units[int(entry["target"])]
        team = [people[int(i)] for i in entry["inspectors"]]
        sector = unit.sector_list[0] if unit.sector_list else Sector.OTHER
        body = team[0].organisation
        assert body is not None  # the library holds only inspectors of a body
        inspection = Inspection(
            number="",
            enterprise=unit,
            organisation=body,
            kind=InspectionKind.ENFORCEMENT,
            sector=sector,
            template=templates.get(sector),
            planned_on=dt.date(draft.year, int(entry["month"]), 1),
            created_by=actor,
            created_at=now,
            plan=draft,
        )
        made.append((inspection, team))
    inspections = [inspection for inspection, _team in made]
    bulk.reserve_ids(inspections)
    for inspection in inspections:
        inspection.number = f"JC{draft.year}-{inspection.pk:06d}"
    bulk.insert(inspections)
    bulk.insert(
        InspectionInspector(inspection=inspection, user=user, lead=n == 0)
        for inspection, team in made
        for n, user in enumerate(team)
    )
    bulk.insert(
        event_row(
            INSPECTION,
            inspection,
            actor=actor,
            action="plan",
            at=now,
            to_state=inspection.state,
            data={"plan": draft.year, "team": [str(u) for u in team]},
        )
        for inspection, team in made
    )
    bulk.insert_values(
        ChangeLog,
        [
            audit.entry_values(
                actor=actor,
                action="create",
                instance=inspection,
                before=None,
                after=audit.snapshot(inspection),
                enterprise_id=inspection.enterprise_id,
            )
            for inspection in inspections
        ],
    )
    return len(inspections)
