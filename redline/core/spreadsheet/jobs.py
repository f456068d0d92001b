"""An import from the web runs as an on-demand job (`redline.core.jobs`): the page checks
the form, queues the file (`queue_import`) and answers at once with the run's page, which shows
the rows imported, or every problem by sheet, row and column with a workbook of them to
download. The job is the same import function the CLI and the tests call, run as the user who
gave the file: a file is never written by the web request, whatever its size."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from redline.core import jobs
from redline.core.models import JobRun
from redline.core.spreadsheet.importing import Outcome
from redline.core.spreadsheet.reading import MAX_BYTES, XLSX
from redline.core.spreadsheet.writing import problems_workbook


def import_job(
    kind: str, do_import: Callable[..., Outcome], params: tuple[str, ...] = ()
) -> jobs.OnDemand:
    """The on-demand job that runs `do_import(actor=..., file=..., **those params)` on a run's
    file (`params`: the names of the run's parameters the import takes, given by
    `queue_import`). An outcome with a `message` (what was recorded) shows it."""

    def run_import(run: JobRun, progress: jobs.Progress) -> jobs.Output:
        progress(0, 1, _("Checking and importing the rows"))
        extra = {name: run.params[name] for name in params}
        file = ContentFile(bytes(run.upload or b""), name=run.upload_name or None)
        outcome = do_import(actor=run.requested_by, file=file, **extra)
        summary: dict[str, Any] = {
            "rows": outcome.rows,
            "errors": [
                {"sheet": e.sheet, "row": e.row, "column": e.column, "message": e.message}
                for e in outcome.errors
            ],
        }
        if getattr(outcome, "message", ""):
            summary["message"] = outcome.message  # type: ignore[attr-defined]
        if outcome.ok:
            return jobs.Output(summary=summary)
        problem = ngettext(
            "The file has %(n)d problem. Nothing was saved.",
            "The file has %(n)d problems. Nothing was saved.",
            len(outcome.errors),
        ) % {"n": len(outcome.errors)}
        return jobs.Output(
            name=f"{kind.replace('.', '-')}-problems.xlsx",
            content_type=XLSX,
            body=problems_workbook(outcome.errors),
            summary=summary,
            problem=problem,
        )

    return jobs.OnDemand(kind, run_import)


def queue_import(
    request: Any,
    *,
    kind: str,
    file: Any,
    title: str,
    back: str,
    params: dict[str, Any] | None = None,
) -> HttpResponse:
    """Queue a file given on an import page for `kind` (the caller checked the user may
    import) and answer with the run's page; a retried request (the form's token) finds the run
    it made. `back` is the import page, which the run's page links to; `params`, what else the
    import takes. A file larger than the import reads is cut at one byte past the limit, so
    the job refuses it with the size message."""
    data = file.read(MAX_BYTES + 1) if hasattr(file, "read") else bytes(file or b"")
    run = jobs.enqueue(
        kind=kind,
        user=request.user,
        params={"back": back, "language": translation.get_language() or "", **(params or {})},
        token=request.POST.get("token", "")[:64] or uuid.uuid4().hex,
        title=title,
        upload=data,
        upload_name=str(getattr(file, "name", "") or ""),
    )
    return redirect("job-run", run_id=run.pk)
