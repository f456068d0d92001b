"""The assessment of departments in the access-test city (`organisations/tests/world.py`:
the emergency bureau over hazardous chemicals and industry city-wide, D1's fire brigade over
fire in D1, the education bureau over schools and kindergartens): a department is measured on
the records of its competence (a hazard in its sector that goes overdue lowers its figure, one
outside does not); the accident indicators count only where a control indicator of its sectors
exists; the ranking; publishing freezes the inputs; who sees what (the ranking for every
government body and department, a department's breakdown only for the managers, the
governments over its region and the department itself); the API and the office's entry."""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from redline.accidents import services as accident_services
from redline.accounts.models import User
from redline.assessment import selectors, services
from redline.assessment.models import Assessment, AssessmentEntry, SubjectKind
from redline.campaigns.tests.data import hazard, unit
from redline.core.errors import ValidationFailed
from redline.hazards.models import Hazard
from redline.organisations.access import department_competence, jurisdiction
from redline.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def user(world, key: str, role: str = "manager") -> User:
    return User.objects.get(username=world.username(key, role))


def draft(world, year: int | None = None, kind: str = "department") -> Assessment:
    year = year or timezone.localdate().year
    return services.assessment_create(
        actor=user(world, "office"),
        data=services.AssessmentInput.of(
            {
                "title": f"{year}年度部门考核",
                "year": year,
                "period_kind": "year",
                "subject_kind": kind,
            }
        ),
    )


def publish(world, record: Assessment) -> Assessment:
    return services.assessment_step(
        actor=user(world, "office"),
        assessment_id=record.pk,
        action="publish",
        version=record.version,
        data={"comment": "市安委办〔2026〕9号"},
    )


def rows(world, record: Assessment, who: str = "office") -> dict[str, selectors.Row]:
    """The table's rows by the world's key of the department."""
    keys = {info.pk: key for key, info in world.orgs.items()}
    table = selectors.table(user(world, who), record)
    return {keys[r.subject_id]: r for r in table.rows}


def measured(world, record: Assessment, key: str, indicator: str) -> dict:
    inputs = selectors.inputs_of(user(world, "office"), record)
    return inputs["subjects"][str(world.orgs[key].pk)]["measures"][indicator]


def open_hazard(where: str, sector: str) -> Hazard:
    return hazard(
        unit(where),
        sector=sector,
        reported_at=timezone.now(),
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )


def goes_overdue(found: Hazard) -> None:
    """Its deadline passes (the deadline moved to yesterday)."""
    Hazard.objects.filter(pk=found.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))


def test_a_departments_competence_is_what_the_door_lets_its_own_users_act_on(world):
    for key in ("emergency", "fire_d1", "education"):
        department = Organisation.objects.get(pk=world.orgs[key].pk)
        acting = jurisdiction(user(world, key, "operator"), "change")
        assert department_competence(department) == acting and acting.mandates
    assert department_competence(Organisation.objects.get(pk=world.orgs["d1"].pk)).is_empty


def test_the_subjects_are_the_departments_with_their_scheme(world):
    record = draft(world)
    assert record.subject_kind == "department"
    assert record.scheme_version == selectors.CURRENT_OF[SubjectKind.DEPARTMENT]
    assert set(rows(world, record)) == {"emergency", "fire_d1", "education"}
    # a district scheme cannot assess departments
    with pytest.raises(ValidationFailed) as refused:
        services.assessment_create(
            actor=user(world, "office"),
            data=services.AssessmentInput.of(
                {
                    "title": "错配",
                    "year": 2027,
                    "period_kind": "year",
                    "subject_kind": "department",
                    "scheme_version": selectors.CURRENT,
                }
            ),
        )
    assert set(refused.value.fields) == {"scheme_version"}


def test_a_hazard_in_its_sector_going_overdue_lowers_its_figure_and_one_outside_does_not(world):
    record = draft(world)
    mine = open_hazard("U-S11-hazchem", "hazchem")  # the emergency bureau's
    outside = open_hazard("U-S12-build", "construction")  # no department's here
    fire = open_hazard("U-S21-fire", "fire")  # fire in D2: not D1's brigade's
    before = rows(world, record)
    assert measured(world, record, "emergency", "hazard_overdue") == {"num": 0, "den": 1}

    goes_overdue(outside)
    goes_overdue(fire)
    unchanged = rows(world, record)
    for key in ("emergency", "fire_d1", "education"):
        assert unchanged[key].result == before[key].result

    goes_overdue(mine)
    after = rows(world, record)
    assert measured(world, record, "emergency", "hazard_overdue") == {"num": 1, "den": 1}
    late = next(x for x in after["emergency"].result.lines if x.key == "hazard_overdue")
    assert late.points == 0 and late.value == 1.0
    assert after["emergency"].result.total < before["emergency"].result.total
    for key in ("fire_d1", "education"):  # their scores stand (a rank may move)
        assert after[key].result.lines == before[key].result.lines
        assert after[key].result.total == before[key].result.total


def test_the_accident_indicators_count_where_its_sectors_have_a_control_indicator(world):
    record = draft(world)
    assert measured(world, record, "emergency", "death_count") == {"applies": False}
    keys = [x.key for x in rows(world, record)["emergency"].result.lines]
    assert "death_count" not in keys and "accident_count" not in keys
    indicator = accident_services.indicator_set(
        actor=user(world, "office"),
        data=accident_services.IndicatorInput.of(
            {
                "year": record.year,
                "region": world.regions["C"],
                "sector": "hazchem",
                "max_accidents": 4,
                "max_deaths": 2,
            }
        ),
    )
    assert measured(world, record, "emergency", "death_count") == {
        "actual": 0,
        "ceiling": 2,
        "indicators": [indicator.pk],  # what its link lists the accidents of
    }
    assert "death_count" in [x.key for x in rows(world, record)["emergency"].result.lines]
    # the fire brigade has no indicator over fire: still left out
    assert measured(world, record, "fire_d1", "death_count") == {"applies": False}


def test_the_ranking_orders_the_departments_and_stays_apart_from_the_districts(world):
    year = timezone.localdate().year
    record = draft(world)
    for _n in range(3):
        goes_overdue(open_hazard("U-S11-hazchem", "hazchem"))
    services.entry_set(
        actor=user(world, "office"),
        assessment_id=record.pk,
        data=services.EntryInput.of(
            {"department": world.orgs["education"].pk, "item": "emergency_capacity", "points": 4}
        ),
        evidence=SimpleUploadedFile("drill.pdf", b"%PDF-1.4 drill"),
    )
    table = selectors.table(user(world, "office"), record)
    # the city's departments among themselves, D1's among themselves
    groups = {g.key: [r.subject_id for r in g.rows] for g in table.groups}
    emergency, fire, education = (world.orgs[k].pk for k in ("emergency", "fire_d1", "education"))
    city_path, d1_path = f"/{world.regions['C']}/", f"/{world.regions['C']}/{world.regions['D1']}/"
    assert list(groups) == [city_path, d1_path]
    city, d1 = table.groups
    assert [r.subject_id for r in city.rows] == [education, emergency]
    assert [r.result.rank for r in city.rows] == [1, 2]
    assert [r.subject_id for r in d1.rows] == [fire] and d1.rows[0].result.rank == 1
    with translation.override("en"):
        assert city.rows[0].group_label == "City departments"
        assert d1.rows[0].group_label == "Departments of 区D1"
    assert all(r.region_id is None for r in table.rows)
    publish(world, record)
    office = user(world, "office")
    ranked = selectors.ranking(office, year, kind="department")
    assert [r["subject_id"] for r in ranked] == [r.subject_id for r in table.rows]
    assert [(r["rank"], r["city"]) for r in ranked] == [(1, True), (2, True), (1, False)]
    assert "region_id" not in ranked[0]
    # the districts' ranking of that year is not the departments'
    assert selectors.ranking(office, year) == []
    districts = publish(world, draft(world, kind="district"))
    assert districts.is_published  # one published of each kind for the period
    assert {r["region_id"] for r in selectors.ranking(office, year)} == {
        world.regions["D1"],
        world.regions["D2"],
    }


def test_publishing_freezes_the_departments_inputs_and_last_year_is_compared(world):
    year = timezone.localdate().year
    last = publish(world, draft(world, year - 1))
    record = publish(world, draft(world))
    assert record.inputs["subject_kind"] == "department"
    assert record.inputs["scheme_data"]["when_empty"] == "not_applicable"  # its scheme kept
    frozen = {k: r.result for k, r in rows(world, record).items()}
    goes_overdue(open_hazard("U-S11-hazchem", "hazchem"))
    assert {k: r.result for k, r in rows(world, record).items()} == frozen
    # a draft of the same period moves with the records: its hazards now count
    live = rows(world, draft(world))["emergency"].result
    assert "hazard_overdue" in {x.key for x in live.lines}
    assert "hazard_overdue" not in {x.key for x in frozen["emergency"].lines}
    # year on year: the change on the published assessment of the year before
    table = selectors.table(user(world, "office"), record)
    assert table.previous is not None and table.previous.pk == last.pk
    assert all(r.change is not None for r in table.rows)


def test_who_sees_what_of_the_departments(world, client):
    office = user(world, "office")
    record = draft(world, 2030)
    services.entry_set(
        actor=office,
        assessment_id=record.pk,
        data=services.EntryInput.of(
            {"department": world.orgs["emergency"].pk, "item": "commendation", "points": 2}
        ),
        evidence=SimpleUploadedFile("e.pdf", b"%PDF-1.4 commended"),
    )
    publish(world, record)
    entry = AssessmentEntry.objects.get(assessment=record)
    emergency, fire, education = (world.orgs[k].pk for k in ("emergency", "fire_d1", "education"))
    page_of = f"/assessment/{record.pk}/departments/"

    def seen(who: str) -> tuple[str, dict[int, dict]]:
        client.force_login(user(world, who, "viewer"))
        page = client.get(f"/assessment/{record.pk}/")
        assert page.status_code == 200
        api = client.get(f"/api/v1/assessments/{record.pk}")
        assert api.status_code == 200
        return page.content.decode(), {s["subject_id"]: s for s in api.json()["scores"]}

    # D1's government: the whole ranking; the breakdown of the departments of D1 only.
    text, scores = seen("d1")
    assert all(f'data-subject="{pk}"' in text for pk in (emergency, fire, education))
    assert f"{page_of}{fire}/" in text and f"{page_of}{emergency}/" not in text
    assert client.get(f"{page_of}{fire}/").status_code == 200
    assert client.get(f"{page_of}{emergency}/").status_code == 404
    assert client.get(f"{page_of}{education}/").status_code == 404
    assert scores[fire]["lines"] is not None and scores[emergency]["lines"] is None
    assert client.get(f"/assessment/entries/{entry.pk}/evidence/").status_code == 404
    # a department: its own breakdown and evidence, not another's
    text, scores = seen("emergency")
    assert f"{page_of}{emergency}/" in text and f"{page_of}{fire}/" not in text
    assert client.get(f"{page_of}{emergency}/").status_code == 200
    assert client.get(f"{page_of}{fire}/").status_code == 404
    assert scores[emergency]["lines"] is not None and scores[fire]["lines"] is None
    assert client.get(f"/assessment/entries/{entry.pk}/evidence/").status_code == 200
    # a department's page is not a district's, nor the other way round
    assert client.get(f"/assessment/{record.pk}/districts/{emergency}/").status_code == 404
    # the office drills into every department
    client.force_login(office)
    for pk in (emergency, fire, education):
        assert client.get(f"{page_of}{pk}/").status_code == 200
    # a unit sees nothing
    client.force_login(user(world, "ent", "viewer"))
    assert client.get(f"/assessment/{record.pk}/").status_code == 404
    assert client.get(f"{page_of}{emergency}/").status_code == 404


def test_the_api_and_the_pages_for_the_office(world, client):
    office = user(world, "office")
    client.force_login(office)
    created = client.post(
        "/assessment/",
        {
            "title": "部门考核",
            "subject_kind": "department",
            "year": 2031,
            "period_kind": "year",
            "period_index": 0,
        },
    )
    assert created.status_code == 302
    record = Assessment.objects.get(year=2031)
    assert record.subject_kind == "department"
    page = client.get(f"/assessment/{record.pk}/")
    text = page.content.decode()
    assert 'data-kind="department"' in text and "scheme-unconfirmed" in text
    assert 'name="department"' in text and 'name="region"' not in text
    # the office enters a department's item with evidence on the page
    entered = client.post(
        f"/assessment/{record.pk}/entries/",
        {
            "department": world.orgs["education"].pk,
            "item": "emergency_capacity",
            "points": "4",
            "evidence": SimpleUploadedFile("drill.pdf", b"%PDF-1.4"),
        },
    )
    assert entered.status_code == 302
    # a district is no subject of a department assessment (and changes nothing)
    with pytest.raises(ValidationFailed) as refused:
        services.entry_set(
            actor=office,
            assessment_id=record.pk,
            data=services.EntryInput.of(
                {"region": world.regions["D1"], "item": "emergency_capacity", "points": 4}
            ),
            evidence=SimpleUploadedFile("x.pdf", b"%PDF-1.4 x"),
        )
    assert "department" in refused.value.fields
    assert AssessmentEntry.objects.filter(assessment=record).count() == 1
    breakdown = client.get(f"/assessment/{record.pk}/departments/{world.orgs['emergency'].pk}/")
    body = breakdown.content.decode()
    assert breakdown.status_code == 200 and 'id="line-plan_completion"' in body
    assert f"body={world.orgs['emergency'].pk}" in body  # its key tasks' list
    listed = client.get("/api/v1/assessments").json()
    assert [a["subject_kind"] for a in listed] == ["department"]
    detail = client.get(f"/api/v1/assessments/{record.pk}").json()
    education = next(s for s in detail["scores"] if s["subject_id"] == world.orgs["education"].pk)
    assert education["region_id"] is None and education["subject"] == "教育局"
    assert {x["indicator"]: x["points"] for x in education["lines"]}["emergency_capacity"] == 4
    published = client.post(
        f"/api/v1/assessments/{record.pk}/steps/publish",
        {"version": record.version, "comment": "市安委办〔2031〕3号"},
        content_type="application/json",
    )
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert Assessment.objects.get(pk=record.pk).inputs["subject_kind"] == "department"


def idle(inputs: dict, key: str) -> None:
    """Make a department of frozen inputs one with no records: every base empty."""
    measures = inputs["subjects"][key]["measures"]
    for name, value in measures.items():
        if value and "den" in value:
            measures[name] = {"num": 0, "den": 0}
        elif value and "ceiling" in value:
            measures[name] = {"applies": False}


def test_a_department_with_nothing_to_assess_is_shown_unrated_after_the_ranked(world, client):
    record = publish(world, draft(world, 2029))
    fire = world.orgs["fire_d1"].pk
    inputs = dict(record.inputs)
    idle(inputs, str(fire))
    Assessment.objects.filter(pk=record.pk).update(inputs=inputs)
    client.force_login(user(world, "office"))
    text = client.get(f"/assessment/{record.pk}/").content.decode()
    row = text[text.index(f'id="subject-{fire}"') :].split("</tr>")[0]
    assert 'data-unrated="1"' in row and "不参与评分：无应考核记录，不计分" in row
    detail = client.get(f"/api/v1/assessments/{record.pk}").json()
    scores = {s["subject_id"]: s for s in detail["scores"]}
    assert scores[fire]["assessable"] is False and scores[fire]["reason"] == "no_records"
    assert scores[fire]["rank"] is None and scores[fire]["total"] is None
    assert scores[fire]["group"] != scores[world.orgs["emergency"].pk]["group"]
    page = client.get(f"/assessment/{record.pk}/departments/{fire}/").content.decode()
    assert 'id="not-rated"' in page and 'id="line-hazard_closure"' in page
    # an empty base the department scheme leaves out is shown with why, not scored
    closure = page[page.index('id="line-hazard_closure"') :].split("</tr>")[0]
    assert "无应考核记录，不计分" in closure


def test_entered_items_are_named_from_the_scheme_not_by_code(world, client):
    office = user(world, "office")
    record = draft(world, 2028)
    education = world.orgs["education"].pk
    for item, points in (("emergency_capacity", 4), ("commendation", 2)):
        services.entry_set(
            actor=office,
            assessment_id=record.pk,
            data=services.EntryInput.of({"department": education, "item": item, "points": points}),
            evidence=SimpleUploadedFile("e.pdf", b"%PDF-1.4 evidence"),
        )
    client.force_login(office)
    pages = {
        f"/assessment/{record.pk}/": ('id="entries"', "<form"),
        f"/assessment/{record.pk}/departments/{education}/": ("<h3>", "</ul>"),
    }
    for url, (begin, end) in pages.items():
        text = client.get(url).content.decode()
        listed = text[text.index(begin) :]
        listed = re.sub(r'data-item="[^"]*"', "", listed[: listed.index(end)])
        assert "行业领域应急预案和演练（录入，附佐证）" in listed
        assert "受到省级以上安委会表彰" in listed
        assert "emergency_capacity" not in listed and "commendation" not in listed
    plan = selectors.scheme(record.scheme_version)
    with translation.override("en"):
        names = selectors.item_labels(plan)
    assert names["commendation"].startswith("Commended by the province")
    assert names["falsified_data"].startswith("Data found falsified")


def test_an_assessment_published_before_keeps_the_scheme_it_was_published_with(world):
    """The migration freezing the scheme: an assessment published before the department
    scheme left empty bases out scores as it did (an empty base giving all points), and its
    departments get their ranking groups."""
    from django.apps import apps

    migration = importlib.import_module(
        "redline.assessment.migrations.0003_freeze_scheme_and_groups"
    )
    record = publish(world, draft(world, 2027))
    fire = str(world.orgs["fire_d1"].pk)
    old = dict(record.inputs)
    old.pop("scheme_data")
    idle(old, fire)
    for subject in old["subjects"].values():
        subject.pop("group"), subject.pop("group_name")
    Assessment.objects.filter(pk=record.pk).update(inputs=old)
    migration.freeze(apps, None)
    kept = Assessment.objects.get(pk=record.pk)
    assert kept.inputs["scheme_data"]["when_empty"] == "full"
    assert kept.inputs["subjects"][fire]["group"] == (
        f"/{world.regions['C']}/{world.regions['D1']}/"
    )
    assert kept.inputs["subjects"][fire]["group_name"] == "区D1"
    result = next(
        r.result
        for r in selectors.table(user(world, "office"), kept).rows
        if str(r.subject_id) == fire
    )
    # as published: the empty rates gave all their points (15 + 10 + 20 + 15 + 10 of 90)
    assert result.assessable and result.rank == 1
    closure = next(x for x in result.lines if x.key == "hazard_closure")
    assert closure.empty and closure.points == closure.max
    # the same inputs under today's scheme leave it unrated
    today = selectors.score(selectors.scheme(kept.scheme_version), kept.inputs)
    assert not next(r for r in today if r.subject == fire).assessable
    # run again, it changes nothing
    migration.freeze(apps, None)
    assert Assessment.objects.get(pk=record.pk).inputs == kept.inputs
