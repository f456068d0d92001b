"""`redline capacity_thresholds`: load the shipped capacity thresholds (data/thresholds.yaml)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from redline.core.context import acting
from redline.medical.services import capacity_thresholds_load


class Command(BaseCommand):
    help = (
        "Add the shipped capacity thresholds missing from the database (edited ones are kept); "
        "with --overwrite, reset every shipped threshold to the file's values."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--overwrite", action="store_true", help="reset edited thresholds")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with acting(client="cli"):
                counts = capacity_thresholds_load(overwrite=options["overwrite"])
        except ValueError as error:  # the data file names the bad row
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(counts))
