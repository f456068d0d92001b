"""Reading a file by a declaration: opening an .xlsx workbook or a CSV text, the limits,
finding each sheet's header and table, and reading the rows under it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from redline.core.spreadsheet.cells import as_text, fold
from redline.core.spreadsheet.table import Column, Row, RowError, Table

MAX_BYTES = 10 * 1024 * 1024  # the largest file an import reads
MAX_ROWS = 20_000  # the most rows (all sheets together) one import reads
HEADER_ROWS = 10  # the header may sit under a title: the first of these rows naming a column
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OLD_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"


@dataclass(frozen=True, eq=False)
class Spreadsheet:
    """An import's files: the kinds of sheet it reads (`tables`), whether a CSV file (one
    table, told by its header) is read besides .xlsx, whether every sheet of a workbook is
    read (each table at most once) or only the first, and the title of the instructions
    sheet a template carries (skipped on import)."""

    tables: tuple[Table, ...]
    csv: bool = True
    all_sheets: bool = True
    instructions: str = ""


class Rejected(Exception):
    """A file that cannot be read at all; the message says why."""


@dataclass
class Batch:
    """What a file holds: its rows (in file order) and the problems of the file, its sheets
    and headers. The rows carry their own problems."""

    spreadsheet: Spreadsheet
    rows: list[Row] = field(default_factory=list)
    problems: list[RowError] = field(default_factory=list)
    sheets: dict[str, Table | None] = field(default_factory=dict)  # in the file's order

    def of(self, table: Table) -> list[Row]:
        return [row for row in self.rows if row.table is table]

    def error(self, message: str, sheet: str = "") -> None:
        """A problem of the file (or a sheet) as a whole."""
        self.problems.append(RowError(sheet, None, "", str(message)))

    @property
    def errors(self) -> list[RowError]:
        """Every problem: the file's and the sheets' first, then by sheet, row and column."""
        return self.in_order([*self.problems, *(e for row in self.rows for e in row.row_errors())])

    def in_order(self, errors: list[RowError]) -> list[RowError]:
        sheets = {name: index for index, name in enumerate(self.sheets)}

        def place(error: RowError) -> tuple[int, int, int]:
            table = self.sheets.get(error.sheet)
            labels = [c.label for c in table.columns] if table else []
            column = labels.index(error.column) if error.column in labels else len(labels)
            return (sheets.get(error.sheet, -1), error.row or 0, column if error.column else -1)

        return sorted(errors, key=place)


def file_bytes(file: Any, *, with_csv: bool = True) -> bytes:
    """An upload's content (at most one byte over the limit is read)."""
    if file is None:
        raise Rejected(
            _("Choose a CSV or .xlsx file to import.")
            if with_csv
            else _("Choose an .xlsx file to import.")
        )
    data = file if isinstance(file, bytes) else file.read(MAX_BYTES + 1)
    if not data:
        raise Rejected(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise Rejected(_("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    return bytes(data)


def read(spreadsheet: Spreadsheet, file: Any) -> Batch:
    """A file's rows and problems; Rejected when it cannot be read at all."""
    data = file_bytes(file, with_csv=spreadsheet.csv)
    batch = Batch(spreadsheet)
    read_from: dict[Table, str] = {}
    for sheet, grid in _grids(spreadsheet, data):
        batch.sheets[sheet] = None
        found = _header(spreadsheet, grid)
        if found is None:
            if any(as_text(value) for cells in grid[:HEADER_ROWS] for value in cells):
                expected = "; ".join(
                    ", ".join(column.label for column in table.header_needs)
                    for table in spreadsheet.tables
                )
                batch.error(
                    _(
                        "No header row found in the first %(n)d rows. "
                        "Expected the columns: %(columns)s."
                    )
                    % {"n": HEADER_ROWS, "columns": expected},
                    sheet,
                )
            continue
        index, table, columns = found
        if table in read_from:
            batch.error(
                _("Only one sheet of each kind is read: %(other)s has the same columns.")
                % {"other": read_from[table]},
                sheet,
            )
            continue
        read_from[table], batch.sheets[sheet] = sheet, table
        batch.problems.extend(_header_problems(sheet, index + 1, table, grid[index], columns))
        for number, cells in enumerate(grid[index + 1 :], start=index + 2):
            values = {
                column.key: cells[position]
                for position, column in columns.items()
                if not column.computed and position < len(cells)
            }
            if any(as_text(value) for value in values.values()):
                batch.rows.append(table.read(values, number, sheet))
            if len(batch.rows) > MAX_ROWS:
                raise Rejected(_("Import at most %(n)d rows at a time.") % {"n": MAX_ROWS})
    if not batch.problems and not batch.rows:
        batch.error(_("The file has no rows to import."))
    return batch


def _grids(spreadsheet: Spreadsheet, data: bytes) -> list[tuple[str, list[list[Any]]]]:
    """The sheets to read, by title, as rows of values."""
    if data[:8] == OLD_XLS:
        raise Rejected(
            _("This is an old .xls workbook. Save it as .xlsx (Excel 2007 or later) or CSV.")
            if spreadsheet.csv
            else _("This is an old .xls workbook. Save it as .xlsx (Excel 2007 or later) first.")
        )
    if data[:4] == ZIP:
        try:
            return _workbook(spreadsheet, data)
        except Exception:  # an untrusted file: whatever breaks the reader, it is unusable
            raise Rejected(_("The workbook could not be read. Is it a valid .xlsx file?")) from None
    if not spreadsheet.csv:
        raise Rejected(_("This is not an Excel .xlsx workbook."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        try:
            dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return [("", [list(row) for row in csv.reader(io.StringIO(text), dialect)])]
    raise Rejected(_("This is neither an .xlsx workbook nor a CSV text file."))


def _workbook(spreadsheet: Spreadsheet, data: bytes) -> list[tuple[str, list[list[Any]]]]:
    """Each sheet's values, merged cells filled from their top-left cell."""
    book = load_workbook(io.BytesIO(data), data_only=True)
    sheets = [s for s in book.worksheets if s.title != spreadsheet.instructions]
    grids = []
    for sheet in sheets if spreadsheet.all_sheets else sheets[:1]:
        grid = [list(row) for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True)]
        for merged in sheet.merged_cells.ranges:
            value = grid[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    grid[r - 1][c - 1] = value
        grids.append((sheet.title, grid))
    return grids


def _header(
    spreadsheet: Spreadsheet, grid: list[list[Any]]
) -> tuple[int, Table, dict[int, Column]] | None:
    """The header, its table and the column of each cell it names: the first row that names
    every needed column of a table, else the first that names any column (its problems then
    say what is missing). Where a row fits several tables, the one it names most columns of."""
    partial = None
    for index, cells in enumerate(grid[:HEADER_ROWS]):
        texts = [fold(as_text(value)) for value in cells]
        fits = []
        for rank, table in enumerate(spreadsheet.tables):
            columns: dict[int, Column] = {}
            for position, text in enumerate(texts):
                column = table.header_names.get(text) if text else None
                if column is not None and column not in columns.values():
                    columns[position] = column
            if columns:
                complete = all(c in columns.values() for c in table.header_needs)
                fits.append(((complete, len(columns), -rank), table, columns))
        if not fits:
            continue
        (complete, _n, _rank), table, columns = max(fits, key=lambda fit: fit[0])
        if complete:
            return index, table, columns
        partial = partial or (index, table, columns)
    return partial


def _header_problems(
    sheet: str, number: int, table: Table, cells: list[Any], columns: dict[int, Column]
) -> list[RowError]:
    """Unknown and repeated header cells, and needed columns the header does not name."""
    problems = []
    for position, value in enumerate(cells):
        text = as_text(value)
        if not text or position in columns:
            continue
        column = table.header_names.get(fold(text))
        if column is None:
            problems.append(RowError(sheet, number, text, _("Unknown column.")))
        else:
            problems.append(RowError(sheet, number, column.label, _("This column appears twice.")))
    for column in table.header_needs:
        if column not in columns.values():
            problems.append(RowError(sheet, number, column.label, _("This column is missing.")))
    return problems
