"""`redline beat`: Celery's scheduler, sending Redline's periodic jobs when they are due."""

from __future__ import annotations

from redline.core.management.celery_command import CeleryCommand


class Command(CeleryCommand):
    help = (
        "Run Celery beat, which sends Redline's periodic jobs to the workers when due (needs "
        "REDLINE_BROKER_URL; run exactly one). Arguments after the command go to Celery's beat."
    )
    program = "beat"
