"""`redline report situation --period 2027-Q1 [--region CODE] --format pdf|docx|xlsx
--output FILE [--user USERNAME] [--language zh-hans|en]`

The production safety situation analysis of a period (contract in docs/cli.md). Without
`--user` it is written for the whole city (read as the system, which sees everything); with
`--user` in that user's jurisdiction, as the web page would write it for them. A bad period,
an unknown region (or one outside the user's jurisdiction), an unknown format or user exits
non-zero naming the option, and writes nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from redline.accounts.models import User
from redline.core.errors import DomainError
from redline.reports import documents, figures


def system_reader() -> User:
    """The city-wide reader of the command: never saved, sees everything through the door
    (a superuser's scope), holds no organisation."""
    return User(username="situation-report", is_superuser=True, is_active=True)


class Command(BaseCommand):
    help = "The production safety situation analysis: `situation --period 2027-Q1 ...`."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        situation = actions.add_parser("situation", help="Write the situation report.")
        situation.add_argument("--period", required=True, help="2027-03, 2027-Q1 or 2027")
        situation.add_argument("--region", default="", help="Administrative code (or id)")
        situation.add_argument("--format", required=True, help="pdf, docx or xlsx")
        situation.add_argument("--output", required=True, help="The file to write")
        situation.add_argument("--user", default="", help="Write it in this user's scope")
        situation.add_argument(
            "--language", default=settings.LANGUAGE_CODE, help="zh-hans (default) or en"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        language = str(options["language"]).lower()
        if language not in {code for code, _name in settings.LANGUAGES}:
            codes = ", ".join(code for code, _name in settings.LANGUAGES)
            raise CommandError(f"--language: must be one of {codes}")
        with translation.override(language):
            body, name = self._write(options)
        path = Path(options["output"])
        # A temporary file beside the target, then a rename: never half a report.
        fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=".report-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.stdout.write(f"{path}: {name} ({len(body)} bytes)")

    def _write(self, options: dict[str, Any]) -> tuple[bytes, str]:
        try:
            fmt = documents.check_format(options["format"])
            period = figures.Period.parse(options["period"])
        except DomainError as error:
            raise CommandError(_option(error)) from None
        reader = system_reader()
        if options["user"]:
            found = User.objects.filter(username=options["user"], is_active=True).first()
            if found is None:
                raise CommandError(f"--user: no active user {options['user']!r}")
            reader = found
        try:
            computed = figures.compute(reader, period, options["region"] or None)
        except DomainError as error:
            raise CommandError(_option(error)) from None
        return documents.write(computed, fmt), documents.filename(computed, fmt)


def _option(error: DomainError) -> str:
    names = ", ".join(f"--{name}" for name in error.fields) or "error"
    return f"{names}: {error.message}"
