"""GB 18218-2018: identification and grading of major hazard installations (重大危险源).

Per unit (production or storage):
    S = sum(q_i / Q_i)              the unit is a major hazard installation when S >= 1
    R = alpha * sum(beta_i * q_i / Q_i)
    grade 1 (R >= 100), 2 (50 <= R < 100), 3 (10 <= R < 50), 4 (R < 10)
Q comes from Table 1 (named substances) or Table 2 (hazard category); beta from Table 3
(named toxic gases) or Table 4 (category); alpha from Table 5 (people within 500 m).

The tables are data (CSV files read by `Tables.load`); the computation is vectorised
over any number of units with numpy. Framework-free: no Django.

The path of a payload: `parse_units` checks it and resolves each substance line (a line
naming a substance as an earlier one did reuses that resolution) into columns (`Batch`);
`grade_batch` grades the columns with the core (`grade_arrays`) into `Graded`, which gives
the contract's result dicts (`grade_payload`, for the API and the pages) or its JSON text
(`grade_payload_json`; in pieces, `grade_payload_pieces`, for the command line).
"""

from __future__ import annotations

import csv
import gc
import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # a str as json.dumps(ensure_ascii=False) writes it
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

STANDARD = "GB18218-2018"
KINDS = ("production", "storage")
# Sums and R values are compared after rounding to this many decimals, so that inputs
# that are exactly on a boundary (S = 1, R = 10/50/100) are not pushed off it by
# binary floating point.
DECIMALS = 9
_CAS = re.compile(r"^\d{2,7}-\d{2}-\d$")
# How many distinct identifications (cas, name, row, category) the tables remember.
MEMORY = 10_000
# Substance lines in each piece of the JSON text (`Graded.json_pieces`): about a megabyte of
# text, written while the next is made rather than a few hundred megabytes held at once.
PIECE_LINES = 4096


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
        self._entries: dict[tuple[Any, ...], Entry] = {}  # see resolve_substance
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


@dataclass(frozen=True, slots=True)
class Entry:
    """A resolved identification of a substance: its threshold Q, its beta (None when
    unknown) and where each comes from, with the parts of a result line that do not depend
    on the quantity. Every line naming the same substance the same way shares one."""

    threshold: float
    beta: float | None
    source: str
    beta_source: str | None
    label: str
    beta_or_nan: float
    threshold_out: float | int
    beta_out: float | int | None
    # The line's text in the output JSON (`json.dumps(..., indent=2)`), around q and ratio.
    head: str
    middle: str
    tail: str

    @classmethod
    def of(
        cls, threshold: float, beta: float | None, source: str, beta_source: str | None, label: str
    ) -> Entry:
        threshold_out = _clean(threshold)
        beta_out = _clean(beta) if beta is not None else None
        return cls(
            threshold=threshold,
            beta=beta,
            source=source,
            beta_source=beta_source,
            label=label,
            beta_or_nan=beta if beta is not None else math.nan,
            threshold_out=threshold_out,
            beta_out=beta_out,
            head=f'        {{\n          "name": {_json(label)},\n          "q": ',
            middle=f',\n          "threshold": {_json(threshold_out)},\n          "ratio": ',
            tail=(
                f',\n          "beta": {_json(beta_out)},\n          "source": {_json(source)},'
                f'\n          "beta_source": {_json(beta_source)}\n        }}'
            ),
        )


def _clean(value: float) -> float | int:
    """Round away binary noise (12.399999999 -> 12.4) and print whole numbers as integers.

    The same precision as the decisions (DECIMALS), so a printed S of 1 is always major."""
    rounded = round(float(value), DECIMALS)
    return int(rounded) if rounded.is_integer() else rounded


def _clean_all(values: npt.NDArray[np.float64]) -> list[float | int]:
    """`_clean` of each value, the same numbers, found with numpy where that is exact.

    With p = values * 1e9 (rounding error at most half a unit in its last place) and k the
    whole number nearest p: where |p - k| plus one unit in the last place of p is below 1/2,
    the value is surely nearer to k / 10**9 than to any other multiple of 10**-9, so `round`
    (correct decimal rounding) gives the double nearest k / 10**9, which is what the
    division k / 1e9 gives (IEEE division is correctly rounded; k < 2**53 and 1e9 are
    exact). Only the others (within a rounding error of a half, huge, not finite) go
    through `round` one by one."""
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = values * 1e9
        whole = np.rint(scaled)
        sure = (np.abs(scaled - whole) + np.spacing(np.abs(scaled)) < 0.5) & (
            np.abs(whole) < 2.0**53
        )
        rounded = np.where(sure, whole / 1e9, values)
        integral = sure & (rounded == np.floor(rounded))
    cleaned: list[float | int] = rounded.tolist()
    for i in np.flatnonzero(integral).tolist():
        cleaned[i] = int(cleaned[i])
    for i in np.flatnonzero(~sure).tolist():
        cleaned[i] = _clean(cleaned[i])
    return cleaned


def _json(value: str | float | None) -> str:
    """A scalar as `json.dumps(value, ensure_ascii=False)` writes it."""
    return json.dumps(value, ensure_ascii=False)


def _number(unit: str, field: str, value: Any, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GradingError(unit, field, f"must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise GradingError(unit, field, f"must be zero or more, got {value!r}")
    if integer and float(value) != int(value):
        raise GradingError(unit, field, f"must be a whole number of people, got {value!r}")
    return float(value)


def resolve_substance(tables: Tables, unit: str, index: int, raw: Any) -> tuple[float, Entry]:
    """Check one input substance; its quantity in tonnes and its resolved identification.

    An identification made of plain values (strings, a row number) is remembered on the
    tables, so that the next line naming the substance the same way skips the checks."""
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
    entry = Entry.of(threshold, beta, source, beta_source, label)
    # Only strings and a whole row number are remembered: a key equal to one of them (in
    # Python 1.0 == 1 == True) is then taken from memory only when its row is an int too.
    plain = all(v is None or type(v) is str for v in (cas, name, category_symbol)) and (
        row is None or type(row) is int
    )
    if plain and len(tables._entries) < MEMORY:
        tables._entries[(cas, name, row, category_symbol)] = entry
    return q, entry


@dataclass(frozen=True)
class Batch:
    """Checked input, column by column: per unit its id, kind, people within 500 m and
    number of substance lines; per line (the units' lines one after another) its tonnes and
    resolved identification."""

    ids: list[str]
    kinds: list[str]
    people: list[int]
    counts: list[int]
    tonnes: list[float]
    entries: list[Entry]


def parse_units(tables: Tables, payload: Any) -> Batch:
    """Validate and resolve the whole input before any computation (all or nothing).

    The first error in the input's order is reported. A substance line whose quantity is a
    plain number and whose identification was resolved before takes the remembered
    resolution; anything else goes through every check (`resolve_substance`)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("units"), list):
        raise GradingError("-", "units", 'the input must be {"units": [...]}')
    ids: list[str] = []
    kinds: list[str] = []
    people: list[int] = []
    counts: list[int] = []
    tonnes: list[float] = []
    entries: list[Entry] = []
    add_tonnes, add_entry = tonnes.append, entries.append
    memory = tables._entries
    seen: set[str] = set()
    for position, raw in enumerate(payload["units"]):
        if not isinstance(raw, dict):
            raise GradingError(f"#{position + 1}", "unit", "must be an object")
        unit_id = raw.get("id")
        if type(unit_id) is not str or not unit_id.strip():
            if not isinstance(unit_id, str | int) or str(unit_id).strip() == "":
                raise GradingError(f"#{position + 1}", "id", "is required")
            unit_id = str(unit_id)
        if unit_id in seen:
            raise GradingError(unit_id, "id", "appears twice")
        seen.add(unit_id)
        kind = raw.get("kind")
        if kind not in KINDS:
            raise GradingError(unit_id, "kind", f"must be production or storage, got {kind!r}")
        persons = raw.get("people_exposed")
        if type(persons) is not int or persons < 0:
            if persons is None:
                raise GradingError(unit_id, "people_exposed", "is required")
            persons = int(_number(unit_id, "people_exposed", persons, integer=True))
        substances = raw.get("substances")
        if not isinstance(substances, list) or not substances:
            raise GradingError(unit_id, "substances", "give at least one substance")
        for index, item in enumerate(substances):
            if type(item) is dict:
                amount = item.get("tonnes")
                row = item.get("row")
                try:
                    entry = memory.get(
                        (item.get("cas"), item.get("name"), row, item.get("category"))
                    )
                except TypeError:  # an unhashable value: let the checks name it
                    entry = None
                if (
                    entry is not None
                    and (row is None or type(row) is int)
                    and (type(amount) is float or type(amount) is int)
                    and 0 <= amount < math.inf
                ):
                    add_tonnes(amount)
                    add_entry(entry)
                    continue
            amount, entry = resolve_substance(tables, unit_id, index, item)
            add_tonnes(amount)
            add_entry(entry)
        ids.append(unit_id)
        kinds.append(kind)
        people.append(persons)
        counts.append(len(substances))
    return Batch(ids, kinds, people, counts, tonnes, entries)


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


# The end of a unit that is not major, in the output JSON.
_NOT_MAJOR = 'false,\n      "alpha": null,\n      "r_value": null,\n      "grade": null'


@dataclass(frozen=True)
class Graded:
    """The graded units, column by column, as the result prints them (`_clean`ed). alpha,
    r_value and grade are None where the unit is not major."""

    batch: Batch
    ratio_sum: list[float | int]
    is_major: list[bool]
    alpha: list[float | None]
    r_value: list[float | int | None]
    grade: list[int | None]
    q: list[float | int]  # per substance line
    ratio: list[float | int]  # per substance line
    finite: bool  # every printed number is finite (JSON has no Infinity)

    def as_dicts(self) -> dict[str, Any]:
        """The contract's result: {"units": [...]} in the input's order."""
        lines = [
            {
                "name": entry.label,
                "q": q,
                "threshold": entry.threshold_out,
                "ratio": ratio,
                "beta": entry.beta_out,
                "source": entry.source,
                "beta_source": entry.beta_source,
            }
            for entry, q, ratio in zip(self.batch.entries, self.q, self.ratio, strict=True)
        ]
        units = []
        end = 0
        for unit_id, kind, count, s, major, alpha, r, grade in self._units():
            start, end = end, end + count
            units.append(
                {
                    "id": unit_id,
                    "kind": kind,
                    "ratio_sum": s,
                    "is_major": major,
                    "alpha": alpha,
                    "r_value": r,
                    "grade": grade,
                    "substances": lines[start:end],
                }
            )
        return {"units": units}

    def _units(self) -> Iterator[tuple[Any, str, int, Any, bool, Any, Any, Any]]:
        """Each unit's id, kind, number of lines and grading, in input order."""
        batch = self.batch
        return zip(
            batch.ids,
            batch.kinds,
            batch.counts,
            self.ratio_sum,
            self.is_major,
            self.alpha,
            self.r_value,
            self.grade,
            strict=True,
        )

    def as_json(self) -> str:
        """`json.dumps(self.as_dicts(), ensure_ascii=False, indent=2)`: its pieces joined."""
        return "".join(self.json_pieces())

    def json_pieces(self, lines: int = PIECE_LINES) -> Iterator[str]:
        """`json.dumps(self.as_dicts(), ensure_ascii=False, indent=2)` written directly, in
        pieces of `lines` substance lines, so that a large result (some hundred megabytes)
        can be written as it is made instead of being held whole. The parts of a line that
        depend only on its substance are written once per substance (`Entry`)."""
        if not self.finite:  # Infinity: rare enough for the general encoder
            yield json.dumps(self.as_dicts(), ensure_ascii=False, indent=2)
            return
        batch = self.batch
        if not batch.ids:
            yield '{\n  "units": []\n}'
            return
        # A line's text is its substance's beginning (the same str for every line naming
        # it, with the name: often not ASCII) then its own numbers and what follows it:
        # "," or the end of its unit and the beginning of the next.
        after = [",\n"] * len(batch.entries)
        kinds = {kind: _json(kind) for kind in KINDS}
        first = ""  # the beginning of the first unit
        end = 0
        for unit_id, kind, count, s, major, alpha, r, grade in self._units():
            grading = (
                f'true,\n      "alpha": {alpha!r},\n      "r_value": {r!r},'
                f'\n      "grade": {grade!r}'
                if major
                else _NOT_MAJOR
            )
            unit = (
                f'    {{\n      "id": {encode_basestring(unit_id)},\n      "kind": {kinds[kind]},'
                f'\n      "ratio_sum": {s!r},\n      "is_major": {grading},'
                '\n      "substances": [\n'
            )
            if end:
                after[end - 1] = "\n      ]\n    },\n" + unit
            else:
                first = unit
            end += count
        after[-1] = "\n      ]\n    }\n  ]\n}"
        rows = zip(batch.entries, self.q, self.ratio, after, strict=True)
        piece = '{\n  "units": [\n' + first
        while piece:
            yield piece
            piece = "".join(
                [
                    f"{entry.head}{q!r}{entry.middle}{ratio!r}{entry.tail}{following}"
                    for entry, q, ratio, following in itertools.islice(rows, lines)
                ]
            )


def grade_batch(tables: Tables, batch: Batch) -> Graded:
    """Grade checked units with the vectorised core. A major unit needs beta for each of its
    substances: the first that lacks it (in the input's order) is refused."""
    entries = batch.entries
    q = np.array(batch.tonnes, dtype=np.float64)
    threshold = np.array([entry.threshold for entry in entries], dtype=np.float64)
    beta = np.array([entry.beta_or_nan for entry in entries], dtype=np.float64)
    unit_index = np.repeat(np.arange(len(batch.ids), dtype=np.int64), batch.counts)
    people = np.array(batch.people, dtype=np.int64)
    s, is_major, alpha, r, grade = grade_arrays(tables, unit_index, q, threshold, beta, people)
    blocked = np.flatnonzero(np.isnan(beta) & is_major[unit_index])
    if len(blocked):
        line = int(blocked[0])
        unit = int(unit_index[line])
        j = line - int(np.searchsorted(unit_index, unit))
        entry = entries[line]
        raise GradingError(
            batch.ids[unit],
            f"substances[{j}].category",
            f"{entry.label} ({entry.source}) is not a Table 3 toxic "
            "gas: give its hazard category so that beta can be taken from Table 4",
        )
    with np.errstate(over="ignore"):  # an overflow was reported by the core already
        ratio = q / threshold
    majors = is_major.tolist()
    return Graded(
        batch=batch,
        ratio_sum=_clean_all(s),
        is_major=majors,
        alpha=[a if m else None for a, m in zip(alpha.tolist(), majors, strict=True)],
        r_value=[x if m else None for x, m in zip(_clean_all(r), majors, strict=True)],
        grade=[g if m else None for g, m in zip(grade.tolist(), majors, strict=True)],
        q=_clean_all(q),
        ratio=_clean_all(ratio),
        finite=bool(
            np.isfinite(ratio).all() and np.isfinite(s).all() and np.isfinite(r[is_major]).all()
        ),
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large result is built.

    The result is made of hundreds of thousands of small containers and no cycles; the
    collector, triggered again and again by the allocations, would walk the whole input and
    result each time (it took more time than the grading). Objects are still freed as usual
    (reference counting); only the cycle search waits until the collector is resumed."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def grade_payload(tables: Tables, payload: Any) -> dict[str, Any]:
    """The CLI/API contract: {"units": [...]} in, {"units": [...]} out, same order."""
    with _collector_paused():
        return grade_batch(tables, parse_units(tables, payload)).as_dicts()


def grade_payload_json(tables: Tables, payload: Any) -> str:
    """`json.dumps(grade_payload(tables, payload), ensure_ascii=False, indent=2)`, the
    command line's output whole, written straight from the graded columns."""
    with _collector_paused():
        return "".join(grade_payload_pieces(tables, payload))


def grade_payload_pieces(tables: Tables, payload: Any) -> Iterator[str]:
    """`grade_payload_json` in pieces of about a megabyte, to write as they come: a large
    input's result is some hundred megabytes of text. The input is checked and graded (and
    any GradingError raised) before the first piece; the pieces are the graded columns'
    text, and need not the payload."""
    with _collector_paused():
        graded = grade_batch(tables, parse_units(tables, payload))
    return graded.json_pieces()


def iter_cas_problems(tables: Tables) -> Iterable[str]:
    """Data check: every CAS number in the tables carries a valid check digit."""
    for substance in tables.named:
        for cas in substance.cas:
            if not cas_is_valid(cas):
                yield f"Table 1 row {substance.row}: {cas}"
    for gas in tables.toxic_gases:
        if not cas_is_valid(gas.cas):
            yield f"Table 3 row {gas.row}: {gas.cas}"
