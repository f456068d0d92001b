"""Excel (.xlsx) import and export of an enterprise's risk inventory, in the ledger layout
enterprises keep (风险分级管控清单): one sheet, one row per control measure.

An event without measures is one row with empty measure columns; a unit without events,
or an object without units, is a row with only its own columns, so an export holds the
whole inventory. Headers are bilingual ("分析对象 Analysis object"); an import accepts the
Chinese part, the English part, the whole label or the column's key. Vocabulary cells take
the code or the label in any of the site's languages.

The ledger is declared in `columns.py` and read, checked and written by the one spreadsheet
machinery (`redline.core.spreadsheet`). An import is all or nothing. Every row is read and
checked first, and every problem is reported with its Excel row and column; only a clean
file is applied, in one transaction, through the services (which check access, validate and
audit again). Records are matched by name: an object within the enterprise, a unit within
its object, an event within its unit, a measure by its text within its event (the n-th
repeat of a text matches the n-th oldest such measure). Records that are already as the
file says are not written; nothing absent from the file is archived.
"""

from redline.risk.spreadsheet.columns import (
    COLUMN,
    COLUMNS,
    CONTENT_TYPE,
    ImportResult,
)
from redline.risk.spreadsheet.exporting import export_inventory
from redline.risk.spreadsheet.importing import import_inventory

__all__ = [
    "COLUMN",
    "COLUMNS",
    "CONTENT_TYPE",
    "ImportResult",
    "export_inventory",
    "import_inventory",
]
