"""The reports' long work, run by the jobs machinery (`redline.core.jobs`): the situation
report asked for from the web, written for its requester (their jurisdiction, the one door)
in the language of the page they asked from."""

from __future__ import annotations

from django.utils.translation import gettext as _

from redline.core.jobs import OnDemand, Output, Progress
from redline.core.models import JobRun
from redline.reports import documents
from redline.reports.figures import BUILDERS, Period, compute


def write_situation(run: JobRun, progress: Progress) -> Output:
    """params: period (code), region (id or code, or empty), format."""
    params = run.params
    fmt = documents.check_format(params.get("format"))
    period = Period.parse(params.get("period"))
    steps = len(BUILDERS) + 1  # every section, then the document

    def computed(done: int, _of: int, title: str) -> None:
        progress(done, steps, _("Figures computed: %(section)s") % {"section": title})

    figures = compute(run.requested_by, period, params.get("region") or None, progress=computed)
    progress(steps - 1, steps, _("Writing the %(format)s file") % {"format": fmt.upper()})
    body = documents.write(figures, fmt)
    return Output(documents.filename(figures, fmt), documents.FORMATS[fmt], body)


ON_DEMAND_JOBS = [OnDemand("reports.situation", write_situation)]
