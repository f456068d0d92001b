"""The treatment-capacity API: posting a report (a retried key answers the first report, a
correction is the next version, bad values named in the one error shape), the filters of the
lists, an alert's steps, and anonymous callers refused."""

from __future__ import annotations

import datetime as dt

import pytest

from redline.conftest import login
from redline.medical.models import CapacityAlert, CapacityReport
from redline.medical.tests.conftest import FIGURES, TODAY, seed_history, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

EN = {"accept-language": "en"}


def post(client, path, payload, key=None):
    headers = EN | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/api/v1{path}", payload, content_type="application/json", headers=headers)


def get(client, path, params=None):
    return client.get(f"/api/v1{path}", params or {}, headers=EN)


def body(**changes):
    return {"day": TODAY.isoformat(), **FIGURES, **changes}


def test_posting_retrying_and_correcting(client, med):
    login(client, "ha-operator")
    first = post(client, "/medical/reports", body(), key="r1")
    assert first.status_code == 201, first.content
    report = first.json()
    assert report["version"] == 1 and report["current"] and report["source"] == "api"
    assert report["hospital"]["id"] == med.units["hosp_a"]  # the caller's own unit
    again = post(client, "/medical/reports", body(), key="r1")
    assert again.status_code == 200 and again.json()["id"] == report["id"]
    clash = post(client, "/medical/reports", body(beds=150), key="r1")
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "conflict"
    fixed = post(client, "/medical/reports", body(icu_occupied=6, version=1), key="r2")
    assert fixed.status_code == 201 and fixed.json()["version"] == 2
    stale = post(client, "/medical/reports", body(icu_occupied=7, version=1), key="r3")
    assert stale.status_code == 409
    assert CapacityReport.objects.count() == 2


def test_bad_values_answer_the_one_error_shape(client, med):
    login(client, "ha-operator")
    wrong = post(client, "/medical/reports", body(beds_occupied=120, staff_absent=-1, extra=1))
    assert wrong.status_code == 422
    error = wrong.json()["error"]
    assert error["code"] == "validation_error" and set(error["fields"]) == {"extra"}
    wrong = post(client, "/medical/reports", body(beds_occupied=120, staff_absent=-1))
    fields = wrong.json()["error"]["fields"]
    assert set(fields) == {"beds_occupied", "staff_absent"}
    assert "cannot exceed beds (100)" in fields["beds_occupied"]
    malformed = post(client, "/medical/reports", body(beds="many"))
    assert malformed.status_code == 400 and "beds" in malformed.json()["error"]["fields"]
    future = post(client, "/medical/reports", body(day=(TODAY + dt.timedelta(days=1)).isoformat()))
    assert future.status_code == 422 and "future" in future.json()["error"]["fields"]["day"]
    assert CapacityReport.objects.count() == 0


def test_report_filters(client, med):
    unit = med.units["hosp_a"]
    seed_history(unit, 5)
    submit(med.user("ha", "operator"), key="a")
    submit(med.user("ha", "operator"), key="b", beds=130)
    submit(med.user("hb", "operator"), key="c")
    login(client, "health-viewer")

    def days(**params):
        answer = get(client, "/medical/reports", params | {"page_size": 500})
        assert answer.status_code == 200, answer.content
        return [(r["hospital"]["id"], r["day"], r["version"]) for r in answer.json()["items"]]

    today = TODAY.isoformat()
    assert len(days()) == 7  # current versions only: 5 + 1 + 1
    assert len(days(history=True)) == 8
    assert days(hospital=unit, day=today) == [(unit, today, 2)]
    three_days = (TODAY - dt.timedelta(days=3)).isoformat()
    assert len(days(hospital=unit, **{"from": three_days, "to": today})) == 4
    assert {h for h, _d, _v in days(region=med.regions["D2"])} == {med.units["hosp_b"]}
    assert get(client, "/medical/reports", {"day": "yesterday"}).status_code == 400


def test_alert_filters_and_steps(client, med):
    submit(med.user("ha", "operator"), icu_occupied=9, staff_absent=12)
    login(client, "cdc_d1-operator")
    listed = get(client, "/medical/alerts").json()["items"]
    assert {(a["metric"], a["level"]) for a in listed} == {
        ("icu_occupancy", "alert"),
        ("staff_absence", "warning"),
    }
    assert [
        a["metric"] for a in get(client, "/medical/alerts", {"level": "alert"}).json()["items"]
    ] == ["icu_occupancy"]
    assert get(client, "/medical/alerts", {"scope": "region"}).json()["count"] == 0
    assert get(client, "/medical/alerts", {"state": "soon"}).status_code == 422
    alert = CapacityAlert.objects.get(metric="staff_absence")
    detail = get(client, f"/medical/alerts/{alert.pk}").json()
    assert detail["available_steps"] == ["acknowledge", "close"]
    assert detail["timeline"][0]["action"] == "raise" and detail["evidence"]["staff_absent"] == 12
    path = f"/medical/alerts/{alert.pk}/steps/close"
    assert post(client, path, {"version": 1}).status_code == 422  # a reason is needed
    assert post(client, path, {"version": 1, "comment": "x", "level": "alert"}).status_code == 422
    closed = post(client, path, {"version": 1, "comment": "Staff back from leave"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert post(client, path, {"version": 1, "comment": "again"}).status_code == 409
    assert (
        post(client, f"/medical/alerts/{alert.pk}/steps/explode", {"version": 2}).status_code == 422
    )
    assert get(client, "/medical/alerts", {"state": "closed"}).json()["count"] == 1
    # A viewer is refused for who they are (403), before the closed state or a stale version
    # of the alert is said.
    login(client, "cdc_d1-viewer")
    refused = post(client, path, {"version": 1, "comment": "x"})
    assert refused.status_code == 403, refused.json()
    assert "closed" not in refused.json()["error"]["message"].lower()


def test_anonymous_callers_are_refused(client, med):
    assert get(client, "/medical/reports").status_code == 401
    assert get(client, "/medical/alerts").status_code == 401
    assert get(client, "/medical/regions").status_code == 401
    assert post(client, "/medical/reports", body()).status_code == 401
    assert client.get("/medical/").status_code == 302  # to the sign-in page
    assert CapacityReport.objects.count() == 0
