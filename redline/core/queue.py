"""The scaled configuration's task queue: Celery, with Redis as the broker.

Set REDLINE_BROKER_URL and the jobs leave the web host: `redline worker` runs them (as many
workers, on as many machines, as the load needs) and `redline beat` sends each periodic job
when it is due (run exactly one beat). The tasks are thin: each calls the function the
embedded default's jobs process calls (redline.core.jobs), so both configurations run the
same code.

- `redline.periodic(name, at)`: one periodic job (beat's schedule is built from every app's
  `PERIODIC_JOBS`; `redline jobs NAME` sends one and waits for its answer).
- `redline.on_demand(run_id)`: a run a user asked for, sent when its request commits.
- `redline.step(name, kwargs)`: one step of a larger job (`WORKER_STEPS`), such as one chunk
  of the daily detection run, so that the chunks run in parallel on several workers.

A task is acknowledged only when it has finished (`task_acks_late`): a worker killed during
a task leaves it to another worker after REDLINE_BROKER_VISIBILITY_TIMEOUT seconds. Every
task is idempotent, so running one again is harmless, and what a task must do is also kept
in the database (a queued run, a chunk not yet done), so the `on-demand-recover` and daily
detection jobs send again what a lost message would have lost.

Liveness, for `/readyz` and `redline check --deploy`: beat writes a heartbeat to Redis on
every tick of its scheduler (`Scheduler`); workers answer a ping on the installation's own
control channel (one per REDLINE_QUEUE, so installations sharing a Redis do not see each
other's workers).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import redis
from celery import Celery
from celery.beat import PersistentScheduler
from django.conf import settings
from django.utils import timezone

from redline.core import jobs

# Beat's scheduler wakes at least this often (and writes its heartbeat each time).
BEAT_TICK_SECONDS = 15.0
# A beat heartbeat older than this: beat is not running.
BEAT_STALE_SECONDS = 90.0

app = Celery("redline")


def _beat_schedule() -> dict[str, dict[str, Any]]:
    return {
        job.name: {
            "task": "redline.periodic",
            "schedule": job.every.total_seconds(),
            "args": [job.name],
            # A job sent but not run before its next time is not worth running late.
            "options": {"expires": job.every.total_seconds()},
        }
        for job in jobs.registered()
    }


def configure() -> None:
    """Celery's settings from Redline's (called when this module is imported; the worker
    and beat commands import it after Django is set up)."""
    queue = settings.REDLINE_QUEUE
    transport = {"visibility_timeout": settings.REDLINE_BROKER_VISIBILITY_TIMEOUT}
    app.conf.update(
        broker_url=settings.REDLINE_BROKER_URL or "memory://",
        result_backend=settings.REDLINE_RESULT_URL or None,
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
        task_default_queue=queue,
        control_exchange=f"{queue}-control",
        event_exchange=f"{queue}-events",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=dt.timedelta(days=1),
        task_track_started=True,
        timezone=settings.TIME_ZONE,
        enable_utc=True,
        worker_hijack_root_logger=False,
        beat_schedule=_beat_schedule(),
        beat_scheduler="redline.core.queue:Scheduler",
        beat_schedule_filename=str(settings.VAR_DIR / f"celerybeat-{queue}"),
        beat_max_loop_interval=BEAT_TICK_SECONDS,
    )


@app.task(name="redline.periodic")
def periodic(name: str, at: str | None = None) -> Any:
    now = dt.datetime.fromisoformat(at) if at else timezone.now()
    # What the job tells (counts, dates) as JSON, the way `redline jobs` prints it.
    return json.loads(json.dumps(jobs.run_one(name, now=now), default=str))


@app.task(name="redline.on_demand")
def on_demand(run_id: str) -> str:
    """Run a queued run (a second delivery of the same message finds it taken and does
    nothing)."""
    run = jobs.claim(pk=run_id)
    if run is None:
        return "not queued"
    return jobs.execute(run).state


@app.task(name="redline.step")
def step(name: str, kwargs: dict[str, Any]) -> Any:
    return jobs.run_step(name, kwargs)


def _redis() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDLINE_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
    )


def _beat_key() -> str:
    return f"redline:{settings.REDLINE_QUEUE}:beat"


class Scheduler(PersistentScheduler):
    """Celery's own scheduler (its state in a file under REDLINE_VAR_DIR) that also writes a
    heartbeat on every tick, so that an operator can tell that beat runs."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            _redis().set(_beat_key(), str(time.time()), ex=int(BEAT_STALE_SECONDS * 10))
        except redis.RedisError:
            pass  # the broker is down: sending the jobs will fail and say so
        return float(min(super().tick(*args, **kwargs), BEAT_TICK_SECONDS))


def broker_problem() -> str:
    """ "" when the broker answers, else what is wrong."""
    try:
        _redis().ping()
    except redis.RedisError as error:
        return f"the broker at {settings.REDLINE_BROKER_URL} does not answer: {error}"
    return ""


def workers(timeout: float = 1.0) -> list[str]:
    """The names of the workers that answer a ping on this installation's control channel."""
    replies = app.control.ping(timeout=timeout) or []
    return sorted(name for reply in replies for name in reply)


def beat_age() -> float | None:
    """Seconds since beat's last heartbeat (None: never seen, or the broker is down)."""
    try:
        value = _redis().get(_beat_key())
    except redis.RedisError:
        return None
    if value is None:
        return None
    return max(0.0, time.time() - float(value))


configure()
