"""/healthz answers from the process alone; /readyz names every failing readiness check
(the database, unapplied migrations, stalled on-demand jobs, and any check registered later),
without leaking an exception's message. Both are open to probes: no sign-in, no session, no
CSRF, never cached, not redirected."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.db import OperationalError
from django.db.migrations import Migration
from django.test import override_settings
from django.utils import timezone

from redline.accounts.models import User
from redline.core import health, jobs
from redline.core.models import JobRun, JobState

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 4, 2, 0, tzinfo=dt.UTC)
# Django's own guard, which /healthz and /readyz must pass like any page a visitor opens.
LOGIN_REQUIRED = [*settings.MIDDLEWARE, "django.contrib.auth.middleware.LoginRequiredMiddleware"]


def probe_headers(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_healthz_answers_ok_without_database_or_session(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    probe_headers(response)
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_healthz_reads_nothing_of_a_signed_in_browsers_session(client, django_assert_num_queries):
    client.force_login(User.objects.create(username="probe-browser"))
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert "Cookie" not in response.get("Vary", "")


@override_settings(MIDDLEWARE=LOGIN_REQUIRED)
def test_probes_need_no_sign_in_even_where_every_page_does(client):
    assert client.get("/audit/").status_code == 302  # the guard is on
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    probe_headers(response)


def test_readyz_is_ready_when_every_check_passes(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) >= {"database", "migrations", "jobs"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "failing" not in body


def test_a_database_that_does_not_answer_is_named_without_its_message(client, monkeypatch):
    class Down:
        def cursor(self):
            raise OperationalError('connection to server at "db.secret.internal" failed')

    monkeypatch.setattr(health, "connection", Down())
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert "database" in body["failing"]
    assert body["checks"]["database"] == {"ok": False, "detail": "raised OperationalError"}
    assert "secret" not in response.content.decode()


def test_an_unapplied_migration_makes_it_not_ready(client, monkeypatch):
    class Behind(health.MigrationExecutor):
        def migration_plan(self, targets, clean_start=False):
            return [(Migration("0999_pending", "core"), False)]

    monkeypatch.setattr(health, "MigrationExecutor", Behind)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["migrations"]
    assert body["checks"]["migrations"]["detail"] == "1 unapplied: core.0999_pending"


def _run(state: str, *, created: dt.datetime, heartbeat: dt.datetime | None = None) -> JobRun:
    user, _ = User.objects.get_or_create(username="requester")
    return JobRun.objects.create(
        kind="situation-report",
        requested_by=user,
        token=f"t-{JobRun.objects.count()}",
        title="report",
        state=state,
        created_at=created,
        started_at=heartbeat,
        heartbeat_at=heartbeat,
    )


def test_a_run_queued_too_long_makes_it_not_ready(client):
    _run(JobState.QUEUED, created=NOW - health.QUEUE_WAIT + dt.timedelta(seconds=30))
    with time_machine.travel(NOW, tick=False):
        assert client.get("/readyz").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(seconds=31), tick=False):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["jobs"]
    assert response.json()["checks"]["jobs"]["detail"] == "1 queued for more than 5 minutes"


def test_a_running_run_without_heartbeat_makes_it_not_ready(client):
    beat = NOW - jobs.STALE + dt.timedelta(seconds=10)
    _run(JobState.RUNNING, created=beat, heartbeat=beat)
    # Finished and fresh runs are no concern.
    _run(JobState.DONE, created=NOW - dt.timedelta(days=3))
    _run(JobState.QUEUED, created=NOW - dt.timedelta(seconds=5))
    with time_machine.travel(NOW, tick=False):
        assert client.get("/readyz").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(seconds=11), tick=False):
        response = client.get("/readyz")
    assert response.status_code == 503
    detail = response.json()["checks"]["jobs"]["detail"]
    assert detail == "1 running without a heartbeat for 10 minutes"
    assert timezone.now() > NOW  # the clock is back


def test_a_registered_check_takes_part(client, monkeypatch):
    monkeypatch.setattr(health, "READINESS_CHECKS", dict(health.READINESS_CHECKS))

    @health.readiness_check("broker")
    def broker() -> health.CheckResult:
        return health.CheckResult(ok=False, detail="no answer from the broker")

    assert "broker" in health.READINESS_CHECKS
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
    assert response.json()["checks"]["broker"] == {
        "ok": False,
        "detail": "no answer from the broker",
    }

    @health.readiness_check("broker")
    def broker_again() -> health.CheckResult:
        return health.CheckResult(ok=True)

    assert client.get("/readyz").status_code == 200
