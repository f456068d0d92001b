"""Job functions of epidemic early warning (idempotent; see redline.core.jobs).

- `epidemic-detection`: once a day, from REDLINE_DETECTION_HOUR (local time), the detection
  run over yesterday's data as known today (counts of a day are mostly reported the next
  morning). The job runs often; it starts the run only if today's has not finished, and a
  run that stopped half-way is resumed. In the scaled configuration it plans the run's
  chunks and sends them to the workers (`epidemic.detection-chunk`), which run them in
  parallel; chunks lost with a worker are sent again.
- `signal-deadlines`: escalates signals whose verification is overdue.

On demand: `epidemic.detection`, a run a public-health manager asks for on the dashboard (the
day and the knowledge date checked by the page), run by the jobs process with its progress.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core import jobs
from redline.core.jobs import Job, OnDemand, Output, Progress, Step
from redline.core.models import JobRun
from redline.core.spreadsheet.jobs import import_job
from redline.epidemic.detection import (
    DETECTION_STEP,
    check_run_days,
    detection_chunk_step,
    detection_dispatch,
    detection_run,
)
from redline.epidemic.imports import import_counts_job
from redline.epidemic.models import DetectionRun
from redline.epidemic.services_signals import signal_deadlines_sweep


def scheduled_day(now: dt.datetime) -> tuple[dt.date, dt.date]:
    """(the day the scheduled run analyses, the day its data is known on)."""
    today = timezone.localdate(now)
    return today - dt.timedelta(days=1), today


def run_daily_detection(*, now: dt.datetime) -> dict[str, Any]:
    """The scheduled detection run, once a day from the configured hour."""
    if timezone.localtime(now).hour < settings.REDLINE_DETECTION_HOUR:
        return {"skipped": f"before {settings.REDLINE_DETECTION_HOUR}:00"}
    day, known_on = scheduled_day(now)
    finished = DetectionRun.objects.filter(
        day=day, as_known_on=known_on, requested_by__isnull=True, finished_at__isnull=False
    ).exists()
    if finished:
        return {"skipped": f"run for {day} already done"}
    if jobs.scaled():
        # Spread over the workers: the chunks run in parallel; the last one ends the run.
        run, sent = detection_dispatch(
            day=day,
            now=now,
            as_known_on=known_on,
            chunk_size=settings.REDLINE_DETECTION_CHUNK_SIZE,
            send=jobs.send_step,
            resend_after=dt.timedelta(seconds=settings.REDLINE_BROKER_VISIBILITY_TIMEOUT),
        )
        return {"run": run.pk, "day": day.isoformat(), "chunks sent": sent}
    run = detection_run(
        day=day, now=now, as_known_on=known_on, chunk_size=settings.REDLINE_DETECTION_CHUNK_SIZE
    )
    return {
        "run": run.pk,
        "day": day.isoformat(),
        "series": run.series,
        "alarms": run.alarms,
        "signals_opened": run.signals_opened,
        "errors": len(run.errors),
    }


def run_detection_asked(run: JobRun, progress: Progress) -> Output:
    """params: day, as_known_on (ISO dates)."""
    done = detection_run(
        day=dt.date.fromisoformat(run.params["day"]),
        as_known_on=dt.date.fromisoformat(run.params["as_known_on"]),
        now=timezone.now(),
        user=run.requested_by,
        progress=lambda step, of, code: progress(
            step, of, _("Analysing %(condition)s") % {"condition": code}
        ),
    )
    message = _(
        "Detection run for %(day)s done: %(series)d series, %(alarms)d alarms, "
        "%(opened)d new signals."
    ) % {
        "day": done.day.isoformat(),
        "series": done.series,
        "alarms": done.alarms,
        "opened": done.signals_opened,
    }
    return Output(summary={"message": message, "detection_run": done.pk})


def ask_detection(
    *, user: Any, day: dt.date, as_known_on: dt.date, token: str, language: str, back: str = ""
) -> JobRun:
    """Queue a detection run a user asked for (the page, or the API without waiting), the
    days checked first (ValidationFailed naming the field; nothing queued)."""
    check_run_days(day, as_known_on, timezone.now())
    return jobs.enqueue(
        kind=DETECTION_JOB,
        user=user,
        params={
            "day": day.isoformat(),
            "as_known_on": as_known_on.isoformat(),
            "language": language,
            "back": back,
        },
        token=token,
        title=_("Detection run for %(day)s") % {"day": day.isoformat()},
    )


def sweep_signal_deadlines(*, now: dt.datetime) -> dict[str, int]:
    return signal_deadlines_sweep(now=now)


PERIODIC_JOBS = [
    Job("epidemic-detection", dt.timedelta(minutes=15), run_daily_detection),
    Job("signal-deadlines", dt.timedelta(minutes=15), sweep_signal_deadlines),
]

DETECTION_JOB = "epidemic.detection"
IMPORT_JOB = "epidemic.import"
ON_DEMAND_JOBS = [
    OnDemand(DETECTION_JOB, run_detection_asked),
    import_job(IMPORT_JOB, import_counts_job),
]
WORKER_STEPS = [Step(DETECTION_STEP, detection_chunk_step)]
