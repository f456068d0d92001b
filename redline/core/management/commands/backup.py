"""`redline backup --output FILE.tar`: the database, the uploaded files and a manifest in one
archive (redline.core.backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from redline.core import backup


class Command(BaseCommand):
    help = "Write the database, the uploaded files and a manifest into one tar archive."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, help="the archive to write (FILE.tar)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup.backup(Path(options["output"]), progress=self.stdout.write)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
