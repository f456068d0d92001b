"""`redline detect_run --day YYYY-MM-DD [--as-known-on YYYY-MM-DD] [--chunk-size N]`

The daily detection run on demand (contract in docs/cli.md): every active condition over
the counts up to DAY as known at the end of --as-known-on (default DAY), alarms turned into
signals. Resumes an unfinished run of the same day; repeating a finished one adds no signal.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from redline.core.errors import ValidationFailed
from redline.epidemic.detection import detection_run


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Run epidemic detection for a day and raise signals (see docs/cli.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", required=True, help="The last day of data (YYYY-MM-DD)")
        parser.add_argument(
            "--as-known-on",
            dest="as_known_on",
            help="Use the counts as known at the end of this day (default: --day)",
        )
        parser.add_argument("--chunk-size", dest="chunk_size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        day = _date(options["day"], "--day")
        known = _date(options["as_known_on"], "--as-known-on") if options["as_known_on"] else None
        try:
            run = detection_run(
                day=day, now=timezone.now(), as_known_on=known, chunk_size=options["chunk_size"]
            )
        except ValidationFailed as failure:
            names = {"day": "--day", "as_known_on": "--as-known-on", "chunk_size": "--chunk-size"}
            problems = "; ".join(f"{names.get(k, k)}: {v}" for k, v in failure.fields.items())
            raise CommandError(problems or failure.message) from None
        summary = {
            "run": run.pk,
            "day": run.day.isoformat(),
            "as_known_on": run.as_known_on.isoformat(),
            "series": run.series,
            "alarms": run.alarms,
            "signals_opened": run.signals_opened,
            "errors": run.errors,
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
