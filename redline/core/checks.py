"""Redline's own checks for `redline check --deploy` (beside Django's: secret key, hosts,
HTTPS cookies, HSTS): the database answers and has every migration applied, and in the scaled
configuration the broker answers, a worker answers and beat is running.

They run only with `--deploy`: they reach the database and the broker, which the plain
system checks run at every command's start must not.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from redline.core import jobs


def database_problem() -> str:
    """"" when the database answers, else what is wrong."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return f"the database does not answer: {error}"
    return ""


def unapplied_migrations() -> list[str]:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


@register(deploy=True)
def redline_deploy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    problem = database_problem()
    if problem:
        found.append(Error(problem, hint="Check REDLINE_DATABASE_URL.", id="redline.E001"))
    else:
        missing = unapplied_migrations()
        if missing:
            found.append(
                Error(
                    f"{len(missing)} migration(s) not applied: {', '.join(missing[:5])}"
                    + (" ..." if len(missing) > 5 else ""),
                    hint="Run `redline migrate`.",
                    id="redline.E002",
                )
            )
    if not jobs.scaled():
        return found
    from redline.core import queue

    problem = queue.broker_problem()
    if problem:
        found.append(Error(problem, hint="Check REDLINE_BROKER_URL.", id="redline.E003"))
        return found
    if not queue.workers():
        found.append(
            Warning(
                "no Celery worker answers: periodic and heavy jobs will wait.",
                hint="Start `redline worker` (see docs/operations.md).",
                id="redline.W004",
            )
        )
    age = queue.beat_age()
    if age is None or age > queue.BEAT_STALE_SECONDS:
        found.append(
            Warning(
                "beat is not running: no periodic job is sent."
                if age is None
                else f"beat's last heartbeat is {age:.0f} s old: it seems stopped.",
                hint="Run exactly one `redline beat`.",
                id="redline.W005",
            )
        )
    return found
