"""Core's jobs (see redline.core.jobs): the e-mail outbox, and the runs users asked for that
lost their process or their message."""

from __future__ import annotations

import datetime as dt
from typing import Any

from redline.core import jobs, notify


def send_due_mail(*, now: dt.datetime) -> dict[str, int]:
    return notify.deliver(now=now)


def mail_of_event(*, key: str) -> dict[str, int]:
    return notify.deliver(key=key)


def recover_runs(*, now: dt.datetime) -> dict[str, Any]:
    return jobs.recover(now=now)


PERIODIC_JOBS = [
    jobs.Job("mail-outbox", dt.timedelta(minutes=1), send_due_mail),
    jobs.Job("on-demand-recover", dt.timedelta(minutes=1), recover_runs),
]
WORKER_STEPS = [jobs.Step(notify.MAIL_STEP, mail_of_event)]
