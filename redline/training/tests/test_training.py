"""The training module in the access-test city (`organisations/tests/world.py`): the unit's
compliance page, the API, the door (404 outside the jurisdiction, nothing written), the
expiry reminders of the one deadline sweep (each once), the per-unit counts, and the import
(all or nothing, with each row's problems).

U-S11-hazchem (subdistrict S11 of district D1) has a chlorination operator, 甲, whose refresher
hours lapsed last year and whose special-operation certificate expired 30 days ago, and a
safety manager, 乙, who meets every requirement. Who sees the unit: the city, the committee
office, D1, S11, the emergency bureau and the unit's own account (`World.visible`); not the
fire department of D1, education, the CDC of D2 or another unit's account."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from redline.accounts.models import User
from redline.core.jobs import registered
from redline.core.models import ChangeLog, Notification
from redline.organisations.models import Enterprise, Person, Region
from redline.training import selectors, services
from redline.training.deadlines import certificate_expiry_sweep
from redline.training.imports import import_training, template
from redline.training.models import Certificate, CertificateEvent, TrainingRecord

pytestmark = pytest.mark.django_db

UNIT = "U-S11-hazchem"


def user(world, key: str, role: str = "operator") -> User:
    return User.objects.get(username=world.username(key, role))


def add_record(actor, person, day, hours, level="company", purpose="refresher"):
    return services.training_record_add(
        actor=actor,
        data=services.TrainingRecordInput.of(
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


@pytest.fixture
def unit_people(world):
    """甲 (lapsed hours, expired certificate) and 乙 (compliant) of U-S11-hazchem."""
    actor = user(world, "ent")
    unit = Enterprise.objects.get(name=UNIT)
    today = timezone.localdate()
    last_year = today.year - 1
    jia = Person.objects.create(name="甲", role="post_holder", post="氯化工", enterprise=unit)
    yi = Person.objects.create(name="乙", role="safety_manager", post="安全员", enterprise=unit)
    started = dt.date(today.year - 5, 3, 1)
    services.training_profile_save(
        actor=actor,
        data=services.TrainingProfileInput.of(
            {"person": jia.pk, "started_on": started, "operations": ["hazchem-chlorination"]}
        ),
    )
    services.training_profile_save(
        actor=actor, data=services.TrainingProfileInput.of({"person": yi.pk, "started_on": started})
    )
    for level, hours in (("company", 24), ("workshop", 24), ("team", 24)):
        add_record(actor, jia, started, hours, level, "initial")
    add_record(actor, jia, dt.date(last_year, 6, 1), 10)  # 10 of 20 hours: lapsed
    add_record(actor, yi, started, 48, "other", "initial")
    add_record(actor, yi, dt.date(last_year, 6, 1), 16)
    add_record(actor, yi, dt.date(today.year, 1, 1), 16)
    expired = services.certificate_add(
        actor=actor,
        data=services.CertificateInput.of(
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
    valid = services.certificate_add(
        actor=actor,
        data=services.CertificateInput.of(
            {
                "person": yi.pk,
                "kind": "safety_manager",
                "number": "A-valid",
                "issued_on": (today - dt.timedelta(days=100)).isoformat(),
            }
        ),
    )
    return unit, jia, yi, expired, valid


def test_the_person_with_lapsed_hours_and_an_expired_certificate_is_not_compliant(
    world, unit_people, client
):
    unit, jia, yi, _expired, valid = unit_people
    statuses = {s.person.pk: s for s in selectors.unit_statuses(user(world, "d1", "viewer"), unit)}
    lacking = {f.code for f in statuses[jia.pk].lacking}
    assert lacking == {"refresher_lapsed", "certificate_expired"}
    assert statuses[yi.pk].result.compliant
    assert valid.valid_until == valid.issued_on.replace(
        year=valid.issued_on.year + 3
    ) - dt.timedelta(days=1)
    # The unit's page (its training panel), as the district sees it, cites the requirements.
    client.force_login(user(world, "d1", "viewer"))
    page = client.get(f"/training/units/{unit.pk}/", headers={"HX-Request": "true"})
    text = page.content.decode()
    assert page.status_code == 200
    assert f'id="person-{jia.pk}" data-compliant="no"' in text
    assert f'id="person-{yi.pk}" data-compliant="yes"' in text
    assert "employee-high-risk" in text and "special_operation" in text
    # The per-unit counts others build on (the district assessment, the situation report).
    rows = selectors.compliance(
        user(world, "d1", "viewer"), region=Region.objects.get(pk=world.regions["D1"])
    )
    row = next(r for r in rows if r["unit_id"] == unit.pk)
    # and the unit's main responsible person, with neither records nor a certificate
    assert row["people"] == 3
    assert row["lacking_hours"] == 2 and row["lacking_certificate"] == 2
    assert row["compliant"] == 1
    assert selectors.compliance(user(world, "ent2", "viewer"), unit=unit) == []


def test_the_api_gives_the_findings_and_the_counts(world, unit_people, client):
    unit, jia, _yi, _expired, _valid = unit_people
    client.force_login(user(world, "emergency", "viewer"))
    people = client.get(f"/api/v1/training/units/{unit.pk}/compliance").json()
    jia_out = next(p for p in people if p["id"] == jia.pk)
    assert (
        jia_out["compliant"] is False
        and jia_out["lacking_hours"]
        and jia_out["lacking_certificate"]
    )
    codes = {f["code"]: f for f in jia_out["findings"]}
    assert codes["refresher_lapsed"]["requirement"] == "employee-high-risk"
    assert codes["refresher_lapsed"]["sources"] == ["S12b", "S12c"]
    counts = client.get("/api/v1/training/compliance", {"unit": unit.pk}).json()
    assert counts[0]["lacking_certificate"] == 2 and counts[0]["people"] == 3
    outside = client.get("/api/v1/training/compliance", {"region": "999999"})
    assert outside.status_code == 404


@pytest.mark.parametrize("outsider", ["fire_d1", "ent2", "cdc_d2", "education"])
def test_outside_the_jurisdiction_everything_is_404_and_nothing_is_written(
    world, unit_people, client, outsider
):
    unit, jia, _yi, expired, _valid = unit_people
    record = TrainingRecord.objects.filter(person=jia).first()
    client.force_login(user(world, outsider, "manager"))
    for url in (
        f"/training/units/{unit.pk}/",
        f"/training/people/{jia.pk}/",
        f"/training/certificates/{expired.pk}/",
        f"/training/records/{record.pk}/evidence/",
        f"/api/v1/training/people/{jia.pk}",
        f"/api/v1/training/certificates/{expired.pk}",
        f"/api/v1/training/units/{unit.pk}/compliance",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/training/records", {"person": jia.pk}).json()["count"] == 0
    before = (
        TrainingRecord.objects.count(),
        Certificate.objects.count(),
        ChangeLog.objects.count(),
    )
    posted = client.post(
        f"/training/people/{jia.pk}/record/",
        {"course": "x", "hours": "8", "day": "2020-01-01", "level": "team", "purpose": "refresher"},
    )
    assert posted.status_code == 404
    api = client.post(
        "/api/v1/training/records",
        {
            "person": jia.pk,
            "course": "x",
            "hours": 8,
            "day": "2020-01-01",
            "level": "team",
            "purpose": "refresher",
        },
        content_type="application/json",
    )
    assert api.status_code == 422 and "person" in api.json()["error"]["fields"]
    step = client.post(
        f"/api/v1/training/certificates/{expired.pk}/steps/revoke",
        {"version": expired.version, "comment": "x"},
        content_type="application/json",
    )
    assert step.status_code == 404
    after = (TrainingRecord.objects.count(), Certificate.objects.count(), ChangeLog.objects.count())
    assert after == before


def test_a_viewer_inside_sees_but_may_not_write(world, unit_people, client):
    _unit, jia, _yi, _expired, _valid = unit_people
    client.force_login(user(world, "d1", "viewer"))
    assert client.get(f"/training/people/{jia.pk}/").status_code == 200
    api = client.post(
        "/api/v1/training/records",
        {
            "person": jia.pk,
            "course": "x",
            "hours": 8,
            "day": "2020-01-01",
            "level": "team",
            "purpose": "refresher",
        },
        content_type="application/json",
    )
    assert api.status_code == 403


def test_the_form_records_a_training_and_names_a_bad_field(
    world, unit_people, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    _unit, jia, _yi, _expired, _valid = unit_people
    client.force_login(user(world, "s11", "operator"))
    count = TrainingRecord.objects.filter(person=jia).count()
    bad = client.post(
        f"/training/people/{jia.pk}/record/",
        {
            "course": "再培训",
            "hours": "8",
            "day": "2999-01-01",
            "level": "team",
            "purpose": "refresher",
        },
    )
    assert bad.status_code == 422
    assert TrainingRecord.objects.filter(person=jia).count() == count
    good = client.post(
        f"/training/people/{jia.pk}/record/",
        {
            "course": "再培训",
            "hours": "12",
            "day": timezone.localdate().isoformat(),
            "level": "team",
            "purpose": "refresher",
            "trainer_signed": "on",
            "evidence": SimpleUploadedFile("sign-in.pdf", b"%PDF-1.4 sign-in sheet"),
        },
    )
    assert good.status_code == 302
    record = TrainingRecord.objects.filter(person=jia).order_by("-id").first()
    assert record.hours == Decimal("12") and record.trainer_signed and not record.trainee_signed
    assert ChangeLog.objects.filter(
        model="training.TrainingRecord", object_id=str(record.pk)
    ).exists()
    download = client.get(f"/training/records/{record.pk}/evidence/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 sign-in sheet"
    wrong = client.post(
        f"/training/people/{jia.pk}/record/",
        {
            "course": "x",
            "hours": "1",
            "day": "2020-01-01",
            "level": "team",
            "purpose": "other",
            "evidence": SimpleUploadedFile("run.exe", b"MZ"),
        },
    )
    assert wrong.status_code == 422 and "PDF" in wrong.content.decode()


def test_expiry_reminders_and_flags_happen_once(world, unit_people):
    _unit, jia, _yi, expired, _valid = unit_people
    actor = user(world, "ent")
    today = timezone.localdate()
    soon = services.certificate_add(
        actor=actor,
        data=services.CertificateInput.of(
            {
                "person": jia.pk,
                "kind": "special_operation",
                "item": "electrical-lv",
                "number": "T-soon",
                "issued_on": (today - dt.timedelta(days=400)).isoformat(),
                "valid_until": (today + dt.timedelta(days=60)).isoformat(),
            }
        ),
    )
    later = services.certificate_add(
        actor=actor,
        data=services.CertificateInput.of(
            {
                "person": jia.pk,
                "kind": "special_operation",
                "item": "welding-fusion",
                "number": "T-later",
                "issued_on": (today - dt.timedelta(days=400)).isoformat(),
                "valid_until": (today + dt.timedelta(days=61)).isoformat(),
            }
        ),
    )
    assert "training-certificate-expiry" in {job.name for job in registered()}
    first = certificate_expiry_sweep()
    second = certificate_expiry_sweep()
    assert first["reminded"] >= 1 and first["overdue"] >= 1
    assert second == {"reminded": 0, "overdue": 0, "escalated": 0}
    events = CertificateEvent.objects.filter(certificate__in=[soon, later, expired])
    assert list(events.filter(certificate=soon).values_list("action", flat=True)) == ["remind"]
    assert list(events.filter(certificate=expired).values_list("action", flat=True)) == ["overdue"]
    assert not events.filter(certificate=later).exists()
    unit_users = User.objects.filter(organisation__enterprise=jia.enterprise)
    told = Notification.objects.filter(
        recipient__in=unit_users, key__startswith="certificate-expiry:"
    )
    assert told.filter(key__contains=f":{soon.pk}:remind:").count() == unit_users.count()
    assert told.filter(key__contains=f":{expired.pk}:overdue:").count() == unit_users.count()


def test_a_review_moves_the_next_review_date(world, unit_people, client):
    _unit, jia, _yi, _expired, _valid = unit_people
    today = timezone.localdate()
    issued = today - dt.timedelta(days=365 * 3 + 30)
    certificate = services.certificate_add(
        actor=user(world, "ent"),
        data=services.CertificateInput.of(
            {
                "person": jia.pk,
                "kind": "special_operation",
                "item": "hazchem-chlorination",
                "number": "T-review",
                "issued_on": issued.isoformat(),
            }
        ),
    )
    assert certificate.review_due is not None and certificate.review_due < today
    status = selectors.person_status(user(world, "ent"), jia.pk)
    assert "review_overdue" in {f.code for f in status.lacking}
    client.force_login(user(world, "ent", "operator"))
    answer = client.post(
        f"/api/v1/training/certificates/{certificate.pk}/steps/review",
        {"version": certificate.version, "reviewed_on": today.isoformat()},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    certificate.refresh_from_db()
    assert certificate.reviewed_on == today and certificate.review_due is None  # after expiry


def _workbook(records: list[list[object]], certificates: list[list[object]]) -> io.BytesIO:
    book = load_workbook(io.BytesIO(template()))
    for name, rows in (("培训记录 training records", records), ("证书 certificates", certificates)):
        sheet = book[name]
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "training.xlsx"
    return out


def test_the_import_is_all_or_nothing_with_each_rows_problem(world, unit_people):
    unit, jia, _yi, _expired, _valid = unit_people
    actor = user(world, "d1", "operator")
    code = unit.credit_code
    good_record = [
        code,
        "甲",
        "年度再培训",
        12,
        "2025-05-01",
        "company",
        "refresher",
        "王",
        "是",
        "是",
    ]
    good_cert = [
        code,
        "甲",
        "special_operation",
        "hazchem-chlorination",
        "T-import",
        "市应急局",
        "2025-01-01",
        None,
        None,
        "否",
    ]
    before = (TrainingRecord.objects.count(), Certificate.objects.count())
    bad = _workbook(
        [
            good_record,
            [code, "无此人", "年度再培训", 12, "2025-05-01", "company", "refresher"],
            [code, "乙", "年度再培训", "x", "2025-05-01", "班组", "refresher"],
        ],
        [good_cert, [code, "乙", "special_operation", "no-such-item", "T-2", "", "2025-01-01"]],
    )
    outcome = import_training(actor=actor, file=bad)
    assert not outcome.ok
    where = {(e.sheet, e.row, e.column.split(" ")[0]) for e in outcome.errors}
    assert ("培训记录 training records", 3, "姓名") in where
    assert ("培训记录 training records", 4, "学时") in where
    assert ("证书 certificates", 3, "操作项目") in where
    assert (TrainingRecord.objects.count(), Certificate.objects.count()) == before
    # A person outside the importer's jurisdiction is a row problem too.
    outside = import_training(
        actor=user(world, "ent2", "operator"), file=_workbook([good_record], [])
    )
    assert not outside.ok and outside.errors[0].row == 2
    assert (TrainingRecord.objects.count(), Certificate.objects.count()) == before
    ok = import_training(actor=actor, file=_workbook([good_record], [good_cert]))
    assert ok.ok, ok.errors
    assert TrainingRecord.objects.count() == before[0] + 1
    imported = Certificate.objects.get(number="T-import")
    assert imported.person == jia and imported.category == "hazchem"
    assert imported.valid_until == dt.date(2030, 12, 31)
    # the same certificate again: the number is taken, nothing saved
    again = import_training(actor=actor, file=_workbook([good_record], [good_cert]))
    assert not again.ok and TrainingRecord.objects.count() == before[0] + 1


def test_the_import_page_and_its_template(world, client):
    client.force_login(user(world, "d1", "operator"))
    assert client.get("/training/import/").status_code == 200
    answer = client.get("/training/import/template.xlsx")
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames[:2] == ["培训记录 training records", "证书 certificates"]
    client.force_login(user(world, "d1", "viewer"))
    assert client.get("/training/import/").status_code == 403


def test_the_government_list_and_the_requirements_page(world, unit_people, client):
    unit, *_ = unit_people
    client.force_login(user(world, "d1", "viewer"))
    listed = client.get("/training/")
    assert listed.status_code == 200 and unit.name in listed.content.decode()
    requirements = client.get("/training/requirements/").content.decode()
    assert "❓" in requirements and "S12l" in requirements
    client.force_login(user(world, "fire_d1", "viewer"))
    assert unit.name not in client.get("/training/").content.decode()
    client.force_login(user(world, "ent", "viewer"))
    assert client.get("/training/").status_code == 302


def test_the_pages_and_the_api_cost_the_same_queries_with_more_people(world, client):
    from itertools import count

    from redline.core.tests.queries import assert_flat

    actor = user(world, "cityhall", "manager")
    units = list(Enterprise.objects.order_by("pk")[:4])
    serial = count()

    def grow(step: int) -> list[str]:
        names = []
        for unit in units[: 1 + step]:
            n = next(serial)
            person = Person.objects.create(name=f"学员{n}", role="post_holder", enterprise=unit)
            services.training_profile_save(
                actor=actor,
                data=services.TrainingProfileInput.of(
                    {"person": person.pk, "operations": ["welding-fusion"]}
                ),
            )
            add_record(actor, person, dt.date(2024, 3, 1), 8)
            services.certificate_add(
                actor=actor,
                data=services.CertificateInput.of(
                    {
                        "person": person.pk,
                        "kind": "special_operation",
                        "item": "welding-fusion",
                        "number": f"T-flat-{n}",
                        "issued_on": "2024-01-01",
                    }
                ),
            )
            names.append(person.name)
        return names

    client.force_login(user(world, "cityhall", "viewer"))
    assert_flat(client, f"/training/units/{units[0].pk}/", lambda step: grow(0))
    assert_flat(client, "/training/", grow, check_text=False)
    assert_flat(client, f"/api/v1/training/units/{units[0].pk}/compliance", lambda s: grow(0))


def test_the_api_sets_a_profile_and_records_a_return(world, unit_people, client):
    _unit, _jia, yi, _expired, _valid = unit_people
    client.force_login(user(world, "ent", "operator"))
    today = timezone.localdate()
    answer = client.put(
        f"/api/v1/training/people/{yi.pk}/profile",
        {"started_on": "2019-01-01", "operations": ["electrical-lv", "no-such"]},
        content_type="application/json",
    )
    assert answer.status_code == 422 and "operations" in answer.json()["error"]["fields"]
    back = client.post(
        f"/api/v1/training/people/{yi.pk}/post-changes",
        {"on": today.isoformat(), "kind": "return", "absent_days": 400},
        content_type="application/json",
    )
    assert back.status_code == 201
    findings = {f["code"]: f for f in back.json()["findings"]}
    assert findings["retraining"]["requirement"] == "retraining"
    assert back.json()["compliant"] is False
    missing = client.post(
        f"/api/v1/training/people/{yi.pk}/post-changes",
        {"on": today.isoformat(), "kind": "return"},
        content_type="application/json",
    )
    assert missing.status_code == 422 and "absent_days" in missing.json()["error"]["fields"]
