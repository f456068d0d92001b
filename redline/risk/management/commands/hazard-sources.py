"""`redline hazard-sources grade --input units.json [--output result.json]`

Identifies and grades major hazard installations by GB 18218-2018 (contract in
docs/cli.md). Bad input exits non-zero with a message naming the unit and field, and
writes nothing.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from redline.engines.gb18218 import GradingError, grade_payload
from redline.risk.standards import gb18218


class Command(BaseCommand):
    help = "Major hazard installations (GB 18218-2018): `grade --input units.json`."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        grade = actions.add_parser(
            "grade", help="Identify and grade units (JSON in, JSON out, same order)."
        )
        grade.add_argument("--input", required=True, help="JSON file, or - for standard input")
        grade.add_argument("--output", help="Where to write the result (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["input"]
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"--input: cannot read {source}: {error.strerror}") from None
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                f"--input: not valid JSON (line {error.lineno}, column {error.colno})"
            ) from None
        try:
            result = grade_payload(gb18218(), payload)
        except GradingError as error:
            raise CommandError(str(error)) from None
        body = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
        target = options.get("output")
        if not target:
            self.stdout.write(body, ending="")
            return
        # Write to a temporary file beside the target, then rename: never half a result.
        path = Path(target)
        fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=".grade-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
