"""`redline load_conditions [--file PATH] [--dry-run]`

Loads the disease/syndrome catalogue (redline/epidemic/data/conditions.yaml by default) into
the database: new codes are created, changed fields updated, codes no longer in the file
deactivated; each change is in the change log (client "cli"). Running it again changes
nothing. A bad file exits non-zero naming every problem, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from redline.epidemic import services
from redline.epidemic.catalogue import CATALOGUE, CatalogueError


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


class Command(BaseCommand):
    help = "Load the disease/syndrome catalogue (see docs/cli.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", default=str(CATALOGUE), help="The catalogue YAML file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would change; change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            changes = services.condition_catalogue_load(
                path=options["file"], dry_run=options["dry_run"]
            )
        except CatalogueError as error:
            raise CommandError(
                "the catalogue was not loaded:\n  " + "\n  ".join(error.problems)
            ) from None
        prefix = "would be " if options["dry_run"] else ""
        for code in changes.created:
            self.stdout.write(f"{prefix}created: {code}")
        for code, diff in changes.updated.items():
            for name, (old, new) in diff.items():
                self.stdout.write(f"{prefix}updated: {code}.{name}: {_shown(old)} -> {_shown(new)}")
        for code in changes.deactivated:
            self.stdout.write(f"{prefix}deactivated (no longer in the file): {code}")
        self.stdout.write(
            f"{len(changes.created)} created, {len(changes.updated)} updated, "
            f"{len(changes.deactivated)} deactivated, {len(changes.unchanged)} unchanged"
            + (" (dry run: nothing saved)" if options["dry_run"] else "")
        )
