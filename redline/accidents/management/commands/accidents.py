"""`redline accidents classify --input accidents.json [--output levels.json]`

The level of each accident by Decree 493 art. 3 (contract in docs/cli.md), computed by
`redline.engines.accident_level`, the same engine the form, the API and the import use.
Bad input exits non-zero with a message naming the accident (its id, or its index) and the
field, and writes nothing. Needs no database.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from redline.engines.accident_level import AccidentInputError, classify_payload


class Command(BaseCommand):
    help = "Production safety accidents (Decree 493): `classify --input accidents.json`."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        classify = actions.add_parser(
            "classify", help="The level of each accident (JSON in, JSON out, same order)."
        )
        classify.add_argument("--input", required=True, help="JSON file, or - for standard input")
        classify.add_argument("--output", help="Where to write the result (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["input"]
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise CommandError(f"--input: cannot read {source}: {reason}") from None
        try:
            # Amounts are read as decimals: 9999999.99 stays below 10,000,000 exactly.
            payload = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise CommandError(
                f"--input: not valid JSON (line {error.lineno}, column {error.colno})"
            ) from None
        try:
            result = classify_payload(payload)
        except AccidentInputError as error:
            raise CommandError(str(error)) from None
        body = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
        target = options.get("output")
        if not target:
            self.stdout.write(body, ending="")
            return
        # Write to a temporary file beside the target, then rename: never half a result.
        path = Path(target)
        fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=".levels-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
