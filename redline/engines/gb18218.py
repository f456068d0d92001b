"""GB 18218-2018: identification and grading of major hazard installations (重大危险源).

Per unit (production or storage):
    S = sum(q_i / Q_i)              the unit is a major hazard installation when S >= 1
    R = alpha * sum(beta_i * q_i / Q_i)
    grade 1 (R >= 100), 2 (50 <= R < 100), 3 (10 <= R < 50), 4 (R < 10)
Q comes from Table 1 (named substances) or Table 2 (hazard category); beta from Table 3
(named toxic gases) or Table 4 (category); alpha from Table 5 (people within 500 m).

The tables are data (CSV files read by `Tables.load`); the computation is vectorised
over any number of units with numpy. Framework-free: no Django.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

STANDARD = "GB18218-2018"
KINDS = ("production", "storage")
# Sums and R values are compared after rounding to this many decimals, so that inputs
# that are exactly on a boundary (S = 1, R = 10/50/100) are not pushed off it by
# binary floating point.
DECIMALS = 9
_CAS = re.compile(r"^\d{2,7}-\d{2}-\d$")


class GradingError(ValueError):
    """Bad input: names the unit and the field."""

    def __init__(self, unit: str, field: str, message: str):
        self.unit = unit
        self.field = field
        super().__init__(f"unit {unit}: {field}: {message}")


@dataclass(frozen=True)
class NamedSubstance:
    row: int
    name_zh: str
    name_en: str
    aliases: tuple[str, ...]
    cas: tuple[str, ...]
    threshold: float


@dataclass(frozen=True)
class Category:
    row: int
    symbol: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    threshold: float


@dataclass(frozen=True)
class ToxicGas:
    row: int
    name_zh: str
    name_en: str
    cas: str
    beta: float


def cas_is_valid(cas: str) -> bool:
    """CAS registry numbers carry a check digit: sum of digits x position, mod 10."""
    if not _CAS.match(cas):
        return False
    digits = cas.replace("-", "")
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (i + 1) for i, d in enumerate(reversed(body)))
    return total % 10 == check


def _base_name(name: str) -> str:
    return re.split(r"[(（\[［]", name, maxsplit=1)[0].strip()


@dataclass
class Tables:
    named: list[NamedSubstance]
    categories: dict[str, Category]
    toxic_gases: list[ToxicGas]
    category_beta: dict[str, float]
    alpha_bands: list[tuple[int, int | None, float, int]]  # (min, max, alpha, row)
    grade_bands: list[tuple[int, float | None, float | None, int]]  # (grade, min, max, row)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._resolved: dict[tuple[Any, ...], tuple[float, float | None, str, str | None, str]] = {}
        self._by_row = {s.row: s for s in self.named}
        self._by_cas: dict[str, list[NamedSubstance]] = {}
        self._by_name: dict[str, list[NamedSubstance]] = {}
        for s in self.named:
            for cas in s.cas:
                self._by_cas.setdefault(cas, []).append(s)
            names = {s.name_zh, *s.aliases}
            for name in names:
                self._by_name.setdefault(name, []).append(s)
        for s in self.named:  # the name without its condition in brackets, if not taken
            base = _base_name(s.name_zh)
            if base and base not in self._by_name:
                self._by_name.setdefault(f"~{base}", []).append(s)
        self._toxic_by_cas = {g.cas: g for g in self.toxic_gases}
        self._toxic_by_name = {g.name_zh: g for g in self.toxic_gases}
        alphas = sorted(self.alpha_bands, key=lambda b: b[0])
        self._alpha_edges = np.array([b[0] for b in alphas[1:]], dtype=np.int64)
        self._alpha_values = np.array([b[2] for b in alphas], dtype=np.float64)
        self._alpha_rows = [b[3] for b in alphas]
        grades = sorted(self.grade_bands, key=lambda b: -(b[1] if b[1] is not None else -1))
        # grades ordered from the highest R band (grade 1) down
        self._grade_floors = np.array(
            [b[1] if b[1] is not None else -np.inf for b in grades], dtype=np.float64
        )
        self._grade_values = np.array([b[0] for b in grades], dtype=np.int64)

    @classmethod
    def load(cls, directory: str | Path) -> Tables:
        root = Path(directory)

        def rows(name: str) -> list[dict[str, str]]:
            with open(root / name, encoding="utf-8", newline="") as handle:
                return list(csv.DictReader(handle))

        named = [
            NamedSubstance(
                row=int(r["row"]),
                name_zh=r["name_zh"],
                name_en=r["name_en"],
                aliases=tuple(a for a in r["aliases"].split(";") if a),
                cas=tuple(c for c in r["cas"].split(";") if c),
                threshold=float(r["threshold_t"]),
            )
            for r in rows("table1.csv")
        ]
        categories = {
            r["symbol"]: Category(
                row=int(r["row"]),
                symbol=r["symbol"],
                name_zh=r["category_zh"],
                name_en=r["category_en"],
                description_zh=r["description_zh"],
                description_en=r["description_en"],
                threshold=float(r["threshold_t"]),
            )
            for r in rows("table2.csv")
        }
        toxic = [
            ToxicGas(int(r["row"]), r["name_zh"], r["name_en"], r["cas"], float(r["beta"]))
            for r in rows("table3.csv")
        ]
        betas = {r["symbol"]: float(r["beta"]) for r in rows("table4.csv")}
        alphas = [
            (
                int(r["min_people"]),
                int(r["max_people"]) if r["max_people"] else None,
                float(r["alpha"]),
                int(r["row"]),
            )
            for r in rows("table5.csv")
        ]
        grades = [
            (
                int(r["grade"]),
                float(r["min_r"]) if r["min_r"] else None,
                float(r["max_r"]) if r["max_r"] else None,
                int(r["row"]),
            )
            for r in rows("table6.csv")
        ]
        meta = json.loads((root / "standard.json").read_text(encoding="utf-8"))
        return cls(named, categories, toxic, betas, alphas, grades, meta)

    # -- look-ups ------------------------------------------------------------------
    def named_by_row(self, row: int) -> NamedSubstance | None:
        return self._by_row.get(row)

    def named_by_cas(self, cas: str) -> list[NamedSubstance]:
        return self._by_cas.get(cas, [])

    def named_by_name(self, name: str) -> list[NamedSubstance]:
        return self._by_name.get(name) or self._by_name.get(f"~{name}", [])

    def toxic_gas(self, cas: str | None, name: str | None) -> ToxicGas | None:
        if cas and cas in self._toxic_by_cas:
            return self._toxic_by_cas[cas]
        if name and name in self._toxic_by_name:
            return self._toxic_by_name[name]
        return None

    def alpha(self, people: npt.ArrayLike) -> npt.NDArray[np.float64]:
        index = np.searchsorted(self._alpha_edges, np.asarray(people), side="right")
        return self._alpha_values[index]

    def alpha_row(self, people: int) -> int:
        return self._alpha_rows[int(np.searchsorted(self._alpha_edges, people, side="right"))]

    def grade(self, r_values: npt.ArrayLike) -> npt.NDArray[np.int64]:
        r = np.round(np.asarray(r_values, dtype=np.float64), DECIMALS)
        # the first band (from the top) whose floor the value reaches
        reached = r[:, None] >= self._grade_floors[None, :]
        return self._grade_values[np.argmax(reached, axis=1)]


class SubstanceLine(NamedTuple):
    """One resolved substance of a unit: its quantity, threshold and correction factor."""

    q: float
    threshold: float
    beta: float | None
    source: str
    beta_source: str | None
    label: str


@dataclass(frozen=True)
class UnitInput:
    id: str
    kind: str
    people_exposed: int
    lines: tuple[SubstanceLine, ...]


@dataclass(frozen=True)
class UnitResult:
    id: str
    kind: str
    ratio_sum: float
    is_major: bool
    alpha: float | None
    r_value: float | None
    grade: int | None
    lines: tuple[SubstanceLine, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "ratio_sum": _clean(self.ratio_sum),
            "is_major": self.is_major,
            "alpha": self.alpha,
            "r_value": _clean(self.r_value) if self.r_value is not None else None,
            "grade": self.grade,
            "substances": [
                {
                    "name": line.label,
                    "q": _clean(line.q),
                    "threshold": _clean(line.threshold),
                    "ratio": _clean(line.q / line.threshold),
                    "beta": _clean(line.beta) if line.beta is not None else None,
                    "source": line.source,
                    "beta_source": line.beta_source,
                }
                for line in self.lines
            ],
        }


def _clean(value: float) -> float | int:
    """Round away binary noise (12.399999999 -> 12.4) and print whole numbers as integers.

    The same precision as the decisions (DECIMALS), so a printed S of 1 is always major."""
    rounded = round(float(value), DECIMALS)
    return int(rounded) if rounded.is_integer() else rounded


def _number(unit: str, field: str, value: Any, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GradingError(unit, field, f"must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise GradingError(unit, field, f"must be zero or more, got {value!r}")
    if integer and float(value) != int(value):
        raise GradingError(unit, field, f"must be a whole number of people, got {value!r}")
    return float(value)


def resolve_substance(tables: Tables, unit: str, index: int, raw: Any) -> SubstanceLine:
    """Resolve one input substance to its threshold Q and beta (beta None if unknown)."""
    # Fast path: a plain quantity and an identification seen before (a city repeats the
    # same few hundred). Anything unusual goes through the full checks below.
    if type(raw) is dict:
        tonnes: Any = raw.get("tonnes")
        row = raw.get("row")
        if type(tonnes) in (int, float) and 0 <= tonnes < math.inf and type(row) is not bool:
            try:
                known = tables._resolved.get(
                    (raw.get("cas"), raw.get("name"), row, raw.get("category"))
                )
            except TypeError:  # an unhashable value: let the checks name it
                known = None
            if known is not None:
                return SubstanceLine(float(tonnes), *known)
    where = f"substances[{index}]"
    if not isinstance(raw, dict):
        raise GradingError(unit, where, "must be an object with cas, name or category")
    if "tonnes" not in raw:
        raise GradingError(unit, f"{where}.tonnes", "is required")
    q = _number(unit, f"{where}.tonnes", raw["tonnes"])
    cas = raw.get("cas")
    name = raw.get("name")
    row = raw.get("row")
    category_symbol = raw.get("category")
    # Remember this identification when it is made of plain values (see the fast path).
    plain = all(v is None or type(v) in (str, int) for v in (cas, name, row, category_symbol))
    key = (cas, name, row, category_symbol) if plain else None
    category = None
    if category_symbol is not None:
        category = tables.categories.get(str(category_symbol))
        if category is None:
            symbols = ", ".join(tables.categories)
            raise GradingError(
                unit,
                f"{where}.category",
                f"unknown hazard category {category_symbol!r} ({symbols})",
            )
    named: NamedSubstance | None = None
    if row is not None:
        valid_row = isinstance(row, int) and not isinstance(row, bool)
        named = tables.named_by_row(row) if valid_row else None
        if named is None:
            raise GradingError(unit, f"{where}.row", f"no row {row!r} in Table 1")
    elif cas is not None:
        if not isinstance(cas, str) or not cas_is_valid(cas.strip()):
            raise GradingError(unit, f"{where}.cas", f"{cas!r} is not a valid CAS number")
        found = tables.named_by_cas(cas.strip())
        if len(found) > 1:
            rows = ", ".join(str(s.row) for s in found)
            raise GradingError(
                unit,
                f"{where}.cas",
                f'CAS {cas} stands in Table 1 rows {rows} (by concentration); give "row"',
            )
        named = found[0] if found else None
        if named is None and category is None:
            raise GradingError(
                unit, f"{where}.cas", f"CAS {cas} is not in Table 1; give its hazard category"
            )
    elif name is not None:
        found = tables.named_by_name(str(name).strip())
        if len(found) > 1:
            rows = ", ".join(str(s.row) for s in found)
            raise GradingError(
                unit, f"{where}.name", f'{name} stands in Table 1 rows {rows}; give "row"'
            )
        named = found[0] if found else None
        if named is None and category is None:
            raise GradingError(
                unit, f"{where}.name", f"{name} is not in Table 1; give its hazard category"
            )
    elif category is None:
        raise GradingError(unit, where, "identify the substance by cas, name or category")

    toxic = tables.toxic_gas(
        cas.strip() if isinstance(cas, str) else None,
        str(name).strip() if name is not None else None,
    )
    if named is not None:
        toxic = toxic or tables.toxic_gas(named.cas[0] if named.cas else None, named.name_zh)
        threshold = named.threshold
        source = f"{STANDARD} Table 1 row {named.row}"
        label = named.name_zh
    else:
        assert category is not None
        threshold = category.threshold
        source = f"{STANDARD} Table 2 {category.symbol}"
        label = str(name or cas or category.symbol)
    if toxic is not None:
        beta: float | None = toxic.beta
        beta_source: str | None = f"{STANDARD} Table 3 row {toxic.row}"
    elif category is not None:
        beta = tables.category_beta[category.symbol]
        beta_source = f"{STANDARD} Table 4 {category.symbol}"
    else:
        beta, beta_source = None, None
    if key is not None:
        tables._resolved[key] = (threshold, beta, source, beta_source, label)
    return SubstanceLine(q, threshold, beta, source, beta_source, label)


def parse_units(tables: Tables, payload: Any) -> list[UnitInput]:
    """Validate and resolve the whole input before any computation (all or nothing)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("units"), list):
        raise GradingError("-", "units", 'the input must be {"units": [...]}')
    units: list[UnitInput] = []
    seen: set[str] = set()
    for position, raw in enumerate(payload["units"]):
        if not isinstance(raw, dict):
            raise GradingError(f"#{position + 1}", "unit", "must be an object")
        unit_id = raw.get("id")
        if not isinstance(unit_id, str | int) or str(unit_id).strip() == "":
            raise GradingError(f"#{position + 1}", "id", "is required")
        unit_id = str(unit_id)
        if unit_id in seen:
            raise GradingError(unit_id, "id", "appears twice")
        seen.add(unit_id)
        kind = raw.get("kind")
        if kind not in KINDS:
            raise GradingError(unit_id, "kind", f"must be production or storage, got {kind!r}")
        if "people_exposed" not in raw or raw["people_exposed"] is None:
            raise GradingError(unit_id, "people_exposed", "is required")
        people = int(_number(unit_id, "people_exposed", raw["people_exposed"], integer=True))
        substances = raw.get("substances")
        if not isinstance(substances, list) or not substances:
            raise GradingError(unit_id, "substances", "give at least one substance")
        lines = tuple(resolve_substance(tables, unit_id, i, s) for i, s in enumerate(substances))
        units.append(UnitInput(unit_id, kind, people, lines))
    return units


def grade_arrays(
    tables: Tables,
    unit_index: npt.NDArray[np.int64],
    q: npt.NDArray[np.float64],
    threshold: npt.NDArray[np.float64],
    beta: npt.NDArray[np.float64],
    people: npt.NDArray[np.int64],
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.int64],
]:
    """The vectorised core. One row per substance line (unit_index says whose); people per
    unit. Returns S, is_major, alpha, R and grade per unit (R and grade meaningful only
    where is_major). A unit with a line whose beta is unknown (NaN) gets R = NaN and
    grade 0: its beta must be given before it can be graded."""
    n_units = len(people)
    ratio = q / threshold
    s = np.round(np.bincount(unit_index, weights=ratio, minlength=n_units), DECIMALS)
    unknown = np.bincount(unit_index, weights=np.isnan(beta), minlength=n_units) > 0
    weighted = np.bincount(unit_index, weights=np.nan_to_num(beta) * ratio, minlength=n_units)
    alpha = tables.alpha(people)
    r = np.round(alpha * weighted, DECIMALS)
    r[unknown] = np.nan
    is_major = s >= 1.0
    grade = np.where(unknown, 0, tables.grade(np.nan_to_num(r)))
    return s, is_major, alpha, r, grade


def grade_units(tables: Tables, units: Sequence[UnitInput]) -> list[UnitResult]:
    lines = [line for unit in units for line in unit.lines]
    unit_index = np.repeat(np.arange(len(units)), [len(u.lines) for u in units])
    q = np.array([line.q for line in lines], dtype=np.float64)
    threshold = np.array([line.threshold for line in lines], dtype=np.float64)
    beta = np.array(
        [line.beta if line.beta is not None else np.nan for line in lines], dtype=np.float64
    )
    people = np.array([u.people_exposed for u in units], dtype=np.int64)
    s, is_major, alpha, r, grade = grade_arrays(tables, unit_index, q, threshold, beta, people)
    results = []
    for i, unit in enumerate(units):
        major = bool(is_major[i])
        if major:
            missing = [j for j, line in enumerate(unit.lines) if line.beta is None]
            if missing:
                j = missing[0]
                raise GradingError(
                    unit.id,
                    f"substances[{j}].category",
                    f"{unit.lines[j].label} ({unit.lines[j].source}) is not a Table 3 toxic "
                    "gas: give its hazard category so that beta can be taken from Table 4",
                )
        results.append(
            UnitResult(
                id=unit.id,
                kind=unit.kind,
                ratio_sum=float(s[i]),
                is_major=major,
                alpha=float(alpha[i]) if major else None,
                r_value=float(r[i]) if major else None,
                grade=int(grade[i]) if major else None,
                lines=unit.lines,
            )
        )
    return results


def grade_payload(tables: Tables, payload: Any) -> dict[str, Any]:
    """The CLI/API contract: {"units": [...]} in, {"units": [...]} out, same order."""
    results = grade_units(tables, parse_units(tables, payload))
    return {"units": [result.as_dict() for result in results]}


def iter_cas_problems(tables: Tables) -> Iterable[str]:
    """Data check: every CAS number in the tables carries a valid check digit."""
    for substance in tables.named:
        for cas in substance.cas:
            if not cas_is_valid(cas):
                yield f"Table 1 row {substance.row}: {cas}"
    for gas in tables.toxic_gases:
        if not cas_is_valid(gas.cas):
            yield f"Table 3 row {gas.row}: {gas.cas}"
