"""`redline jobs`: run the periodic jobs once (for cron), then the runs users asked for that
wait; or keep doing both (--loop).

With REDLINE_BROKER_URL set, the jobs go through the broker to the workers instead: `redline
jobs NAME` sends the job and waits for its answer (`--no-wait`: only sends it and prints the
task's id); beat, not `--loop`, sends them when due."""

from __future__ import annotations

import datetime as dt
import json
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from redline.core import jobs


class Command(BaseCommand):
    help = "Run Redline's periodic jobs once (default) or in a loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="only these jobs")
        parser.add_argument("--loop", action="store_true", help="keep running them")
        parser.add_argument("--at", help="run as if it were this ISO date-time (tests, replays)")
        parser.add_argument("--list", action="store_true", help="list the jobs")
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="with a broker: send the jobs to the workers and return at once",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=3600.0,
            help="with a broker: seconds to wait for the answers (default 3600)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        registered = {job.name: job for job in jobs.registered()}
        if options["list"]:
            for job in registered.values():
                self.stdout.write(f"{job.name}\tevery {job.every}")
            for kind in jobs.on_demand():
                self.stdout.write(f"{kind}\ton demand")
            return
        unknown = [n for n in options["names"] if n not in registered]
        if unknown:
            raise CommandError(f"unknown job(s): {', '.join(unknown)}; see --list")
        if options["loop"]:
            if jobs.scaled():
                raise CommandError(
                    "--loop: with REDLINE_BROKER_URL set, `redline beat` sends the periodic "
                    "jobs when due and `redline worker` runs them"
                )
            self._loop()
            return
        now = None
        if options["at"]:
            try:
                now = dt.datetime.fromisoformat(options["at"])
            except ValueError:
                raise CommandError("--at: give an ISO date-time") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        if jobs.scaled():
            self._through_broker(options["names"] or list(registered), now, options)
            return
        results = jobs.run_all(now=now, names=options["names"] or None)
        if not options["names"]:
            results["on-demand runs"] = jobs.run_pending()
        self.stdout.write(json.dumps(results, ensure_ascii=False, default=str, indent=2))
        if any(isinstance(v, str) and v.startswith("failed") for v in results.values()):
            raise CommandError("a job failed")

    def _through_broker(
        self, names: list[str], now: dt.datetime | None, options: dict[str, Any]
    ) -> None:
        from celery.exceptions import TimeoutError as WaitedTooLong

        from redline.core import queue

        problem = queue.broker_problem()
        if problem:
            raise CommandError(problem)
        at = now.isoformat() if now else None
        sent = {name: queue.periodic.apply_async(args=[name, at]) for name in names}
        if options["no_wait"]:
            self.stdout.write(json.dumps({n: r.id for n, r in sent.items()}, indent=2))
            return
        results: dict[str, Any] = {}
        deadline = time.monotonic() + options["timeout"]
        for name, result in sent.items():
            try:
                results[name] = result.get(
                    timeout=max(0.1, deadline - time.monotonic()), propagate=False
                )
            except WaitedTooLong:
                results[name] = f"failed: no answer in {options['timeout']:g} s (task {result.id})"
                continue
            if result.failed():
                results[name] = f"failed: {results[name]!r}"
        self.stdout.write(json.dumps(results, ensure_ascii=False, default=str, indent=2))
        if any(isinstance(v, str) and v.startswith("failed") for v in results.values()):
            raise CommandError("a job failed")

    def _loop(self) -> None:
        """Until SIGTERM or SIGINT: the first lets the running job finish, a second one
        ends the process at once (jobs are idempotent, so that is safe too)."""
        stop = threading.Event()

        def ask_to_stop(signum: int, frame: object) -> None:
            if stop.is_set():
                raise SystemExit(128 + signum)
            stop.set()

        signal.signal(signal.SIGTERM, ask_to_stop)
        signal.signal(signal.SIGINT, ask_to_stop)
        self.stdout.write(f"Redline periodic jobs: every {settings.REDLINE_JOBS_TICK} s")
        self.stdout.flush()
        jobs.loop(stop, tick=settings.REDLINE_JOBS_TICK)
