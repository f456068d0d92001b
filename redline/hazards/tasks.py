"""Job functions of hidden-hazard governance (idempotent; see redline.core.jobs)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from redline.core.jobs import Job
from redline.hazards.deadlines import hazard_deadlines_sweep
from redline.hazards.inspection import task_generate
from redline.hazards.tally import tally_rebuild


def generate_inspection_tasks(*, now: dt.datetime) -> dict[str, Any]:
    """Tasks from the start of today (local) to REDLINE_TASK_HORIZON_DAYS ahead."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    end = today + dt.timedelta(days=settings.REDLINE_TASK_HORIZON_DAYS)
    result = task_generate(start=today, end=end, now=now)
    return {"cycles": result.cycles, "created": result.created, "removed": result.removed}


def sweep_hazard_deadlines(*, now: dt.datetime) -> dict[str, int]:
    return hazard_deadlines_sweep(now=now)


def recount_hazards(*, now: dt.datetime) -> dict[str, int]:
    """Rebuild the dashboard's tally from the hazards (repairs any drift)."""
    return {"combinations": tally_rebuild()}


PERIODIC_JOBS = [
    Job("inspection-tasks", dt.timedelta(hours=1), generate_inspection_tasks),
    Job("hazard-deadlines", dt.timedelta(minutes=15), sweep_hazard_deadlines),
    Job("hazard-tally", dt.timedelta(hours=6), recount_hazards),
]
