"""Job functions of government inspection (idempotent; see redline.core.jobs)."""

from __future__ import annotations

import datetime as dt

from redline.core.jobs import Job
from redline.inspections.enforcement import enforcement_deadlines_sweep


def sweep_enforcement_deadlines(*, now: dt.datetime) -> dict[str, int]:
    return enforcement_deadlines_sweep(now=now)


PERIODIC_JOBS = [
    Job("enforcement-deadlines", dt.timedelta(minutes=15), sweep_enforcement_deadlines),
]
