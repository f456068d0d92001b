"""Redline's own checks for `redline check --deploy` (beside Django's: secret key, hosts,
HTTPS cookies, HSTS): the readiness checks of `/readyz` (redline.core.health), each failure
an error or a warning with a hint — the database answers and has every migration applied,
on-demand runs are taken, and in the scaled configuration the broker answers, a worker
answers and beat is running.

They run only with `--deploy`: they reach the database and the broker, which the plain
system checks run at every command's start must not.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import ERROR, WARNING, CheckMessage, register

# Readiness check -> (level, id, hint).
DEPLOY: dict[str, tuple[int, str, str]] = {
    "database": (ERROR, "redline.E001", "Check REDLINE_DATABASE_URL."),
    "migrations": (ERROR, "redline.E002", "Run `redline migrate`."),
    "broker": (ERROR, "redline.E003", "Check REDLINE_BROKER_URL."),
    "workers": (WARNING, "redline.W004", "Start `redline worker` (see docs/operations.md)."),
    "beat": (WARNING, "redline.W005", "Run exactly one `redline beat`."),
    "jobs": (WARNING, "redline.W006", "Is the jobs process (or a worker) running?"),
}


@register(deploy=True)
def redline_deploy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from redline.core.health import run_checks

    found: list[CheckMessage] = []
    for name, result in run_checks().items():
        if result.ok:
            continue
        level, code, hint = DEPLOY.get(name, (WARNING, "redline.W009", ""))
        found.append(CheckMessage(level, f"{name}: {result.detail}", hint=hint, id=code))
    return found
