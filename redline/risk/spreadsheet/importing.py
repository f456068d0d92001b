"""Matching a checked ledger against the inventory and applying it through the services."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core import spreadsheet
from redline.core.errors import DomainError
from redline.organisations.models import Enterprise, Person
from redline.organisations.services import enterprise_for
from redline.risk import services
from redline.risk.models import ControlMeasure, InspectionCycle, RiskEvent, RiskObject, RiskUnit
from redline.risk.spreadsheet.columns import (
    ASSESSMENT_KEYS,
    CYCLE_FIELDS,
    FILE,
    MEASURE_FIELDS,
    SERVICE_FIELDS,
    STAGES,
    ImportResult,
)
from redline.risk.spreadsheet.reading import _Line, _line
from redline.risk.standards import default_rule_set, rule_sets

if TYPE_CHECKING:
    from redline.accounts.models import User

# ---------------------------------------------------------------------------------------
# Matching against the inventory and planning the writes

# What a step gives its service.
type StepInput = (
    services.RiskObjectInput
    | services.RiskUnitInput
    | services.RiskEventInput
    | services.MeasureInput
)


@dataclass
class _Step:
    kind: str  # object | unit | event | measure
    row: spreadsheet.Row
    key: tuple[str, ...]
    parent: tuple[str, ...] | None
    instance: Any  # the record to update; None to create
    data: StepInput
    cycle: str = ""  # "created" / "updated" when the measure's cycle is written


def _by(items: list[Any], key: Callable[[Any], Any]) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return grouped


def _same_factors(stored: dict[str, Any] | None, given: dict[str, float] | None) -> bool:
    if not stored or not given:
        return not stored and not given
    return set(stored) == set(given) and all(float(stored[k]) == given[k] for k in given)


class _Planner:
    """Turns checked lines into service calls against the inventory as it is now."""

    def __init__(self, actor: User, enterprise: Enterprise) -> None:
        self.steps: list[_Step] = []
        self.ids: dict[tuple[str, ...], int] = {}
        live = {"is_archived": False}
        self.objects = _by(
            list(RiskObject.objects.restrict(actor).filter(enterprise=enterprise, **live)),
            lambda o: o.name,
        )
        self.units = _by(
            list(
                RiskUnit.objects.restrict(actor).filter(risk_object__enterprise=enterprise, **live)
            ),
            lambda u: (u.risk_object_id, u.name),
        )
        self.events = _by(
            list(RiskEvent.objects.restrict(actor).filter(enterprise=enterprise, **live)),
            lambda e: (e.unit_id, e.name),
        )
        self.measures = _by(
            list(
                ControlMeasure.objects.restrict(actor)
                .filter(event__enterprise=enterprise, **live)
                .select_related("responsible")
                .order_by("id")
            ),
            lambda m: (m.event_id, m.description),
        )
        self.cycles = {
            c.measure_id: c
            for c in InspectionCycle.objects.restrict(actor).filter(
                measure__event__enterprise=enterprise
            )
        }
        self.people = _by(
            list(Person.objects.restrict(actor).filter(enterprise=enterprise, **live)),
            lambda p: p.name,
        )
        self.first: dict[tuple[str, ...], _Line] = {}
        self.repeats: Counter[tuple[str, ...]] = Counter()

    def error(self, line: _Line, key: str, message: str) -> None:
        line.row.error(key, message)

    def plan(self, lines: list[_Line]) -> None:
        kinds: dict[str, tuple[str, int]] = {}
        for line in lines:
            if not line.kind:
                continue
            kind, row = kinds.setdefault(line.object, (line.kind, line.row.number))
            if kind != line.kind:
                self.error(
                    line,
                    "object_kind",
                    _("Row %(row)d gives this object another kind.") % {"row": row},
                )
        for line in lines:
            if not line.object:
                continue
            self._object(line, kinds.get(line.object, ("", 0))[0])
            if line.unit:
                self._unit(line)
            if line.unit and line.event:
                self._event(line)
                if line.measure is not None:
                    self._measure(line)

    def _match(self, line: _Line, key: str, found: list[Any], message: str) -> Any:
        """The one record of that name; an error when several share it."""
        if len(found) > 1:
            self.error(line, key, message % {"n": len(found), "name": found[0].name})
        return found[0] if len(found) == 1 else None

    def _seen(self, key: tuple[str, ...], line: _Line) -> _Line | None:
        first = self.first.get(key)
        if first is None:
            self.first[key] = line
        return first

    def _object(self, line: _Line, kind: str) -> None:
        key = ("object", line.object)
        if self._seen(key, line):
            return
        found = self.objects.get(line.object, [])
        obj = self._match(
            line,
            "object",
            found,
            _("%(n)d analysis objects of this enterprise are named “%(name)s”: rename them first."),
        )
        if obj is not None:
            self.ids[key] = obj.pk
            if kind and kind != obj.kind:
                self._step("object", line, key, None, obj, services.RiskObjectInput(kind=kind))
        elif not found:
            if not kind and line.kind is not None:
                self.error(line, "object_kind", _("Give the kind of a new analysis object."))
            data = services.RiskObjectInput(name=line.object, kind=kind)
            self._step("object", line, key, None, None, data)

    def _unit(self, line: _Line) -> None:
        parent = ("object", line.object)
        key = ("unit", line.object, line.unit)
        if self._seen(key, line):
            return
        found = self.units.get((self.ids.get(parent), line.unit), [])
        unit = self._match(
            line,
            "unit",
            found,
            _("%(n)d units of this analysis object are named “%(name)s”: rename them first."),
        )
        if unit is not None:
            self.ids[key] = unit.pk
        elif not found:
            self._step("unit", line, key, parent, None, services.RiskUnitInput(name=line.unit))

    def _event(self, line: _Line) -> None:
        parent = ("unit", line.object, line.unit)
        key = ("event", line.object, line.unit, line.event)
        first = self._seen(key, line)
        if first is not None:
            if first.assessment and line.assessment and first.assessment["method"]:
                for column in ASSESSMENT_KEYS:
                    if first.assessment[column] != line.assessment[column]:
                        self.error(
                            line,
                            column,
                            _("Row %(row)d assesses the same event differently.")
                            % {"row": first.row.number},
                        )
            return
        found = self.events.get((self.ids.get(parent), line.event), [])
        event = self._match(
            line,
            "event",
            found,
            _("%(n)d risk events of this unit are named “%(name)s”: rename them first."),
        )
        if event is not None:
            self.ids[key] = event.pk
        elif found:
            return
        data = self._assessed(line, event)
        if data is None:
            return
        if event is None:
            assessed = services.RiskEventInput.of(data, name=line.event)
            self._step("event", line, key, parent, None, assessed)
        elif (
            data["method"] != event.method
            or data["rule_set"] != event.rule_set
            or not _same_factors(event.inherent_factors, data["inherent"])
            or not _same_factors(event.residual_factors, data["residual"])
        ):
            self._step("event", line, key, parent, event, services.RiskEventInput.of(data))

    def _assessed(self, line: _Line, event: RiskEvent | None) -> dict[str, Any] | None:
        """The event's service data, after checking each factor against its rule set."""
        values = line.assessment
        if not values or not values["method"]:
            return None
        method = values["method"]
        if values["rule_set"]:
            rule_set = rule_sets()[values["rule_set"]]
        elif event is not None and event.method == method and event.rule_set in rule_sets():
            rule_set = rule_sets()[event.rule_set]
        else:
            rule_set = default_rule_set(method)
        data: dict[str, Any] = {"method": method, "rule_set": rule_set.id}
        for stage in STAGES:
            factors = {name: values[f"{stage}_{name}"] for name in rule_set.factors}
            for name, value in factors.items():
                allowed = rule_set.factors[name]
                if value is not None and value not in allowed:
                    self.error(
                        line,
                        f"{stage}_{name}",
                        _(
                            "%(value)s is not allowed for %(factor)s by rule set %(rule_set)s: "
                            "give one of %(allowed)s."
                        )
                        % {
                            "value": f"{value:g}",
                            "factor": name,
                            "rule_set": rule_set.id,
                            "allowed": ", ".join(f"{v:g}" for v in allowed),
                        },
                    )
            given = None not in factors.values()
            data[stage] = factors if given else None
        return data

    def _measure(self, line: _Line) -> None:
        assert line.measure is not None
        parent = ("event", line.object, line.unit, line.event)
        given = dict(line.measure)
        description = given["description"]
        if not description:
            return
        self.repeats[(*parent, description)] += 1
        nth = self.repeats[(*parent, description)] - 1
        found = self.measures.get((self.ids.get(parent), description), [])
        measure = found[nth] if parent in self.ids and nth < len(found) else None
        # By name; a namesake of the measure's current person keeps that person.
        person = given.pop("responsible")
        current = measure.responsible if measure is not None else None
        if current is None or current.name != person:
            people = self.people.get(person, [])
            if len(people) == 1:
                given["responsible"] = people[0].pk
            elif person and not people:
                message = _("No person of this enterprise is named “%(name)s”.")
                self.error(line, "responsible", message % {"name": person})
            elif person:
                message = _("%(n)d people of this enterprise are named “%(name)s”.")
                self.error(line, "responsible", message % {"n": len(people), "name": person})
        cycle = given.pop("cycle", None)
        existing = self.cycles.get(measure.pk) if measure is not None else None
        written = ""
        if cycle is not None and None not in (cycle["every"], cycle["unit"]):
            if existing is None:
                written = "created"
                given["cycle"] = services.CycleInput.of(cycle, starts_at=_first_task_at(cycle))
            elif any(getattr(existing, name) != cycle[name] for name in CYCLE_FIELDS):
                written = "updated"
                given["cycle"] = services.CycleInput.of(cycle, version=existing.version)
        if measure is None:
            data = services.MeasureInput.of(given)
            self._step("measure", line, parent, parent, None, data, written)
        elif (
            written
            or "responsible" in given
            or any(getattr(measure, name) != given[name] for name in MEASURE_FIELDS)
        ):
            data = services.MeasureInput.of(given)
            self._step("measure", line, parent, parent, measure, data, written)

    def _step(
        self,
        kind: str,
        line: _Line,
        key: tuple[str, ...],
        parent: tuple[str, ...] | None,
        instance: Any,
        data: StepInput,
        cycle: str = "",
    ) -> None:
        self.steps.append(_Step(kind, line.row, key, parent, instance, data, cycle))


def _first_task_at(cycle: dict[str, Any]) -> dt.datetime:
    """A new cycle's first task: tomorrow, at the start of its working window if it has one."""
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(tomorrow, cycle["work_start"] or dt.time()))


# ---------------------------------------------------------------------------------------
# Applying


def _apply(actor: User, enterprise: Enterprise, planner: _Planner, result: ImportResult) -> None:
    """The planned writes, through the services; the first refusal stops them."""
    ids: dict[Any, int] = planner.ids
    for step in planner.steps:
        instance = step.instance
        pk = instance.pk if instance is not None else None
        version = instance.version if instance is not None else None
        data = step.data
        try:
            if isinstance(data, services.RiskObjectInput):
                saved: Any = services.risk_object_save(
                    actor=actor,
                    enterprise_id=enterprise.pk,
                    data=data,
                    object_id=pk,
                    version=version,
                )
            elif isinstance(data, services.RiskUnitInput):
                saved = services.risk_unit_save(actor=actor, object_id=ids[step.parent], data=data)
            elif isinstance(data, services.RiskEventInput):
                saved = services.risk_event_save(
                    actor=actor,
                    unit_id=ids[step.parent],
                    data=data,
                    event_id=pk,
                    version=version,
                )
            else:
                saved = services.measure_save(
                    actor=actor,
                    event_id=ids[step.parent],
                    data=data,
                    measure_id=pk,
                    version=version,
                )
        except DomainError as failure:
            step.row.refused(failure, SERVICE_FIELDS[step.kind])
            return
        if step.kind != "measure":
            ids[step.key] = saved.pk
        (result.updated if instance is not None else result.created)[f"{step.kind}s"] += 1
        if step.cycle:
            (result.created if step.cycle == "created" else result.updated)["cycles"] += 1


def import_inventory(*, actor: User, enterprise_id: int, file: Any) -> ImportResult:
    """Read, check and (only if every row is right) apply a ledger; see the package doc.

    Raises NotFound / PermissionDenied when the actor may not change the enterprise;
    every other problem is in the result's errors, and then nothing was saved.
    """
    enterprise = enterprise_for(actor, enterprise_id, "change")
    result = ImportResult()

    def write(batch: spreadsheet.Batch) -> None:
        planner = _Planner(actor, enterprise)
        planner.plan([_line(row) for row in batch.rows])
        if not batch.errors:
            _apply(actor, enterprise, planner, result)

    outcome = spreadsheet.run(FILE, file, write)
    result.errors, result.rows = outcome.errors, outcome.rows
    if result.errors:
        result.created.clear()
        result.updated.clear()
    return result
