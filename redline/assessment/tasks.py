"""The assessments' long work, run by the jobs machinery (`redline.core.jobs`): measuring a
draft's computed figures from every module's records (several seconds at a city's scale), so
that its pages read the kept figures at once."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from redline.assessment import services
from redline.assessment.models import Assessment
from redline.core import jobs
from redline.core.jobs import OnDemand, Output, Progress
from redline.core.models import JobRun

MEASURE_JOB = "assessment.measure"


def measure_asked(run: JobRun, progress: Progress) -> Output:
    """params: assessment (id). Measured for the requester, through their door."""
    progress(0, 1, _("Measuring the figures from the records"))
    kept = services.assessment_measure(
        actor=run.requested_by, assessment_id=run.params["assessment"]
    )
    message = (
        _("The assessment's figures are measured.")
        if kept
        else _("Nothing kept: a later measurement was kept first, or the assessment is published.")
    )
    return Output(summary={"message": message})


def ask_measure(*, user: Any, record: Assessment, token: str) -> JobRun:
    """Queue a measurement of a draft for a manager (the same token again: the same run)."""
    return jobs.enqueue(
        kind=MEASURE_JOB,
        user=user,
        params={
            "assessment": record.pk,
            "back": reverse("assessment-detail", args=[record.pk]),
            "language": get_language(),
        },
        token=token,
        title=_("Measuring %(assessment)s") % {"assessment": record},
    )


ON_DEMAND_JOBS = [OnDemand(MEASURE_JOB, measure_asked)]
