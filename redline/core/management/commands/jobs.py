"""`redline jobs`: run the periodic jobs once (for cron), or keep running them (--loop)."""

from __future__ import annotations

import datetime as dt
import json
import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from redline.core import jobs


class Command(BaseCommand):
    help = "Run Redline's periodic jobs once (default) or in a loop."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("names", nargs="*", help="only these jobs")
        parser.add_argument("--loop", action="store_true", help="keep running them")
        parser.add_argument("--at", help="run as if it were this ISO date-time (tests, replays)")
        parser.add_argument("--list", action="store_true", help="list the jobs")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        registered = {job.name: job for job in jobs.registered()}
        if options["list"]:
            for job in registered.values():
                self.stdout.write(f"{job.name}\tevery {job.every}")
            return
        unknown = [n for n in options["names"] if n not in registered]
        if unknown:
            raise CommandError(f"unknown job(s): {', '.join(unknown)}; see --list")
        if options["loop"]:
            jobs.loop(threading.Event())
            return
        now = None
        if options["at"]:
            try:
                now = dt.datetime.fromisoformat(options["at"])
            except ValueError:
                raise CommandError("--at: give an ISO date-time") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        results = jobs.run_all(now=now, names=options["names"] or None)
        self.stdout.write(json.dumps(results, ensure_ascii=False, default=str, indent=2))
        if any(isinstance(v, str) and v.startswith("failed") for v in results.values()):
            raise CommandError("a job failed")
