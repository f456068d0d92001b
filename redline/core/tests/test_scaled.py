"""The scaled configuration for real: `redline worker` processes on the Redis broker, jobs
sent by `redline jobs` and by the application, `redline beat` seen alive, e-mail delivered by
a worker, and the daily detection run spread over chunks surviving a worker killed in the
middle of one: the restarted worker finishes it with exactly the alarms and signals of an
uninterrupted run."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

from redline.core.tests.scaled import (
    AT,
    Database,
    Site,
    require_redis,
    wait_until,
)

SLOW_WORKER = """
import os, sys, time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "redline.settings")
import django

django.setup()
from redline.epidemic import detection

marks = Path(os.environ["REDLINE_TEST_MARKS"])
evaluate_all = detection.evaluate_all


def slowly(*args, **kwargs):
    # Each chunk says it started, then takes a second: the test kills the worker inside one.
    (marks / f"{time.monotonic_ns()}-{os.getpid()}").touch()
    time.sleep(1.0)
    return evaluate_all(*args, **kwargs)


detection.evaluate_all = slowly
from django.core.management import execute_from_command_line

execute_from_command_line(["redline", *sys.argv[1:]])
"""

FINDINGS = "from redline.core.tests.scaled import signals_and_alarms; signals_and_alarms()"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """Migrated once, with the outbreaks; each test works on a copy."""
    require_redis()
    root = tmp_path_factory.mktemp("scaled")
    database = Database(root, f"redline_scaled_{uuid.uuid4().hex[:8]}")
    database.create_empty()
    site = Site(root, database)
    site.redline("migrate", "-v", "0", broker=False)
    site.python(
        "from redline.core.tests.scaled import build_outbreaks; build_outbreaks(); print(1)",
        broker=False,
    )
    yield database
    database.drop()


@pytest.fixture
def copies(base):
    made: list[Database] = []
    sites: list[Site] = []

    def copy(broker_queue: str | None = None) -> Site:
        database = base.copy(f"{base.name}_{uuid.uuid4().hex[:6]}")
        made.append(database)
        site = Site(base.root, database, queue=broker_queue)
        sites.append(site)
        return site

    yield copy
    for site in sites:
        site.stop_all()
    for database in made:
        database.drop()


def test_jobs_the_application_and_the_commands_send_are_run_by_a_worker(copies):
    site = copies()
    worker = site.worker("w1")
    worker.wait_for("ready")

    # `redline jobs NAME` sends the job and prints the worker's answer.
    answered = site.redline("jobs", "hazard-tally", "mail-outbox")
    results = json.loads(answered.stdout)
    assert results["hazard-tally"] == {"combinations": 0}
    assert results["mail-outbox"] == {"sent": 0, "failed": 0}
    assert "redline.periodic" in worker.output()
    # --no-wait only sends it: the task's id comes back.
    sent = json.loads(site.redline("jobs", "hazard-tally", "--no-wait").stdout)
    assert len(sent["hazard-tally"]) == 36
    # --loop is beat's work in this configuration.
    refused = site.redline("jobs", "--loop", check=False)
    assert refused.returncode != 0 and "redline beat" in refused.stderr

    # A run a user asks for is sent when its request commits, and the worker runs it.
    run = site.python(
        "import json; from redline.core import jobs; from redline.accounts.models import User; "
        "user = User.objects.get(username='cdc_city-manager'); "
        "run = jobs.enqueue(kind='epidemic.detection', user=user, token='t1', title='run', "
        "params={'day': '2026-03-10', 'as_known_on': '2026-03-10', 'language': 'zh-hans'}); "
        "print(json.dumps(str(run.pk)))"
    )
    state = (
        f"from redline.core.models import JobRun; r = JobRun.objects.get(pk='{run}'); "
        "print(__import__('json').dumps([r.state, r.summary, r.attempts]))"
    )
    done = wait_until(lambda: (s := site.python(state))[0] in ("done", "failed") and s, timeout=90)
    assert done[0] == "done", done
    assert "2026-03-10" in done[1]["message"] and done[2] == 1

    # A notification's e-mail leaves from the worker once the change commits.
    site.python(
        "from redline.core.notify import notify; from redline.accounts.models import User; "
        "notify([User.objects.get(username='cdc_city-manager')], key='scaled:mail', "
        "subject='Scaled mail test'); print(1)"
    )
    emailed = (
        "from redline.core.models import Notification; "
        "n = Notification.objects.get(key='scaled:mail'); "
        "print(__import__('json').dumps(n.emailed_at is not None))"
    )
    wait_until(lambda: site.python(emailed), timeout=60, what="the e-mail to be sent")
    assert "Subject: Scaled mail test" in worker.output()

    # `redline check --deploy` sees the worker; beat, once started, is seen too.
    checked = site.redline("check", "--deploy", check=False)
    assert "redline.W004" not in checked.stderr + checked.stdout
    assert "redline.W005" in checked.stderr + checked.stdout
    beat = site.start(sys.executable, "-m", "redline.cli", "beat", name="beat")
    beat.wait_for("beat: Starting")

    def beat_seen() -> bool:
        out = site.redline("check", "--deploy", check=False)
        return "redline.W005" not in out.stderr + out.stdout

    wait_until(beat_seen, timeout=60, every=1, what="beat's heartbeat")
    worker.stop()
    gone = site.redline("check", "--deploy", check=False)
    assert "redline.W004" in gone.stderr + gone.stdout


def test_a_worker_killed_in_the_daily_run_leaves_exactly_the_signals_of_an_uninterrupted_run(
    copies, tmp_path
):
    chunked = {"REDLINE_DETECTION_CHUNK_SIZE": "4"}
    # The reference: the same data, the run uninterrupted in one process (embedded default).
    reference = copies()
    reference.redline("jobs", "epidemic-detection", "--at", AT, broker=False, **chunked)
    expected = reference.python(FINDINGS, broker=False)
    assert expected["finished"] and expected["signals"] and len(expected["chunks"]) > 6

    site = copies()
    marks = tmp_path / "marks"
    marks.mkdir()
    launcher = tmp_path / "slow_worker.py"
    launcher.write_text(SLOW_WORKER)
    env = {**chunked, "REDLINE_TEST_MARKS": str(marks)}
    first = site.worker("w1", launcher=[sys.executable, str(launcher)], env=env)
    first.wait_for("ready")
    sent = site.redline("jobs", "epidemic-detection", "--at", AT, "--no-wait", **chunked)
    assert "epidemic-detection" in sent.stdout
    # Killed in its third chunk (two are done and committed, the third is half-way).
    wait_until(lambda: len(list(marks.iterdir())) >= 3, timeout=120, every=0.05)
    first.kill()
    halfway = site.python(FINDINGS)
    assert not halfway["finished"]
    assert 2 <= len(halfway["chunks"]) < len(expected["chunks"])

    # Another worker takes the chunk that was lost and the ones never started.
    site.worker("w2", env=chunked).wait_for("ready")
    wait_until(lambda: site.python(FINDINGS)["finished"], timeout=180, every=1)
    found = site.python(FINDINGS)
    assert found["chunks"] == expected["chunks"]  # each chunk once
    assert found["alarms"] == expected["alarms"]
    assert found["signals"] == expected["signals"]
    assert found["series"] == expected["series"]
    assert found["errors"] == expected["errors"]
    assert Path(first.log).exists()
