"""Periodic jobs. Each app lists its job functions in `PERIODIC_JOBS` (a module
`redline.<app>.tasks`); a job function takes `now` and is idempotent, so running it twice,
late, or again after a crash is harmless.

In the embedded default the jobs run in a process of their own: `redline serve` starts
`redline jobs --loop` beside gunicorn and restarts it if it dies (REDLINE_JOBS=local). The
web processes never run jobs, and gunicorn's master holds neither Django nor a thread nor a
database connection, so nothing crosses the fork of its workers. `redline jobs` also runs
them once (for cron) or in a loop under another supervisor (REDLINE_JOBS=off).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connections
from django.utils import timezone

from redline.core.context import acting

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: Callable[..., Any]


def registered() -> list[Job]:
    jobs: list[Job] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("redline."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.tasks":
                raise
            continue
        jobs.extend(getattr(module, "PERIODIC_JOBS", []))
    return jobs


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
    """Run each job when its interval has passed, until `stop` is set.

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
        stop.wait(tick)
