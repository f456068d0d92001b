"""The one machinery of spreadsheet imports (and of the exports and templates made from the
same declaration).

An import is declared, not written:

    PEOPLE = Table(
        "培训记录 training",
        columns=(
            Column("person", "姓名", "Name", gettext_lazy("..."), required=True),
            Column("course", "课程", "Course", type=Choice(Course), required=True),
            Column("hours", "学时", "Hours", type=Decimal(places=1)),
            Column("passed", "是否合格", "Passed", type=Bool()),
            Column("day", "日期", "Date", type=Date(), required=True),
        ),
    )
    TRAINING = Spreadsheet((PEOPLE,), instructions="说明 instructions")

    def import_training(*, actor, file) -> Outcome:
        def save(row: Row) -> None:
            services.training_record(actor=actor, data=row.values)
        return run(TRAINING, file, each_row(save))

The template is `workbook(TRAINING)` (or `csv_template(PEOPLE)`), and a filled one reads
back. The machinery reads .xlsx (every sheet, or the first) and CSV (UTF-8 or GB18030),
within `MAX_BYTES` and `MAX_ROWS`; finds each sheet's header (under a title, in Chinese,
English, by key or whole label) and table; reads each cell by its column's type; and
reports every problem by sheet, row and column in the reader's language. Nothing is kept
unless every row is right. An import whose rows depend on each other (matching a tree of
records, one submission of many rows) gives `run` its own write step instead of `each_row`.
"""

from redline.core.spreadsheet.cells import (
    Bool,
    CellError,
    CellType,
    Choice,
    Count,
    Date,
    Decimal,
    Integer,
    Number,
    Text,
    Time,
    Vocabulary,
    Within,
    as_text,
    fold,
)
from redline.core.spreadsheet.formulas import text_cells
from redline.core.spreadsheet.importing import Outcome, each_row, run
from redline.core.spreadsheet.reading import (
    MAX_BYTES,
    MAX_ROWS,
    XLSX,
    Batch,
    Rejected,
    Spreadsheet,
    file_bytes,
    read,
)
from redline.core.spreadsheet.table import Column, Row, RowError, Table
from redline.core.spreadsheet.writing import csv_template, workbook

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "XLSX",
    "Batch",
    "Bool",
    "CellError",
    "CellType",
    "Choice",
    "Column",
    "Count",
    "Date",
    "Decimal",
    "Integer",
    "Number",
    "Outcome",
    "Rejected",
    "Row",
    "RowError",
    "Spreadsheet",
    "Table",
    "Text",
    "Time",
    "Vocabulary",
    "Within",
    "as_text",
    "csv_template",
    "each_row",
    "file_bytes",
    "fold",
    "read",
    "run",
    "text_cells",
    "workbook",
]
