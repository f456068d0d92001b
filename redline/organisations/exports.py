"""Exports of the unit list (CSV streamed, .xlsx). Rows come from the scoped selector."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from redline.core.spreadsheet.formulas import quote_formula, text_cells
from redline.organisations.models import Enterprise


class Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def headers() -> list[str]:
    return [
        _("ID"),
        _("Name"),
        _("Unified social credit code"),
        _("Kind"),
        _("Sectors"),
        _("Region"),
        _("Chemical park"),
        _("Address"),
        _("Headcount"),
        _("Status"),
        _("Latitude"),
        _("Longitude"),
    ]


def row(unit: Enterprise) -> list[Any]:
    return [quote_formula(value) for value in _values(unit)]


def _values(unit: Enterprise) -> list[Any]:
    return [
        unit.pk,
        unit.name,
        unit.credit_code,
        unit.get_kind_display(),
        "、".join(unit.get_sector_labels()),
        str(unit.region),
        str(unit.chemical_park) if unit.chemical_park_id else "",
        unit.address,
        unit.headcount,
        unit.get_status_display(),
        float(unit.latitude) if unit.latitude is not None else "",
        float(unit.longitude) if unit.longitude is not None else "",
    ]


def csv_rows(units: Iterable[Enterprise], writer: Any) -> Iterator[str]:
    yield "\ufeff"  # a BOM, so spreadsheet programs read the Chinese text as UTF-8
    yield writer.writerow(headers())
    for unit in units.iterator(chunk_size=2000) if hasattr(units, "iterator") else units:
        yield writer.writerow(row(unit))


def xlsx_bytes(units: Iterable[Enterprise]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Units"))
    sheet.append(headers())
    for unit in units.iterator(chunk_size=2000) if hasattr(units, "iterator") else units:
        sheet.append(text_cells(sheet, row(unit)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
