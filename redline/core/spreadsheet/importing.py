"""Running an import: read the file, let the import write it in one transaction, and keep
nothing when any row has a problem. From the web, an import runs as an on-demand job
(`redline.core.spreadsheet.jobs`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from redline.core.errors import DomainError
from redline.core.spreadsheet.reading import Batch, Rejected, Spreadsheet, read
from redline.core.spreadsheet.table import Row, RowError


@dataclass
class Outcome:
    """What an import did: its problems (none when it was written) and the rows it read."""

    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class _RolledBack(Exception):
    pass


def run(spreadsheet: Spreadsheet, file: Any, write: Callable[[Batch], Any]) -> Outcome:
    """Read `file` by `spreadsheet`. When the file, its sheets and headers are right,
    `write(batch)` runs in one transaction with every row, also those with problems, so
    that it can find more problems (records to match, a service's own checks): it reports
    them on the rows (`row.error`, `row.refused`) or on the batch (`batch.error`). If any
    row or the batch has a problem afterwards, everything it wrote is rolled back.

    A DomainError that `write` lets through (a permission, a conflict) rolls back too and
    reaches the caller."""
    try:
        batch = read(spreadsheet, file)
    except Rejected as rejected:
        return Outcome([RowError("", None, "", str(rejected))])
    if batch.problems:  # the rows are not checked under a wrong header
        return Outcome(batch.in_order(batch.problems), len(batch.rows))
    try:
        with transaction.atomic():
            write(batch)
            if batch.errors:
                raise _RolledBack
    except _RolledBack:
        pass
    return Outcome(batch.errors, len(batch.rows))


def each_row(
    save: Callable[[Row], Any], fields: Mapping[str, str] | None = None
) -> Callable[[Batch], None]:
    """The write step of an import whose rows are independent records: `save(row)` for
    every row read without problems, typically a call of the app's service; a DomainError
    it raises is the row's problem (`fields` maps the service's field names to column keys
    where they differ)."""

    def write(batch: Batch) -> None:
        for row in batch.rows:
            if not row.ok:
                continue
            try:
                save(row)
            except DomainError as failure:
                row.refused(failure, fields)

    return write
