"""`redline serve`: run Redline under gunicorn (a production WSGI server)."""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand

from redline.env import env_int, env_str


class Command(BaseCommand):
    help = "Serve Redline with gunicorn (REDLINE_BIND, REDLINE_WORKERS, REDLINE_THREADS)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--bind", default=env_str("REDLINE_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=env_int("REDLINE_WORKERS", 2, minimum=1))
        parser.add_argument("--threads", type=int, default=env_int("REDLINE_THREADS", 4, minimum=1))

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        argv = [
            sys.executable,
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
        ]
        self.stdout.write(f"Redline serving on http://{options['bind']}/ (Ctrl+C stops it)")
        self.stdout.flush()
        os.execv(sys.executable, argv)
