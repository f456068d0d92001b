"""Government inspection end to end through the services, the API and the pages: planning,
answers sent (and resent) from a phone, completing, findings that become hazards, the
unit's answers, and who may see and touch what."""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone

from redline.accounts.models import User
from redline.campaigns import selectors as campaign_selectors
from redline.campaigns.models import Campaign
from redline.conftest import login
from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.core.tests.queries import assert_flat
from redline.hazards.models import Hazard, Photo
from redline.hazards.tests.factories import JPEG
from redline.hazards.vocab import HazardLevel, HazardSource
from redline.inspections import checklist, demo, services
from redline.inspections.models import Answer, Finding, Inspection, Receipt
from redline.inspections.tests import build
from redline.inspections.vocab import FindingState, InspectionState

pytestmark = pytest.mark.django_db

serial = count(1)


def user(name: str) -> User:
    return User.objects.get(username=name)


@pytest.fixture
def team(world) -> build.Team:
    return build.Team.of(world)


def plan(team: build.Team, **changes) -> services.InspectionInput:
    data = {
        "enterprise": team.enterprise.pk,
        "kind": "enforcement",
        "planned_on": timezone.localdate(),
        "inspectors": [str(team.inspector.pk), str(team.manager.pk)],
    } | changes
    return services.InspectionInput.of(data)


# --- planning -----------------------------------------------------------------------------


def test_an_enforcement_inspection_needs_two_inspectors_of_the_body(team):
    with pytest.raises(ValidationFailed) as failure:
        services.inspection_plan(
            actor=team.inspector, data=plan(team, inspectors=[str(team.inspector.pk)])
        )
    assert set(failure.value.fields) == {"inspectors"}
    outsider = user("fire_d1-inspector")
    with pytest.raises(ValidationFailed):
        services.inspection_plan(
            actor=team.inspector,
            data=plan(team, inspectors=[str(team.inspector.pk), str(outsider.pk)]),
        )
    viewer = user("emergency-viewer")  # of the body, but may not inspect
    with pytest.raises(ValidationFailed):
        services.inspection_plan(
            actor=team.inspector,
            data=plan(team, inspectors=[str(team.inspector.pk), str(viewer.pk)]),
        )
    inspection, created = services.inspection_plan(
        actor=team.inspector,
        data=plan(team, kind="supervision", inspectors=[str(team.inspector.pk)]),
    )
    assert created and inspection.state == InspectionState.PLANNED
    assert inspection.template is not None and inspection.template.code == "hazchem"
    assert inspection.number.startswith("JC")
    assert [e.action for e in inspection.events.all()] == ["plan"]


def test_planning_refuses_units_outside_and_the_units_themselves(team, world):
    outside = build.Team.of(world, unit="U-S21-fire")  # not in the emergency mandate
    with pytest.raises(NotFound):
        services.inspection_plan(actor=team.inspector, data=plan(outside))
    with pytest.raises(PermissionDenied):
        services.inspection_plan(actor=team.unit_user, data=plan(team))
    assert not Inspection.objects.exists()


def test_a_retried_plan_with_the_same_key_is_the_same_inspection(team):
    first, created = services.inspection_plan(
        actor=team.inspector, data=plan(team), idempotency_key="tap-1"
    )
    again, created_again = services.inspection_plan(
        actor=team.inspector, data=plan(team), idempotency_key="tap-1"
    )
    assert created and not created_again and first.pk == again.pk
    assert Inspection.objects.count() == 1


def test_unreadable_plan_fields_are_named_at_once(team):
    with pytest.raises(ValidationFailed) as failure:
        services.InspectionInput.of(
            {"enterprise": "x", "kind": "raid", "planned_on": "soon", "colour": "red"}
        )
    assert set(failure.value.fields) == {
        "enterprise",
        "kind",
        "planned_on",
        "colour",
        "inspectors",
    }


# --- on site ------------------------------------------------------------------------------


def send(team, inspection, item, value, key, at):
    return services.answer_record(
        actor=team.inspector,
        inspection_id=inspection.pk,
        data=services.AnswerInput.of({"item": item, "value": value, "answered_at": at, "key": key}),
    )


def test_a_resent_answer_changes_nothing_and_the_last_answered_stands(team):
    inspection = build.checked_in(team)
    first_item = checklist.template_of(inspection).items[0].code
    early = timezone.now() - dt.timedelta(minutes=5)
    late = timezone.now() - dt.timedelta(minutes=1)
    send(team, inspection, first_item, "non_compliant", "a", late)
    send(team, inspection, first_item, "non_compliant", "a", late)  # the phone resent it
    # An older answer arriving after the newer one (queued offline on another phone).
    send(team, inspection, first_item, "compliant", "b", early)
    answer = Answer.objects.get(inspection=inspection, item_code=first_item)
    assert answer.value == "non_compliant"
    assert Receipt.objects.filter(inspection=inspection).count() == 2
    send(team, inspection, first_item, "compliant", "c", timezone.now())
    answer.refresh_from_db()
    assert answer.value == "compliant"


def test_answers_are_read_against_their_item(team):
    inspection = build.checked_in(team)
    shape = checklist.template_of(inspection)
    number = next(i for i in shape.items if i.answer == "number")
    compliance = shape.items[0]
    for item, value in ((compliance, "maybe"), (number, "many"), (compliance, "")):
        with pytest.raises(ValidationFailed) as failure:
            send(team, inspection, item.code, value, f"k{next(serial)}", timezone.now())
        assert set(failure.value.fields) == {"value"}
    with pytest.raises(ValidationFailed) as failure:
        send(team, inspection, "Z99", "compliant", "k-z", timezone.now())
    assert set(failure.value.fields) == {"item"}
    send(team, inspection, number.code, "12.5", "k-n", timezone.now())
    assert Answer.objects.get(item_code=number.code).value == 12.5
    assert not Answer.objects.exclude(item_code=number.code).exists()


def test_only_the_team_sends_answers_and_only_on_site(team, world):
    planned = build.planned(team)
    item = checklist.template_of(planned).items[0].code
    with pytest.raises(Conflict):
        send(team, planned, item, "compliant", "k1", timezone.now())
    inspection = build.checked_in(team)
    for outsider in ("emergency-admin", "ent-operator", "cityhall-manager"):
        with pytest.raises(PermissionDenied):
            services.answer_record(
                actor=user(outsider),
                inspection_id=inspection.pk,
                data=services.AnswerInput.of(
                    {"item": item, "value": "compliant", "answered_at": timezone.now(), "key": "x"}
                ),
            )
    with pytest.raises(NotFound):
        services.answer_record(
            actor=user("fire_d1-inspector"),
            inspection_id=inspection.pk,
            data=services.AnswerInput.of(
                {"item": item, "value": "compliant", "answered_at": timezone.now(), "key": "y"}
            ),
        )
    assert not Answer.objects.exists()


def test_completing_names_everything_missing_then_turns_findings_into_hazards(team):
    inspection = build.checked_in(team)
    with pytest.raises(ValidationFailed) as failure:
        services.inspection_step(
            actor=team.inspector,
            inspection_id=inspection.pk,
            action="complete",
            version=inspection.version,
            data={},
        )
    fields = failure.value.fields
    assert {"signatures", "unit_signature"} <= set(fields)
    assert any(name.startswith("item.") for name in fields)
    inspection.refresh_from_db()
    assert inspection.state == InspectionState.IN_PROGRESS
    build.answer_all(team, inspection, bad=2)
    build.sign(team, inspection)
    inspection.refresh_from_db()
    done = services.inspection_step(
        actor=team.inspector,
        inspection_id=inspection.pk,
        action="complete",
        version=inspection.version,
        data={"summary": "Two problems."},
    )
    assert done.state == InspectionState.AWAITING_UNIT and done.score is not None
    findings = list(done.findings.order_by("number"))
    assert len(findings) == 2
    cited = findings[0]
    assert cited.determination_item and cited.level == HazardLevel.MAJOR
    hazard = Hazard.objects.get(pk=cited.hazard_id)
    assert hazard.is_major and hazard.determination_items == [cited.determination_item]
    assert hazard.source == HazardSource.GOVERNMENT and hazard.enterprise_id == team.enterprise.pk
    # Completing again (a double tap) is refused and creates nothing more.
    with pytest.raises(Conflict):
        services.inspection_step(
            actor=team.inspector,
            inspection_id=done.pk,
            action="complete",
            version=done.version,
            data={},
        )
    assert Finding.objects.filter(inspection=done).count() == 2
    assert Hazard.objects.filter(findings__inspection=done).count() == 2


def test_nothing_found_closes_the_inspection_at_once(team):
    done = build.completed(team, bad=0)
    assert done.state == InspectionState.CLOSED and done.closed_at is not None
    assert done.score == 100


def test_the_unit_answers_every_finding_before_the_body_closes(team):
    done = build.completed(team, bad=2)
    first, second = done.findings.order_by("number")
    with pytest.raises(Conflict):
        services.inspection_step(
            actor=team.inspector,
            inspection_id=done.pk,
            action="close",
            version=done.version,
            data={},
        )
    with pytest.raises(PermissionDenied):  # the inspector does not answer for the unit
        services.finding_step(
            actor=team.inspector,
            finding_id=first.pk,
            action="answer",
            version=first.version,
            data={"comment": "x"},
        )
    for finding in (first, second):
        services.finding_step(
            actor=team.unit_user,
            finding_id=finding.pk,
            action="answer",
            version=finding.version,
            data={"comment": "Fixed."},
        )
    first.refresh_from_db()
    assert first.state == FindingState.ANSWERED and first.answer == "Fixed."
    done.refresh_from_db()
    closed = services.inspection_step(
        actor=team.inspector, inspection_id=done.pk, action="close", version=done.version
    )
    assert closed.state == InspectionState.CLOSED


def test_photos_and_signatures_resent_are_kept_once_and_shown_only_inside(team, client):
    inspection = build.checked_in(team)
    item = checklist.template_of(inspection).items[0].code
    for _attempt in range(2):
        services.photo_add(
            actor=team.inspector,
            inspection_id=inspection.pk,
            item=item,
            files=[build.photo(JPEG)],
            key="same-photo",
        )
    assert Photo.objects.filter(inspection=inspection, item_code=item).count() == 1
    photo = Photo.objects.get(inspection=inspection, item_code=item)
    login(client, "ent-viewer")  # the unit sees its inspection
    assert client.get(photo.get_absolute_url()).status_code == 200
    login(client, "fire_d1-inspector")  # a department that does not supervise it
    assert client.get(photo.get_absolute_url()).status_code == 404


# --- API ----------------------------------------------------------------------------------


def test_the_api_plans_takes_answers_resent_and_steps(team, client):
    login(client, "emergency-inspector")
    body = {
        "enterprise": team.enterprise.pk,
        "kind": "enforcement",
        "planned_on": str(timezone.localdate()),
        "inspectors": [str(team.inspector.pk), str(team.manager.pk)],
    }
    made = client.post(
        "/api/v1/inspections?idempotency_key=x1", body, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    again = client.post(
        "/api/v1/inspections?idempotency_key=x1", body, content_type="application/json"
    )
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    pk, version = made.json()["id"], made.json()["version"]
    step = client.post(
        f"/api/v1/inspections/{pk}/steps/check_in",
        {"version": version, "place": "Gate"},
        content_type="application/json",
    )
    assert step.status_code == 200 and step.json()["state"] == "in_progress"
    item = Inspection.objects.get(pk=pk).template.content["sections"][0]["items"][0]["code"]
    answer = {
        "item": item,
        "value": "compliant",
        "answered_at": timezone.now().isoformat(),
        "key": "q1",
    }
    for _attempt in range(3):
        sent = client.post(
            f"/api/v1/inspections/{pk}/answers", answer, content_type="application/json"
        )
        assert sent.status_code == 200, sent.content
    assert Receipt.objects.filter(inspection_id=pk).count() == 1
    detail = client.get(f"/api/v1/inspections/{pk}").json()
    assert detail["answers"] == {item: "compliant"}
    assert [e["action"] for e in detail["events"]] == ["plan", "check_in"]
    bad = client.post(
        f"/api/v1/inspections/{pk}/answers",
        answer | {"value": "perhaps", "key": "q2"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"value"}
    login(client, "fire_d1-inspector")
    assert client.get(f"/api/v1/inspections/{pk}").status_code == 404


# --- pages --------------------------------------------------------------------------------


def test_pages_for_the_team_the_unit_and_outsiders(team, client):
    done = build.completed(team, bad=1)
    finding = done.findings.get()
    login(client, "emergency-inspector")
    for url in (
        "/inspections/",
        f"/inspections/{done.pk}/",
        f"/findings/{finding.pk}/",
        "/inspections/new/",
        f"/inspections/new/?enterprise={team.enterprise.pk}",
    ):
        assert client.get(url).status_code == 200, url
    checked = build.checked_in(team)
    page = client.get(f"/inspections/{checked.pk}/run/")
    assert page.status_code == 200 and b"checklist-config" in page.content
    worker = client.get("/inspections/offline-worker.js")
    assert worker["Service-Worker-Allowed"] == "/inspections/"
    login(client, "ent-operator")
    assert client.get(f"/findings/{finding.pk}/").status_code == 200
    assert client.get(f"/inspections/{checked.pk}/run/").status_code == 403
    assert client.get("/inspections/new/").status_code == 403
    answered = client.post(
        f"/findings/{finding.pk}/steps/answer/",
        {"answer-version": finding.version, "answer-comment": "Replaced the valve."},
    )
    assert answered.status_code == 302
    finding.refresh_from_db()
    assert finding.state == FindingState.ANSWERED
    login(client, "fire_d1-inspector")
    assert client.get(f"/inspections/{done.pk}/").status_code == 404
    assert client.get(f"/findings/{finding.pk}/").status_code == 404


def test_planning_from_the_page(team, client):
    login(client, "emergency-inspector")
    response = client.post(
        f"/inspections/new/?enterprise={team.enterprise.pk}",
        {
            "enterprise": team.enterprise.pk,
            "kind": "enforcement",
            "planned_on": "2026-12-20",
            "inspectors": [team.inspector.pk, team.manager.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    inspection = Inspection.objects.get()
    assert inspection.team.get(lead=True).user == team.inspector
    one = client.post(
        f"/inspections/new/?enterprise={team.enterprise.pk}",
        {"kind": "enforcement", "planned_on": "2026-12-20", "inspectors": [team.inspector.pk]},
    )
    assert one.status_code == 422 and Inspection.objects.count() == 1


def test_the_list_costs_the_same_queries_with_more_inspections(team, client):
    login(client, "emergency-inspector")

    def grow(step):
        made = [build.planned(team) for _i in range(1 if step == 0 else 3)]
        return [i.number for i in made]

    assert_flat(client, "/inspections/", grow)
    assert_flat(client, "/api/v1/inspections", grow)


def test_one_view_of_a_unit_inspections_by_every_body(team, world, client):
    """Joint management: the unit's page shows who inspected it (every body), the open
    findings of each, and the visits planned, flagging two bodies in the same month."""
    from redline.accounts.models import User as Account

    done = build.completed(team, bad=1)
    build.planned(team)  # the emergency department, this month
    fire = build.Team.of(world, unit="U-S11-hazchem")
    fire.inspector = Account.objects.get(username="cityhall-inspector")
    fire.manager = Account.objects.get(username="cityhall-manager")
    build.planned(fire, kind="supervision")  # the city government, the same month
    url = f"/enterprises/{team.enterprise.pk}/inspections/"
    login(client, "emergency-viewer")
    page = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert done.number in page and "merge-visits" in page
    assert "测试市人民政府" in page and "应急管理局" in page
    assert f"{done.number}-1" in page  # its open finding
    login(client, "fire_d1-viewer")  # does not see the unit
    assert client.get(url).status_code == 404


# --- under a special rectification campaign ----------------------------------------------


def campaign_of(code: str, sector: str, standard: str) -> Campaign:
    today = timezone.localdate()
    made = Campaign(
        name=f"{sector} campaign",
        code=code,
        starts_on=today.replace(month=1, day=1),
        ends_on=today.replace(month=12, day=31),
        standards=[standard],
    )
    made.sector_list = [sector]
    made.full_clean()
    made.save()
    return made


def test_an_inspection_under_a_campaign_asks_its_programme_checklist(team):
    demo.checklists_load()
    hazchem = campaign_of("hazchem-rectification", "hazchem", "hazchem-2017")
    fire = campaign_of("fire-rectification", "fire", "gb35181-2017")
    # A campaign that does not cover the unit is refused by name, and nothing is planned.
    with pytest.raises(ValidationFailed) as failure:
        services.inspection_plan(actor=team.inspector, data=plan(team, campaign=fire.pk))
    assert set(failure.value.fields) == {"campaign"}
    assert not Inspection.objects.exists()
    inspection, _created = services.inspection_plan(
        actor=team.inspector, data=plan(team, campaign=hazchem.pk)
    )
    assert inspection.campaign == hazchem
    assert inspection.template is not None
    assert inspection.template.code == "hazchem-rectification"
    # Without a campaign the unit's standing checklist; a chosen one wins over the campaign's.
    standing, _ = services.inspection_plan(actor=team.inspector, data=plan(team))
    assert standing.template is not None and standing.template.code == "hazchem"
    chosen, _ = services.inspection_plan(
        actor=team.inspector, data=plan(team, campaign=hazchem.pk, template=team.template.pk)
    )
    assert chosen.template == team.template and chosen.campaign == hazchem


def test_a_campaign_line_found_is_a_major_hazard_and_a_visit_counts_in_its_progress(team, world):
    hazchem = campaign_of("hazchem-rectification", "hazchem", "hazchem-2017")
    city = user(world.username("cityhall", "manager"))

    def inspected() -> int:
        return campaign_selectors.headlines(city, [hazchem])[hazchem.pk].totals.inspected

    before = inspected()
    team.template = build.template("hazchem-rectification")
    clean = build.completed(team, bad=0)  # nothing found: only the visit itself counts
    assert clean.completed_at is not None and not clean.findings.exists()
    assert inspected() == before + 1
    done = build.completed(team, bad=1)
    finding = done.findings.get()
    assert finding.determination_item == "HC-01" and finding.level == HazardLevel.MAJOR
    hazard = Hazard.objects.get(pk=finding.hazard_id)
    assert hazard.is_major and hazard.determination_items == ["HC-01"]


def test_a_campaign_names_only_a_programme_some_checklist_is_written_for():
    today = timezone.localdate()
    made = Campaign(name="x", code="no-such-programme", starts_on=today, ends_on=today)
    made.sector_list = ["hazchem"]
    with pytest.raises(DjangoValidationError) as failure:
        made.full_clean()
    assert set(failure.value.message_dict) == {"code"}
