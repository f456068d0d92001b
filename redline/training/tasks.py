"""Job functions of the training module (idempotent; see redline.core.jobs), and its import
from the web, run on demand."""

from __future__ import annotations

import datetime as dt

from redline.core.jobs import Job
from redline.core.spreadsheet.jobs import import_job
from redline.training.deadlines import certificate_expiry_sweep
from redline.training.imports import import_training


def certificate_reminders(*, now: dt.datetime) -> dict[str, int]:
    """Reminders before a certificate expires and the expired flag after (each once)."""
    return certificate_expiry_sweep(now=now)


PERIODIC_JOBS = [
    Job("training-certificate-expiry", dt.timedelta(hours=6), certificate_reminders),
]

IMPORT_JOB = "training.import"
ON_DEMAND_JOBS = [import_job(IMPORT_JOB, import_training)]
