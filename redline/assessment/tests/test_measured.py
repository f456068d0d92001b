"""A draft's computed figures are measured and kept with their time (`services.
assessment_measure`), so its pages read them at once: the first visit of a manager measures,
later visits read the kept figures (the records are not read again), a manager's visit after
`MEASURE_AGAIN_AFTER` queues one measurement for the jobs process, a manager can ask for one,
an older measurement never replaces a newer, and publishing freezes figures measured then."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from redline.assessment import measures, selectors, services
from redline.assessment.models import Assessment
from redline.assessment.tasks import MEASURE_JOB
from redline.assessment.tests.test_assessment import draft, lapsed_operator, staff, user
from redline.core import jobs
from redline.core.models import JobRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def staffed(world):
    return staff(world)


def training_of(world, inputs: dict, key: str = "D1") -> dict:
    return inputs["subjects"][str(world.regions[key])]["measures"]["training_compliance"]


def kept_training(world, record: Assessment) -> dict:
    record.refresh_from_db()
    return record.measured[str(world.regions["D1"])]["training.compliance"]


def test_the_first_visit_measures_and_later_visits_read_the_kept_figures(
    world, staffed, client, monkeypatch
):
    office = user(world, "office")
    record = draft(world)
    assert record.measured_at is None
    client.force_login(office)
    first = client.get(f"/assessment/{record.pk}/")
    record.refresh_from_db()
    assert first.status_code == 200 and record.measured_at is not None
    assert 'id="assessment-measured"' in first.content.decode()
    live = selectors.live_inputs(office, record)
    kept = selectors.inputs_of(office, record)
    assert kept["subjects"] == live["subjects"]  # the kept figures are the live ones
    before = training_of(world, kept)
    # The records change; the page shows the kept figures, without reading the records.
    lapsed_operator(user(world, "ent", "operator"), staffed)
    assert training_of(world, selectors.live_inputs(office, record)) != before

    def measured_again(*args, **kwargs):
        raise AssertionError("the kept figures are read, not measured again")

    monkeypatch.setattr(measures, "measure", measured_again)
    again = client.get(f"/assessment/{record.pk}/")
    assert again.status_code == 200
    assert training_of(world, selectors.inputs_of(office, record)) == before
    subject = client.get(f"/assessment/{record.pk}/districts/{world.regions['D1']}/")
    assert subject.status_code == 200 and 'id="assessment-measured"' in subject.content.decode()
    assert not JobRun.objects.filter(kind=MEASURE_JOB).exists()
    api = client.get(f"/api/v1/assessments/{record.pk}").json()
    given = dt.datetime.fromisoformat(api["measured_at"])  # to the millisecond
    assert abs(given - record.measured_at) < dt.timedelta(milliseconds=1)


def test_kept_figures_grown_old_are_measured_again_by_the_jobs_process(world, staffed, client):
    office = user(world, "office")
    record = draft(world)
    services.assessment_measure(actor=office, assessment_id=record.pk)
    before = kept_training(world, record)
    lapsed_operator(user(world, "ent", "operator"), staffed)
    client.force_login(office)
    later = timezone.now() + services.MEASURE_AGAIN_AFTER + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        page = client.get(f"/assessment/{record.pk}/")
        client.get(f"/assessment/{record.pk}/")  # opened again: no second run
        runs = list(JobRun.objects.filter(kind=MEASURE_JOB))
        assert page.status_code == 200 and len(runs) == 1
        assert f"/jobs/{runs[0].pk}/" in page.content.decode()
        assert kept_training(world, record) == before  # shown meanwhile: the kept figures
        assert jobs.run_pending() == 1
    record.refresh_from_db()
    assert record.measured_at == later
    after = kept_training(world, record)
    assert after["den"] == before["den"] + 1 and after["num"] == before["num"]


def test_a_manager_asks_for_a_measurement_and_others_cannot(world, client):
    record = draft(world)
    client.force_login(user(world, "office"))
    asked = client.post(f"/assessment/{record.pk}/measure/", {"token": "t1"})
    retried = client.post(f"/assessment/{record.pk}/measure/", {"token": "t1"})
    run = JobRun.objects.get(kind=MEASURE_JOB)
    assert asked.status_code == retried.status_code == 302
    assert asked.url == retried.url == f"/jobs/{run.pk}/"
    assert jobs.run_pending() == 1
    record.refresh_from_db()
    assert record.measured_at is not None and record.measured
    # The office's viewer reads the draft, but does not measure it; a district's manager
    # does not see it.
    for who in (user(world, "office", "viewer"), user(world, "d1")):
        client.force_login(who)
        refused = client.post(f"/assessment/{record.pk}/measure/", {"token": "t2"})
        assert refused.status_code in (403, 404)
    assert JobRun.objects.filter(kind=MEASURE_JOB).count() == 1


def test_an_older_measurement_never_replaces_a_newer_one(world):
    office = user(world, "office")
    record = draft(world)
    now = timezone.now()
    assert services.assessment_measure(actor=office, assessment_id=record.pk, now=now)
    earlier = now - dt.timedelta(minutes=1)
    assert not services.assessment_measure(actor=office, assessment_id=record.pk, now=earlier)
    record.refresh_from_db()
    assert record.measured_at == now


def test_publishing_freezes_the_figures_measured_then_not_the_kept_ones(world, staffed):
    office = user(world, "office")
    record = draft(world)
    services.assessment_measure(actor=office, assessment_id=record.pk)
    kept = kept_training(world, record)
    lapsed_operator(user(world, "ent", "operator"), staffed)
    published = services.assessment_step(
        actor=office,
        assessment_id=record.pk,
        action="publish",
        version=record.version,
        data={"comment": "市安委办〔2026〕9号"},
    )
    frozen = training_of(world, published.inputs)
    assert frozen["den"] == kept["den"] + 1
    # A published assessment is not measured (its inputs are frozen).
    assert not services.assessment_measure(actor=office, assessment_id=record.pk)
