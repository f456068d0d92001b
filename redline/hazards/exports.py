"""The hazard ledger as .xlsx (台账), from the scoped, filtered selector."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from redline.core.spreadsheet.formulas import quote_formula, text_cells
from redline.core.spreadsheet.writing import ChoiceLabels
from redline.hazards.models import Hazard


def headers() -> list[str]:
    return [
        _("Number"),
        _("Hazard"),
        _("Unit"),
        _("Region"),
        _("Sector"),
        _("Level"),
        _("Type"),
        pgettext("hazard", "Source"),
        _("State"),
        _("Listed supervision"),
        _("Reported"),
        _("Rectify by"),
        _("Overdue"),
        _("Closed"),
        _("Determination items"),
        _("Location"),
        _("Description"),
    ]


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def labels() -> ChoiceLabels:
    return ChoiceLabels(Hazard, "sector", "level", "hazard_type", "source", "state")


def row(hazard: Hazard, today: Any, shown: ChoiceLabels, yes: str) -> list[Any]:
    """One hazard's cells (`shown`: the choices' labels, `yes`: the word, translated once for
    the whole ledger)."""
    values = [
        hazard.number,
        hazard.name,
        str(hazard.enterprise) if hazard.enterprise_id else "",
        str(hazard.region),
        shown(hazard, "sector"),
        shown(hazard, "level"),
        shown(hazard, "hazard_type"),
        shown(hazard, "source"),
        shown(hazard, "state"),
        yes if hazard.listed else "",
        _when(hazard.reported_at),
        hazard.deadline.isoformat() if hazard.deadline else "",
        yes if hazard.overdue_on(today) else "",
        _when(hazard.closed_at),
        " ".join(hazard.determination_items or []),
        hazard.location,
        hazard.description,
    ]
    return [quote_formula(v) for v in values]


def ledger_xlsx(hazards: QuerySet[Hazard]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Hidden hazards"))
    sheet.append(headers())
    today = timezone.localdate()
    limit = settings.REDLINE_EXPORT_MAX_ROWS
    shown, yes = labels(), _("yes")
    for hazard in hazards[:limit].iterator(chunk_size=2000):
        sheet.append(text_cells(sheet, row(hazard, today, shown, yes)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
