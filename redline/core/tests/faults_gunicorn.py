"""gunicorn settings for the fault tests (redline.core.tests.test_faults): those of `redline
serve`, plus a hook that lets a test hold one hazard report in flight.

With REDLINE_TEST_STALL=<folder>, each worker, once it has loaded the application, wraps
the hazard-report service and says it is ready (`<folder>/ready-<pid>`). A report that finds
`<folder>/armed-<where>` claims it by renaming it to `stalled-<pid>` (so one report stalls,
once, whichever worker takes it) and then waits at <where>: "inside" the report's
transaction, after the hazard's row is written but before it commits, or "after" the commit,
before the answer leaves. The test kills the worker there.

Like redline.core.gunicorn_conf, this file imports nothing of Django in the master: the
hook's imports run in the worker.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from redline.core.gunicorn_conf import *  # noqa: F403

STALL_SECONDS = 45.0  # the test kills the worker long before; gunicorn's timeout is 60 s


def _stall_here(folder: Path, where: str) -> None:
    try:
        (folder / f"armed-{where}").rename(folder / f"stalled-{os.getpid()}")
    except FileNotFoundError:
        return  # not armed, or another request claimed it
    time.sleep(STALL_SECONDS)


def post_worker_init(worker: Any) -> None:
    folder = os.environ.get("REDLINE_TEST_STALL")
    if not folder:
        return
    from unittest import mock

    from redline.hazards import services

    stall = Path(folder)
    report = services.hazard_report
    tally_add = vars(services)["tally_add"]

    def report_then_stall(*args: Any, **kwargs: Any) -> Any:
        answer = report(*args, **kwargs)
        _stall_here(stall, "after")
        return answer

    def stall_then_tally(*args: Any, **kwargs: Any) -> Any:
        _stall_here(stall, "inside")
        return tally_add(*args, **kwargs)

    # For the worker's life; both are looked up in the module at each call (the API calls
    # services.hazard_report, which calls tally_add inside its transaction).
    mock.patch.object(services, "hazard_report", report_then_stall).start()
    mock.patch.object(services, "tally_add", stall_then_tally).start()
    (stall / f"ready-{os.getpid()}").touch()
