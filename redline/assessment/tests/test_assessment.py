"""The assessment in the access-test city (`organisations/tests/world.py`): the person with
lapsed refresher hours and an expired special-operation certificate lowers D1's
training-compliance indicator and its score; publishing freezes the inputs (records changed
afterwards leave the published scores unchanged, while a draft moves); who sees what (the
ranking for every government body and department, a district's breakdown only for the
managers and the governments over it, drafts only for the managers, nothing for a unit);
the pages, the API and the office's entry with evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from redline.accounts.models import User
from redline.assessment import selectors, services
from redline.assessment.models import Assessment, AssessmentEntry
from redline.core.errors import NotFound, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog
from redline.organisations.models import Enterprise, Person
from redline.training import services as training

pytestmark = pytest.mark.django_db

UNIT = "U-S11-hazchem"


def user(world, key: str, role: str = "manager") -> User:
    return User.objects.get(username=world.username(key, role))


def add_record(actor, person, day, hours, level="company", purpose="refresher"):
    training.training_record_add(
        actor=actor,
        data=training.TrainingRecordInput.of(
            {
                "person": person.pk,
                "course": "安全培训",
                "hours": str(hours),
                "day": day.isoformat(),
                "level": level,
                "purpose": purpose,
                "trainer_signed": True,
                "trainee_signed": True,
            }
        ),
    )


def compliant_manager(actor, unit, n: int) -> Person:
    """A safety manager who meets every requirement (as `training/tests`' 乙)."""
    today = timezone.localdate()
    started = dt.date(today.year - 5, 3, 1)
    person = Person.objects.create(
        name=f"乙{n}", role="safety_manager", post="安全员", enterprise=unit
    )
    training.training_profile_save(
        actor=actor,
        data=training.TrainingProfileInput.of({"person": person.pk, "started_on": started}),
    )
    add_record(actor, person, started, 48, "other", "initial")
    add_record(actor, person, dt.date(today.year - 1, 6, 1), 16)
    add_record(actor, person, dt.date(today.year, 1, 1), 16)
    training.certificate_add(
        actor=actor,
        data=training.CertificateInput.of(
            {
                "person": person.pk,
                "kind": "safety_manager",
                "number": f"A-{n}",
                "issued_on": (today - dt.timedelta(days=100)).isoformat(),
            }
        ),
    )
    return person


def lapsed_operator(actor, unit) -> Person:
    """甲: refresher hours lapsed last year, special-operation certificate expired 30 days ago."""
    today = timezone.localdate()
    started = dt.date(today.year - 5, 3, 1)
    jia = Person.objects.create(name="甲", role="post_holder", post="氯化工", enterprise=unit)
    training.training_profile_save(
        actor=actor,
        data=training.TrainingProfileInput.of(
            {"person": jia.pk, "started_on": started, "operations": ["hazchem-chlorination"]}
        ),
    )
    for level, hours in (("company", 24), ("workshop", 24), ("team", 24)):
        add_record(actor, jia, started, hours, level, "initial")
    add_record(actor, jia, dt.date(today.year - 1, 6, 1), 10)  # 10 of 20 hours: lapsed
    training.certificate_add(
        actor=actor,
        data=training.CertificateInput.of(
            {
                "person": jia.pk,
                "kind": "special_operation",
                "item": "hazchem-chlorination",
                "number": "T-expired",
                "issued_on": (today - dt.timedelta(days=400)).isoformat(),
                "valid_until": (today - dt.timedelta(days=30)).isoformat(),
            }
        ),
    )
    return jia


def staff(world) -> Enterprise:
    """Eight compliant safety managers in U-S11-hazchem (district D1)."""
    actor = user(world, "ent", "operator")
    unit = Enterprise.objects.get(name=UNIT)
    for n in range(8):
        compliant_manager(actor, unit, n)
    return unit


@pytest.fixture
def staffed(world):
    return staff(world)


def draft(world, year: int | None = None) -> Assessment:
    year = year or timezone.localdate().year
    return services.assessment_create(
        actor=user(world, "office"),
        data=services.AssessmentInput.of(
            {"title": f"{year}年度考核", "year": year, "period_kind": "year"}
        ),
    )


def row_of(world, record: Assessment, region_key: str = "D1") -> selectors.Row:
    table = selectors.table(user(world, "office"), record)
    return next(r for r in table.rows if r.region_id == world.regions[region_key])


def line(row: selectors.Row, key: str):
    return next(x for x in row.result.lines if x.key == key)


def test_the_lapsed_person_lowers_the_districts_training_indicator_and_score(world, staffed):
    record = draft(world)
    before = row_of(world, record)
    lapsed_operator(world_actor := user(world, "ent", "operator"), staffed)
    assert world_actor is not None
    after = row_of(world, record)
    # the measured rate: one more person, none more compliant
    b_in = selectors.table(user(world, "office"), record).inputs  # live: after
    d1 = b_in["subjects"][str(world.regions["D1"])]["measures"]["training_compliance"]
    assert line(after, "training_compliance").value == d1["num"] / d1["den"]
    assert line(after, "training_compliance").value < line(before, "training_compliance").value
    assert line(after, "training_compliance").points < line(before, "training_compliance").points
    assert after.result.total < before.result.total
    # D2 is not touched
    assert row_of(world, record, "D2").result.total == row_of(world, record, "D2").result.total


def test_publishing_freezes_the_inputs(world, staffed):
    record = draft(world)
    office = user(world, "office")
    published = services.assessment_step(
        actor=office,
        assessment_id=record.pk,
        action="publish",
        version=record.version,
        data={"comment": "市安委办〔2026〕1号"},
    )
    assert published.is_published and published.inputs["subjects"]
    frozen = [(r.region_id, r.result) for r in selectors.table(office, published).rows]
    # The records change after publishing: a lapsed person in D1.
    lapsed_operator(user(world, "ent", "operator"), staffed)
    again = Assessment.objects.get(pk=record.pk)
    assert [(r.region_id, r.result) for r in selectors.table(office, again).rows] == frozen
    # A draft of the same period computes live and moves.
    live = draft(world)
    assert row_of(world, live).result.total < dict(frozen)[world.regions["D1"]].total
    # Only one published assessment of a period.
    with pytest.raises(Exception, match="已经发布"):
        services.assessment_step(
            actor=office,
            assessment_id=live.pk,
            action="publish",
            version=live.version,
            data={"comment": "再次发布"},
        )
    # Entered items of a published assessment are refused.
    with pytest.raises(ValidationFailed):
        services.entry_set(
            actor=office,
            assessment_id=record.pk,
            data=services.EntryInput.of(
                {"region": world.regions["D1"], "item": "commendation", "points": 1}
            ),
            evidence=SimpleUploadedFile("e.pdf", b"%PDF-1.4 x"),
        )


def test_the_office_enters_items_with_evidence_and_bad_input_changes_nothing(world):
    record = draft(world)
    office = user(world, "office")
    logged = ChangeLog.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        services.entry_set(
            actor=office,
            assessment_id=record.pk,
            data=services.EntryInput.of(
                {"region": world.regions["D1"], "item": "emergency_capacity", "points": 9}
            ),
            evidence=None,
        )
    assert set(refused.value.fields) == {"points", "evidence"}
    assert not AssessmentEntry.objects.exists() and ChangeLog.objects.count() == logged
    before = line(row_of(world, record), "emergency_capacity")
    assert before.missing and before.points == 0
    services.entry_set(
        actor=office,
        assessment_id=record.pk,
        data=services.EntryInput.of(
            {"region": world.regions["D1"], "item": "emergency_capacity", "points": 6}
        ),
        evidence=SimpleUploadedFile("drill.pdf", b"%PDF-1.4 drill report"),
    )
    assert line(row_of(world, record), "emergency_capacity").points == 6
    services.entry_set(
        actor=office,
        assessment_id=record.pk,
        data=services.EntryInput.of(
            {"region": world.regions["D1"], "item": "falsified_data", "triggered": True}
        ),
        evidence=SimpleUploadedFile("finding.pdf", b"%PDF-1.4 found"),
    )
    vetoed = row_of(world, record)
    assert vetoed.result.vetoes == ("falsified_data",) and vetoed.result.grade == "fail"
    # a district may not enter
    with pytest.raises((NotFound, PermissionDenied)):
        services.entry_set(
            actor=user(world, "d1"),
            assessment_id=record.pk,
            data=services.EntryInput.of(
                {"region": world.regions["D1"], "item": "emergency_capacity", "points": 8}
            ),
            evidence=SimpleUploadedFile("x.pdf", b"%PDF-1.4 x"),
        )


def test_who_sees_what(world, client):
    office = user(world, "office")
    published = draft(world, 2030)
    services.assessment_step(
        actor=office,
        assessment_id=published.pk,
        action="publish",
        version=1,
        data={"comment": "发布"},
    )
    services.entry_set(
        actor=office,
        assessment_id=draft(world, 2031).pk,
        data=services.EntryInput.of(
            {"region": world.regions["D2"], "item": "commendation", "points": 2}
        ),
        evidence=SimpleUploadedFile("d2.pdf", b"%PDF-1.4 d2"),
    )
    the_draft = Assessment.objects.get(year=2031)
    d1, d2 = world.regions["D1"], world.regions["D2"]
    # D1's government: the published ranking of every district, its own breakdown only.
    client.force_login(user(world, "d1", "viewer"))
    listing = client.get("/assessment/")
    assert listing.status_code == 200
    assert published.title in listing.content.decode()
    assert the_draft.title not in listing.content.decode()
    page = client.get(f"/assessment/{published.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and f'data-region="{d2}"' in text
    assert f"/assessment/{published.pk}/districts/{d1}/" in text
    assert f"/assessment/{published.pk}/districts/{d2}/" not in text
    assert client.get(f"/assessment/{published.pk}/districts/{d1}/").status_code == 200
    assert client.get(f"/assessment/{published.pk}/districts/{d2}/").status_code == 404
    assert client.get(f"/assessment/{the_draft.pk}/").status_code == 404
    entry = AssessmentEntry.objects.get(region_id=d2)
    assert client.get(f"/assessment/entries/{entry.pk}/evidence/").status_code == 404
    api = client.get(f"/api/v1/assessments/{published.pk}")
    scores = {s["region_id"]: s for s in api.json()["scores"]}
    assert scores[d1]["lines"] is not None and scores[d2]["lines"] is None
    assert client.get(f"/api/v1/assessments/{the_draft.pk}").status_code == 404
    # A district's manager cannot publish (the draft is not theirs to see: 404).
    client.force_login(user(world, "d1"))
    refused = client.post(
        f"/api/v1/assessments/{the_draft.pk}/steps/publish",
        {"version": 1, "comment": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert Assessment.objects.get(pk=the_draft.pk).state == "draft"
    # A department sees the ranking, no breakdown; a unit nothing.
    client.force_login(user(world, "education", "viewer"))
    assert client.get(f"/assessment/{published.pk}/").status_code == 200
    assert client.get(f"/assessment/{published.pk}/districts/{d1}/").status_code == 404
    client.force_login(user(world, "ent", "viewer"))
    assert client.get(f"/assessment/{published.pk}/").status_code == 404
    assert client.get("/api/v1/assessments").json() == []
    # The office's viewer reads the draft but cannot publish it (403).
    client.force_login(user(world, "office", "viewer"))
    assert client.get(f"/assessment/{the_draft.pk}/").status_code == 200
    forbidden = client.post(
        f"/api/v1/assessments/{the_draft.pk}/steps/publish",
        {"version": 1, "comment": "x"},
        content_type="application/json",
    )
    assert forbidden.status_code == 403


def test_the_pages_render_for_the_office(world, client):
    office = user(world, "office")
    record = draft(world)
    client.force_login(office)
    listing = client.get("/assessment/")
    assert listing.status_code == 200 and "assessment-new" in listing.content.decode()
    created = client.post(
        "/assessment/",
        {"title": "一季度考核", "year": 2029, "period_kind": "quarter", "period_index": 5},
    )
    assert created.status_code == 422 and not Assessment.objects.filter(year=2029).exists()
    page = client.get(f"/assessment/{record.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and 'id="ranking-rows"' in text and "scheme-unconfirmed" in text
    breakdown = client.get(f"/assessment/{record.pk}/districts/{world.regions['D1']}/")
    body = breakdown.content.decode()
    assert breakdown.status_code == 200
    assert f"/hazards/?region={world.regions['D1']}&amp;overdue=1" in body or "overdue=1" in body
    entered = client.post(
        f"/assessment/{record.pk}/entries/",
        {
            "region": world.regions["D1"],
            "item": "responsibility_lists",
            "points": "4",
            "evidence": SimpleUploadedFile("letters.pdf", b"%PDF-1.4"),
        },
    )
    assert entered.status_code == 302
    published = client.post(
        f"/assessment/{record.pk}/steps/publish/",
        {"publish-version": 1, "publish-comment": "市安委办〔2026〕2号"},
    )
    assert published.status_code == 302
    assert Assessment.objects.get(pk=record.pk).is_published
    ranking = selectors.ranking(office, record.year)
    assert ranking and {"rank", "region_id", "region", "total", "grade", "url"} <= set(ranking[0])
