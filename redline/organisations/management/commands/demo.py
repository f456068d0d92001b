"""`redline demo`: build the deterministic demo city into an empty database."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from redline.organisations import demo
from redline.organisations.models import Region


class Command(BaseCommand):
    help = (
        "Build the demo city (regions, government bodies, enterprises, key places, people, "
        "one user per role and level) and write the demo logins as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--scale", choices=sorted(demo.SCALES), default="small")
        parser.add_argument(
            "--logins-file",
            default=None,
            help="Where to write the demo logins (default var/demo-logins.json).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds data.",
        )
        parser.add_argument(
            "--print-logins",
            action="store_true",
            help="Only print the demo logins from the logins file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["logins_file"] or Path(settings.VAR_DIR) / "demo-logins.json")
        if options["print_logins"]:
            self._print_logins(path)
            return
        if Region.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds data; the demo city is not rebuilt.")
                return
            raise CommandError(
                "The database already holds regions. `redline demo` builds into an empty "
                "database: point REDLINE_DATABASE_URL at a new one (or delete var/redline.sqlite3)."
            )
        started = time.monotonic()
        # On a terminal the step under way has one line, rewritten in place as it counts;
        # elsewhere (a log file, a pipe) only each step's final line is written.
        live = self.stdout.isatty()
        shown = [""]

        def clear() -> None:
            if shown[0]:
                self.stdout.write("\r\x1b[K", ending="")
                shown[0] = ""

        def progress(message: str) -> None:
            clear()
            self.stdout.write(f"[{time.monotonic() - started:7.1f}s] {message}")
            self.stdout.flush()

        def update(message: str) -> None:
            if not live:
                return
            clear()
            shown[0] = f"[{time.monotonic() - started:7.1f}s] {message}"
            self.stdout.write(shown[0], ending="")
            self.stdout.flush()

        logins = demo.build(
            seed=options["seed"], scale=options["scale"], progress=progress, update=update
        )
        # The planner's statistics of the tables just filled (PostgreSQL's autovacuum may be
        # off or not have come yet; a plan made without them can be 100x slower).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        progress("statistics gathered (ANALYZE)")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps([login.as_dict() for login in logins], ensure_ascii=False, indent=2)
        )
        progress(
            f"demo city built (seed {options['seed']}, scale {options['scale']}); logins in {path}"
        )

    def _print_logins(self, path: Path) -> None:
        if not path.exists():
            self.stdout.write(f"No demo logins at {path}.")
            return
        logins = json.loads(path.read_text())
        self.stdout.write("")
        self.stdout.write(
            f"Demo logins (password for all: {logins[0]['password'] if logins else '-'}):"
        )
        # Each login under the organisation its own record names. Several groups share a
        # level (the health commission and the emergency bureau are both `dept`), so the
        # group is the username's prefix (`<prefix>-<role>`) with the organisation.
        # The superuser comes last, after the logins later demo steps add.
        groups: dict[tuple[str, str], list[str]] = {}
        for entry in sorted(logins, key=lambda entry: entry["level"] == "system"):
            prefix = entry["username"].rsplit("-", 1)[0]
            groups.setdefault((prefix, entry["organisation"]), []).append(entry["username"])
        for (prefix, organisation), names in groups.items():
            self.stdout.write(f"  {prefix:<12} {organisation}: {', '.join(names)}")
        self.stdout.write(f"(all logins as JSON: {path})")
        self.stdout.write("")
