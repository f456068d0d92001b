"""The demo's risk inventories fit their units: every analysis object comes from what the
unit's sector (its trade's) or its kind of key place has, its risk units and events from
that object, and each control measure (with the inspections it schedules) from that event.
The same seed gives the same inventories."""

from __future__ import annotations

import pytest
from django.db import transaction

from redline.organisations import demo
from redline.organisations.models import Enterprise, Region
from redline.organisations.vocab import Sector, UnitKind
from redline.risk.demo import KIND_OBJECTS, SECTOR_OBJECTS, ObjectTemplate, build_risks
from redline.risk.models import ControlMeasure, RiskObject

pytestmark = pytest.mark.django_db


def small_city(seed: int) -> demo.Builder:
    """The small demo city without the other modules' steps, then this module's step."""
    return demo.build_city(seed=seed, progress=lambda message: None, steps=[build_risks])


def demo_objects():
    city = Region.objects.get(code=demo.CITY[2])
    return (
        RiskObject.objects.filter(enterprise__region__path__startswith=city.path)
        .select_related("enterprise")
        .prefetch_related("units__events__measures__cycle")
        .order_by("enterprise__credit_code", "name")
    )


def fitting(unit: Enterprise) -> dict[str, list[ObjectTemplate]]:
    """The object templates that fit the unit by name: its kind of key place's, or those of
    any of its sectors."""
    if unit.kind != UnitKind.ENTERPRISE:
        pools = [KIND_OBJECTS[unit.kind]]
    else:
        pools = [SECTOR_OBJECTS[s] for s in unit.sector_list]
    found: dict[str, list[ObjectTemplate]] = {}
    for pool in pools:
        for template in pool:
            found.setdefault(template.name, []).append(template)
    return found


def test_every_demo_inventory_record_fits_its_unit():
    small_city(seed=1)
    objects = list(demo_objects())
    assert len(objects) > 50
    measures = inspected = 0
    for obj in objects:
        unit = obj.enterprise
        where = f"{unit.name} ({unit.kind}, {unit.sectors}): {obj.name}"
        templates = [t for t in fitting(unit).get(obj.name, []) if t.kind == obj.kind]
        assert templates, where
        for risk_unit in obj.units.all():
            assert any(risk_unit.name in t.units for t in templates), (where, risk_unit.name)
            for event in risk_unit.events.all():
                events = [e for t in templates for e in t.events if e.name == event.name]
                assert events, (where, risk_unit.name, event.name)
                fits = {m for e in events for m in e.measures}
                for measure in event.measures.all():
                    row = (
                        measure.measure_class,
                        measure.measure_subclass,
                        measure.description,
                        measure.control_mode,
                    )
                    assert row in fits, (where, event.name, measure.description)
                    measures += 1
                    if measure.control_mode == "inspection":
                        assert measure.inspection_content.endswith(measure.description)
                        inspected += hasattr(measure, "cycle")
        # The example: reactors and chemical tank farms belong to chemical units.
        names = obj.name + "".join(u.name for u in obj.units.all())
        if any(word in names for word in ("反应", "精馏", "甲醇", "液氨", "装卸栈台")):
            assert Sector.HAZARDOUS_CHEMICALS in unit.sector_list, where
    assert measures and inspected
    assert ControlMeasure.objects.filter(event__unit__risk_object__in=objects).count() == measures


def test_the_same_seed_gives_the_same_inventories():
    def drawn() -> list[tuple]:
        return [
            (
                o.enterprise.credit_code,
                o.name,
                o.department,
                sorted(
                    (u.name, e.name, m.description)
                    for u in o.units.all()
                    for e in u.events.all()
                    for m in e.measures.all()
                ),
            )
            for o in demo_objects()
        ]

    with transaction.atomic():
        small_city(seed=3)
        first = drawn()
        transaction.set_rollback(True)
    small_city(seed=3)
    assert drawn() == first
