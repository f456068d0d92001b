"""`redline restore FILE.tar [--yes]`: check an archive made by `redline backup`, then put
its database and uploaded files in place (redline.core.backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from redline.core import backup


class Command(BaseCommand):
    help = (
        "Restore an archive made by `redline backup`. Refuses a damaged archive, another "
        "database vendor's, one ahead of this code's migrations, and a database in use "
        "unless --yes is given."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="the archive (FILE.tar)")
        parser.add_argument(
            "--yes", action="store_true", help="replace the contents of a database in use"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            plan = backup.restore(
                Path(options["archive"]), force=options["yes"], progress=self.stdout.write
            )
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        manifest = plan.manifest
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} "
            f"(Redline {manifest['redline_version']})."
        )
        if plan.older:
            self.stdout.write(
                "The archive's database is at older migrations (" + ", ".join(plan.older) + "): "
                "run `redline migrate` now."
            )
