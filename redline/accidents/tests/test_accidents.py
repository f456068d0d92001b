"""Accidents through the form, the API and the import: the level at every boundary of Decree
493 art. 3 (the same engine as the CLI), bad figures refused naming the field and changing
nothing, the level that can never disagree with the figures, the door, the investigation's
steps, the deadlines flagged once, the tally and the control indicators."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from redline.accidents import imports, selectors, services
from redline.accidents.deadlines import accident_deadline_sweep
from redline.accidents.models import Accident, ControlIndicator
from redline.accidents.tests import build
from redline.accounts.models import User
from redline.conftest import login
from redline.core.errors import ValidationFailed
from redline.core.models import ChangeLog
from redline.engines.accident_level import classify
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db

EN = {"accept-language": "en"}
# (deaths, serious injuries, loss, level) at each boundary of the list
BOUNDARIES = [
    (2, 0, "0", "general"),
    (3, 0, "0", "larger"),
    (9, 0, "0", "larger"),
    (10, 0, "0", "serious"),
    (29, 0, "0", "serious"),
    (30, 0, "0", "particularly_serious"),
    (0, 9, "0", "general"),
    (0, 10, "0", "larger"),
    (0, 49, "0", "larger"),
    (0, 50, "0", "serious"),
    (0, 99, "0", "serious"),
    (0, 100, "0", "particularly_serious"),
    (0, 0, "9999999.99", "general"),
    (0, 0, "10000000", "larger"),
    (0, 0, "49999999.99", "larger"),
    (0, 0, "50000000", "serious"),
    (0, 0, "99999999.99", "serious"),
    (0, 0, "100000000", "particularly_serious"),
]


def api_post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json", headers=EN)


def api_body(world, deaths, injuries, loss, **more):
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    return {
        "occurred_at": (timezone.now() - dt.timedelta(hours=3)).isoformat(),
        "place": "储罐区",
        "unit": unit.pk,
        "type_1986": "19",
        "type_2025": "WSA10023",
        "deaths": deaths,
        "serious_injuries": injuries,
        "direct_loss_cny": loss,
    } | more


@pytest.mark.parametrize(("deaths", "injuries", "loss", "level"), BOUNDARIES)
def test_api_level_at_every_boundary(client, world, deaths, injuries, loss, level):
    login(client, build.GOVERNMENT_WRITER)
    # the loss as a JSON number, as a client sends it
    response = api_post(client, "/api/v1/accidents", api_body(world, deaths, injuries, float(loss)))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["level"] == level
    assert Accident.objects.get(pk=body["id"]).level == level


@pytest.mark.parametrize(("deaths", "injuries", "loss", "level"), BOUNDARIES)
def test_form_level_at_every_boundary(client, world, deaths, injuries, loss, level):
    login(client, build.GOVERNMENT_WRITER)
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    moment = timezone.localtime(timezone.now() - dt.timedelta(hours=3))
    response = client.post(
        "/accidents/new/",
        {
            "occurred_at": moment.strftime("%Y-%m-%d %H:%M"),
            "place": "装置区",
            "unit": unit.credit_code,
            "reporting_class": "other",
            "type_2025": "WSA10023",
            "deaths": str(deaths),
            "serious_injuries": str(injuries),
            "direct_loss_cny": loss,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    accident = Accident.objects.get(place="装置区")
    assert accident.level == level
    assert response.url == f"/accidents/{accident.pk}/"


def test_import_level_at_every_boundary_and_nothing_saved_when_a_row_is_bad(world):
    actor = build.user(build.GOVERNMENT_WRITER)
    day = timezone.localdate() - dt.timedelta(days=1)

    def sheet(rows):
        book = openpyxl.Workbook()
        ws = book.active
        ws.append(
            [
                "日期",
                "时间",
                "地点",
                "单位",
                "类型(GB 6441-1986)",
                "类型(GB 6441-2025)",
                "死亡人数",
                "重伤人数",
                "直接经济损失(元)",
            ]
        )
        for row in rows:
            ws.append(row)
        out = io.BytesIO()
        book.save(out)
        out.seek(0)
        out.name = "accidents.xlsx"
        return out

    unit = Enterprise.objects.get(name="U-S11-hazchem")
    rows = [
        [day, "08:30", f"现场{i}", unit.credit_code, "中毒和窒息", "WSA10023", d, s, float(loss)]
        for i, (d, s, loss, _level) in enumerate(BOUNDARIES)
    ]
    bad = [*rows, [day, "09:00", "坏行", unit.credit_code, "19", "", -1, 0, 0]]
    outcome = imports.import_accidents(actor=actor, file=sheet(bad))
    assert not outcome.ok and Accident.objects.count() == 0
    assert [(e.row, e.column) for e in outcome.errors] == [(len(bad) + 1, "死亡人数 Deaths")]
    outcome = imports.import_accidents(actor=actor, file=sheet(rows))
    assert outcome.ok, outcome.errors
    got = {a.place: a.level for a in Accident.objects.all()}
    assert got == {f"现场{i}": b[3] for i, b in enumerate(BOUNDARIES)}


def test_the_import_names_the_row_and_column_of_a_service_refusal(world):
    actor = build.user(build.GOVERNMENT_WRITER)
    day = timezone.localdate() - dt.timedelta(days=1)
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["日期", "地点", "单位", "死亡人数", "重伤人数", "直接经济损失(元)"])
    ws.append([day, "车间", "no such unit", 0, 1, 100])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    outcome = imports.import_accidents(actor=actor, file=out)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "单位 Unit")]
    assert Accident.objects.count() == 0


def test_the_template_reads_back_as_an_empty_import(world, client):
    login(client, build.GOVERNMENT_WRITER)
    response = client.get("/accidents/template.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "事故 accidents" in book.sheetnames
    header = [c.value for c in book["事故 accidents"][1]]
    assert "死亡人数 Deaths" in header and "直接经济损失(元) Direct economic loss (CNY)" in header


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"deaths": 2.0}, "deaths"),
        ({"deaths": True}, "deaths"),
        ({"deaths": -1}, "deaths"),
        ({"serious_injuries": 1.5}, "serious_injuries"),
        ({"direct_loss_cny": -1}, "direct_loss_cny"),
        ({"direct_loss_cny": 1.001}, "direct_loss_cny"),
        ({"occurred_at": "2026-02-30T10:00"}, "occurred_at"),
        ({"level": "general"}, "level"),  # never an input
    ],
)
def test_api_refuses_bad_figures_naming_the_field_and_changes_nothing(client, world, change, field):
    login(client, build.GOVERNMENT_WRITER)
    logged = ChangeLog.objects.count()
    response = api_post(client, "/api/v1/accidents", api_body(world, 0, 0, 0) | change)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert Accident.objects.count() == 0 and ChangeLog.objects.count() == logged


def test_form_refuses_a_fraction_naming_the_field(client, world):
    login(client, build.GOVERNMENT_WRITER)
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    response = client.post(
        "/accidents/new/",
        {
            "occurred_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "place": "装置区",
            "unit": unit.credit_code,
            "reporting_class": "other",
            "type_2025": "WSA10023",
            "deaths": "2.0",
            "serious_injuries": "0",
            "direct_loss_cny": "0",
        },
        headers=EN,
    )
    assert response.status_code == 422
    assert "deaths" in response.context["form"].errors
    assert Accident.objects.count() == 0


def test_form_finds_the_unit_by_credit_code_in_the_jurisdiction_only(client, world):
    login(client, build.GOVERNMENT_WRITER)  # district D1
    outside = Enterprise.objects.get(name="U-S21-fire")
    body = {
        "occurred_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "place": "装置区",
        "reporting_class": "other",
        "type_2025": "WSA10023",
        "deaths": "0",
        "serious_injuries": "0",
        "direct_loss_cny": "0",
    }
    logged = ChangeLog.objects.count()
    for code in (outside.credit_code, "91110000XXXXXXXXXX"):
        response = client.post("/accidents/new/", body | {"unit": code})
        assert response.status_code == 422
        assert code in response.context["form"].errors["unit"][0]
    assert Accident.objects.count() == 0 and ChangeLog.objects.count() == logged
    inside = Enterprise.objects.get(name="U-S11-hazchem")
    response = client.post("/accidents/new/", body | {"unit": f" {inside.credit_code.lower()} "})
    assert response.status_code == 302
    assert Accident.objects.get().unit == inside


def test_the_type_follows_the_accident_date(world):
    before = timezone.make_aware(dt.datetime(2026, 6, 30, 23, 0))
    after = timezone.make_aware(dt.datetime(2026, 7, 1, 1, 0))
    with pytest.raises(ValidationFailed) as caught:
        build.record(world, occurred_at=before, type_1986=None)
    assert "type_1986" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        build.record(world, occurred_at=after, type_2025=None)
    assert "type_2025" in caught.value.fields
    assert build.record(world, occurred_at=after, type_1986=None).type_2025 == "WSA10023"


def test_the_level_can_never_disagree_with_the_figures(world):
    accident = build.record(world, deaths=3)
    assert accident.level == "larger"
    # the ORM's save recomputes it
    accident.level = "general"
    accident.save()
    accident.refresh_from_db()
    assert accident.level == "larger"
    # and the database refuses a row that disagrees, whatever writes it
    for wrong in ("general", "serious", "particularly_serious"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Accident.objects.filter(pk=accident.pk).update(level=wrong)
    with pytest.raises(IntegrityError), transaction.atomic():
        Accident.objects.filter(pk=accident.pk).update(deaths=10)
    assert Accident.objects.get(pk=accident.pk).level == "larger"


def test_the_supplementary_report_recomputes_the_level(world):
    accident = build.record(world, deaths=2, serious_injuries=0)
    assert accident.level == "general"
    accident = build.step(accident, build.UNIT_WRITER, "supplement", comment="伤员死亡", deaths=3)
    assert (accident.level, accident.deaths, accident.deciding) == ("larger", 3, "deaths")
    event = accident.events.get(action="supplement")
    assert event.data["level"] == ["general", "larger"]
    assert accident.report_due == accident.occurred_at + dt.timedelta(hours=5)


def test_a_closed_window_refuses_the_supplement(world):
    old = timezone.now() - dt.timedelta(days=40)
    accident = build.record(world, occurred_at=old)
    from redline.core.errors import Conflict

    with pytest.raises(Conflict):
        build.step(accident, build.UNIT_WRITER, "supplement", comment="x", deaths=3)
    road = build.record(
        world, occurred_at=timezone.now() - dt.timedelta(days=8), reporting_class="road_traffic"
    )
    with pytest.raises(Conflict):
        build.step(road, build.UNIT_WRITER, "supplement", comment="x", deaths=3)


def test_deadlines_follow_the_decree(world):
    moment = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))
    general = build.record(world, occurred_at=moment, reported_at=moment + dt.timedelta(minutes=50))
    assert general.report_due == moment + dt.timedelta(hours=3)
    assert general.supplement_until == dt.date(2026, 4, 1)
    assert general.investigation_due == dt.date(2026, 5, 1)
    fire = build.record(world, occurred_at=moment, reporting_class="fire", deaths=10)
    assert fire.supplement_until == dt.date(2026, 3, 9)
    assert fire.report_due == moment + dt.timedelta(hours=7)
    late = build.record(world, occurred_at=moment, reported_at=moment + dt.timedelta(hours=4))
    assert late.reported_late and not general.reported_late


def test_the_sweep_flags_each_deadline_once(world, client):
    moment = timezone.now() - dt.timedelta(days=40)
    accident = build.record(world, occurred_at=moment)
    counts = accident_deadline_sweep()
    assert counts["window_overdue"] == 1 and counts["investigation_reminded"] == 0
    again = accident_deadline_sweep()
    assert again["window_overdue"] == 0
    accident.refresh_from_db()
    assert accident.supplement_closed_at is not None
    later = timezone.now() + dt.timedelta(days=25)
    counts = accident_deadline_sweep(now=later)
    assert counts["investigation_overdue"] == 1
    assert accident_deadline_sweep(now=later)["investigation_overdue"] == 0
    counts = accident_deadline_sweep(now=later + dt.timedelta(days=10))
    assert counts["investigation_escalated"] == 1
    assert (
        accident_deadline_sweep(now=later + dt.timedelta(days=10))["investigation_escalated"] == 0
    )
    actions = list(accident.events.values_list("action", flat=True))
    assert actions.count("window_closed") == 1 and actions.count("overdue") == 1
    assert actions.count("escalate") == 1
    # The escalation's own "level" (how far up) is not the accident's level: the timeline
    # shows where it went (it once failed on it, a 500 on the accident's page).
    login(client, world.username(sorted(build.SEES)[0], "viewer"))
    page = client.get(f"/accidents/{accident.pk}/")
    assert page.status_code == 200
    assert "已上报至" in page.content.decode()  # Escalated to


# --- the door ----------------------------------------------------------------------------------


def test_who_sees_a_units_accident_and_a_regional_one(world, client):
    unit_accident = build.record(world)
    road = build.regional(world)
    for key in world.orgs:
        user = User.objects.get(username=world.username(key, "viewer"))
        seen = set(Accident.objects.restrict(user).values_list("pk", flat=True))
        assert (unit_accident.pk in seen) == (key in build.SEES), key
        assert (road.pk in seen) == (key in build.SEES_REGIONAL), key
    login(client, "fire_d1-viewer")
    assert client.get(f"/accidents/{unit_accident.pk}/").status_code == 404
    assert client.get(f"/api/v1/accidents/{unit_accident.pk}").status_code == 404
    login(client, "ent-viewer")
    assert client.get(f"/accidents/{road.pk}/").status_code == 404
    assert client.get(f"/accidents/{unit_accident.pk}/").status_code == 200


def test_outside_the_jurisdiction_nobody_acts(world, client):
    accident = build.record(world)
    login(client, "ent2-operator")
    response = api_post(
        client,
        f"/api/v1/accidents/{accident.pk}/steps/supplement",
        {"version": accident.version, "comment": "x", "deaths": 5},
    )
    assert response.status_code == 404
    response = client.post(f"/accidents/{accident.pk}/edit/", {"place": "改"})
    assert response.status_code == 404
    accident.refresh_from_db()
    assert accident.deaths == 1 and accident.version == 1
    # a unit may not record another unit's accident, nor one of no unit
    other = Enterprise.objects.get(name="U-S21-fire")
    with pytest.raises(ValidationFailed) as caught:
        build.record(world, by="ent-operator", unit=other.pk)
    assert "unit" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        build.record(
            world, by="ent-operator", unit=None, region=world.regions["S11"], sector="construction"
        )
    assert "unit" in caught.value.fields
    # S11's office may not record an accident of no unit in S12
    with pytest.raises(ValidationFailed) as caught:
        build.record(
            world, by="s11-operator", unit=None, region=world.regions["S12"], sector="construction"
        )
    assert "region" in caught.value.fields
    assert Accident.objects.filter(pk__gt=accident.pk).count() == 0


def test_an_enterprise_reports_its_own_accident_but_does_not_investigate(world):
    accident = build.record(world, by=build.UNIT_WRITER)
    from redline.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        build.step(accident, build.UNIT_WRITER, "start_investigation", investigating_body="自己")


def test_the_edit_keeps_the_figures_and_moves_the_deadlines(world, client):
    accident = build.record(world)
    earlier = accident.occurred_at - dt.timedelta(days=1)
    updated = services.accident_update(
        actor=build.user(build.GOVERNMENT_WRITER),
        accident_id=accident.pk,
        version=accident.version,
        data=services.AccidentUpdateInput.of({"occurred_at": earlier, "place": "罐区东侧"}),
    )
    assert updated.supplement_until == accident.supplement_until - dt.timedelta(days=1)
    assert updated.deaths == accident.deaths and updated.version == 2
    with pytest.raises(ValidationFailed):
        services.AccidentUpdateInput.of({"deaths": 5})


# --- reads ---------------------------------------------------------------------------------------


def test_tally_through_the_door(world):
    now = timezone.now()
    build.record(world, deaths=2)
    build.record(world, deaths=3, occurred_at=now - dt.timedelta(days=1))
    build.regional(world, deaths=1)
    start, end = (
        timezone.localdate() - dt.timedelta(days=5),
        timezone.localdate() + dt.timedelta(days=1),
    )
    city = build.user("cityhall-viewer")
    assert [(t.accidents, t.deaths) for t in selectors.tally(city, start, end)] == [(3, 6)]
    levels = {t.key: (t.accidents, t.deaths) for t in selectors.tally(city, start, end, by="level")}
    assert levels == {"general": (2, 3), "larger": (1, 3)}
    districts = selectors.tally(city, start, end, by="region")
    assert [(t.key, t.accidents) for t in districts] == [(str(world.regions["D1"]), 3)]
    emergency = build.user("emergency-viewer")  # not the road accident (construction)
    assert [(t.accidents, t.deaths) for t in selectors.tally(emergency, start, end)] == [(2, 5)]
    assert selectors.tally(build.user("ent2-viewer"), start, end)[0].accidents == 0


def test_indicator_progress_and_flags(world, client):
    today = timezone.localdate()
    manager = build.user("office-manager")
    indicator = services.indicator_set(
        actor=manager,
        data=services.IndicatorInput.of(
            {
                "year": today.year,
                "region": world.regions["D1"],
                "max_accidents": 1,
                "max_deaths": 10,
            }
        ),
    )
    build.record(world, deaths=2)
    build.record(world, deaths=1)
    [progress] = selectors.indicator_progress(build.user("d1-viewer"), [indicator], today=today)
    assert (progress.accidents, progress.deaths) == (2, 3)
    assert progress.accident_flag == "exceeded" and progress.accident_share == 200.0
    # 3 deaths by mid-year is on pace for 6 (under 10); by 1 February on pace to exceed
    assert selectors.flag(3, 10, 182, 365) == "within"
    assert selectors.flag(3, 10, 32, 365) == "on_pace"
    assert selectors.flag(11, 10, 365, 365) == "exceeded"
    login(client, "d1-viewer")
    page = client.get(f"/accidents/indicators/?year={today.year}")
    assert page.status_code == 200 and b"flag-exceeded" in page.content
    with pytest.raises(Exception):  # noqa: B017 - only the city's managers set them
        services.indicator_set(
            actor=build.user("d1-manager"),
            data=services.IndicatorInput.of(
                {
                    "year": today.year,
                    "region": world.regions["D1"],
                    "max_accidents": 9,
                    "max_deaths": 9,
                }
            ),
        )
    assert ControlIndicator.objects.get().max_accidents == 1


def test_pages_render(world, client):
    accident = build.record(world)
    login(client, build.GOVERNMENT_WRITER)
    for url in (
        "/accidents/",
        "/accidents/new/",
        "/accidents/import/",
        f"/accidents/{accident.pk}/",
        f"/accidents/{accident.pk}/edit/",
    ):
        assert client.get(url).status_code == 200, url
    detail = client.get(f"/accidents/{accident.pk}/").content.decode()
    assert "start_investigation" in detail and accident.number in detail


def test_engine_and_model_agree(world):
    accident = build.record(world, deaths=0, serious_injuries=10, direct_loss_cny=Decimal("5"))
    assert (
        accident.level
        == classify(deaths=0, serious_injuries=10, direct_loss_cny=Decimal("5")).level
        == "larger"
    )
    assert accident.deciding_list == ["serious_injuries"]


def test_the_investigation_report_closes_the_case_with_its_pdf_and_photos(
    world, client, settings, tmp_path
):
    import base64

    from redline.hazards.tests.factories import JPEG

    settings.MEDIA_ROOT = tmp_path
    accident = build.in_state(world, "investigating")
    login(client, build.GOVERNMENT_WRITER)
    pdf = b"%PDF-1.4\n% report\n"
    body = {
        "version": accident.version,
        "comment": "违章作业导致。",
        "serious_injuries": 3,
        "photos": [
            {"name": "report.pdf", "content_base64": base64.b64encode(pdf).decode()},
            {"name": "site.jpg", "content_base64": base64.b64encode(JPEG).decode()},
        ],
    }
    bad = body | {"photos": [{"name": "x.txt", "content_base64": base64.b64encode(b"hi").decode()}]}
    response = api_post(client, f"/api/v1/accidents/{accident.pk}/steps/submit_report", bad)
    assert response.status_code == 422 and "photos" in response.json()["error"]["fields"]
    response = api_post(client, f"/api/v1/accidents/{accident.pk}/steps/submit_report", body)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed" and response.json()["serious_injuries"] == 3
    kinds = sorted(accident.files.values_list("kind", flat=True))
    assert kinds == ["photo", "report"]
    report = accident.files.get(kind="report")
    assert client.get(f"/accidents/files/{report.token}").status_code == 200
    login(client, "ent2-viewer")
    assert client.get(f"/accidents/files/{report.token}").status_code == 404


def test_photos_come_with_the_record_through_the_form(world, client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from redline.hazards.tests.factories import JPEG

    settings.MEDIA_ROOT = tmp_path
    login(client, build.GOVERNMENT_WRITER)
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    response = client.post(
        "/accidents/new/",
        {
            "occurred_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "place": "泵房",
            "unit": unit.credit_code,
            "reporting_class": "other",
            "type_2025": "WSA10023",
            "deaths": "0",
            "serious_injuries": "1",
            "direct_loss_cny": "1000",
            "photos": [
                SimpleUploadedFile("a.jpg", JPEG, "image/jpeg"),
                SimpleUploadedFile("b.jpg", JPEG, "image/jpeg"),
            ],
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    accident = Accident.objects.get(place="泵房")
    assert accident.files.filter(kind="photo").count() == 2


def test_the_import_keeps_when_it_was_reported(world):
    actor = build.user(build.GOVERNMENT_WRITER)
    day = timezone.localdate() - dt.timedelta(days=2)
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(
        [
            "日期",
            "时间",
            "地点",
            "区域",
            "行业领域",
            "类型(GB 6441-2025)",
            "死亡人数",
            "重伤人数",
            "直接经济损失(元)",
            "报告日期",
            "报告时间",
        ]
    )
    ws.append([day, "08:00", "路口", "S12", "transport", "WSA10003", 1, 0, 5000, day, "12:30"])
    ws["D2"] = "街道S12"
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    outcome = imports.import_accidents(actor=actor, file=out)
    assert outcome.ok, outcome.errors
    accident = Accident.objects.get(place="路口")
    assert accident.unit_id is None and accident.region_id == world.regions["S12"]
    assert accident.reported_late  # 4 h 30 after a general accident: due within 3 h
