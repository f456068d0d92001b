"""An import from the web runs as an on-demand job (`redline.core.jobs`): the page checks
the form, queues the file (`queue_import`) and answers at once with the run's page, which shows
the rows imported, or every problem by sheet, row and column with a workbook of them to
download. The job is the same import function the CLI and the tests call, run as the user who
gave the file: a file is never written by the web request, whatever its size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from redline.core import jobs
from redline.core.models import JobRun
from redline.core.spreadsheet.importing import Outcome
from redline.core.spreadsheet.reading import MAX_BYTES, XLSX
from redline.core.spreadsheet.writing import problems_workbook


def import_job(kind: str, do_import: Callable[..., Outcome]) -> jobs.OnDemand:
    """The on-demand job that runs `do_import(actor=..., file=...)` on a run's file."""

    def run_import(run: JobRun, progress: jobs.Progress) -> jobs.Output:
        progress(0, 1, _("Checking and importing the rows"))
        outcome = do_import(actor=run.requested_by, file=bytes(run.upload or b""))
        summary = {
            "rows": outcome.rows,
            "errors": [
                {"sheet": e.sheet, "row": e.row, "column": e.column, "message": e.message}
                for e in outcome.errors
            ],
        }
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


def queue_import(*, kind: str, user: Any, file: Any, token: str, title: str, back: str) -> JobRun:
    """Queue an uploaded file for `kind` (the caller checked the user may import); `back` is
    the import page, which the run's page links to. A file larger than the import reads is
    cut at one byte past the limit, so the job refuses it with the size message."""
    data = file.read(MAX_BYTES + 1) if hasattr(file, "read") else bytes(file)
    return jobs.enqueue(
        kind=kind,
        user=user,
        params={"back": back, "language": translation.get_language() or ""},
        token=token,
        title=title,
        upload=data,
        upload_name=str(getattr(file, "name", "") or ""),
    )
