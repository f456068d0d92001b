"""gunicorn settings `redline serve` uses: in the embedded default (REDLINE_JOBS unset or
"inprocess") the master process also runs the periodic jobs in a background thread."""

from __future__ import annotations

import os
from typing import Any


def when_ready(server: Any) -> None:
    if os.environ.get("REDLINE_JOBS", "inprocess") != "inprocess":
        return
    import django

    django.setup()
    from redline.core.jobs import start_in_background

    start_in_background()
    server.log.info("Redline periodic jobs running in-process")
