"""Job functions of the accidents (idempotent; see redline.core.jobs), and their import from
the web, run on demand."""

from __future__ import annotations

import datetime as dt

from redline.accidents.deadlines import accident_deadline_sweep
from redline.accidents.imports import import_accidents
from redline.core.jobs import Job
from redline.core.spreadsheet.jobs import import_job


def accident_deadlines(*, now: dt.datetime) -> dict[str, int]:
    """The supplementary windows closing and the investigation reports' deadlines."""
    return accident_deadline_sweep(now=now)


PERIODIC_JOBS = [
    Job("accident-deadlines", dt.timedelta(minutes=30), accident_deadlines),
]

IMPORT_JOB = "accidents.import"
ON_DEMAND_JOBS = [import_job(IMPORT_JOB, import_accidents)]
