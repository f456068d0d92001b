"""Job functions of the Safety Committee's supervision (idempotent; see redline.core.jobs)."""

from __future__ import annotations

import datetime as dt

from redline.committee.deadlines import key_task_supervision_sweep
from redline.core.jobs import Job


def supervise_key_tasks(*, now: dt.datetime) -> dict[str, int]:
    """Reminders, overdue flags and escalations of the key tasks' reports and deadlines."""
    return key_task_supervision_sweep(now=now)


PERIODIC_JOBS = [
    Job("committee-supervision", dt.timedelta(minutes=30), supervise_key_tasks),
]
