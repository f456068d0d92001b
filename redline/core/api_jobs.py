"""The runs of long work a caller asked for through the API (a detection run with
`"wait": false`, say): `GET /api/v1/jobs/{id}` tells its state and progress, then what it
found. A run is its requester's alone: anyone else gets the same 404 as for no run."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.urls import reverse
from ninja import Field, Router, Schema

from redline.core import jobs
from redline.core.errors import NotFound
from redline.core.models import JobRun
from redline.core.web import UserRequest

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: uuid.UUID
    kind: str
    title: str
    state: str = Field(..., description="queued, running, done or failed")
    step: int
    steps: int
    message: str = Field(..., description="What it is doing now")
    summary: dict[str, Any] = Field(..., description="What it found, once done")
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    url: str = Field(..., description="Its page in the web application")
    result_url: str | None = Field(None, description="Its file, when it made one")


def job_out(run: JobRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "kind": run.kind,
        "title": run.title,
        "state": run.state,
        "step": run.step,
        "steps": run.steps,
        "message": run.message,
        "summary": run.summary or {},
        "error": run.error,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "url": reverse("job-run", kwargs={"run_id": run.pk}),
        "result_url": reverse("job-result", kwargs={"run_id": run.pk})
        if run.finished and run.result_name
        else None,
    }


@router.get("/jobs/{run_id}", response=JobOut, summary="A run of long work you asked for")
def job(request: UserRequest, run_id: uuid.UUID) -> dict[str, Any]:
    run = jobs.runs_of(request.user).filter(pk=run_id).first()
    if run is None:
        raise NotFound()
    return job_out(run)
