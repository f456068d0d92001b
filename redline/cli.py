"""The `redline` command: Django management with Redline's settings.

`redline migrate`, `redline demo`, `redline serve`, `redline createsuperuser`, ...
Every change a command makes is recorded in the change log with client "cli".
"""

from __future__ import annotations

import os
import sys

# Commands that only compute from their input files: they need no secret key.
# `plan-inspections` without its files reads the database instead; that path signs nothing
# either (the key only signs sessions, form stamps and hashes public reporters' addresses),
# so a throw-away key cannot break it.
COMPUTE_ONLY = {"hazard-sources", "detect", "plan-inspections", "accidents"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "redline.settings")
    if len(sys.argv) > 1 and sys.argv[1] in COMPUTE_ONLY:
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
