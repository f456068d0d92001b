"""Writes to the risk inventory and the major hazard installations.

Every write takes a typed input (`redline.core.inputs`) that its edge built from what it
validated: a form's cleaned data, an API schema, a checked spreadsheet row. The actor must
see the enterprise (404) and hold a role that may change it (403); values are validated by
the model and, for assessments, by the rule set; updates carry the version read (409);
every change is in the change log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core import audit
from redline.core.errors import NotFound, ValidationFailed
from redline.core.inputs import UNSET, Input, Maybe, Unset
from redline.core.records import clean_or_fail, log_change, save_versioned
from redline.engines.gb18218 import GradingError, grade_payload
from redline.engines.risk_methods import AssessmentError
from redline.organisations.models import ChemicalPark, Enterprise, Person, ScopedQuerySet
from redline.organisations.services import enterprise_for
from redline.risk.models import (
    ControlMeasure,
    InspectionCycle,
    MajorHazardInstallation,
    ParkAssessment,
    RiskEvent,
    RiskObject,
    RiskUnit,
    UnitShutdown,
)
from redline.risk.standards import default_rule_set, gb18218, park_class, park_guides, rule_sets
from redline.risk.vocab import ControlMode

if TYPE_CHECKING:
    from redline.accounts.models import User

# A person of the record's enterprise: the record, its id, or a name only one of them holds.
type PersonRef = Person | int | str | None
# An assessment's factors by name (L, E, C; L, S; M, E, S): None for one left empty.
type Factors = Mapping[str, float | None]


@dataclasses.dataclass(frozen=True, kw_only=True)
class RiskObjectInput(Input):
    """An analysis object's fields as an edge validated them; an update changes those given.
    The installation comes as a record or an id and must be the enterprise's own."""

    name: Maybe[str] = UNSET
    kind: Maybe[str] = UNSET
    code: Maybe[str] = UNSET
    department: Maybe[str] = UNSET
    responsible: Maybe[PersonRef] = UNSET
    installation: Maybe[MajorHazardInstallation | int | None] = UNSET


@dataclasses.dataclass(frozen=True, kw_only=True)
class RiskUnitInput(Input):
    """An analysis unit; its place on the site plan as fractions of its width and height."""

    name: Maybe[str] = UNSET
    responsible: Maybe[PersonRef] = UNSET
    site_x: Maybe[float | None] = UNSET
    site_y: Maybe[float | None] = UNSET


@dataclasses.dataclass(frozen=True, kw_only=True)
class RiskEventInput(Input):
    """A risk event and its assessment. Without a rule set the event keeps its own (or takes
    its method's default); without a residual assessment (None) it has none."""

    name: Maybe[str] = UNSET
    description: Maybe[str] = UNSET
    method: Maybe[str] = UNSET
    rule_set: Maybe[str | None] = UNSET
    inherent: Maybe[Factors | None] = UNSET
    residual: Maybe[Factors | None] = UNSET


@dataclasses.dataclass(frozen=True, kw_only=True)
class CycleInput(Input):
    """A measure's inspection cycle; `version` is the one read, to change an existing cycle."""

    every: Maybe[int] = UNSET
    unit: Maybe[str] = UNSET
    starts_at: Maybe[dt.datetime] = UNSET
    work_start: Maybe[dt.time | None] = UNSET
    work_end: Maybe[dt.time | None] = UNSET
    day_type: Maybe[str] = UNSET
    task_type: Maybe[str] = UNSET
    task_item: Maybe[int | None] = UNSET
    version: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class MeasureInput(Input):
    """A control measure; one checked by inspection comes with its cycle (None: none)."""

    description: Maybe[str] = UNSET
    measure_class: Maybe[str] = UNSET
    measure_subclass: Maybe[str] = UNSET
    custom_class: Maybe[str] = UNSET
    control_mode: Maybe[str] = UNSET
    management_level: Maybe[str] = UNSET
    responsible: Maybe[PersonRef] = UNSET
    inspection_content: Maybe[str] = UNSET
    cycle: Maybe[CycleInput | None] = UNSET


@dataclasses.dataclass(frozen=True, kw_only=True)
class ShutdownInput(Input):
    """A unit's shutdown for overhaul."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class InstallationInput(Input):
    """An installation's inventory; the substances are graded as given (GB 18218-2018 names
    the substance and field of a bad one)."""

    name: Maybe[str] = UNSET
    code: Maybe[str] = UNSET
    kind: Maybe[str] = UNSET
    people_exposed: Maybe[int] = UNSET
    substances: Maybe[tuple[dict[str, Any], ...]] = UNSET


@dataclasses.dataclass(frozen=True, kw_only=True)
class ParkAssessmentInput(Input):
    """A chemical park's assessment; without a guide, the current default one."""

    assessed_on: dt.date
    score: Decimal
    guide: str | None = None
    assessor: str = ""


def _or[T](value: Maybe[T], default: T) -> T:
    """The value given, or `default` when the input leaves it out."""
    return default if isinstance(value, Unset) else value


def _visible[M: Model](actor: User, model: type[M], pk: int) -> M:
    """A record the actor can see (404) and may change (403), and not archived."""
    records = model._default_manager.all()
    if not isinstance(records, ScopedQuerySet):
        raise TypeError(f"{model.__name__} is not read through the door")
    instance: M = records.get_for(actor, "change", pk=pk)
    if getattr(instance, "is_archived", False):
        raise ValidationFailed(_("This record is archived; restore it before changing it."))
    return instance


def _person(enterprise: Enterprise, value: PersonRef, field: str) -> Person | None:
    """A person of this enterprise: a Person or an id (int), or a name (str) that must
    name exactly one person."""
    if value is None or value == "":
        return None
    people = enterprise.people.filter(is_archived=False)
    if isinstance(value, Person | int):
        found = people.filter(pk=value.pk if isinstance(value, Person) else value).first()
    else:
        named = list(people.filter(name=value.strip())[:2])
        if len(named) > 1:
            raise ValidationFailed(
                fields={field: _("Several people of this unit have that name; choose one.")}
            )
        found = named[0] if named else None
    if found is None:
        raise ValidationFailed(fields={field: _("No such person in this unit.")})
    return found


def _write(
    actor: User,
    instance: Any,
    before: dict[str, Any] | None,
    version: int | None,
    enterprise_id: int,
) -> None:
    clean_or_fail(instance)
    if before is None:
        instance.save()
        log_change(actor, "create", instance, None, enterprise_id=enterprise_id)
        return
    if version is None:
        raise ValidationFailed(fields={"version": _("Give the version you read.")})
    save_versioned(instance, version)
    log_change(actor, "update", instance, before, enterprise_id=enterprise_id)


@transaction.atomic
def risk_object_save(
    *,
    actor: User,
    enterprise_id: int,
    data: RiskObjectInput,
    object_id: int | None = None,
    version: int | None = None,
) -> RiskObject:
    enterprise = enterprise_for(actor, enterprise_id, "change")
    if object_id is None:
        obj, before = RiskObject(enterprise=enterprise), None
    else:
        obj = _visible(actor, RiskObject, object_id)
        if obj.enterprise_id != enterprise.pk:
            raise NotFound()
        before = audit.snapshot(obj)
    for name, value in data.given().items():
        if name == "responsible":
            obj.responsible = _person(enterprise, value, name)
        elif name == "installation":
            pk = value.pk if isinstance(value, MajorHazardInstallation) else value
            obj.installation = (
                MajorHazardInstallation.objects.filter(enterprise=enterprise, pk=pk).first()
                if pk
                else None
            )
            if pk and obj.installation is None:
                raise ValidationFailed(fields={name: _("No such installation in this unit.")})
        else:
            setattr(obj, name, value)
    _write(actor, obj, before, version, enterprise.pk)
    return obj


@transaction.atomic
def risk_unit_save(
    *,
    actor: User,
    object_id: int,
    data: RiskUnitInput,
    unit_id: int | None = None,
    version: int | None = None,
) -> RiskUnit:
    parent = _visible(actor, RiskObject, object_id)
    if unit_id is None:
        unit, before = RiskUnit(risk_object=parent), None
    else:
        unit = _visible(actor, RiskUnit, unit_id)
        if unit.risk_object_id != parent.pk:
            raise NotFound()
        before = audit.snapshot(unit)
    for name, value in data.given().items():
        if name == "responsible":
            unit.responsible = _person(parent.enterprise, value, name)
        else:
            setattr(unit, name, value)
    _write(actor, unit, before, version, parent.enterprise_id)
    return unit


def assess(
    method: str, rule_set_id: str | None, factors: Factors, field: str
) -> tuple[str, float, int]:
    """Score and level of one assessment under the rule set (the method's default when
    none is named): the factors must be exactly the rule set's, with values it allows.
    Errors name the factor (e.g. inherent.L)."""
    rule_set = rule_sets().get(rule_set_id) if rule_set_id else default_rule_set(method)
    if rule_set is None or rule_set.method != method:
        raise ValidationFailed(fields={"rule_set": _("No such rule set for this method.")})
    extra = sorted(set(factors) - set(rule_set.factors))
    if extra:
        raise ValidationFailed(
            fields={
                f"{field}.{extra[0]}": _("%(method)s has no factor %(name)s.")
                % {"method": rule_set.method, "name": extra[0]}
            }
        )
    values: dict[str, float] = {}
    for name in rule_set.factors:
        value = factors.get(name)
        if value is None:
            raise ValidationFailed(fields={f"{field}.{name}": _("This factor is required.")})
        values[name] = float(value)
    try:
        scores, levels, _codes = rule_set.assess({k: [v] for k, v in values.items()})
    except (AssessmentError, TypeError, ValueError) as error:
        name = getattr(error, "factor", "")
        raise ValidationFailed(fields={f"{field}.{name}" if name else field: str(error)}) from None
    return rule_set.id, float(scores[0]), int(levels[0])


def _as_floats(factors: Factors) -> dict[str, float]:
    """Assessed factors as stored (`assess` has checked that none is left empty)."""
    return {name: float(value) for name, value in factors.items() if value is not None}


@dataclasses.dataclass(frozen=True)
class AssessmentWarning:
    """Something in a saved assessment worth a second look; it does not stop the save."""

    code: str
    field: str
    message: str


def assessment_warnings(event: RiskEvent) -> list[AssessmentWarning]:
    """The warnings of an event's assessment: a residual risk (with the control measures)
    that scores or grades higher than the inherent one, when controls only ever lower a
    risk (a higher score is a higher risk; level 1 is the most severe). Shown by the web
    next to the residual assessment and returned by the API; the assessment is saved."""
    if event.residual_score is None or event.residual_level is None:
        return []
    if event.residual_score > event.inherent_score or event.residual_level < event.inherent_level:
        message = _(
            "The residual risk (score %(residual)s) is higher than the inherent risk "
            "(score %(inherent)s): control measures should lower the risk. Check both "
            "assessments."
        ) % {"residual": f"{event.residual_score:g}", "inherent": f"{event.inherent_score:g}"}
        return [AssessmentWarning("residual_above_inherent", "residual", message)]
    return []


@transaction.atomic
def risk_event_save(
    *,
    actor: User,
    unit_id: int,
    data: RiskEventInput,
    event_id: int | None = None,
    version: int | None = None,
) -> RiskEvent:
    unit = _visible(actor, RiskUnit, unit_id)
    if event_id is None:
        event, before = RiskEvent(unit=unit), None
    else:
        event = _visible(actor, RiskEvent, event_id)
        if event.unit_id != unit.pk:
            raise NotFound()
        before = audit.snapshot(event)
    event.enterprise_id = unit.risk_object.enterprise_id
    event.name = _or(data.name, event.name)
    event.description = _or(data.description, event.description)
    event.method = _or(data.method, event.method)
    if not event.method:
        raise ValidationFailed(fields={"method": _("This field is required.")})
    rule_set_id = _or(data.rule_set, None) or (event.rule_set if event.pk else None)
    if event.pk and before and _or(data.method, before["method"]) != before["method"]:
        rule_set_id = _or(data.rule_set, None)  # a new method takes its own rule set
    inherent = _or(data.inherent, event.inherent_factors if event.pk else None)
    if inherent is None:
        raise ValidationFailed(fields={"inherent": _("The inherent risk must be assessed.")})
    event.rule_set, event.inherent_score, event.inherent_level = assess(
        event.method, rule_set_id, inherent, "inherent"
    )
    event.inherent_factors = _as_floats(inherent)
    residual = _or(data.residual, event.residual_factors if event.pk else None)
    if residual:
        _rs, event.residual_score, event.residual_level = assess(
            event.method, event.rule_set, residual, "residual"
        )
        event.residual_factors = _as_floats(residual)
    else:
        event.residual_factors = event.residual_score = event.residual_level = None
    event.level = event.residual_level or event.inherent_level
    _write(actor, event, before, version, event.enterprise_id)
    return event


@transaction.atomic
def measure_save(
    *,
    actor: User,
    event_id: int,
    data: MeasureInput,
    measure_id: int | None = None,
    version: int | None = None,
) -> ControlMeasure:
    event = _visible(actor, RiskEvent, event_id)
    if measure_id is None:
        measure, before = ControlMeasure(event=event), None
    else:
        measure = _visible(actor, ControlMeasure, measure_id)
        if measure.event_id != event.pk:
            raise NotFound()
        before = audit.snapshot(measure)
    for name, value in data.given().items():
        if name == "responsible":
            # None when cleared: the model's validation then says a measure needs one.
            measure.responsible = _person(event.enterprise, value, name)  # type: ignore[assignment]
        elif name != "cycle":
            setattr(measure, name, value)
    _write(actor, measure, before, version, event.enterprise_id)
    cycle_data = _or(data.cycle, None)
    if measure.control_mode == ControlMode.INSPECTION:
        if cycle_data is None and not hasattr(measure, "cycle"):
            raise ValidationFailed(
                fields={"cycle": _("A measure checked by inspection needs its cycle.")}
            )
        if cycle_data is not None:
            _cycle_save(actor, measure, cycle_data, event.enterprise_id)
    elif cycle_data is not None:
        raise ValidationFailed(
            fields={"cycle": _("Only measures checked by inspection have a cycle.")}
        )
    else:
        live = InspectionCycle.objects.filter(measure=measure, is_archived=False).first()
        if live is not None:  # no longer inspected: its cycle stops generating tasks
            before_cycle = audit.snapshot(live)
            live.is_archived = True
            save_versioned(live, live.version)
            log_change(actor, "archive", live, before_cycle, enterprise_id=event.enterprise_id)
    return measure


def _cycle_save(actor: User, measure: ControlMeasure, data: CycleInput, enterprise_id: int) -> None:
    existing = InspectionCycle.objects.filter(measure=measure).first()
    cycle = existing or InspectionCycle(measure=measure)
    before = audit.snapshot(existing) if existing else None
    for name, value in data.given().items():
        if name != "version":
            setattr(cycle, name, value)
    try:
        clean_or_fail(cycle)
    except ValidationFailed as failure:
        raise ValidationFailed(
            fields={f"cycle.{k}": v for k, v in failure.fields.items()}
        ) from None
    if existing is None:
        cycle.save()
        log_change(actor, "create", cycle, None, enterprise_id=enterprise_id)
    else:
        if data.version is None:
            raise ValidationFailed(fields={"cycle.version": _("Give the version you read.")})
        cycle.is_archived = False
        save_versioned(cycle, data.version)
        log_change(actor, "update", cycle, before, enterprise_id=enterprise_id)


@transaction.atomic
def shutdown_save(*, actor: User, unit_id: int, data: ShutdownInput) -> UnitShutdown:
    unit = _visible(actor, RiskUnit, unit_id)
    shutdown = UnitShutdown(
        unit=unit, starts_at=data.starts_at, ends_at=data.ends_at, reason=data.reason
    )
    _write(actor, shutdown, None, None, unit.risk_object.enterprise_id)
    return shutdown


def _grade(installation: MajorHazardInstallation) -> None:
    payload = {
        "units": [
            {
                "id": str(installation.pk or "new"),
                "kind": installation.kind,
                "people_exposed": installation.people_exposed,
                "substances": installation.substances,
            }
        ]
    }
    try:
        result = grade_payload(gb18218(), payload)["units"][0]
    except GradingError as error:
        field = error.field.replace("substances[", "substances.").replace("]", "")
        raise ValidationFailed(fields={field: str(error).split(": ", 2)[-1]}) from None
    installation.grading_input = payload
    installation.grading_result = result
    installation.ratio_sum = result["ratio_sum"]
    installation.is_major = result["is_major"]
    installation.alpha = result["alpha"]
    installation.r_value = result["r_value"]
    installation.grade = result["grade"]
    installation.graded_at = timezone.now()


@transaction.atomic
def installation_save(
    *,
    actor: User,
    enterprise_id: int,
    data: InstallationInput,
    installation_id: int | None = None,
    version: int | None = None,
) -> MajorHazardInstallation:
    """Record an installation's inventory and grade it by GB 18218-2018 in the same step."""
    enterprise = enterprise_for(actor, enterprise_id, "change")
    if installation_id is None:
        installation, before = MajorHazardInstallation(enterprise=enterprise), None
    else:
        installation = _visible(actor, MajorHazardInstallation, installation_id)
        if installation.enterprise_id != enterprise.pk:
            raise NotFound()
        before = audit.snapshot(installation)
    for name, value in data.given().items():
        setattr(installation, name, list(value) if name == "substances" else value)
    _grade(installation)
    _write(actor, installation, before, version, enterprise.pk)
    return installation


@transaction.atomic
def installation_regrade(*, actor: User, installation_id: int) -> MajorHazardInstallation:
    """Grade again from the recorded inventory (after an inventory or table change)."""
    installation = _visible(actor, MajorHazardInstallation, installation_id)
    before = audit.snapshot(installation)
    _grade(installation)
    save_versioned(installation, installation.version)
    log_change(
        actor,
        "update",
        installation,
        before,
        enterprise_id=installation.enterprise_id,
        comment="regrade",
    )
    return installation


@transaction.atomic
def park_assess(*, actor: User, park_id: int, data: ParkAssessmentInput) -> ParkAssessment:
    """Record a chemical park's assessment; its class A-D follows from the score."""
    # the government side's operators and above, where they may create records
    park = ChemicalPark.objects.get_for(actor, "create", pk=park_id)
    guide = data.guide or next(g for g, v in park_guides().items() if v["default"])
    if guide not in park_guides():
        raise ValidationFailed(fields={"guide": _("No such guide version.")})
    assessment = ParkAssessment(
        park=park,
        guide=guide,
        assessed_on=data.assessed_on,
        score=data.score,
        assessor=data.assessor,
    )
    clean_or_fail(assessment)
    assessment.risk_class = park_class(float(assessment.score), guide)
    assessment.save()
    log_change(actor, "create", assessment, None, enterprise_id=None)
    return assessment
