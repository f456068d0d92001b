"""The double-random plan from the database: the libraries read from the registry, a draft
to preview, publishing (the inspections created, once a year), and the public page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from redline.accounts.models import User
from redline.conftest import login
from redline.core.errors import Conflict, PermissionDenied
from redline.core.models import ChangeLog
from redline.engines.inspection_plan import plan_document
from redline.inspections import planning
from redline.inspections.models import Inspection, InspectionPlan, InspectorProfile
from redline.inspections.tests import build
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db

YEAR = 2027


@pytest.fixture
def library(world):
    """The emergency department's three inspectors (hazardous chemicals, industry), one of
    them recused from a hazardous-chemicals unit; the checklists loaded."""
    build.template()
    profiles = [
        InspectorProfile.objects.create(
            user=User.objects.get(username=f"emergency-{role}"),
            sectors=["hazchem", "industry"],
            capacity=30,
        )
        for role in ("inspector", "manager", "admin")
    ]
    recused = Enterprise.objects.get(name="U-S12-hazchem")
    profiles[0].recusals.add(recused)
    for role in ("inspector", "manager"):  # D1's fire department, for the draw
        InspectorProfile.objects.create(
            user=User.objects.get(username=f"fire_d1-{role}"), sectors=["fire"], capacity=10
        )
    return profiles, recused


def test_the_database_path_is_the_engine_on_the_registry(library):
    _profiles, recused = library
    city = planning.plan_from_database(year=YEAR, seed=7)
    again = planning.plan_from_database(year=YEAR, seed=7)
    # The same libraries and seed, the same plan.
    assert plan_document(city) == plan_document(again)
    drawn = [c for c in city.design.chances if c.reason == "drawn"]
    assert drawn and all(0 < c.probability <= 1 for c in drawn)  # the fire units
    by_id = {t.id: t for t in city.design.targets}
    hazchem = [t for t in by_id.values() if t.sector == "hazchem"]
    assert hazchem and all(
        c.reason == "required"
        for t, c in zip(city.design.targets, city.design.chances, strict=True)
        if t.sector == "hazchem"
    )
    inspectors = {i.id: i for i in city.design.inspectors}
    for entry in city.inspections:
        assert len(set(entry.inspectors)) >= 2
        target = by_id[entry.target]
        for person in entry.inspectors:
            assert target.sector in inspectors[person].sectors
            assert entry.target not in inspectors[person].recuse
    assert str(recused.pk) in {e.target for e in city.inspections}


def test_a_recusal_of_a_unit_not_planned_this_year_is_left_out(library):
    profiles, _recused = library
    closed = Enterprise.objects.get(name="U-S11-hazchem")
    Enterprise.objects.filter(pk=closed.pk).update(status="closed")
    profiles[1].recusals.add(closed)  # nothing to exclude: the unit is no target now
    city = planning.plan_from_database(year=YEAR, seed=7)
    assert str(closed.pk) not in {t.id for t in city.design.targets}
    assert all(i.recuse <= {t.id for t in city.design.targets} for i in city.design.inspectors)


def test_draft_preview_publish_once(library, client):
    planner = User.objects.get(username="cityhall-manager")
    draft = planning.plan_draft(actor=planner, year=YEAR, seed=11)
    assert draft.state == "draft" and not Inspection.objects.filter(plan=draft).exists()
    assert draft.inputs_sha256 == planning.plan_from_database(year=YEAR, seed=11).inputs_sha256
    published = planning.plan_publish(actor=planner, plan_id=draft.pk, version=draft.version)
    assert published.state == "published"
    made = Inspection.objects.filter(plan=published).prefetch_related("team")
    assert made.count() == len(draft.document["inspections"]) > 0
    for inspection in made:
        assert inspection.planned_on.year == YEAR and inspection.team.count() >= 2
        assert [e.action for e in inspection.events.all()] == ["plan"]
    assert ChangeLog.objects.filter(model="inspections.Inspection").count() == made.count()
    with pytest.raises(Conflict):
        planning.plan_publish(actor=planner, plan_id=draft.pk, version=draft.version)
    other = planning.plan_draft(actor=planner, year=YEAR, seed=12)
    with pytest.raises(Conflict):
        planning.plan_publish(actor=planner, plan_id=other.pk, version=other.version)
    assert InspectionPlan.objects.filter(year=YEAR, state="published").count() == 1

    # The public page: targets and outcomes, nobody's name.
    page = Client().get(f"/public/inspection-plans/{YEAR}/").content.decode()
    some = made.select_related("enterprise").first()
    assert some.enterprise.name in page and str(draft.seed) in page
    for person in User.objects.filter(inspector_profile__isnull=False):
        assert person.username not in page
        assert not person.get_full_name() or person.get_full_name() not in page


def test_the_preview_flags_units_another_body_visits_the_same_month(library, world):
    planner = User.objects.get(username="cityhall-manager")
    draft = planning.plan_draft(actor=planner, year=YEAR, seed=3)
    entry = draft.document["inspections"][0]
    unit = Enterprise.objects.get(pk=int(entry["target"]))
    team = build.Team.of(world, unit=unit.name)
    own = build.planned(team, kind="supervision")
    Inspection.objects.filter(pk=own.pk).update(planned_on=dt.date(YEAR, int(entry["month"]), 20))
    found = planning.clashes(draft)
    assert [(u.pk, m) for u, m, _body in found] == [(unit.pk, int(entry["month"]))]


def test_only_the_city_draws_plans(library, client):
    with pytest.raises(PermissionDenied):
        planning.plan_draft(actor=User.objects.get(username="emergency-manager"), year=YEAR)
    login(client, "emergency-manager")
    assert client.get("/inspections/plans/").status_code == 403
    login(client, "cityhall-manager")
    assert client.get("/inspections/plans/").status_code == 200
    made = client.post("/inspections/plans/", {"year": YEAR, "seed": 5})
    assert made.status_code == 302, made.content.decode()[:1000]
    draft = InspectionPlan.objects.get()
    assert draft.seed == 5
    detail = client.get(f"/inspections/plans/{draft.pk}/")
    assert detail.status_code == 200 and draft.inputs_sha256 in detail.content.decode()
    published = client.post(f"/inspections/plans/{draft.pk}/", {"version": draft.version})
    assert published.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "published"
    bad = client.post("/inspections/plans/", {"year": "next"})
    assert bad.status_code == 422
    assert Client().get("/public/inspection-plans/1999/").status_code == 404
