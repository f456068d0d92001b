"""Risk inventory: assessments through rule sets, derived levels, access, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from redline.accounts.models import User
from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise, Person
from redline.risk import selectors, services
from redline.risk.models import RiskEvent
from redline.risk.services import (
    CycleInput,
    MeasureInput,
    RiskEventInput,
    RiskObjectInput,
    RiskUnitInput,
    ShutdownInput,
)

pytestmark = pytest.mark.django_db

LOW = {"L": 1, "E": 2, "C": 7}  # 14: low (blue)
GENERAL = {"L": 3, "E": 6, "C": 7}  # 126: general (yellow)
MAJOR = {"L": 6, "E": 6, "C": 15}  # 540: major (red)


def actor(name):
    return User.objects.get(username=name)


@pytest.fixture
def inventory(world):
    """One object, two units and three events in U-S11-hazchem, as its own operator."""
    me = actor("ent-operator")
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    person = Person.objects.create(name="王工", role="safety_manager", enterprise=unit)
    obj = services.risk_object_save(
        actor=me,
        enterprise_id=unit.pk,
        data=RiskObjectInput(name="储罐区", kind="mhi", responsible="王工"),
    )
    tank = services.risk_unit_save(actor=me, object_id=obj.pk, data=RiskUnitInput(name="甲醇储罐"))
    dock = services.risk_unit_save(actor=me, object_id=obj.pk, data=RiskUnitInput(name="装卸栈台"))
    leak = services.risk_event_save(
        actor=me,
        unit_id=tank.pk,
        data=RiskEventInput(name="泄漏火灾", method="LEC", inherent=GENERAL, residual=LOW),
    )
    spark = services.risk_event_save(
        actor=me,
        unit_id=dock.pk,
        data=RiskEventInput(name="静电引燃", method="LEC", inherent=GENERAL),
    )
    matrix = services.risk_event_save(
        actor=me,
        unit_id=dock.pk,
        data=RiskEventInput(name="车辆伤害", method="LS", inherent={"L": 2, "S": 2}),
    )
    return {
        "me": me,
        "unit": unit,
        "obj": obj,
        "tank": tank,
        "dock": dock,
        "leak": leak,
        "spark": spark,
        "matrix": matrix,
        "person": person,
    }


def test_levels_come_from_the_rule_set_and_residual_counts(inventory):
    leak, spark, matrix = inventory["leak"], inventory["spark"], inventory["matrix"]
    assert (leak.inherent_score, leak.inherent_level, leak.residual_level, leak.level) == (
        126,
        3,
        4,
        4,
    )
    assert spark.level == 3 and spark.rule_set == "lec-common"
    assert matrix.rule_set == "ls-db37" and matrix.inherent_score == 4 and matrix.level == 4


def test_derived_levels_follow_a_changed_assessment(inventory):
    total, tree = selectors.inventory(inventory["unit"])
    assert total.level == 3 and total.counts == {1: 0, 2: 0, 3: 1, 4: 2}
    tank = next(n for n in tree[0].children if n.item.pk == inventory["tank"].pk)
    assert tank.summary.level == 4
    services.risk_event_save(
        actor=inventory["me"],
        unit_id=inventory["tank"].pk,
        event_id=inventory["leak"].pk,
        version=inventory["leak"].version,
        data=RiskEventInput(inherent=MAJOR, residual=None),
    )
    assert selectors.unit_summary(inventory["tank"].pk).level == 1
    assert selectors.object_summary(inventory["obj"].pk).level == 1
    assert selectors.enterprise_summary(inventory["unit"].pk).level == 1
    cityhall = actor("cityhall-viewer")
    regions = selectors.region_summaries(cityhall)
    from redline.organisations.models import Region

    district = Region.objects.get(code="100100")
    assert regions[district.pk].level == 1 and regions[district.pk].counts[1] == 1
    other = Region.objects.get(code="100200")
    assert regions[other.pk].level is None


def test_a_factor_the_method_does_not_allow_names_the_factor(inventory):
    with pytest.raises(ValidationFailed) as caught:
        services.risk_event_save(
            actor=inventory["me"],
            unit_id=inventory["tank"].pk,
            data=RiskEventInput(name="x", method="LEC", inherent={"L": 4, "E": 6, "C": 7}),
        )
    assert list(caught.value.fields) == ["inherent.L"]
    with pytest.raises(ValidationFailed) as caught:
        services.risk_event_save(
            actor=inventory["me"],
            unit_id=inventory["tank"].pk,
            data=RiskEventInput(name="x", method="LEC", rule_set="ls-db37", inherent=GENERAL),
        )
    assert list(caught.value.fields) == ["rule_set"]
    assert RiskEvent.objects.filter(name="x").count() == 0


def test_stale_version_conflicts(inventory):
    leak = inventory["leak"]
    services.risk_event_save(
        actor=inventory["me"],
        unit_id=leak.unit_id,
        event_id=leak.pk,
        version=leak.version,
        data=RiskEventInput(inherent=MAJOR),
    )
    with pytest.raises(Conflict):
        services.risk_event_save(
            actor=inventory["me"],
            unit_id=leak.unit_id,
            event_id=leak.pk,
            version=leak.version,
            data=RiskEventInput(inherent=LOW),
        )


def test_every_change_is_audited_on_the_enterprise(inventory):
    entries = ChangeLog.objects.filter(enterprise=inventory["unit"])
    assert entries.filter(model="risk.RiskEvent", action="create").count() == 3
    assert entries.filter(model="risk.RiskObject").count() == 1


def test_measures_checked_by_inspection_need_a_full_cycle(inventory):
    base = {
        "description": "液位高高联锁",
        "measure_class": "1",
        "measure_subclass": "1-1",
        "control_mode": "inspection",
        "management_level": "team",
        "responsible": "王工",
        "inspection_content": "检查联锁投用",
    }

    def save(**given):
        return services.measure_save(
            actor=inventory["me"], event_id=inventory["leak"].pk, data=MeasureInput(**base | given)
        )

    with pytest.raises(ValidationFailed) as caught:
        save()
    assert "cycle" in caught.value.fields
    start = timezone.make_aware(dt.datetime(2026, 12, 1, 8))
    hourly = {"every": 2, "unit": "hour", "starts_at": start}
    with pytest.raises(ValidationFailed) as caught:
        save(cycle=CycleInput(**hourly))
    assert {"cycle.work_start", "cycle.work_end"} <= set(caught.value.fields)
    bad_item = {
        **hourly,
        "work_start": dt.time(8),
        "work_end": dt.time(18),
        "task_type": "operating",
        "task_item": 11,
    }
    with pytest.raises(ValidationFailed) as caught:
        save(cycle=CycleInput(**bad_item))
    assert "cycle.task_item" in caught.value.fields
    good = CycleInput(**bad_item | {"task_item": 10})
    measure = save(cycle=good)
    assert measure.cycle.every == 2 and measure.cycle.task_item == 10
    with pytest.raises(ValidationFailed) as caught:
        save(measure_subclass="2-1", cycle=good)
    assert "measure_subclass" in caught.value.fields


def test_shutdown_must_end_after_it_starts(inventory):
    start = timezone.make_aware(dt.datetime(2026, 12, 1, 8))
    with pytest.raises(ValidationFailed) as caught:
        services.shutdown_save(
            actor=inventory["me"],
            unit_id=inventory["tank"].pk,
            data=ShutdownInput(starts_at=start, ends_at=start, reason="检修"),
        )
    assert "ends_at" in caught.value.fields
    shutdown = services.shutdown_save(
        actor=inventory["me"],
        unit_id=inventory["tank"].pk,
        data=ShutdownInput(starts_at=start, ends_at=start + dt.timedelta(days=3), reason="大修"),
    )
    assert shutdown.pk


def test_other_enterprises_and_viewers_cannot_write(inventory):
    with pytest.raises(NotFound):
        services.risk_unit_save(
            actor=actor("ent2-operator"),
            object_id=inventory["obj"].pk,
            data=RiskUnitInput(name="x"),
        )
    with pytest.raises(PermissionDenied):
        services.risk_unit_save(
            actor=actor("ent-viewer"), object_id=inventory["obj"].pk, data=RiskUnitInput(name="x")
        )


@pytest.mark.parametrize(
    "org", ["cityhall", "d1", "s11", "emergency", "fire_d1", "ent", "ent2", "cdc_d2"]
)
@pytest.mark.parametrize("role", ROLES)
def test_inventory_page_and_assessment_follow_the_jurisdiction(client, world, inventory, org, role):
    client.force_login(actor(f"{org}-{role}"))
    visible = inventory["unit"].pk in world.visible(org)
    page = client.get(f"/enterprises/{inventory['unit'].pk}/risks/")
    assert page.status_code == (200 if visible else 404)
    event = inventory["spark"]
    form = client.get(f"/risks/events/{event.pk}/assess/")
    may_change = role in {"operator", "manager", "admin"}
    assert form.status_code == (404 if not visible else 200 if may_change else 403)
    response = client.post(
        f"/risks/events/{event.pk}/assess/",
        {"version": event.version, "inherent_L": "6", "inherent_E": "6", "inherent_C": "15"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == (404 if not visible else 200 if may_change else 403)
    assert RiskEvent.objects.get(pk=event.pk).level == (1 if visible and may_change else 3)


def test_assessment_response_recolours_unit_object_enterprise_and_regions(client, inventory):
    client.force_login(inventory["me"])
    event = inventory["spark"]
    response = client.post(
        f"/risks/events/{event.pk}/assess/",
        {"version": event.version, "inherent_L": "6", "inherent_E": "6", "inherent_C": "15"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    for badge in (
        f'id="unit-badge-{inventory["dock"].pk}"',
        f'id="object-badge-{inventory["obj"].pk}"',
        'id="enterprise-level"',
    ):
        start = html.index(badge)
        assert 'hx-swap-oob="true"' in html[start - 200 : start + 200]
        assert 'data-level="1"' in html[start : start + 400]
    bad = client.post(
        f"/risks/events/{event.pk}/assess/",
        {"version": event.version + 1, "inherent_L": "4", "inherent_E": "6", "inherent_C": "15"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422


def test_risk_map_page_and_drill_down(client, inventory):
    client.force_login(actor("cityhall-viewer"))
    page = client.get("/risk-map/")
    assert page.status_code == 200
    levels = {str(region): summary.level for region, summary in page.context["rows"]}
    assert levels == {"区D1": 3, "区D2": None}
    from redline.organisations.models import Region

    district = Region.objects.get(code="100100")
    drill = client.get(f"/risk-map/regions/{district.pk}/")
    assert "U-S11-hazchem" in drill.content.decode()
    client.force_login(actor("ent2-viewer"))
    assert client.get(f"/risk-map/regions/{district.pk}/").status_code == 404


def test_the_api_reads_and_assesses_through_the_same_door(client, inventory):
    client.force_login(inventory["me"])
    unit = inventory["unit"]
    tree = client.get(f"/api/v1/enterprises/{unit.pk}/risks").json()
    assert tree["summary"]["level"] == 3 and len(tree["objects"][0]["units"]) == 2
    event = inventory["spark"]
    response = client.post(
        f"/api/v1/risk-events/{event.pk}/assess",
        {"version": event.version, "inherent": MAJOR},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["level"] == 1
    assert client.get(f"/api/v1/enterprises/{unit.pk}/risks").json()["summary"]["level"] == 1
    bad = client.post(
        f"/api/v1/risk-events/{event.pk}/assess",
        {"version": event.version + 1, "inherent": {"L": 4, "E": 6, "C": 15}},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "inherent.L" in bad.json()["error"]["fields"]
    client.force_login(actor("ent2-operator"))
    assert client.get(f"/api/v1/enterprises/{unit.pk}/risks").status_code == 404
    assert (
        client.post(
            f"/api/v1/risk-events/{event.pk}/assess",
            {"version": 1, "inherent": LOW},
            content_type="application/json",
        ).status_code
        == 404
    )
    levels = {r["name"]: r["level"] for r in client.get("/api/v1/risk-map").json()}
    assert "区D1" not in levels  # ent2 sees only its own region


def test_factors_are_exactly_the_methods_and_stored_as_numbers(inventory):
    tank = inventory["tank"]
    with pytest.raises(ValidationFailed) as caught:
        services.risk_event_save(
            actor=inventory["me"],
            unit_id=tank.pk,
            data=RiskEventInput(name="y", method="LEC", inherent={**GENERAL, "S": 99}),
        )
    assert list(caught.value.fields) == ["inherent.S"]
    with pytest.raises(ValidationFailed) as caught:
        services.risk_event_save(
            actor=inventory["me"],
            unit_id=tank.pk,
            data=RiskEventInput(name="y", method="LEC", inherent={"L": None, "E": 6, "C": 7}),
        )
    assert list(caught.value.fields) == ["inherent.L"]
    event = services.risk_event_save(
        actor=inventory["me"],
        unit_id=tank.pk,
        data=RiskEventInput(name="y", method="LEC", inherent={"L": 3, "E": 6, "C": 7}),
    )
    assert event.inherent_factors == {"L": 3.0, "E": 6.0, "C": 7.0}
    assert all(type(value) is float for value in event.inherent_factors.values())


def test_a_measure_no_longer_inspected_stops_its_cycle(inventory):
    start = timezone.make_aware(dt.datetime(2026, 12, 1, 8))
    base = {
        "description": "巡检",
        "measure_class": "3",
        "measure_subclass": "3-2",
        "control_mode": "inspection",
        "management_level": "post",
        "responsible": inventory["person"].pk,
        "inspection_content": "巡检记录",
    }
    measure = services.measure_save(
        actor=inventory["me"],
        event_id=inventory["leak"].pk,
        data=MeasureInput(**base, cycle=CycleInput(every=1, unit="day", starts_at=start)),
    )
    services.measure_save(
        actor=inventory["me"],
        event_id=inventory["leak"].pk,
        measure_id=measure.pk,
        version=measure.version,
        data=MeasureInput(control_mode="monitoring", inspection_content=""),
    )
    measure.cycle.refresh_from_db()
    assert measure.cycle.is_archived


def test_people_are_chosen_by_id_or_by_a_name_only_one_holds(inventory):
    Person.objects.create(name="123", role="post_holder", post="巡检", enterprise=inventory["unit"])
    obj = services.risk_object_save(
        actor=inventory["me"],
        enterprise_id=inventory["unit"].pk,
        data=RiskObjectInput(name="仓库", kind="area", responsible="123"),
    )
    assert obj.responsible.name == "123"
    Person.objects.create(
        name="王工", role="post_holder", post="电工", enterprise=inventory["unit"]
    )
    with pytest.raises(ValidationFailed) as caught:
        services.risk_object_save(
            actor=inventory["me"],
            enterprise_id=inventory["unit"].pk,
            data=RiskObjectInput(name="配电房", kind="area", responsible="王工"),
        )
    assert list(caught.value.fields) == ["responsible"]


def test_a_city_can_choose_another_rule_set(inventory, settings):
    settings.REDLINE_RULE_SETS = {"LEC": "lec-lower-inclusive"}
    event = services.risk_event_save(
        actor=inventory["me"],
        unit_id=inventory["tank"].pk,
        data=RiskEventInput(name="z", method="LEC", inherent={"L": 6, "E": 6, "C": 3}),
    )
    assert event.rule_set == "lec-lower-inclusive"


def test_an_unknown_city_rule_set_stops_start_up():
    from django.core.exceptions import ImproperlyConfigured

    from redline.risk.standards import check_city_rule_sets

    with pytest.raises(ImproperlyConfigured, match="LS=lec-common"):
        check_city_rule_sets({"LS": "lec-common"})


def test_the_api_builds_an_inventory(client, inventory):
    client.force_login(inventory["me"])
    unit = inventory["unit"]

    def post(url, body):
        return client.post(
            url, body, content_type="application/json", headers={"accept-language": "en"}
        )

    obj = post(f"/api/v1/enterprises/{unit.pk}/risk-objects", {"name": "装卸区", "kind": "area"})
    assert obj.status_code == 201, obj.content
    risk_unit = post(f"/api/v1/risk-objects/{obj.json()['id']}/units", {"name": "栈台"})
    event = post(
        f"/api/v1/risk-units/{risk_unit.json()['id']}/events",
        {"name": "静电", "method": "LS", "inherent": {"L": 4, "S": 4}},
    )
    assert event.status_code == 201 and event.json()["level"] == 2
    measure = post(
        f"/api/v1/risk-events/{event.json()['id']}/measures",
        {
            "description": "静电接地检查",
            "measure_class": "1",
            "measure_subclass": "1-3",
            "control_mode": "inspection",
            "management_level": "team",
            "responsible": inventory["person"].pk,
            "inspection_content": "接地电阻",
            "cycle": {"every": 1, "unit": "month", "starts_at": "2026-12-01T08:00:00+08:00"},
        },
    )
    assert measure.status_code == 201, measure.content
    duplicate = post(
        f"/api/v1/enterprises/{unit.pk}/risk-objects", {"name": "装卸区", "kind": "area"}
    )
    assert duplicate.status_code == 422
    shutdown = post(
        f"/api/v1/risk-units/{risk_unit.json()['id']}/shutdowns",
        {
            "starts_at": "2026-12-05T00:00:00+08:00",
            "ends_at": "2026-12-01T00:00:00+08:00",
            "reason": "检修",
        },
    )
    assert shutdown.status_code == 422 and "ends_at" in shutdown.json()["error"]["fields"]
    client.force_login(actor("ent2-operator"))
    assert (
        post(
            f"/api/v1/enterprises/{unit.pk}/risk-objects", {"name": "x", "kind": "area"}
        ).status_code
        == 404
    )


def test_the_inventory_is_built_from_the_pages(client, inventory):
    client.force_login(inventory["me"])
    unit = inventory["unit"]
    response = client.post(
        f"/enterprises/{unit.pk}/risks/objects/new/", {"name": "仓库区", "kind": "area"}
    )
    assert response.status_code == 302
    again = client.post(
        f"/enterprises/{unit.pk}/risks/objects/new/", {"name": "仓库区", "kind": "area"}
    )
    assert again.status_code == 422
    from redline.risk.models import RiskObject, RiskUnit

    obj = RiskObject.objects.get(enterprise=unit, name="仓库区")
    assert (
        client.post(
            f"/risks/objects/{obj.pk}/units/new/",
            {"name": "1号库", "site_x": "0.3", "site_y": "0.4"},
        ).status_code
        == 302
    )
    risk_unit = RiskUnit.objects.get(risk_object=obj, name="1号库")
    form = client.post(
        f"/risks/units/{risk_unit.pk}/events/new/",
        {"method": "LS", "action": "method", "name": "坍塌"},
    )
    assert form.status_code == 200 and set(form.context["form"].rule_set.factors) == {"L", "S"}
    bad = client.post(
        f"/risks/units/{risk_unit.pk}/events/new/",
        {"method": "LS", "name": "坍塌", "inherent_L": "4"},
    )
    assert bad.status_code == 422 and "inherent_S" in bad.context["form"].errors
    good = client.post(
        f"/risks/units/{risk_unit.pk}/events/new/",
        {
            "method": "LS",
            "name": "坍塌",
            "inherent_L": "4",
            "inherent_S": "5",
            "residual_L": "2",
            "residual_S": "5",
        },
    )
    assert good.status_code == 302
    event = RiskEvent.objects.get(unit=risk_unit, name="坍塌")
    assert (event.inherent_level, event.residual_level, event.level) == (1, 3, 3)
    client.force_login(actor("ent2-operator"))
    assert client.get(f"/risks/units/{risk_unit.pk}/events/new/").status_code == 404
    client.force_login(actor("ent-viewer"))
    assert client.get(f"/risks/objects/{obj.pk}/units/new/").status_code == 403


def test_the_api_refuses_values_of_the_wrong_type_by_name(client, inventory):
    """The schema types what the services take: a factor that is not a number, or a cycle
    start that is not a date-time, is refused by name (the API's 400 for a malformed
    request) before any service runs."""
    client.force_login(inventory["me"])
    before = RiskEvent.objects.count()
    event = client.post(
        f"/api/v1/risk-units/{inventory['tank'].pk}/events",
        {"name": "静电", "method": "LEC", "inherent": {"L": "high", "E": 6, "C": 7}},
        content_type="application/json",
    )
    assert event.status_code == 400 and "inherent.L" in event.json()["error"]["fields"]
    measure = client.post(
        f"/api/v1/risk-events/{inventory['leak'].pk}/measures",
        {
            "description": "接地检查",
            "measure_class": "1",
            "measure_subclass": "1-3",
            "control_mode": "inspection",
            "management_level": "team",
            "responsible": inventory["person"].pk,
            "inspection_content": "接地电阻",
            "cycle": {"every": 1, "unit": "month", "starts_at": "next week"},
        },
        content_type="application/json",
    )
    assert measure.status_code == 400
    assert "cycle.starts_at" in measure.json()["error"]["fields"]
    assert RiskEvent.objects.count() == before
    assert not inventory["leak"].measures.exists()
