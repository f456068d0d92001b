"""An inspection's note and photos: shown on the task's page, and carried into the hazard
that "hazard found" opens (the note into its description, the photos into its evidence)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from redline.conftest import login
from redline.hazards.inspection import task_generate
from redline.hazards.models import Hazard, InspectionTask
from redline.hazards.tests.factories import JPEG, measure_with_cycle, user
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db

NOTE = "Valve V-3 weeps at the stem; puddle under the flange."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def due_task(world) -> InspectionTask:
    ent = Enterprise.objects.get(pk=world.orgs["ent"].arg)
    measure, _cycle = measure_with_cycle(
        ent, name="evidence", starts_at=timezone.now() - dt.timedelta(hours=1)
    )
    task_generate(start=timezone.now() - dt.timedelta(days=1), end=timezone.now())
    return InspectionTask.objects.filter(measure=measure).latest("due_at")


def test_note_and_photo_are_on_the_task_page_and_in_the_hazard_it_opens(client, world, due_task):
    login(client, "ent-operator")
    page = client.get(reverse("task-record", args=[due_task.pk]))
    key = page.context["form"].initial["idempotency_key"]
    found = client.post(
        reverse("task-record", args=[due_task.pk]),
        {
            "result": "hazard",
            "note": NOTE,
            "idempotency_key": key,
            "photos": [SimpleUploadedFile("valve.jpg", JPEG, content_type="image/jpeg")],
        },
    )
    assert found.status_code == 302
    photo = due_task.photos.get()

    # The task's page shows the note and the photo (which its unit may open).
    shown = client.get(reverse("task-record", args=[due_task.pk])).content.decode()
    assert 'id="task-note"' in shown and "Valve V-3 weeps at the stem" in shown
    assert reverse("evidence-photo", args=[photo.token]) in shown
    assert client.get(reverse("evidence-photo", args=[photo.token])).status_code == 200

    # "Hazard found" opens the form with the note in the description.
    form = client.get(found.url)
    initial = form.context["form"].initial
    assert NOTE in initial["description"] and initial["task"] == due_task.pk
    data = {
        k: initial[k]
        for k in ("idempotency_key", "enterprise", "name", "description", "task", "measure")
    } | {"hazard_type": "equipment", "level": "general", "source": "daily"}
    reported = client.post(reverse("hazard-report"), data)
    assert reported.status_code == 302
    hazard = Hazard.objects.get(task=due_task)
    assert NOTE in hazard.description

    # The inspection's photo is the hazard's evidence: shown on its page, readable.
    evidence = hazard.photos.get()
    assert evidence.file.name == photo.file.name and evidence.token != photo.token
    detail = client.get(reported.url).content.decode()
    assert NOTE in detail and reverse("evidence-photo", args=[evidence.token]) in detail
    served = client.get(reverse("evidence-photo", args=[evidence.token]))
    with photo.file.open("rb") as stored:  # the upload as stored (re-encoded, no metadata)
        assert b"".join(served.streaming_content) == stored.read()
    # The task keeps its own photo.
    assert list(due_task.photos.all()) == [photo]

    # Outside the unit's jurisdiction, neither photo is served.
    login(client, "ent2-admin")
    assert client.get(reverse("evidence-photo", args=[photo.token])).status_code == 404
    assert client.get(reverse("evidence-photo", args=[evidence.token])).status_code == 404


def test_a_hazard_reported_through_the_api_from_a_task_has_its_photos(client, world, due_task):
    from redline.hazards.inspection import TaskRecordInput, task_record
    from redline.hazards.services import HazardReportInput, hazard_report

    operator = user("ent-operator")
    task_record(
        actor=operator,
        task_id=due_task.pk,
        data=TaskRecordInput.of({"result": "hazard", "note": NOTE}),
        photos=[SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")],
    )
    hazard, created = hazard_report(
        actor=operator,
        data=HazardReportInput.of(
            {
                "enterprise": world.orgs["ent"].arg,
                "task": due_task.pk,
                "name": "Valve weeps",
                "description": NOTE,
                "hazard_type": "equipment",
                "level": "general",
            }
        ),
    )
    assert created and hazard.photos.count() == 1
    assert hazard.photos.get().file.name == due_task.photos.get().file.name
