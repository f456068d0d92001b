"""`redline detect --method METHOD --input counts.csv --output result.csv [--param NAME=VALUE ...]`

Outbreak detection over `series,date,count` (contract in docs/cli.md). Bad input exits
non-zero naming the row or parameter, and writes nothing. Needs no database.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from redline.engines.detection.run import DetectionInputError, detect


class Command(BaseCommand):
    help = "Outbreak detection over series,date,count CSV (see docs/cli.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--method", required=True)
        parser.add_argument("--input", required=True, help="CSV file, or - for standard input")
        parser.add_argument("--output", help="Where to write the result (default: stdout)")
        parser.add_argument(
            "--param", action="append", default=[], help="NAME=VALUE, R 'surveillance' names"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["input"]
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"--input: cannot read {source}: {error}") from None
        try:
            body = detect(text, options["method"], options["param"])
        except DetectionInputError as error:
            raise CommandError(str(error)) from None
        target = options.get("output")
        if not target:
            self.stdout.write(body, ending="")
            return
        path = Path(target)
        fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=".detect-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
