"""Prometheus metrics at `/metrics` (text format, prometheus_client).

- `redline_http_request_duration_seconds{view,method,status}`: time to answer a request (to the
  first byte of a streamed export), by the URL pattern's name (never the raw path, so the
  number of series stays bounded), the method and the status class (`2xx`...). Measured by
  `MetricsMiddleware`; requests answered before URL resolution (static files served by
  whitenoise sit before it) are not counted.
- On-demand jobs, read from the `JobRun` rows at scrape time (so runs done by the jobs
  process or by Celery workers elsewhere count alike): `redline_job_duration_seconds{kind}`
  (finished runs, from start to end of their last attempt), `redline_job_failures_total{kind}`
  (runs that ended failed, an import refused for its rows included), `redline_jobs_queued`
  (the queue's depth) and `redline_jobs_running`.
- Business gauges, counted at scrape time: `redline_hazards_open`, `redline_hazards_overdue`,
  `redline_signals_open` (the whole city's, for the operators: not a user's read).

gunicorn runs several workers, each with its own memory: with `PROMETHEUS_MULTIPROC_DIR` set
(an empty directory, writable by every worker, emptied before each start), each process
writes its request figures there and a scrape adds them up across processes; without it, a
scrape shows the figures of the worker that answered it (fine with one worker, or under
`runserver`). The database figures are the same from any worker.

Who may read it: a client whose address is in `REDLINE_METRICS_ALLOW` (unless a proxy
forwarded the request), or one sending `Authorization: Bearer <REDLINE_METRICS_TOKEN>`;
anyone else is answered 404, as for an address that does not exist.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from redline.core.models import JobRun, JobState

log = logging.getLogger(__name__)

REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
JOB_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The view label of a request no URL pattern matched (a 404 for an unknown address).
UNMATCHED = "<unmatched>"

# Registered in no registry: a scrape builds its own (`process_registry`).
REQUEST_SECONDS = Histogram(
    "redline_http_request_duration_seconds",
    "Time to answer a request, by view name, method and status class.",
    ["view", "method", "status"],
    buckets=REQUEST_BUCKETS,
    registry=None,
)
_PROCESS = ProcessCollector(registry=None)


def view_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else UNMATCHED


class MetricsMiddleware:
    """Times each request for `redline_http_request_duration_seconds`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        status = f"{response.status_code // 100}xx"
        REQUEST_SECONDS.labels(view_label(request), method, status).observe(
            time.perf_counter() - started
        )
        return response


def multiprocess() -> bool:
    return bool(settings.REDLINE_METRICS_MULTIPROC_DIR)


def process_registry() -> CollectorRegistry:
    """The figures kept in process memory: every process's (multiprocess mode) or this one's."""
    registry = CollectorRegistry()
    if multiprocess():
        MultiProcessCollector(registry, path=settings.REDLINE_METRICS_MULTIPROC_DIR)
    else:
        registry.register(REQUEST_SECONDS)
        registry.register(_PROCESS)
    return registry


class DatabaseCollector(Collector):
    """The figures counted in the database when scraped (a few COUNTs on indexed columns)."""

    def collect(self) -> Iterator[Metric]:
        try:
            families = [*self._jobs(), *self._cases()]
        except DatabaseError as error:
            log.warning("metrics: the database figures could not be read: %r", error)
            families = []
        up = GaugeMetricFamily(
            "redline_metrics_database_up", "1 if the database figures below could be read."
        )
        up.add_metric([], 1 if families else 0)
        yield up
        yield from families

    @staticmethod
    def _jobs() -> list[Metric]:
        states = dict(
            JobRun.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING])
            .values_list("state")
            .annotate(n=Count("pk"))
            .order_by()
        )
        queued = GaugeMetricFamily("redline_jobs_queued", "On-demand job runs waiting.")
        queued.add_metric([], states.get(JobState.QUEUED, 0))
        running = GaugeMetricFamily("redline_jobs_running", "On-demand job runs under way.")
        running.add_metric([], states.get(JobState.RUNNING, 0))

        took = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
        within = {
            f"le_{i}": Count("pk", filter=Q(finished_at__lte=F("started_at") + seconds))
            for i, seconds in enumerate(dt.timedelta(seconds=b) for b in JOB_BUCKETS)
        }
        rows = (
            JobRun.objects.filter(
                state__in=[JobState.DONE, JobState.FAILED],
                started_at__isnull=False,
                finished_at__isnull=False,
            )
            .values("kind")
            .annotate(
                n=Count("pk"),
                failed=Count("pk", filter=Q(state=JobState.FAILED)),
                seconds=Sum(took),
                **within,
            )
            .order_by("kind")
        )
        durations = HistogramMetricFamily(
            "redline_job_duration_seconds",
            "Duration of finished on-demand job runs, by kind.",
            labels=["kind"],
        )
        failures = CounterMetricFamily(
            "redline_job_failures",
            "On-demand job runs that ended failed, by kind.",
            labels=["kind"],
        )
        for found in rows:
            row: dict[str, Any] = dict(found)
            buckets = [(str(float(b)), row[f"le_{i}"]) for i, b in enumerate(JOB_BUCKETS)]
            buckets.append(("+Inf", row["n"]))
            seconds = row["seconds"].total_seconds() if row["seconds"] is not None else 0.0
            durations.add_metric([row["kind"]], buckets, max(seconds, 0.0))
            failures.add_metric([row["kind"]], row["failed"])
        return [queued, running, durations, failures]

    @staticmethod
    def _cases() -> list[Metric]:
        from redline.epidemic.models import Signal
        from redline.hazards.models import Hazard
        from redline.hazards.selectors import overdue_q

        today = timezone.localdate()
        figures = [
            ("redline_hazards_open", "Hidden hazards not closed.", Hazard.objects.open()),
            (
                "redline_hazards_overdue",
                "Hidden hazards past their rectification deadline, not yet submitted.",
                Hazard.objects.filter(overdue_q(today)),
            ),
            ("redline_signals_open", "Epidemic signals not closed.", Signal.objects.open()),
        ]
        families: list[Metric] = []
        for name, documentation, queryset in figures:
            gauge = GaugeMetricFamily(name, documentation)
            gauge.add_metric([], queryset.count())
            families.append(gauge)
        return families


def allowed(request: HttpRequest) -> bool:
    """A scraper with the token, or one from an allowed address that no proxy forwarded
    (behind a proxy on the same machine every client would seem to come from 127.0.0.1)."""
    token = settings.REDLINE_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        scheme, _space, credential = given.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            credential.strip().encode(), token.encode()
        ):
            return True
    if any(h in request.headers for h in ("X-Forwarded-For", "Forwarded", "X-Real-IP")):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 from a server bound to [::]
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.REDLINE_METRICS_ALLOW
    )


@login_not_required
@csrf_exempt
@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        raise Http404
    registry = process_registry()
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
