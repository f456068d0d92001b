"""The situation report as a document: PDF (WeasyPrint, Noto CJK, the charts as PNG), .docx
(python-docx) and .xlsx (openpyxl, a sheet per section, the figures as numbers). All three
write the same `Figures` and the same statements, in the active language."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from redline.core.errors import ValidationFailed
from redline.core.spreadsheet.formulas import text_cells
from redline.reports.figures import Figures
from redline.reports.statements import Statement, generate

FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def check_format(value: Any) -> str:
    text = str(value or "").strip().lower()
    if text not in FORMATS:
        message = _("The format must be one of: pdf, docx, xlsx.")
        raise ValidationFailed(message, fields={"format": message})
    return text


@dataclass
class Document:
    figures: Figures
    statements: list[Statement]

    @property
    def title(self) -> str:
        return _("Production safety situation analysis: %(period)s, %(scope)s") % {
            "period": self.figures.period.label,
            "scope": self.figures.scope_label,
        }

    def refs(self) -> dict[str, int]:
        """Each cited figure key's note number (1, 2, ...) in the order first cited."""
        numbers: dict[str, int] = {}
        for statement in self.statements:
            for key, _value in statement.refs:
                numbers.setdefault(key, len(numbers) + 1)
        return numbers


def write(figures: Figures, fmt: str) -> bytes:
    document = Document(figures, generate(figures))
    return {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx}[check_format(fmt)](document)


def filename(figures: Figures, fmt: str) -> str:
    scope = figures.region.code if figures.region is not None else "all"
    return f"situation-{figures.period.code}-{scope}.{fmt}"


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# --- PDF -----------------------------------------------------------------------------------


def _pdf(document: Document) -> bytes:
    from weasyprint import HTML  # loaded only for a PDF: it needs Pango at import

    # matplotlib is loaded only to draw a document's charts, not by every page of the app
    # (the URLconf imports this module; the cockpit's first render paid for it).
    from redline.reports import charts

    numbers = document.refs()
    figures = document.figures
    sections = []
    for index, section in enumerate(figures.sections, start=1):
        sections.append(
            {
                "number": index,
                "section": section,
                "figures": [
                    (f, _show(f.value), numbers.get(f.key)) for f in section.figures if not f.detail
                ],
                "tables": [
                    {
                        "table": t,
                        "rows": [
                            [(_show(c), isinstance(c, int | float)) for c in row] for row in t.rows
                        ],
                    }
                    for t in section.tables
                ],
                "charts": [
                    (
                        f"{index}.{n}",
                        c.title,
                        "data:image/png;base64," + base64.b64encode(charts.png(c)).decode(),
                    )
                    for n, c in enumerate(section.charts, start=1)
                ],
            }
        )
    html = render_to_string(
        "reports/situation_pdf.html",
        {
            "title": document.title,
            "figures": figures,
            "generated": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "statements": [
                (s, [(numbers[key], key, _show(value)) for key, value in s.refs])
                for s in document.statements
            ],
            "notes": sorted(
                ((n, key, _show(figures.values().get(key))) for key, n in numbers.items()),
            ),
            "sections": sections,
        },
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


# --- DOCX ----------------------------------------------------------------------------------


def _docx(document: Document) -> bytes:
    from docx import Document as Docx
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    from redline.reports import charts

    figures = document.figures
    numbers = document.refs()
    out = Docx()
    style = out.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.font.size = Pt(10)
    fonts = style.element.rPr.rFonts  # East Asian text takes the eastAsia font
    fonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    out.add_heading(document.title, level=0)
    out.add_paragraph(
        _("Period: %(start)s to %(end)s. State figures as at %(day)s. Generated %(now)s.")
        % {
            "start": figures.period.start.isoformat(),
            "end": figures.period.last_day.isoformat(),
            "day": figures.as_at.isoformat(),
            "now": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        }
    )
    out.add_heading(pgettext("situation report", "Summary"), level=1)
    for statement in document.statements:
        marks = "".join(f"[{numbers[key]}]" for key, _v in statement.refs)
        paragraph = out.add_paragraph(style="List Bullet")
        if statement.attention:
            paragraph.add_run(_("Attention: ")).bold = True
        paragraph.add_run(f"{statement.text} {marks}")
    for index, section in enumerate(figures.sections, start=1):
        out.add_heading(f"{index}. {section.title}", level=1)
        for note in section.notes:
            out.add_paragraph().add_run(note).italic = True
        headline = [f for f in section.figures if not f.detail]
        if headline:
            table = out.add_table(rows=1, cols=3)
            table.style = "Light Grid Accent 1"
            head = table.rows[0].cells
            head[0].text, head[1].text, head[2].text = (
                pgettext("situation report", "Figure"),
                pgettext("situation report", "Value"),
                pgettext("situation report", "Key"),
            )
            for f in headline:
                cells = table.add_row().cells
                note = f" [{numbers[f.key]}]" if f.key in numbers else ""
                cells[0].text = f.label + note
                cells[1].text = _show(f.value)
                cells[2].text = f.key
        for n, chart in enumerate(section.charts, start=1):
            out.add_picture(io.BytesIO(charts.png(chart)), width=Cm(16))
            out.add_paragraph(
                _("Chart %(number)s: %(title)s") % {"number": f"{index}.{n}", "title": chart.title}
            )
        for t in section.tables:
            out.add_heading(t.title, level=2)
            if not t.rows:
                out.add_paragraph(_("None in this period."))
                continue
            table = out.add_table(rows=1, cols=len(t.columns))
            table.style = "Light Grid Accent 1"
            for cell, name in zip(table.rows[0].cells, t.columns, strict=True):
                cell.text = str(name)
            for row in t.rows:
                for cell, value in zip(table.add_row().cells, row, strict=True):
                    cell.text = _show(value)
    out.add_heading(_("Notes: the figures cited"), level=1)
    values = figures.values()
    for key, n in numbers.items():
        out.add_paragraph(f"[{n}] {key} = {_show(values.get(key))}")
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


# --- XLSX ----------------------------------------------------------------------------------

BOLD = Font(bold=True)


def _xlsx(document: Document) -> bytes:
    figures = document.figures
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = pgettext("situation report", "Summary")[:31]
    summary.append([document.title])
    summary["A1"].font = BOLD
    summary.append([pgettext("situation report", "Period"), figures.period.code])
    summary.append([pgettext("situation report", "Scope"), figures.scope_label])
    summary.append([_("State figures as at"), figures.as_at])
    summary.append([])
    summary.append([_("Statement"), _("Attention"), _("Figures cited")])
    for cell in summary[summary.max_row]:
        cell.font = BOLD
    for s in document.statements:
        summary.append(text_cells(summary, [s.text, _("yes") if s.attention else "", s.cited]))
    summary.column_dimensions["A"].width = 80
    summary.column_dimensions["C"].width = 60
    for section in figures.sections:
        sheet = book.create_sheet(section.title[:31])
        sheet.append([section.title])
        sheet["A1"].font = BOLD
        for note in section.notes:
            sheet.append([note])
        sheet.append([])
        sheet.append(
            [
                pgettext("situation report", "Figure"),
                pgettext("situation report", "Value"),
                pgettext("situation report", "Key"),
            ]
        )
        for cell in sheet[sheet.max_row]:
            cell.font = BOLD
        for f in section.figures:
            sheet.append([f.label, f.value, f.key])
        for t in section.tables:
            sheet.append([])
            sheet.append([t.title])
            sheet.cell(row=sheet.max_row, column=1).font = BOLD
            sheet.append([str(c) for c in t.columns])
            for cell in sheet[sheet.max_row]:
                cell.font = BOLD
            for row in t.rows:
                sheet.append(text_cells(sheet, row))
        sheet.column_dimensions["A"].width = 48
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
