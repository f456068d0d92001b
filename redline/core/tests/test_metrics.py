"""/metrics in Prometheus text format: request latency by view name (never the raw path),
method and status class; on-demand jobs from their runs (durations, failures, queue); open
and overdue hazards and open signals; every process's request figures added up when
PROMETHEUS_MULTIPROC_DIR is set; answered only to allowed addresses or the bearer token."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from redline.accounts.models import User
from redline.core.models import JobRun, JobState
from redline.epidemic.models import Signal
from redline.epidemic.tests.signal_data import condition
from redline.hazards.models import Hazard
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db

LATENCY = "redline_http_request_duration_seconds"
TOKEN = "scrape-token-0123456789"


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client, **extra) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return parse(response.content.decode())


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests_of(samples, view: str, method: str = "GET", status: str = "2xx") -> float:
    return value(samples, f"{LATENCY}_count", view=view, method=method, status=status)


def test_requests_are_timed_by_view_name_method_and_status_class(client):
    before = scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    client.head("/healthz")
    assert client.get("/api/v1/enterprises/918273").status_code == 401
    assert client.get("/no/such/page/918273").status_code == 404
    assert client.generic("BREW", "/healthz").status_code == 405
    after = scrape(client)

    assert requests_of(after, "healthz") - requests_of(before, "healthz") == 2
    assert requests_of(after, "healthz", "HEAD") - requests_of(before, "healthz", "HEAD") == 1
    assert (
        requests_of(after, "healthz", "other", "4xx")
        - requests_of(before, "healthz", "other", "4xx")
        == 1
    )
    api = requests_of(after, "api:get_enterprise", status="4xx")
    assert api - requests_of(before, "api:get_enterprise", status="4xx") == 1
    unmatched = requests_of(after, "<unmatched>", status="4xx")
    assert unmatched - requests_of(before, "<unmatched>", status="4xx") == 1
    # The previous scrape is counted too, under its own name.
    assert requests_of(after, "metrics") >= 1
    labels = {v for (_name, pairs) in after for _k, v in pairs}
    assert not [v for v in labels if "918273" in v or "/" in v], labels
    # A histogram: the slowest bucket holds every request.
    infinite = value(
        after, f"{LATENCY}_bucket", view="healthz", method="GET", status="2xx", le="+Inf"
    )
    assert infinite == requests_of(after, "healthz")


def _finished(kind: str, state: str, seconds: float, n: int) -> JobRun:
    user, _ = User.objects.get_or_create(username="metrics-requester")
    started = timezone.now() - dt.timedelta(hours=2)
    ended = started + dt.timedelta(seconds=seconds) if state in ("done", "failed") else None
    return JobRun.objects.create(
        kind=kind,
        requested_by=user,
        token=f"t{n}",
        title=kind,
        state=state,
        created_at=started,
        started_at=started if state != JobState.QUEUED else None,
        heartbeat_at=started if state != JobState.QUEUED else None,
        finished_at=ended,
    )


def test_job_durations_failures_and_queue_come_from_the_runs(client):
    empty = scrape(client)
    assert value(empty, "redline_jobs_queued") == 0
    assert value(empty, "redline_metrics_database_up") == 1
    for n, (kind, state, seconds) in enumerate(
        [
            ("alpha", JobState.DONE, 3),
            ("alpha", JobState.DONE, 100),
            ("alpha", JobState.FAILED, 700),
            ("beta", JobState.FAILED, 0.5),
            ("alpha", JobState.QUEUED, 0),
            ("beta", JobState.QUEUED, 0),
            ("alpha", JobState.RUNNING, 0),
        ]
    ):
        _finished(kind, state, seconds, n)
    samples = scrape(client)
    bucket = "redline_job_duration_seconds_bucket"
    assert value(samples, bucket, kind="alpha", le="1.0") == 0
    assert value(samples, bucket, kind="alpha", le="5.0") == 1
    assert value(samples, bucket, kind="alpha", le="120.0") == 2
    assert value(samples, bucket, kind="alpha", le="600.0") == 2
    assert value(samples, bucket, kind="alpha", le="1800.0") == 3
    assert value(samples, bucket, kind="alpha", le="+Inf") == 3
    assert value(samples, "redline_job_duration_seconds_count", kind="alpha") == 3
    assert value(samples, "redline_job_duration_seconds_sum", kind="alpha") == pytest.approx(803)
    assert value(samples, bucket, kind="beta", le="1.0") == 1
    assert value(samples, "redline_job_failures_total", kind="alpha") == 1
    assert value(samples, "redline_job_failures_total", kind="beta") == 1
    assert value(samples, "redline_jobs_queued") == 2
    assert value(samples, "redline_jobs_running") == 1


def test_open_and_overdue_hazards_and_open_signals(client, world):
    from redline.campaigns.tests.data import hazard

    before = scrape(client)
    unit = Enterprise.objects.get(pk=world.units[0].pk)
    today = timezone.localdate()
    now = timezone.now()
    hazard(unit, reported_at=now, state="reported", deadline=today - dt.timedelta(days=1))
    hazard(unit, reported_at=now, state="rectifying", deadline=today + dt.timedelta(days=1))
    hazard(unit, reported_at=now, state="awaiting", deadline=today - dt.timedelta(days=5))
    hazard(unit, reported_at=now, state="closed", deadline=today - dt.timedelta(days=5))
    cond = condition()
    for number, state in [("S-1", "new"), ("S-2", "investigating"), ("S-3", "closed")]:
        Signal.objects.create(
            number=number,
            condition=cond,
            region=unit.region,
            method=f"m-{number}",
            first_date=today,
            last_date=today,
            count=9,
            state=state,
            opened_at=now,
            verify_due_at=now + dt.timedelta(hours=4),
        )
    after = scrape(client)
    assert value(after, "redline_hazards_open") - value(before, "redline_hazards_open") == 3
    assert value(after, "redline_hazards_overdue") - value(before, "redline_hazards_overdue") == 1
    assert value(after, "redline_signals_open") - value(before, "redline_signals_open") == 2
    assert value(after, "redline_hazards_open") == Hazard.objects.open().count()


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_served_to_the_machine_itself_by_default(client, address):
    assert client.get("/metrics", REMOTE_ADDR=address).status_code == 200


def test_refused_with_a_404_to_other_addresses_and_to_forwarded_requests(client):
    elsewhere = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert elsewhere.status_code == 404
    assert "redline_" not in elsewhere.content.decode()
    # A proxy on the same machine: the client is not the machine itself.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    assert client.get("/metrics", headers={"Forwarded": "for=203.0.113.9"}).status_code == 404


@override_settings(REDLINE_METRICS_ALLOW=["10.0.0.0/8", "192.0.2.7/32"])
def test_allowed_networks(client):
    assert client.get("/metrics", REMOTE_ADDR="10.200.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.8").status_code == 404
    assert client.get("/metrics").status_code == 404  # 127.0.0.1 is no longer listed


@override_settings(REDLINE_METRICS_ALLOW=[], REDLINE_METRICS_TOKEN=TOKEN)
def test_a_bearer_token_opens_it_from_anywhere(client):
    far = {"REMOTE_ADDR": "203.0.113.9"}
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, **far)
    assert ok.status_code == 200
    assert "redline_jobs_queued" in ok.content.decode()
    forwarded = {"Authorization": f"bearer {TOKEN}", "X-Forwarded-For": "203.0.113.9"}
    assert client.get("/metrics", headers=forwarded, **far).status_code == 200
    for wrong in [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, ""]:
        refused = client.get("/metrics", headers={"Authorization": wrong}, **far)
        assert refused.status_code == 404, wrong
    assert client.get("/metrics").status_code == 404  # no address is allowed


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    base.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return subprocess.run(
        [sys.executable, "-c", code],
        env=base | {"DJANGO_SETTINGS_MODULE": "redline.settings"} | env,
        capture_output=True,
        text=True,
        timeout=300,
    )


SERVE = """
import sys, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
for _ in range(int(sys.argv[1])):
    assert client.get("/healthz").status_code == 200
"""
SCRAPE = """
import django
django.setup()
from prometheus_client import generate_latest
from redline.core import metrics
print(generate_latest(metrics.process_registry()).decode())
"""


def test_multiprocess_mode_adds_up_every_process(tmp_path: Path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {"REDLINE_DEMO": "1", "REDLINE_VAR_DIR": str(tmp_path), "PYTHONWARNINGS": "ignore"}
    for n in (3, 4):
        code = SERVE.replace("int(sys.argv[1])", str(n))
        served = _python(code, env | {"PROMETHEUS_MULTIPROC_DIR": str(shared)})
        assert served.returncode == 0, served.stderr[-3000:]
    assert len(list(shared.glob("histogram_*.db"))) == 2
    scraped = _python(SCRAPE, env | {"PROMETHEUS_MULTIPROC_DIR": str(shared)})
    assert scraped.returncode == 0, scraped.stderr[-3000:]
    assert requests_of(parse(scraped.stdout), "healthz") == 7
    alone = _python(SCRAPE, env)  # without the directory: this process's figures only
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert requests_of(parse(alone.stdout), "healthz") == 0


@pytest.mark.parametrize(
    ("variable", "bad"),
    [
        ("REDLINE_METRICS_ALLOW", "127.0.0.1,10.0.0.300"),
        ("REDLINE_METRICS_ALLOW", "localhost"),
        ("REDLINE_METRICS_TOKEN", "too-short"),
        ("PROMETHEUS_MULTIPROC_DIR", "/nonexistent/redline-metrics"),
    ],
)
def test_a_bad_metrics_setting_stops_start_up_naming_it(tmp_path, variable, bad):
    env = {"REDLINE_DEMO": "1", "REDLINE_VAR_DIR": str(tmp_path), variable: bad}
    result = _python("import redline.settings", env)
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("django.core.exceptions.ImproperlyConfigured: " + variable), message


def test_metrics_settings_read(tmp_path):
    env = {
        "REDLINE_DEMO": "1",
        "REDLINE_VAR_DIR": str(tmp_path),
        "REDLINE_METRICS_ALLOW": "10.1.2.3, 10.0.0.0/8,::1",
    }
    code = "from redline import settings as s; print(s.REDLINE_METRICS_ALLOW)"
    shown = _python(code, env)
    assert shown.stdout.strip() == "['10.1.2.3/32', '10.0.0.0/8', '::1/128']", shown.stderr
    shown = _python(code, env | {"REDLINE_METRICS_ALLOW": "none"})
    assert shown.stdout.strip() == "[]", shown.stderr
