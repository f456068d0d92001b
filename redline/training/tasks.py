"""Job functions of the training module (idempotent; see redline.core.jobs)."""

from __future__ import annotations

import datetime as dt

from redline.core.jobs import Job
from redline.training.deadlines import certificate_expiry_sweep


def certificate_reminders(*, now: dt.datetime) -> dict[str, int]:
    """Reminders before a certificate expires and the expired flag after (each once)."""
    return certificate_expiry_sweep(now=now)


PERIODIC_JOBS = [
    Job("training-certificate-expiry", dt.timedelta(hours=6), certificate_reminders),
]
