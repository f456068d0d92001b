"""Jobs: periodic ones, and long work a user asks for (on demand).

Periodic: each app lists its job functions in `PERIODIC_JOBS` (a module
`redline.<app>.tasks`); a job function takes `now` and is idempotent, so running it twice,
late, or again after a crash is harmless.

On demand: an app lists its long work in `ON_DEMAND_JOBS` (`OnDemand(kind, run)`: a situation
report, say). A web view checks the request, then `enqueue`s a `JobRun` row and answers at
once; the jobs process claims queued runs (a conditional update, so two processes never take
the same one), runs them with progress and keeps the result for the requester. A run whose
process died is taken up again when its heartbeat is older than `STALE` (at most `ATTEMPTS`
times). A retried request finds its run by the form's token, so it makes no second one.
Django's own tasks framework (6.0) has no persistent backend, progress or file result; this is
the jobs process Redline already runs, and `execute(run_id)` is the one call a Celery task
makes when the scaled configuration sends runs through a broker.

In the embedded default the jobs run in a process of their own: `redline serve` starts
`redline jobs --loop` beside gunicorn and restarts it if it dies (REDLINE_JOBS=local). The
web processes never run jobs, and gunicorn's master holds neither Django nor a thread nor a
database connection, so nothing crosses the fork of its workers. `redline jobs` also runs
them once (for cron) or in a loop under another supervisor (REDLINE_JOBS=off).

In the scaled configuration (REDLINE_BROKER_URL set) the same functions run as Celery tasks
(redline.core.queue): beat sends each periodic job when due, a queued run is sent to the
workers when its request commits, and work split into steps (`WORKER_STEPS`: `Step(name,
run)`, such as one chunk of the daily detection run) is spread over the workers with
`send_step`. Nothing is lost when the broker is down or a worker dies: the run or the step
stays in the database as not done, and the `on-demand-recover` job sends it again.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from redline.core.context import acting
from redline.core.errors import DomainError
from redline.core.models import JobRun, JobState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: Callable[..., Any]


@dataclass(frozen=True)
class Output:
    """What an on-demand job leaves for its requester: a file (or none), a summary, and,
    when the work was refused as a whole (an import with bad rows), why: the run then ends
    failed, with the summary and the file (the problems) kept."""

    name: str = ""
    content_type: str = ""
    body: bytes = b""
    summary: dict[str, Any] = field(default_factory=dict)
    problem: str = ""


# Told (done, of, what) as the work goes on; it also keeps the run's heartbeat.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class OnDemand:
    kind: str
    run: Callable[[JobRun, Progress], Output]


@dataclass(frozen=True)
class Step:
    """A piece of a larger job that a worker can do alone (plain JSON arguments in, a JSON
    answer out), idempotent: sent twice, or again after a worker died, it changes nothing
    more."""

    name: str
    run: Callable[..., Any]


# A running run whose heartbeat is older than this lost its process: it is taken up again.
STALE = dt.timedelta(minutes=10)
ATTEMPTS = 3
# How often the jobs process looks for on-demand runs between periodic cycles.
POLL_SECONDS = 1.0


def _listed(attribute: str) -> list[Any]:
    found: list[Any] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("redline."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.tasks":
                raise
            continue
        found.extend(getattr(module, attribute, []))
    return found


def registered() -> list[Job]:
    return _listed("PERIODIC_JOBS")


def on_demand() -> dict[str, OnDemand]:
    return {job.kind: job for job in _listed("ON_DEMAND_JOBS")}


def worker_steps() -> dict[str, Step]:
    return {step.name: step for step in _listed("WORKER_STEPS")}


def scaled() -> bool:
    """Whether jobs go through the broker (Celery workers and beat)."""
    return bool(settings.REDLINE_BROKER_URL)


def send_step(name: str, kwargs: dict[str, Any]) -> None:
    """Have a worker do step `name` (the broker must be configured)."""
    if name not in worker_steps():
        raise ValueError(f"unknown step {name!r}")
    from redline.core import queue

    queue.step.apply_async(args=[name, kwargs])


def run_step(name: str, kwargs: dict[str, Any]) -> Any:
    """Do step `name` here (a worker's task, or the embedded default doing it in place)."""
    with acting(client="job"):
        return worker_steps()[name].run(**kwargs)


def run_one(name: str, now: dt.datetime | None = None) -> Any:
    """Run the periodic job `name` once; its failure is raised (a worker's task records it)."""
    job = {job.name: job for job in registered()}.get(name)
    if job is None:
        raise ValueError(f"unknown job {name!r}")
    with acting(client="job"):
        return job.run(now=now or timezone.now())


def run_all(now: dt.datetime | None = None, names: list[str] | None = None) -> dict[str, Any]:
    """Run every registered job (or those named) once; a failing job does not stop others."""
    now = now or timezone.now()
    results: dict[str, Any] = {}
    for job in registered():
        if names and job.name not in names:
            continue
        try:
            with acting(client="job"):
                results[job.name] = job.run(now=now)
        except Exception as error:
            log.exception("job %s failed", job.name)
            results[job.name] = f"failed: {error}"
    return results


def loop(stop: threading.Event, tick: float = 30.0) -> None:
    """Run each job when its interval has passed, and between them the runs users ask for,
    until `stop` is set.

    A stop asked for while a job runs takes effect when that job returns (jobs are
    idempotent, so a process killed mid-job is also safe). Each cycle ends with the
    database connections closed, so an idle jobs process holds none, and with one log
    line that operators (and the serving test) can watch.
    """
    last: dict[str, dt.datetime] = {}
    cycle = 0
    while not stop.is_set():
        cycle += 1
        started = time.monotonic()
        ran: list[str] = []
        failed: list[str] = []
        for job in registered():
            if stop.is_set():
                break
            now = timezone.now()
            if job.name in last and now - last[job.name] < job.every:
                continue
            last[job.name] = now
            ran.append(job.name)
            try:
                with acting(client="job"):
                    job.run(now=now)
            except Exception:
                failed.append(job.name)
                log.exception("job %s failed", job.name)
            finally:
                connections.close_all()
        log.info(
            "jobs cycle %d done in %.1f s; ran: %s%s",
            cycle,
            time.monotonic() - started,
            ", ".join(ran) or "none due",
            f"; failed: {', '.join(failed)}" if failed else "",
        )
        _serve_on_demand(stop, until=time.monotonic() + tick)


def _serve_on_demand(stop: threading.Event, until: float) -> None:
    """Until the next periodic cycle is due: run what users asked for, looking every
    `POLL_SECONDS`; the connections are closed after each look."""
    while not stop.is_set() and time.monotonic() < until:
        try:
            with acting(client="job"):
                run_pending()
        except Exception:
            log.exception("on-demand jobs: could not look for runs")
        finally:
            connections.close_all()
        stop.wait(min(POLL_SECONDS, max(0.0, until - time.monotonic())))


def enqueue(
    *,
    kind: str,
    user: Any,
    params: dict[str, Any],
    token: str,
    title: str,
    upload: bytes | None = None,
    upload_name: str = "",
) -> JobRun:
    """Queue `kind` for `user` (the caller has checked the parameters and the user's right to
    ask), with the file they gave if any. The same token again (a retried request) returns the
    run it made, unchanged."""
    if kind not in on_demand():
        raise ValueError(f"unknown on-demand job {kind!r}")
    existing = JobRun.objects.filter(requested_by=user, token=token).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                kind=kind,
                params=params,
                requested_by=user,
                token=token,
                title=title[:300],
                created_at=timezone.now(),
                upload=upload,
                upload_name=upload_name[:200],
            )
    except IntegrityError:  # the same token, in a request that raced this one
        return JobRun.objects.get(requested_by=user, token=token)
    if scaled():
        transaction.on_commit(lambda: send_run(run.pk))
    return run


def send_run(pk: Any) -> bool:
    """Send a queued run to the workers; False (logged) when the broker cannot be reached:
    the run waits in the database and `recover` sends it again."""
    from redline.core import queue

    try:
        queue.on_demand.apply_async(args=[str(pk)])
    except Exception:
        log.exception("could not send on-demand run %s to the broker; it will be sent again", pk)
        return False
    return True


# A queued run not taken this long after it was asked for is sent to the workers again.
RESEND_AFTER = dt.timedelta(minutes=2)


def recover(*, now: dt.datetime) -> dict[str, int]:
    """Runs whose process died are queued again (or failed, after `ATTEMPTS`); in the scaled
    configuration, queued runs that no worker took (the broker was down, the message lost)
    are sent again. Sending twice is harmless: a run is claimed once."""
    _take_up_stale(now)
    sent = 0
    if scaled():
        waiting = JobRun.objects.filter(
            state=JobState.QUEUED, created_at__lt=now - RESEND_AFTER
        ).values_list("pk", flat=True)
        sent = sum(send_run(pk) for pk in waiting[:1000])
    return {"sent again": sent}


def runs_of(user: Any) -> Any:
    """The runs a user may see: their own (the door of a personal record, as notifications)."""
    return JobRun.objects.filter(requested_by=user).defer("result", "upload")


def _take_up_stale(now: dt.datetime) -> None:
    """Runs whose process died: queued again, or failed after `ATTEMPTS`. Looked for with a
    read first: the jobs process calls this every second, and on SQLite even an UPDATE that
    matches nothing takes the write lock the web requests need."""
    stale = Q(state=JobState.RUNNING, heartbeat_at__lt=now - STALE)
    if not JobRun.objects.filter(stale).exists():
        return
    JobRun.objects.filter(stale, attempts__lt=ATTEMPTS).update(
        state=JobState.QUEUED, message=_("Taken up again: its process stopped.")
    )
    JobRun.objects.filter(stale, attempts__gte=ATTEMPTS).update(
        state=JobState.FAILED,
        finished_at=now,
        error=_("It stopped %(n)d times without finishing; ask for it again.") % {"n": ATTEMPTS},
    )


def claim(now: dt.datetime | None = None, pk: Any = None) -> JobRun | None:
    """Take the oldest queued run (or run `pk`, if still queued) for this process (None when
    there is none)."""
    now = now or timezone.now()
    _take_up_stale(now)
    candidates = (
        [pk]
        if pk is not None
        else JobRun.objects.filter(state=JobState.QUEUED)
        .order_by("created_at")[:10]
        .values_list("pk", flat=True)
    )
    for candidate in candidates:
        taken = JobRun.objects.filter(pk=candidate, state=JobState.QUEUED).update(
            state=JobState.RUNNING,
            started_at=now,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            error="",
        )
        if taken:
            return JobRun.objects.get(pk=candidate)
    return None


def execute(run: JobRun) -> JobRun:
    """Run a claimed run to its end: done with its result, or failed with a message for the
    requester (a domain error's own; anything else is logged and named only as a failure)."""
    job = on_demand().get(run.kind)

    def progress(done: int, of: int, what: str) -> None:
        JobRun.objects.filter(pk=run.pk, state=JobState.RUNNING).update(
            step=min(done, 32767), steps=min(of, 32767), message=what[:300],
            heartbeat_at=timezone.now(),
        )  # fmt: skip

    language = run.params.get("language") or settings.LANGUAGE_CODE
    try:
        if job is None:
            raise DomainError(_("This kind of work is no longer offered."))
        if not run.requested_by.is_active:
            raise DomainError(_("The account that asked for it is no longer active."))
        with acting(client="job"), translation.override(language):
            output = job.run(run, progress)
    except DomainError as failure:
        _finish(run, state=JobState.FAILED, error=failure.message)
    except Exception:
        log.exception("on-demand job %s (%s) failed", run.pk, run.kind)
        _finish(run, state=JobState.FAILED, error=_("It failed; the error is in the server log."))
    else:
        _finish(
            run,
            state=JobState.FAILED if output.problem else JobState.DONE,
            error=output.problem,
            result=output.body if output.name else None,
            result_name=output.name,
            result_type=output.content_type,
            summary=output.summary,
            step=F("steps"),
            message="",
        )
    run.refresh_from_db()
    return run


def _finish(run: JobRun, **fields: Any) -> None:
    """End a run; the file it was given is not kept past its end."""
    JobRun.objects.filter(pk=run.pk, state=JobState.RUNNING).update(
        finished_at=timezone.now(), upload=None, **fields
    )


def run_pending(limit: int | None = None) -> int:
    """Claim and run queued runs until none is left (or `limit` ran); how many ran."""
    ran = 0
    while limit is None or ran < limit:
        run = claim()
        if run is None:
            break
        execute(run)
        ran += 1
    return ran
