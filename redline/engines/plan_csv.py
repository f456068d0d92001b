"""Reading the inspection planner's input files (`redline plan-inspections`, docs/cli.md).

`targets.csv`: id,name,sector,region,risk_level,standardisation_grade
`inspectors.csv`: id,name,department,region,sectors,capacity,recuse

UTF-8 (a byte-order mark is allowed), comma-separated, a header row naming the columns (in any
order; other columns are ignored), blank lines skipped. Values are stripped of surrounding
spaces; `sectors` and `recuse` are `;`-separated lists (empty items ignored). Every problem
raises PlanInputError naming the file, the line and the field. Framework-free: no Django.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import NamedTuple

from redline.engines.inspection_plan import Inspector, PlanInputError, Target
from redline.engines.plan_rules import RISK_LEVELS, SECTORS

TARGET_COLUMNS = ("id", "name", "sector", "region", "risk_level", "standardisation_grade")
INSPECTOR_COLUMNS = ("id", "name", "department", "region", "sectors", "capacity", "recuse")
MAX_CAPACITY = 100_000
_WHOLE = re.compile(r"[0-9]+")


class Row(NamedTuple):
    line: int
    values: dict[str, str]


def decode(data: bytes, source: str) -> str:
    """The file's text; not UTF-8 names the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PlanInputError(f"{source}: line {line}: not UTF-8 text") from None


def _rows(text: str, source: str, columns: tuple[str, ...]) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        header: list[str] | None = None
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in cells]
                for name in columns:
                    if name not in header:
                        raise PlanInputError(
                            f"{source}: line {reader.line_num}: {name}: missing column"
                        )
                for name in set(header):
                    if name and header.count(name) > 1:
                        raise PlanInputError(
                            f"{source}: line {reader.line_num}: {name}: column given twice"
                        )
                continue
            if len(cells) != len(header):
                raise PlanInputError(
                    f"{source}: line {reader.line_num}: has {len(cells)} fields, "
                    f"the header {len(header)}"
                )
            values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
            yield Row(reader.line_num, {name: values[name] for name in columns})
        if header is None:
            raise PlanInputError(f"{source}: line 1: missing header ({','.join(columns)})")
    except csv.Error as error:
        raise PlanInputError(f"{source}: line {reader.line_num}: {error}") from None


def _required(row: Row, source: str, name: str) -> str:
    value = row.values[name]
    if not value:
        raise PlanInputError(f"{source}: line {row.line}: {name}: must not be empty")
    return value


def _choice(row: Row, source: str, name: str, allowed: tuple[str, ...]) -> str:
    value = _required(row, source, name)
    if value not in allowed:
        raise PlanInputError(
            f"{source}: line {row.line}: {name}: unknown {name.replace('_', ' ')} {value!r} "
            f"(one of {', '.join(allowed)})"
        )
    return value


def _id(row: Row, source: str, seen: dict[str, int]) -> str:
    value = _required(row, source, "id")
    if ";" in value:
        raise PlanInputError(f"{source}: line {row.line}: id: must not contain ';'")
    if value in seen:
        raise PlanInputError(
            f"{source}: line {row.line}: id: duplicate id {value!r} (first on line {seen[value]})"
        )
    seen[value] = row.line
    return value


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def read_targets(text: str, source: str = "targets.csv") -> list[Target]:
    seen: dict[str, int] = {}
    targets = []
    for row in _rows(text, source, TARGET_COLUMNS):
        target_id = _id(row, source, seen)
        grade_text = row.values["standardisation_grade"]
        if grade_text not in ("", "1", "2", "3"):
            raise PlanInputError(
                f"{source}: line {row.line}: standardisation_grade: must be 1, 2, 3 or empty, "
                f"got {grade_text!r}"
            )
        targets.append(
            Target(
                id=target_id,
                name=_required(row, source, "name"),
                sector=_choice(row, source, "sector", SECTORS),
                region=row.values["region"],
                risk_level=_choice(row, source, "risk_level", RISK_LEVELS),
                standardisation_grade=int(grade_text) if grade_text else None,
            )
        )
    return targets


def read_inspectors(
    text: str, target_ids: set[str], source: str = "inspectors.csv"
) -> list[Inspector]:
    seen: dict[str, int] = {}
    inspectors = []
    for row in _rows(text, source, INSPECTOR_COLUMNS):
        inspector_id = _id(row, source, seen)
        sectors = _items(row.values["sectors"])
        for sector in sectors:
            if sector not in SECTORS:
                raise PlanInputError(
                    f"{source}: line {row.line}: sectors: unknown sector {sector!r} "
                    f"(one of {', '.join(SECTORS)})"
                )
        capacity_text = row.values["capacity"]
        if not _WHOLE.fullmatch(capacity_text) or int(capacity_text) > MAX_CAPACITY:
            raise PlanInputError(
                f"{source}: line {row.line}: capacity: must be a whole number from 0 to "
                f"{MAX_CAPACITY}, got {capacity_text!r}"
            )
        recuse = _items(row.values["recuse"])
        for target_id in recuse:
            if target_id not in target_ids:
                raise PlanInputError(
                    f"{source}: line {row.line}: recuse: unknown target id {target_id!r}"
                )
        inspectors.append(
            Inspector(
                id=inspector_id,
                name=_required(row, source, "name"),
                department=row.values["department"],
                region=row.values["region"],
                sectors=frozenset(sectors),
                capacity=int(capacity_text),
                recuse=frozenset(recuse),
            )
        )
    return inspectors
