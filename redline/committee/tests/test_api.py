"""The committee API: a progress report with an Idempotency-Key (a retry answers the first
report and creates nothing), photos in base64, a step with its version, and the refusals in
the one error shape."""

from __future__ import annotations

import base64

import pytest

from redline.committee.models import KeyTask, ProgressReport
from redline.committee.tests import build
from redline.committee.vocab import TaskState
from redline.conftest import login
from redline.hazards.tests.factories import JPEG

pytestmark = pytest.mark.django_db

EN = {"accept-language": "en"}


def post(client, url, body, **headers):
    return client.post(url, body, content_type="application/json", headers=EN | headers)


def test_a_report_retried_with_the_same_key_is_answered_once(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = build.deploy(world)
    login(client, build.LEAD_WRITER)
    photo = {"name": "site.jpg", "content_base64": base64.b64encode(JPEG).decode()}
    body = {"text": "Checked 12 units.", "figure": "12.5", "photos": [photo]}
    url = f"/api/v1/committee/tasks/{task.pk}/reports"
    first = post(client, url, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.content
    again = post(client, url, body, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert first.json()["figure"] == 12.5 and len(first.json()["photos"]) == 1
    assert ProgressReport.objects.filter(task=task).count() == 1
    detail = client.get(f"/api/v1/committee/tasks/{task.pk}").json()
    assert detail["state"] == TaskState.IN_PROGRESS and detail["version"] == task.version + 1
    assert [e["action"] for e in detail["events"]] == ["deploy", "report"]
    assert detail["chain"][0]["level"] == "lead" and detail["chain"][0]["people"] == ["应急联系人"]
    assert detail["reports"][0]["photos"][0]["url"].startswith("/evidence/")


def test_refusals_come_in_the_one_error_shape(client, world):
    task = build.in_state(world, TaskState.COMPLETION_REPORTED)
    url = f"/api/v1/committee/tasks/{task.pk}/reports"
    login(client, "education-operator")
    assert post(client, url, {"text": "x"}).json()["error"]["code"] == "not_found"
    login(client, "emergency-viewer")
    assert post(client, url, {"text": "x"}).json()["error"]["code"] == "permission_denied"
    login(client, build.LEAD_WRITER)
    assert post(client, url, {"text": "x"}).json()["error"]["code"] == "conflict"
    fresh = build.deploy(world)
    bad = post(
        client, f"/api/v1/committee/tasks/{fresh.pk}/reports", {"text": "", "figure": "lots"}
    )
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"text", "figure"}
    login(client, "office-manager")
    step = post(
        client,
        f"/api/v1/committee/tasks/{task.pk}/steps/verify",
        {"version": task.version, "comment": "Checked."},
    )
    assert step.status_code == 200 and step.json()["state"] == TaskState.VERIFIED
    stale = post(
        client, f"/api/v1/committee/tasks/{task.pk}/steps/cancel", {"version": 1, "comment": "x"}
    )
    assert stale.status_code == 409
    assert KeyTask.objects.get(pk=task.pk).state == TaskState.VERIFIED


def test_lists_filter_by_state_body_and_overdue(client, world):
    late = build.deploy(world)
    KeyTask.objects.filter(pk=late.pk).update(report_overdue_since="2026-04-01T00:00:00Z")
    done = build.in_state(world, TaskState.VERIFIED)
    login(client, "cityhall-viewer")

    def ids(**params):
        return {i["id"] for i in client.get("/api/v1/committee/tasks", params).json()["items"]}

    assert ids() == {late.pk, done.pk}
    assert ids(overdue=True) == {late.pk}
    assert ids(state="open") == {late.pk}
    assert ids(state="verified") == {done.pk}
    assert ids(body=world.orgs["fire_d1"].pk) == {late.pk, done.pk}
    assert ids(body=world.orgs["education"].pk) == set()
