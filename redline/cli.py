"""The `redline` command: Django management with Redline's settings.

`redline migrate`, `redline demo`, `redline serve`, `redline createsuperuser`, ...
Every change a command makes is recorded in the change log with client "cli".

The commands that only compute from their input files (`redline detect`, `redline
hazard-sources grade`, `redline accidents classify`, `redline plan-inspections` with its two
files) start without the web application: no Redline settings, no installed apps, no system
checks, no URL configuration, so they need no secret key, no database and no front end, and
start in a fraction of a second (`redline.commands`, the same declarations as their management
commands).
"""

from __future__ import annotations

import os
import sys

from redline.commands import COMMANDS, computes_only, run


def main() -> None:
    if computes_only(sys.argv):
        raise SystemExit(run(sys.argv))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "redline.settings")
    if len(sys.argv) > 1 and sys.argv[1] in COMMANDS:
        # `plan-inspections` from the database: it signs nothing (the key only signs
        # sessions, form stamps and hashes public reporters' addresses), so a throw-away
        # key cannot break it and the command runs on any machine.
        os.environ["REDLINE_COMPUTE_ONLY"] = "1"
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as error:
        print(f"redline: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None

    from django.core.management import execute_from_command_line

    from redline.core.context import acting

    with acting(client="cli"):
        execute_from_command_line([sys.argv[0], *sys.argv[1:]])


if __name__ == "__main__":
    main()
