"""What `redline worker` and `redline beat` share: Celery's own command line, with Redline's
settings, every argument after the command passed to Celery unchanged."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class CeleryCommand(BaseCommand):
    program = ""

    def run_from_argv(self, argv: list[str]) -> None:
        """Celery parses the arguments, not Django: everything after the command is Celery's."""
        extra = argv[2:]
        if extra[:1] in (["-h"], ["--help"]):
            self.stdout.write(f"usage: redline {self.program} [celery {self.program} options]\n")
            self.stdout.write(f"{self.help}\n\nCelery's options:\n")
            self.stdout.flush()
        try:
            self.handle(*extra)
        except CommandError as error:
            self.stderr.write(f"redline {self.program}: {error}")
            sys.exit(error.returncode)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.REDLINE_BROKER_URL:
            raise CommandError(
                "REDLINE_BROKER_URL is not set: the scaled configuration needs a Redis broker "
                "(redis://host:port/db). Without it, `redline serve` runs the jobs itself."
            )
        from redline.core.queue import app

        argv = [self.program, "--loglevel", "INFO"]
        if self.program == "worker":
            argv += ["--queues", settings.REDLINE_QUEUE]
        app.start(argv=[*argv, *args])
