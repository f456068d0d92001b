"""Case counts and key-group counts from a file: CSV or Excel .xlsx, checked row by row.

- .xlsx: every sheet whose header names the case-count columns is read as case counts,
  every sheet whose header names the key-group columns as key-group counts (the template
  has one of each and an instructions sheet, which is skipped).
- .csv (UTF-8, with or without BOM, or GB18030 as Excel saves it in China): one kind per
  file, told by its header.
A header may be written as the column's code (`condition`), in Chinese or in English; rows
above it (a title) are skipped. Row numbers are those the spreadsheet shows.

The rows then go to `services.case_counts_record` as one submission whose idempotency key is
the file's SHA-256 (per user): importing the same file again records nothing twice. Every
problem comes back as a `RowError` with the sheet, row and column; nothing is saved when
there is any.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from redline.core.errors import PermissionDenied
from redline.epidemic import services
from redline.epidemic.models import Condition
from redline.epidemic.reporting import reporter
from redline.epidemic.vocab import CountSource, KeyGroup

MAX_BYTES = 10 * 1024 * 1024
HEADER_SCAN = 5
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: Any  # lazily translated English label
    help: Any
    required: bool = True

    @property
    def label(self) -> str:
        return f"{self.zh} {self.key}"


COUNT_COLUMNS = (
    Column(
        "condition",
        "疾病/症候群",
        gettext_lazy("Disease or syndrome"),
        gettext_lazy("The catalogue code (e.g. hfmd) or the name."),
    ),
    Column(
        "region",
        "地区代码",
        gettext_lazy("Region code"),
        gettext_lazy("The region's administrative code."),
    ),
    Column(
        "place",
        "重点场所",
        gettext_lazy("Key place"),
        gettext_lazy(
            "The key place's id or unified social credit code for cases it reported (the "
            "region is then the place's region); empty for cases counted at the region. "
            "Count each case once: a district adds up its subdistricts and key places."
        ),
        required=False,
    ),
    Column("date", "日期", gettext_lazy("Date"), gettext_lazy("YYYY-MM-DD, not in the future.")),
    Column(
        "count",
        "病例数",
        gettext_lazy("Cases"),
        gettext_lazy(
            "A whole number, 0 or more. A different number for a day already "
            "reported is a correction."
        ),
    ),
)
GROUP_COLUMNS = (
    COUNT_COLUMNS[1],
    COUNT_COLUMNS[2],
    Column(
        "group",
        "重点人群",
        gettext_lazy("Key group"),
        gettext_lazy("The key group's code or name."),
    ),
    Column(
        "count",
        "人数",
        gettext_lazy("Number of people"),
        gettext_lazy("A whole number, 0 or more."),
    ),
    Column(
        "as_of",
        "统计日期",
        gettext_lazy("As of"),
        gettext_lazy(
            "YYYY-MM-DD: the date the figure describes. A later figure for the same "
            "date replaces it."
        ),
    ),
    Column(
        "source",
        "数据来源",
        pgettext_lazy("figure", "Source"),
        gettext_lazy("Where the figure comes from (a register, a survey, ...)."),
    ),
)
PARTS = {"rows": COUNT_COLUMNS, "groups": GROUP_COLUMNS}
SHEET_NAMES = {"rows": "病例数 counts", "groups": "重点人群 key groups"}
INSTRUCTIONS = "说明 instructions"


@dataclass(frozen=True)
class FileError:
    """A problem of the file: `sheet` ("" for a CSV), `row` (None for the file as a whole),
    `column` (its label), `message`."""

    sheet: str
    row: int | None
    column: str
    message: str


@dataclass
class ImportResult:
    errors: list[FileError] = field(default_factory=list)
    recorded: services.Recorded | None = None
    file_name: str = ""

    @property
    def ok(self) -> bool:
        return self.recorded is not None and not self.errors


class _Rejected(Exception):
    pass


def _norm(value: Any) -> str:
    return re.sub(r"[\s*＊_/]+", "", str(value or "")).casefold()


@cache
def _all_names() -> dict[tuple[str, str], frozenset[str]]:
    """How each part's columns may be written in a header, in every site language."""
    names: dict[tuple[str, str], frozenset[str]] = {}
    for part, columns in PARTS.items():
        for column in columns:
            found = {_norm(column.key), _norm(column.zh), _norm(column.label)}
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    found.add(_norm(str(column.en)))
                    found.add(_norm(f"{column.zh} {column.en}"))
            names[(part, column.key)] = frozenset(found)
    return names


def _header_map(cells: list[Any]) -> tuple[str, dict[int, Column]] | None:
    """Which part a header row belongs to and the column at each position, when the row
    names every required column of one part."""
    texts = [_norm(c) for c in cells]
    for part, columns in PARTS.items():
        found: dict[int, Column] = {}
        for position, text in enumerate(texts):
            for column in columns:
                known = _all_names()[(part, column.key)]
                if text and text in known and column not in found.values():
                    found[position] = column
                    break
        if all(c in found.values() for c in columns if c.required):
            return part, found
    return None


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return value


def _read_grid(grid: list[list[Any]], sheet: str, errors: list[FileError]) -> tuple[str, list]:
    """The part and the rows ({field: value, "row": number}) of one sheet or CSV."""
    for index, cells in enumerate(grid[:HEADER_SCAN]):
        found = _header_map(list(cells))
        if found is None:
            continue
        part, columns = found
        header_number = index + 1
        for position, value in enumerate(cells):
            if position not in columns and _norm(value):
                errors.append(FileError(sheet, header_number, str(value), _("Unknown column.")))
        rows = []
        for number, values in enumerate(grid[header_number:], start=header_number + 1):
            if all(_norm(v) == "" for v in values):
                continue
            row: dict[str, Any] = {"row": number}
            for position, column in columns.items():
                row[column.key] = _cell(values[position]) if position < len(values) else None
            rows.append(row)
        return part, rows
    if any(_norm(v) for cells in grid[:HEADER_SCAN] for v in cells):
        expected = "; ".join(", ".join(c.label for c in columns) for columns in PARTS.values())
        errors.append(
            FileError(
                sheet,
                None,
                "",
                _("No header row found in the first %(n)d rows. Expected the columns: %(columns)s.")
                % {"n": HEADER_SCAN, "columns": expected},
            )
        )
    return "", []


def _grids(data: bytes) -> list[tuple[str, list[list[Any]]]]:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _Rejected(
            _("This is an old .xls workbook. Save it as .xlsx (Excel 2007 or later) or CSV.")
        )
    if data[:4] == b"PK\x03\x04":
        try:
            book = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
            grids = [
                (sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
                for sheet in book.worksheets
                if sheet.title != INSTRUCTIONS
            ]
            book.close()
        except Exception:  # an untrusted file: whatever breaks the reader, it is unusable
            raise _Rejected(
                _("The workbook could not be read. Is it a valid .xlsx file?")
            ) from None
        return grids
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel  # type: ignore[assignment]
        return [("", [list(row) for row in csv.reader(io.StringIO(text), dialect)])]
    raise _Rejected(_("This is neither an .xlsx workbook nor a CSV text file."))


def read_file(data: bytes) -> tuple[list[dict], list[dict], list[FileError]]:
    """The case-count rows, key-group rows and file-level problems of a file."""
    errors: list[FileError] = []
    counts: list[dict] = []
    groups: list[dict] = []
    read_from: dict[str, str] = {}
    for sheet, grid in _grids(data):
        part, rows = _read_grid(grid, sheet, errors)
        if not part:
            continue
        if part in read_from:
            errors.append(
                FileError(
                    sheet,
                    None,
                    "",
                    _("Only one sheet of each kind is read: %(other)s has the same columns.")
                    % {"other": read_from[part]},
                )
            )
            continue
        read_from[part] = sheet
        for row in rows:
            row["sheet"] = sheet
        (counts if part == "rows" else groups).extend(rows)
    if not errors and not counts and not groups:
        errors.append(FileError("", None, "", _("The file has no rows to import.")))
    return counts, groups, errors


def _column_label(part: str, key: str) -> str:
    for column in PARTS.get(part, ()):
        if column.key == key:
            return column.label
    return key


def import_counts(*, user: Any, file: Any, now: dt.datetime | None = None) -> ImportResult:
    """Check and record a file's counts (all or nothing). PermissionDenied for a user who
    may not submit data."""
    if not reporter(user).may_submit:
        raise PermissionDenied(_("Your organisation and role may read surveillance data only."))
    result = ImportResult(file_name=str(getattr(file, "name", "") or ""))
    try:
        if file is None:
            raise _Rejected(_("Choose a CSV or .xlsx file to import."))
        data = file if isinstance(file, bytes) else file.read(MAX_BYTES + 1)
        if not data:
            raise _Rejected(_("The file is empty."))
        if len(data) > MAX_BYTES:
            raise _Rejected(
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)}
            )
        counts, groups, errors = read_file(data)
    except _Rejected as rejected:
        result.errors.append(FileError("", None, "", str(rejected)))
        return result
    if errors:
        result.errors = errors
        return result
    sheets = {("rows", r["row"]): r.get("sheet", "") for r in counts}
    sheets |= {("groups", r["row"]): r.get("sheet", "") for r in groups}
    try:
        result.recorded = services.case_counts_record(
            rows=counts,
            groups=groups,
            source=CountSource.IMPORT,
            key="import:" + hashlib.sha256(data).hexdigest(),
            user=user,
            now=now,
            file_name=result.file_name,
        )
    except services.RowsInvalid as invalid:
        result.errors = [
            FileError(
                sheets.get((e.part, e.row), ""),
                e.row,
                _column_label(e.part, e.field),
                e.message,
            )
            for e in invalid.errors
        ]
    except services.ValidationFailed as failure:
        result.errors = [
            FileError("", None, "", message) for message in failure.fields.values()
        ] or [FileError("", None, "", failure.message)]
    return result


# --- templates -----------------------------------------------------------------------------


def template_csv(part: str) -> bytes:
    """A CSV with the header of case counts ("rows") or key groups ("groups")."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.key for c in PARTS[part]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(user: Any) -> bytes:
    """The import workbook: a sheet for case counts, one for key groups, and instructions
    with the codes the user may use (conditions, key groups, the user's regions and key
    places)."""
    who = reporter(user)
    book = Workbook()
    bold = Font(bold=True)
    first = book.active
    assert first is not None
    for index, (part, columns) in enumerate(PARTS.items()):
        sheet = first if index == 0 else book.create_sheet()
        sheet.title = SHEET_NAMES[part]
        sheet.append([c.label for c in columns])
        for cell in sheet[1]:
            cell.font = bold
        for column_cells in sheet.columns:
            sheet.column_dimensions[column_cells[0].column_letter].width = 22
    info = book.create_sheet(INSTRUCTIONS)
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 40
    info.column_dimensions["C"].width = 30
    info.column_dimensions["D"].width = 16

    def heading(text: str) -> None:
        info.append([])
        info.append([text])
        info.cell(row=info.max_row, column=1).font = bold

    info.append(
        [
            _(
                "One row per disease or syndrome, region or key place, and day. Every row "
                "is checked first: if any is wrong nothing is saved and every problem is "
                "listed. Importing the same file again records nothing twice."
            )
        ]
    )
    for part, columns in PARTS.items():
        heading(SHEET_NAMES[part])
        for column in columns:
            info.append([column.label, str(column.en), str(column.help)])
    heading(_("Diseases and syndromes"))
    for condition in Condition.objects.active().order_by("kind", "code"):
        info.append([condition.code, condition.name, condition.name_en])
    heading(_("Key groups"))
    for code, label in KeyGroup.choices:
        info.append([code, str(label)])
    heading(_("Regions you may report for"))
    for region in who.regions().order_by("path")[:2000]:
        info.append([region.code, str(region)])
    heading(_("Key places you may report for"))
    places = who.places().select_related("region").order_by("region__path", "name")[:5000]
    for place in places:
        info.append([place.pk, place.name, place.credit_code, place.region.code])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
