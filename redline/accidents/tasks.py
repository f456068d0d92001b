"""Job functions of the accidents (idempotent; see redline.core.jobs)."""

from __future__ import annotations

import datetime as dt

from redline.accidents.deadlines import accident_deadline_sweep
from redline.core.jobs import Job


def accident_deadlines(*, now: dt.datetime) -> dict[str, int]:
    """The supplementary windows closing and the investigation reports' deadlines."""
    return accident_deadline_sweep(now=now)


PERIODIC_JOBS = [
    Job("accident-deadlines", dt.timedelta(minutes=30), accident_deadlines),
]
