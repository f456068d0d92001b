"""The key task list as a spreadsheet (.xlsx); rows come from the scoped selector."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from redline.committee.models import KeyTask
from redline.committee.vocab import TaskState
from redline.core.spreadsheet.formulas import quote_formula, text_cells


def headers() -> list[str]:
    return [
        _("Number"),
        _("Title"),
        _("Meeting"),
        _("Lead department"),
        _("Responsible person"),
        _("Cooperating departments"),
        _("Regions"),
        pgettext("key task", "Deadline"),
        _("Measurable outcome"),
        _("Target value"),
        _("Latest figure"),
        _("Unit of measure"),
        _("Reporting cadence"),
        _("State"),
        _("Next report due"),
        _("Report overdue"),
        _("Past its deadline"),
    ]


def _number(value: Any) -> Any:
    return float(value) if value is not None else ""


def row(task: KeyTask) -> list[Any]:
    yes, no = _("yes"), _("no")
    values = [
        task.number,
        task.title,
        str(task.meeting) if task.meeting_id else "",
        str(task.lead),
        task.lead_person.name if task.lead_person else "",
        "、".join(str(o) for o in task.cooperating.all()),
        "、".join(str(r) for r in task.regions.all()) or _("The whole city"),
        task.deadline,
        task.outcome,
        _number(task.target_value),
        _number(task.figure),
        task.unit,
        task.get_cadence_display(),
        task.get_state_display(),
        task.next_report_due if task.state in TaskState.reporting_states() else "",
        yes if task.is_open and task.report_overdue_since else no,
        yes if task.is_open and task.deadline_overdue_since else no,
    ]
    return [quote_formula(value) for value in values]


def tasks_xlsx(tasks: Iterable[KeyTask]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Key tasks"))
    sheet.append(headers())
    for task in tasks:
        sheet.append(text_cells(sheet, row(task)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
