"""Is this process alive, and is it ready to serve: `/healthz` and `/readyz`.

`/healthz` (liveness) answers "ok" from the process alone: no database, no session, no
sign-in. A supervisor restarts a process that stops answering it.

`/readyz` (readiness) runs every check in `READINESS_CHECKS` and answers 200 when all pass,
503 naming those that failed. A check is one function returning a `CheckResult` (a check that
raises has failed); registering one is a decorator:

    @readiness_check("broker")
    def broker() -> CheckResult:
        ...
        return CheckResult(ok=True)

A failure's detail names what is wrong in a few words; exception messages (which may hold a
host name or a password) go to the server log only, never into the answer, which anyone who
reaches the address can read.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from redline.core import jobs
from redline.core.models import JobRun, JobState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str = ""


ReadinessCheck = Callable[[], CheckResult]

# The checks /readyz runs, in order, by name.
READINESS_CHECKS: dict[str, ReadinessCheck] = {}


def readiness_check(name: str) -> Callable[[ReadinessCheck], ReadinessCheck]:
    """Register a function as the readiness check `name` (a later one of the same name
    replaces it)."""

    def register(check: ReadinessCheck) -> ReadinessCheck:
        READINESS_CHECKS[name] = check
        return check

    return register


def run_checks() -> dict[str, CheckResult]:
    results: dict[str, CheckResult] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:
            log.warning("readiness check %s failed: %r", name, error)
            results[name] = CheckResult(ok=False, detail=f"raised {type(error).__name__}")
    return results


@readiness_check("database")
def database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return CheckResult(ok=True)


@readiness_check("migrations")
def migrations() -> CheckResult:
    """No migration of the code this process runs is left unapplied (a few milliseconds: the
    migration modules are imported once per process)."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:3])
        more = f" and {len(plan) - 3} more" if len(plan) > 3 else ""
        return CheckResult(ok=False, detail=f"{len(plan)} unapplied: {names}{more}")
    return CheckResult(ok=True)


# A run queued for longer than this is waiting for a jobs process that does not take it.
QUEUE_WAIT = dt.timedelta(minutes=5)
MINUTE = dt.timedelta(minutes=1)


@readiness_check("jobs")
def on_demand_jobs() -> CheckResult:
    """Runs users asked for are being taken: none queued for longer than `QUEUE_WAIT`, none
    running without a heartbeat for longer than `jobs.STALE` (its process is gone and no jobs
    process takes it up again)."""
    now = timezone.now()
    waiting = JobRun.objects.filter(state=JobState.QUEUED, created_at__lt=now - QUEUE_WAIT)
    lost = JobRun.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=now - jobs.STALE)
    problems = []
    if n := waiting.count():
        problems.append(f"{n} queued for more than {QUEUE_WAIT // MINUTE} minutes")
    if n := lost.count():
        problems.append(f"{n} running without a heartbeat for {jobs.STALE // MINUTE} minutes")
    return CheckResult(ok=not problems, detail="; ".join(problems))


# The scaled configuration's processes (redline.core.queue): checked only where a broker is
# configured; in the embedded default they say so and pass.
EMBEDDED = "embedded default: no broker"


@readiness_check("broker")
def broker() -> CheckResult:
    if not jobs.scaled():
        return CheckResult(ok=True, detail=EMBEDDED)
    from redline.core import queue

    problem = queue.broker_problem()
    if problem:
        log.warning("readiness: %s", problem)
        return CheckResult(ok=False, detail="the broker does not answer")
    return CheckResult(ok=True)


@readiness_check("workers")
def workers() -> CheckResult:
    if not jobs.scaled():
        return CheckResult(ok=True, detail=EMBEDDED)
    from redline.core import queue

    answering = queue.workers()
    if not answering:
        return CheckResult(ok=False, detail="no worker answers")
    return CheckResult(ok=True, detail=f"{len(answering)} answering")


@readiness_check("beat")
def beat() -> CheckResult:
    if not jobs.scaled():
        return CheckResult(ok=True, detail=EMBEDDED)
    from redline.core import queue

    age = queue.beat_age()
    if age is None:
        return CheckResult(ok=False, detail="beat has never been seen")
    if age > queue.BEAT_STALE_SECONDS:
        return CheckResult(ok=False, detail=f"beat last seen {age:.0f} s ago")
    return CheckResult(ok=True)


def _probe(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A probe's view: GET or HEAD, no sign-in, no CSRF, never cached."""
    return login_not_required(csrf_exempt(never_cache(require_safe(view))))


@_probe
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@_probe
def readyz(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    failing = [name for name, result in results.items() if not result.ok]
    body: dict[str, Any] = {
        "status": "not ready" if failing else "ready",
        "checks": {
            name: {"ok": result.ok, "detail": result.detail} for name, result in results.items()
        },
    }
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
