"""`redline worker`: a Celery worker with Redline's settings (the scaled configuration)."""

from __future__ import annotations

from redline.core.management.celery_command import CeleryCommand


class Command(CeleryCommand):
    help = (
        "Run a Celery worker for Redline's jobs (needs REDLINE_BROKER_URL). Arguments after "
        "the command go to Celery's worker, e.g. `redline worker --concurrency 4`."
    )
    program = "worker"
