"""The signal and run endpoints: list and detail shapes, the steps with their errors (409
stale, 422 naming the field, 403), runs on demand and their list."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from redline.conftest import login
from redline.epidemic.detection import detection_run
from redline.epidemic.models import DetectionRun, Signal
from redline.epidemic.tests.signal_data import add_cdc, at, condition, outbreak, unit

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 10)
NOW = at(D + dt.timedelta(days=1), 9)


def get(client, path, params=None):
    return client.get(f"/api/v1{path}", params or {})


def post(client, path, body):
    return client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")


@pytest.fixture
def signals(world):
    add_cdc(world, "cdc_city", "C")
    add_cdc(world, "cdc_d1", "D1")
    ili = condition("ili")
    outbreak(ili, world.regions["S11"], D)
    outbreak(ili, world.regions["S21"], D, place=unit("U-S21-school"), spike=40)
    with time_machine.travel(NOW, tick=False):
        detection_run(day=D, now=NOW)
    return {s.series_key: s for s in Signal.objects.all()}


def test_list_and_detail(client, world, signals):
    login(client, "cityhall-viewer")
    page = get(client, "/epidemic/signals", {"state": "open", "page_size": 2}).json()
    assert page["count"] == 3 and page["pages"] == 2 and len(page["items"]) == 2
    d1 = signals[f"{world.regions['D1']}:"]
    item = next(i for i in get(client, "/epidemic/signals").json()["items"] if i["id"] == d1.pk)
    assert item["number"] == d1.number and item["condition"]["code"] == "ili"
    assert item["region"]["id"] == world.regions["D1"] and item["place"] is None
    assert item["state"] == "new" and item["version"] == 1 and item["count"] == 25
    school = get(client, "/epidemic/signals", {"place": unit("U-S21-school").pk}).json()
    assert [i["place"]["name"] for i in school["items"]] == ["U-S21-school"]
    assert get(client, "/epidemic/signals", {"state": "bogus"}).status_code == 400

    detail = get(client, f"/epidemic/signals/{d1.pk}").json()
    assert detail["evidence"]["counts"][-1] == 25
    assert [e["action"] for e in detail["timeline"]] == ["raised"]
    assert detail["available_steps"] == []  # a viewer takes no step
    assert get(client, "/epidemic/signals/999999").status_code == 404


def test_steps_through_the_api(client, world, signals):
    d1 = signals[f"{world.regions['D1']}:"]
    login(client, "cdc_d1-operator")
    path = f"/epidemic/signals/{d1.pk}/steps/verify"
    assert get(client, f"/epidemic/signals/{d1.pk}").json()["available_steps"] == [
        "verify",
        "comment",
    ]
    stale = post(client, path, {"version": 5, "verification": "true"})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    notes = post(client, path, {"version": 1, "verification": "uncertain"})
    assert notes.status_code == 422 and "comment" in notes.json()["error"]["fields"]
    unknown = post(client, path, {"version": 1, "verification": "true", "colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.json()["error"]["fields"]
    d1.refresh_from_db()
    assert d1.state == "new" and d1.version == 1

    done = post(client, path, {"version": 1, "verification": "true", "comment": "核实属实"})
    assert done.status_code == 200
    body = done.json()
    assert body["state"] == "investigating" and body["verification"] == "true"
    assert body["verified_by"] == "cdc_d1-operator" and body["version"] == 2
    assert [e["action"] for e in body["timeline"]] == ["raised", "verify"]
    respond = post(
        client,
        f"/epidemic/signals/{d1.pk}/steps/respond",
        {"version": 2, "comment": "流调完成", "cases": 9},
    )
    assert respond.status_code == 200 and respond.json()["state"] == "responding"

    login(client, "d1-manager")
    refused = post(
        client,
        f"/epidemic/signals/{d1.pk}/steps/close",
        {"version": 3, "comment": "x"},
    )
    assert refused.status_code == 403
    assert post(client, f"/epidemic/signals/{d1.pk}/steps/nope", {"version": 3}).status_code == 422
    # A viewer is refused for who they are (403), before the signal's state (verify is no
    # longer possible) or a stale version is said.
    login(client, "cdc_d1-viewer")
    viewer = post(client, f"/epidemic/signals/{d1.pk}/steps/verify", {"version": 1})
    assert viewer.status_code == 403, viewer.json()
    assert "responding" not in viewer.json()["error"]["message"].lower()


def test_runs_on_demand_and_their_list(client, world, signals):
    login(client, "cdc_city-operator")
    assert post(client, "/epidemic/runs", {"day": D.isoformat()}).status_code == 403
    listed = get(client, "/epidemic/runs").json()
    assert listed["count"] == 1 and listed["items"][0]["series"] == 3

    login(client, "cdc_city-manager")
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        started = post(client, "/epidemic/runs", {"day": D.isoformat()})
        assert started.status_code == 201
        run = started.json()
        assert run["day"] == D.isoformat() and run["as_known_on"] == NOW.date().isoformat()
        assert run["requested_by"] == "cdc_city-manager" and run["signals_opened"] == 0
        future = post(client, "/epidemic/runs", {"day": "2030-01-01"})
        assert future.status_code == 422 and "day" in future.json()["error"]["fields"]
        default = post(client, "/epidemic/runs", {})
        assert default.status_code == 201 and default.json()["day"] == D.isoformat()
    assert Signal.objects.count() == 3 and DetectionRun.objects.count() == 3

    login(client, "ent-manager")
    assert get(client, "/epidemic/runs").json()["count"] == 0


def test_a_run_asked_without_waiting_is_queued_and_followed_as_a_job(client, world, signals):
    from redline.core import jobs
    from redline.core.models import JobRun

    login(client, "cdc_city-manager")
    body = {"day": D.isoformat(), "wait": False, "token": "api-1"}
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        queued = post(client, "/epidemic/runs", body)
        assert queued.status_code == 202, queued.json()
        job = queued.json()
        assert job["state"] == "queued" and job["kind"] == "epidemic.detection"
        assert job["url"] == f"/jobs/{job['id']}/" and job["result_url"] is None
        # A retry with the same token finds the same job; nothing ran in the request.
        assert post(client, "/epidemic/runs", body).json()["id"] == job["id"]
        assert DetectionRun.objects.count() == 1 and JobRun.objects.count() == 1
        # A day in the future is refused naming it, and nothing is queued.
        future = post(client, "/epidemic/runs", {"day": "2030-01-01", "wait": False})
        assert future.status_code == 422 and "day" in future.json()["error"]["fields"]
        assert JobRun.objects.count() == 1
        assert jobs.run_pending() == 1
    done = get(client, f"/jobs/{job['id']}").json()
    assert done["state"] == "done" and done["summary"]["detection_run"]
    assert DetectionRun.objects.count() == 2
    # Another user, even of the same body, does not see it.
    login(client, "cdc_city-operator")
    assert get(client, f"/jobs/{job['id']}").status_code == 404


def test_anonymous_requests_are_refused(client, world, signals):
    assert get(client, "/epidemic/signals").status_code == 401
    assert post(client, "/epidemic/runs", {}).status_code == 401


def test_a_runs_problems_come_as_recorded_and_in_the_requests_language(client, world, signals):
    condition("later", method="no-such-method")
    with time_machine.travel(NOW, tick=False):
        detection_run(day=D - dt.timedelta(days=1), now=NOW)
    login(client, "cdc_city-operator")
    for language, message in [
        ("en", "unknown method no-such-method"),
        ("zh-hans", "未知的预警方法 no-such-method"),
    ]:
        items = client.get("/api/v1/epidemic/runs", HTTP_ACCEPT_LANGUAGE=language).json()["items"]
        problem = next(e for i in items for e in i["errors"] if e["condition"] == "later")
        assert problem["error"] == "unknown method no-such-method"  # as recorded
        assert problem["message"] == message
