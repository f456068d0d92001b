"""The audit working paper with its results, as .xlsx (openpyxl) and as PDF (WeasyPrint:
the paper's HTML set by Pango with the Noto CJK fonts). Both read the paper and its samples
the page loaded through the door (`selectors_audit`), and show the same rows
(`audit_present`)."""

from __future__ import annotations

import io
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from redline.core.spreadsheet.formulas import text_cells
from redline.inspections import audit_present as present
from redline.inspections.models import AuditPaper, AuditSample, Inspection

BOLD = Font(bold=True)


def sample_rows(samples: list[AuditSample]) -> list[list[str]]:
    return [
        [
            str(s.get_kind_display()),
            str(s.position + 1),
            s.label,
            "; ".join(f"{k}: {v}" for k, v in present.sample_facts(s)),
            present.result_label(s),
            s.note,
            str(s.checked_by) if s.checked_by is not None else "",
            timezone.localtime(s.checked_at).strftime("%Y-%m-%d %H:%M") if s.checked_at else "",
            str(s.finding.number) if s.finding is not None else "",
        ]
        for s in samples
    ]


def sample_headers() -> list[str]:
    return [
        _("Kind"),
        _("Position"),
        _("Record"),
        _("As recorded when drawn"),
        pgettext("audit sample", "Result"),
        _("Note"),
        _("Checked by"),
        _("Checked at"),
        _("Finding"),
    ]


def sample_items(samples: list[AuditSample], inspection: Inspection) -> list[dict[str, Any]]:
    """The sample as the PDF sets it: one row per record, its facts under its label."""
    return [
        {
            "kind": f"{s.get_kind_display()} {s.position + 1}",
            "label": s.label,
            "facts": "; ".join(f"{k}: {v}" for k, v in present.sample_facts(s)),
            "result": s.result,
            "result_label": present.result_label(s),
            "note": s.note,
            "finding": f"{inspection.number}-{s.finding.number}" if s.finding is not None else "",
            "checked_by": str(s.checked_by) if s.checked_by is not None else "",
            "checked_at": timezone.localtime(s.checked_at).strftime("%Y-%m-%d %H:%M")
            if s.checked_at
            else "",
        }
        for s in samples
    ]


def paper_xlsx(paper: AuditPaper, inspection: Inspection, samples: list[AuditSample]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Working paper")[:31]
    sheet.append([_("Audit working paper")])
    sheet["A1"].font = BOLD
    for label, value in present.heading_rows(paper, inspection):
        sheet.append(text_cells(sheet, [label, value]))
    sheet.append([])
    sheet.append([_("Sampled records"), _("Population"), _("Sampled"), _("Digest")])
    for label, size, sampled, digest in present.populations(paper):
        sheet.append([label, size, sampled, digest])
    sheet.append([])
    sheet.append([str(present.UNCONFIRMED)])
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 40
    for section in present.sections(paper, inspection):
        page = book.create_sheet(section.title[:31])
        page.append([section.title])
        page["A1"].font = BOLD
        for label, value in section.facts:
            page.append([label, value])
        if section.note:
            page.append([section.note])
        for table in section.tables:
            page.append([])
            page.append([f"{table.title} ({table.count})"])
            page.cell(row=page.max_row, column=1).font = BOLD
            page.append(table.headers)
            for row in table.rows:
                page.append(text_cells(page, row))
            if table.cut:
                page.append([table.cut])
        page.column_dimensions["A"].width = 34
        page.column_dimensions["B"].width = 34
    sample = book.create_sheet(_("Sample")[:31])
    sample.append(sample_headers())
    for row in sample_rows(samples):
        sample.append(text_cells(sample, row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def paper_pdf(paper: AuditPaper, inspection: Inspection, samples: list[AuditSample]) -> bytes:
    """The paper as a PDF (A4), in the reader's language."""
    from weasyprint import HTML  # loaded only for a PDF: it needs Pango at import

    html = render_to_string(
        "inspections/audit_paper_pdf.html",
        {
            "inspection": inspection,
            "paper": paper,
            "heading": present.heading_rows(paper, inspection),
            "populations": present.populations(paper),
            "sections": present.sections(paper, inspection),
            "sample_items": sample_items(samples, inspection),
            "result_header": pgettext("audit sample", "Result"),
            "unconfirmed": present.UNCONFIRMED,
            "printed_at": timezone.localtime(),
        },
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
