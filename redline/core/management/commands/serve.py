"""`redline serve`: gunicorn for the web and, in the embedded default, a jobs process
beside it (see redline.core.supervise)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from redline.core.supervise import Supervisor, python_command
from redline.env import env_int, env_str


class Command(BaseCommand):
    help = (
        "Serve Redline with gunicorn (REDLINE_BIND, REDLINE_WORKERS, REDLINE_THREADS) and, "
        "unless REDLINE_JOBS=off or a broker is set (REDLINE_BROKER_URL), run the periodic "
        "jobs in a process of their own."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=env_str("REDLINE_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=env_int("REDLINE_WORKERS", 2, minimum=1))
        parser.add_argument("--threads", type=int, default=env_int("REDLINE_THREADS", 4, minimum=1))

    def handle(self, *args: Any, **options: Any) -> None:
        web = python_command(
            "-m",
            "gunicorn",
            "redline.wsgi:application",
            "--config",
            "python:redline.core.gunicorn_conf",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            env_str("REDLINE_FORWARDED_ALLOW_IPS", "127.0.0.1") or "127.0.0.1",
        )
        jobs = python_command("-m", "redline.cli", "jobs", "--loop")
        scaled = bool(settings.REDLINE_BROKER_URL)
        local_jobs = settings.REDLINE_JOBS == "local" and not scaled
        where = (
            "on the Celery workers (REDLINE_BROKER_URL; run `redline worker` and `redline beat`)"
            if scaled
            else "in a process of their own"
            if local_jobs
            else "off (REDLINE_JOBS=off)"
        )
        self.say(
            f"Redline serving on http://{options['bind']}/ (Ctrl+C stops it); periodic jobs: "
            + where
        )
        code = Supervisor(web, jobs if local_jobs else None, say=self.say).run()
        if code:
            raise SystemExit(code)

    def say(self, text: str) -> None:
        self.stdout.write(f"redline serve: {text}")
        self.stdout.flush()
