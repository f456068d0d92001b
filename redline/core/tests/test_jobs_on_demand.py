"""On-demand jobs (`redline.core.jobs`): a run is queued once per form token, claimed by one
process only, run to done (its file kept) or failed (a message for its requester, nothing
half-kept), taken up again when its process died, and seen by its requester alone."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.test import Client
from django.utils import timezone

from redline.accounts.models import User
from redline.core import jobs
from redline.core.errors import ValidationFailed
from redline.core.models import JobRun, JobState
from redline.core.tests.races import in_threads, race_connection

pytestmark = pytest.mark.django_db


def _echo(run: JobRun, progress: jobs.Progress) -> jobs.Output:
    progress(1, 2, "half way")
    if run.params.get("refuse"):
        raise ValidationFailed("The period is not valid.")
    if run.params.get("crash"):
        raise RuntimeError("disk full")
    return jobs.Output("echo.txt", "text/plain", run.params["text"].encode())


@pytest.fixture(autouse=True)
def echo_job(monkeypatch):
    monkeypatch.setattr(jobs, "on_demand", lambda: {"test.echo": jobs.OnDemand("test.echo", _echo)})


@pytest.fixture
def alice():
    return User.objects.create_user("alice", password="x")


def _queue(user, token="t1", **params):
    return jobs.enqueue(
        kind="test.echo", user=user, params={"text": "hello", **params}, token=token, title="Echo"
    )


def test_a_retried_request_finds_its_run_instead_of_making_a_second(alice):
    first = _queue(alice)
    again = _queue(alice)
    assert again.pk == first.pk
    assert JobRun.objects.count() == 1
    _queue(alice, token="t2")
    assert JobRun.objects.count() == 2


def test_an_unknown_kind_is_refused():
    user = User.objects.create_user("bob", password="x")
    with pytest.raises(ValueError, match="unknown on-demand job"):
        jobs.enqueue(kind="nope", user=user, params={}, token="x", title="x")
    assert not JobRun.objects.exists()


def test_a_run_is_claimed_once_runs_to_done_and_keeps_its_file(alice):
    run = _queue(alice)
    claimed = jobs.claim()
    assert claimed is not None and claimed.pk == run.pk
    assert claimed.state == JobState.RUNNING and claimed.attempts == 1
    assert jobs.claim() is None  # nobody else takes it
    done = jobs.execute(claimed)
    assert done.state == JobState.DONE
    assert bytes(done.result) == b"hello"
    assert (done.result_name, done.result_type) == ("echo.txt", "text/plain")
    assert done.step == done.steps == 2 and done.finished_at is not None
    assert jobs.run_pending() == 0


def test_a_refused_run_fails_with_its_message_and_a_crash_with_a_pointer_to_the_log(alice, caplog):
    refused = _queue(alice, token="a", refuse=True)
    crashed = _queue(alice, token="b", crash=True)
    assert jobs.run_pending() == 2
    refused.refresh_from_db()
    crashed.refresh_from_db()
    assert refused.state == JobState.FAILED and refused.error == "The period is not valid."
    assert crashed.state == JobState.FAILED and "disk full" not in crashed.error
    assert crashed.error and refused.result is None and crashed.result is None
    assert "disk full" in caplog.text


def test_a_run_whose_process_died_is_taken_up_again_then_given_up(alice):
    run = _queue(alice)
    long_ago = timezone.now() - jobs.STALE - dt.timedelta(seconds=1)
    for attempt in range(1, jobs.ATTEMPTS + 1):
        claimed = jobs.claim()
        assert claimed is not None and claimed.attempts == attempt
        # The process dies here: the run stays "running" and its heartbeat ages.
        JobRun.objects.filter(pk=run.pk).update(heartbeat_at=long_ago)
    assert jobs.claim() is None
    run.refresh_from_db()
    assert run.state == JobState.FAILED and run.attempts == jobs.ATTEMPTS
    assert run.error


def test_a_live_run_is_not_taken_from_its_process(alice):
    _queue(alice)
    assert jobs.claim() is not None
    assert jobs.claim() is None  # heartbeat fresh: still its process's


@pytest.mark.django_db(transaction=True)
def test_two_processes_claiming_at_once_take_different_runs(alice, tmp_path):
    for n in range(6):
        _queue(alice, token=f"t{n}")
    barrier = threading.Barrier(2, timeout=30)

    def claim_all() -> list[str]:
        barrier.wait()
        taken = []
        while (run := jobs.claim()) is not None:
            taken.append(str(run.pk))
        return taken

    first, second = in_threads(race_connection(tmp_path), claim_all, claim_all)
    assert isinstance(first, list) and isinstance(second, list), (first, second)
    assert not set(first) & set(second)
    assert len(first) + len(second) == 6


def test_a_run_and_its_file_are_its_requesters_alone(alice):
    run = _queue(alice)
    mine, other = Client(), Client()
    mine.force_login(alice)
    other.force_login(User.objects.create_superuser("root", password="x"))
    page = mine.get(f"/jobs/{run.pk}/")
    assert page.status_code == 200
    assert 'data-state="queued"' in page.content.decode()
    assert 'hx-trigger="every 2s"' in page.content.decode()
    assert mine.get(f"/jobs/{run.pk}/result").status_code == 404  # not written yet
    jobs.run_pending()
    page = mine.get(f"/jobs/{run.pk}/", HTTP_HX_REQUEST="true")
    assert 'data-state="done"' in page.content.decode()
    assert "every 2s" not in page.content.decode()  # finished: no more polling
    result = mine.get(f"/jobs/{run.pk}/result")
    assert result.status_code == 200 and result.content == b"hello"
    assert 'filename="echo.txt"' in result["Content-Disposition"]
    assert other.get(f"/jobs/{run.pk}/").status_code == 404
    assert other.get(f"/jobs/{run.pk}/result").status_code == 404
    assert Client().get(f"/jobs/{run.pk}/").status_code == 302  # sign in first


def test_a_run_waiting_long_says_the_jobs_process_may_be_down(alice):
    run = _queue(alice)
    JobRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(minutes=2))
    client = Client()
    client.force_login(alice)
    assert 'id="job-waiting"' in client.get(f"/jobs/{run.pk}/").content.decode()


def test_the_jobs_command_runs_waiting_runs_once(alice):
    from django.core.management import call_command

    run = _queue(alice)
    call_command("jobs", "--at", "2026-12-01T08:00:00")
    run.refresh_from_db()
    assert run.state == JobState.DONE
