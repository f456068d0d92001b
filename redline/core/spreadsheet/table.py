"""Declaring what an import reads: a `Table` (one kind of sheet) of `Column`s, each with its
header names in Chinese and English, its type and whether a cell may be empty; and a `Row`,
one record read by a table, with its values and its problems."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from redline.core.errors import DomainError
from redline.core.spreadsheet.cells import TEXT, CellError, CellType, as_text, fold


@dataclass(frozen=True)
class Column:
    """One column. A header may name it by its Chinese name, its English name (in any site
    language), its key, or its whole label."""

    key: str
    zh: str
    en: str | Promise
    help: str | Promise = ""
    type: CellType = TEXT
    required: bool = False  # every row must fill it (and so the header must name it)
    missing: str | Promise | None = None  # what a required empty cell is told; a default
    computed: bool = False  # written by an export, ignored by an import
    coded: bool = False  # set by its table: labelled "zh key" instead of "zh en"

    @property
    def label(self) -> str:
        """How templates write the header and errors name the column: the Chinese name and
        the English one (not translated: the header is bilingual whatever the reader's
        language, never "姓名 名称"), or the key for a coded table."""
        if self.coded:
            return f"{self.zh} {self.key}"
        with translation.override("en"):
            return f"{self.zh} {self.en}"

    def names(self) -> set[str]:
        found = {fold(self.key), fold(self.zh), fold(self.label)}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                found |= {fold(str(self.en)), fold(f"{self.zh} {self.en}")}
        return found


@dataclass(frozen=True)
class RowError:
    """A problem of a file: its `sheet` ("" for a CSV or the file as a whole), `row` as the
    spreadsheet shows it (None for the file or the sheet as a whole), `column` (its label,
    the header text of an unknown column, or "") and `message` in the reader's language."""

    sheet: str
    row: int | None
    column: str
    message: str


@dataclass(frozen=True, eq=False)
class Table:
    """One kind of sheet. `name`: the sheet's title in a workbook written from it. `coded`:
    the columns are labelled "zh key", and a CSV template's header is the keys. `needed`:
    columns the header must name although their cells may be empty."""

    name: str
    columns: tuple[Column, ...]
    coded: bool = False
    needed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.coded:
            coded = tuple(replace(column, coded=True) for column in self.columns)
            object.__setattr__(self, "columns", coded)
        keys = [column.key for column in self.columns]
        if len(set(keys)) != len(keys) or not set(self.needed) <= set(keys):
            raise ValueError(f"{self.name}: column keys repeat or `needed` names no column")

    @cached_property
    def by_key(self) -> dict[str, Column]:
        return {column.key: column for column in self.columns}

    @cached_property
    def read_columns(self) -> tuple[Column, ...]:
        """The columns an import reads (not the computed ones), in order."""
        return tuple(column for column in self.columns if not column.computed)

    @cached_property
    def header_names(self) -> dict[str, Column]:
        """Each folded header name and its column; a name two columns share is a
        declaration error."""
        names: dict[str, Column] = {}
        for column in self.columns:
            for name in column.names():
                if names.setdefault(name, column) is not column:
                    raise ValueError(f"{self.name}: {name!r} names two columns")
        return names

    @property
    def header_needs(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required or c.key in self.needed)

    def order(self, key: str) -> int:
        """A column's place, for sorting problems ("" -- the row as a whole -- first)."""
        return -1 if key == "" else self.columns.index(self.by_key[key])

    def read(self, cells: Mapping[str, Any], number: int, sheet: str = "") -> Row:
        """A row from its cells (by column key): each cell read by its column's type, in
        order; an empty or unreadable cell's value is None."""
        row = Row(self, number, {c.key: cells.get(c.key) for c in self.read_columns}, sheet)
        for column in self.read_columns:
            value = row.raw[column.key]
            row.values[column.key] = None
            if as_text(value) == "":
                if column.required:
                    row.require(column.key)
                continue
            try:
                row.values[column.key] = column.type.read(value, row.values)
            except CellError as error:
                row.error(column.key, str(error))
        return row

    def record(self, given: Row | Mapping[str, Any] | Sequence[Any], position: int) -> Row:
        """A row given outside a file (an API body, a form): a mapping by column key, with an
        optional `row` number to report problems under, or a sequence in column order; a
        row already read is kept as it is."""
        if isinstance(given, Row):
            return given
        if isinstance(given, Mapping):
            number = given.get("row")
            cells = {column.key: given.get(column.key) for column in self.read_columns}
        else:
            items, number = list(given), None
            cells = {c.key: v for c, v in zip(self.read_columns, items, strict=False)}
        return self.read(cells, number if isinstance(number, int) and number > 0 else position)


class Row:
    """One record read by a table: `raw` cells and read `values` by column key, `number` (as
    the spreadsheet shows it, or the position in a request), `sheet`, and its problems."""

    def __init__(self, table: Table, number: int, raw: dict[str, Any], sheet: str = "") -> None:
        self.table = table
        self.number = number
        self.raw = raw
        self.sheet = sheet
        self.values: dict[str, Any] = {}
        self.errors: list[tuple[str, str]] = []  # (column key or "" for the row, message)

    def __repr__(self) -> str:
        return f"<Row {self.sheet}:{self.number} {self.values} {self.errors}>"

    def __getitem__(self, key: str) -> Any:
        """The read value; None when the cell is empty or could not be read."""
        return self.values.get(key)

    def text(self, key: str) -> str:
        return as_text(self.raw.get(key))

    def filled(self, key: str) -> bool:
        return self.text(key) != ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, key: str, message: str) -> None:
        self.errors.append((key, str(message)))

    def require(self, *keys: str) -> None:
        """A problem for each of these cells that is empty."""
        for key in keys:
            if not self.filled(key):
                missing = self.table.by_key[key].missing
                self.error(key, str(missing) if missing else _("This field is required."))

    def refused(self, failure: DomainError, fields: Mapping[str, str] | None = None) -> None:
        """A service's refusal of this row: each field's message on its column (`fields`
        maps a service field to a column key; otherwise a field named like a column, or
        like one with dots for underscores, is that column), the rest on the row."""
        fields = fields or {}
        for name, message in failure.fields.items():
            key = fields.get(name) or next(
                (k for k in (name, name.replace(".", "_")) if k in self.table.by_key), ""
            )
            shown = message if key or name == "__all__" else f"{name}: {message}"
            self.error(key, shown)
        if not failure.fields:
            self.error("", failure.message)

    def problems(self) -> list[tuple[str, str]]:
        """The problems in column order (those of the row as a whole first)."""
        return sorted(self.errors, key=lambda error: self.table.order(error[0]))

    def row_errors(self) -> list[RowError]:
        return [
            RowError(self.sheet, self.number, self.table.by_key[key].label if key else "", message)
            for key, message in self.problems()
        ]
