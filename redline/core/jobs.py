"""Periodic jobs. Each app lists its job functions in `PERIODIC_JOBS` (a module
`redline.<app>.tasks`); a job function takes `now` and is idempotent, so running it twice,
late, or again after a crash is harmless.

In the embedded default the jobs run in-process: `redline serve` starts a scheduler thread
in gunicorn's master process (one per site), and `redline jobs` runs them once or in a
loop from the command line or cron.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils import timezone

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
            results[job.name] = job.run(now=now)
        except Exception as error:
            log.exception("job %s failed", job.name)
            results[job.name] = f"failed: {error}"
    return results


def loop(stop: threading.Event, tick: float = 30.0) -> None:
    """Run each job when its interval has passed, until `stop` is set."""
    last: dict[str, dt.datetime] = {}
    while not stop.is_set():
        now = timezone.now()
        for job in registered():
            if job.name in last and now - last[job.name] < job.every:
                continue
            last[job.name] = now
            try:
                job.run(now=now)
            except Exception:
                log.exception("job %s failed", job.name)
        stop.wait(tick)


def start_in_background() -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=loop, args=(stop,), name="redline-jobs", daemon=True).start()
    return stop
