"""The runs of long work a user asked for: a run's page (its progress, refreshed by htmx
until it ends, then its download) and the result file. A run is its requester's alone: any
other user, whatever their role, gets the same 404 as for a run that does not exist."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header

from redline.core import jobs
from redline.core.models import JobRun, JobState
from redline.core.web import PageRequest

# A queued run not taken up after this long suggests no jobs process is running.
WAITING_HINT_SECONDS = 30


def _mine(request: PageRequest, run_id: uuid.UUID) -> JobRun:
    run = jobs.runs_of(request.user).filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


@login_required
def job_run(request: PageRequest, run_id: uuid.UUID) -> HttpResponse:
    run = _mine(request, run_id)
    waited = (timezone.now() - run.created_at).total_seconds()
    context = {
        "run": run,
        "percent": round(100 * run.step / run.steps) if run.steps else 0,
        "no_worker": run.state == JobState.QUEUED and waited > WAITING_HINT_SECONDS,
    }
    template = "core/_job_status.html" if request.headers.get("HX-Request") else "core/job.html"
    return render(request, template, context)


@login_required
def job_result(request: PageRequest, run_id: uuid.UUID) -> HttpResponse:
    run = _mine(request, run_id)
    if not run.finished or not run.result_name:
        raise Http404
    body = JobRun.objects.filter(pk=run.pk).values_list("result", flat=True).get()
    response = HttpResponse(bytes(body or b""), content_type=run.result_type)
    response["Content-Disposition"] = content_disposition_header(True, run.result_name)
    return response
