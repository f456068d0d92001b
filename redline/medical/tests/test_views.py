"""The pages: the daily report form (pre-filled, corrected, retried, refused), the hospital
page, the regional view, alerts with the authority's steps (two people at once: one wins),
and list pages whose query count does not grow with their rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from redline.conftest import login
from redline.engines.credit_code import compose
from redline.medical.evaluation import capacity_alerts_evaluate
from redline.medical.models import CapacityAlert, CapacityReport
from redline.medical.tests.conftest import FIGURES, NOW, TODAY, seed_history, submit
from redline.medical.vocab import AlertState
from redline.organisations.models import Enterprise, Region

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

EN = {"accept-language": "en"}
YESTERDAY = TODAY - dt.timedelta(days=1)


def form_data(page, **changes):
    form = page.context["form"]
    values = {name: form.initial.get(name, "") for name in form.fields}
    values["day"] = values["day"].isoformat() if hasattr(values["day"], "isoformat") else ""
    return {k: ("" if v is None else v) for k, v in (values | changes).items()}


def test_a_new_day_starts_from_the_latest_report_and_a_retry_does_not_duplicate(client, med):
    unit = med.units["hosp_a"]
    submit(med.user("ha", "operator"), day=YESTERDAY, beds=140, beds_occupied=99)
    login(client, "ha-operator")
    page = client.get("/medical/report/", headers=EN)
    assert page.status_code == 200
    assert 'id="prefilled"' in page.content.decode()
    initial = page.context["form"].initial
    assert (initial["beds"], initial["beds_occupied"], initial["day"]) == (140, 99, TODAY)
    assert initial["version"] == 0 and initial["idempotency_key"]
    data = form_data(page, beds_occupied=104)
    done = client.post("/medical/report/", data, headers=EN)
    assert done.status_code == 302 and done.url == f"/medical/hospitals/{unit}/"
    again = client.post("/medical/report/", data, headers=EN)  # a double tap
    assert again.status_code == 302
    report = CapacityReport.objects.current().get(hospital_id=unit, day=TODAY)
    assert report.beds_occupied == 104 and report.source == "form"
    assert CapacityReport.objects.filter(hospital_id=unit, day=TODAY).count() == 1


def test_a_reported_day_opens_for_correction_and_keeps_its_history(client, med):
    unit = med.units["hosp_a"]
    submit(med.user("ha", "operator"), icu_occupied=5)
    login(client, "ha-admin")
    other = client.get("/medical/report/", headers=EN)  # a colleague opens the form too
    login(client, "ha-manager")
    page = client.get("/medical/report/", headers=EN)
    assert 'id="correcting"' in page.content.decode()
    assert page.context["form"].initial["version"] == 1
    done = client.post("/medical/report/", form_data(page, icu_occupied=6, note="recount"))
    assert done.status_code == 302
    hospital = client.get(f"/medical/hospitals/{unit}/", headers=EN)
    assert [v.version for v in hospital.context["page"].versions] == [2, 1]
    assert 'id="versions"' in hospital.content.decode()
    # The colleague's form, opened before the correction, is stale: refused, clearly.
    login(client, "ha-admin")
    stale = client.post("/medical/report/", form_data(other, icu_occupied=7))
    assert stale.status_code == 409
    assert "Someone else submitted this day" in stale.content.decode()
    assert CapacityReport.objects.filter(hospital_id=unit).count() == 2


def test_bad_figures_come_back_next_to_their_fields(client, med):
    login(client, "ha-operator")
    page = client.get("/medical/report/", headers=EN)
    data = form_data(page, **FIGURES) | {"beds_occupied": 130, "staff_absent": -2}
    answer = client.post("/medical/report/", data, headers=EN)
    assert answer.status_code == 422
    form = answer.context["form"]
    assert "cannot exceed beds" in form.errors["beds_occupied"][0]
    assert "0 or more" in form.errors["staff_absent"][0]  # every bad figure at once
    assert CapacityReport.objects.count() == 0
    future = form_data(page, **FIGURES) | {"day": (TODAY + dt.timedelta(days=1)).isoformat()}
    answer = client.post("/medical/report/", future, headers=EN)
    assert answer.status_code == 422 and "future" in answer.context["form"].errors["day"][0]


def test_changing_the_day_reloads_the_form_only(client, med):
    submit(med.user("ha", "operator"), day=YESTERDAY - dt.timedelta(days=1), beds=150)
    submit(med.user("ha", "operator"), day=YESTERDAY, beds=160)
    login(client, "ha-operator")
    answer = client.get(
        "/medical/report/", {"day": YESTERDAY.isoformat()}, headers=EN | {"HX-Request": "true"}
    )
    body = answer.content.decode()
    assert "<html" not in body and 'id="report-form"' in body and 'id="correcting"' in body
    assert answer.context["form"].initial["beds"] == 160


def test_a_hospital_account_lands_on_its_own_page(client, med):
    login(client, "ha-viewer")
    answer = client.get("/medical/")
    assert answer.status_code == 302 and answer.url == f"/medical/hospitals/{med.units['hosp_a']}/"
    page = client.get(answer.url, headers=EN)
    assert 'id="report-link"' not in page.content.decode()  # a viewer does not report


def test_the_regional_view_drills_down_and_lists_the_missing(client, med):
    submit(med.user("ha", "operator"), beds_occupied=90, icu_occupied=9)
    login(client, "cityhall-viewer")
    city = client.get("/medical/", {"day": TODAY.isoformat()}, headers=EN).context["view"]
    rows = {row.region.name_en: row for row in city.rows}
    assert set(rows) == {"D1", "D2"}
    assert rows["D1"].reporting == 1 and rows["D1"].units == 2 and rows["D2"].units == 1
    assert rows["D1"].bed_occupancy == 90.0 and rows["D1"].icu_capacity == 15
    assert {u.name for u in city.missing} == {"H-clinic_a", "H-hosp_b"}
    district = client.get(
        "/medical/", {"day": TODAY.isoformat(), "region": med.regions["D1"]}, headers=EN
    ).context["view"]
    assert district.focus.pk == med.regions["D1"]
    assert [r.region.name for r in district.rows] == ["街道S11", "街道S12"]
    assert district.rows[0].figures["beds_occupied"] == 90
    assert district.trend["beds_occupied"][-1] == 90 and district.trend["beds_occupied"][0] is None
    # A region outside the user's jurisdiction is not a way in: 404, as for any region filter.
    login(client, "d2-viewer")
    assert client.get("/medical/", {"region": med.regions["D1"]}, headers=EN).status_code == 404
    # Nor is a value that names no region.
    assert client.get("/medical/", {"region": "abc"}, headers=EN).status_code == 404


def test_two_authorities_at_once_one_wins_the_other_is_told(client, med):
    submit(med.user("ha", "operator"), icu_occupied=9)
    alert = CapacityAlert.objects.get(hospital_id=med.units["hosp_a"])
    url = f"/medical/alerts/{alert.pk}/"
    login(client, "cdc_d1-inspector")
    first_view = client.get(url, headers=EN)
    assert [t.name for t, _form, _fields in first_view.context["steps"]] == ["acknowledge", "close"]
    login(client, "health-manager")
    client.get(url, headers=EN)
    # The health commission closes it first (a reason is needed) ...
    missing = client.post(f"{url}step/close/", {"close-version": 1}, headers=EN)
    assert missing.status_code == 422 and "Say why" in missing.content.decode()
    done = client.post(
        f"{url}step/close/", {"close-version": 1, "close-comment": "Patients moved"}, headers=EN
    )
    assert done.status_code == 302
    # ... then the CDC's acknowledgement of the version it read is refused, clearly.
    login(client, "cdc_d1-inspector")
    late = client.post(f"{url}step/acknowledge/", {"acknowledge-version": 1}, headers=EN)
    assert late.status_code == 409
    assert "Someone else acted on this alert" in late.content.decode()
    alert.refresh_from_db()
    assert alert.state == AlertState.CLOSED and alert.closed_by.username == "health-manager"
    assert [e.action for e in alert.events.all()] == ["raise", "close"]
    # A government reads the alert but takes no step.
    login(client, "d1-admin")
    page = client.get(url, headers=EN)
    assert page.status_code == 200 and page.context["steps"] == []
    assert "UNCONFIRMED" in page.content.decode()


def _more_units(med, count: int) -> list[int]:
    """More hospitals (spread over the subdistricts) with a report today and an alert."""
    subs = list(Region.objects.filter(level="subdistrict").order_by("path"))
    made = []
    start = Enterprise.objects.filter(name__startswith="H-extra-").count()
    for index in range(start, start + count):
        region = subs[index % len(subs)]
        unit = Enterprise(
            name=f"H-extra-{index}",
            credit_code=compose("1", "2", region.code[:6], f"QX{index + 1:06d}"),
            kind="hospital",
            region=region,
        )
        unit.sector_list = ["other"]
        unit.save()
        made.append(unit.pk)
        seed_history(unit.pk, 3)
        CapacityReport.objects.create(
            hospital=unit, day=TODAY, **(FIGURES | {"icu_occupied": 9}), reported_at=NOW
        )
    capacity_alerts_evaluate(day=TODAY, now=NOW)
    return made


def _queries(client, path, params=None) -> int:
    client.get(path, params or {}, headers=EN)  # warm the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, params or {}, headers=EN).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        "/medical/",
        "/medical/alerts/",
        "/api/v1/medical/reports",
        "/api/v1/medical/alerts",
        "/api/v1/medical/regions",
    ],
)
def test_list_pages_cost_the_same_queries_for_more_rows(client, med, path):
    params = {"day": TODAY.isoformat()} if "regions" in path or path == "/medical/" else {}
    login(client, "health-viewer")
    _more_units(med, 1)
    one = _queries(client, path, params)
    _more_units(med, 6)
    assert _queries(client, path, params) == one


def test_the_hospital_page_costs_the_same_queries_for_more_history(client, med):
    unit = med.units["hosp_a"]
    login(client, "health-viewer")
    submit(med.user("ha", "operator"))
    one = _queries(client, f"/medical/hospitals/{unit}/")
    seed_history(unit, 40)
    submit(med.user("ha", "operator"), icu_occupied=9, note="correction")
    assert _queries(client, f"/medical/hospitals/{unit}/") == one
