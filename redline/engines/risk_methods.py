"""Safety-risk assessment methods (LEC, LS, MES) as rule sets, and the four colours.

A rule set is data: the allowed values of each factor and the bands that turn the
score (the product of the factors) into a level, each band with its bounds and their
inclusivity. Levels are the four colours: 1 重大 (red), 2 较大 (orange), 3 一般
(yellow), 4 低 (blue); lower is more severe, so a derived level is the minimum.
Evaluation is vectorised over any number of assessments. Framework-free: no Django.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

LEVELS = (1, 2, 3, 4)


class RuleSetError(ValueError):
    """A rule set that does not classify every possible score exactly once."""


class AssessmentError(ValueError):
    """A factor value that the rule set does not allow; names the factor (and row)."""

    def __init__(self, factor: str, message: str, row: int | None = None):
        self.factor = factor
        self.row = row
        super().__init__(message)


@dataclass(frozen=True)
class Band:
    level: int
    code: str
    min: float | None
    min_inclusive: bool
    max: float | None
    max_inclusive: bool

    def contains(self, score: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        inside = np.ones(score.shape, dtype=bool)
        if self.min is not None:
            inside &= score >= self.min if self.min_inclusive else score > self.min
        if self.max is not None:
            inside &= score <= self.max if self.max_inclusive else score < self.max
        return inside


@dataclass(frozen=True)
class RuleSet:
    id: str
    method: str
    version: str
    factors: dict[str, tuple[float, ...]]
    bands: tuple[Band, ...]
    default: bool
    status: str
    raw: Mapping[str, Any]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        factors = {
            name: tuple(float(option["value"]) for option in options)
            for name, options in data["factors"].items()
        }
        bands = tuple(
            Band(
                level=int(b["level"]),
                code=str(b["code"]),
                min=None if b["min"] is None else float(b["min"]),
                min_inclusive=bool(b["min_inclusive"]),
                max=None if b["max"] is None else float(b["max"]),
                max_inclusive=bool(b["max_inclusive"]),
            )
            for b in data["bands"]
        )
        rule_set = cls(
            id=str(data["id"]),
            method=str(data["method"]),
            version=str(data["version"]),
            factors=factors,
            bands=bands,
            default=bool(data.get("default", False)),
            status=str(data.get("status", "unconfirmed")),
            raw=data,
        )
        rule_set.check()
        return rule_set

    @classmethod
    def load(cls, path: str | Path) -> RuleSet:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def possible_scores(self) -> npt.NDArray[np.float64]:
        combos = itertools.product(*self.factors.values())
        return np.unique(np.array([float(np.prod(c)) for c in combos], dtype=np.float64))

    def check(self) -> None:
        """Every score the factors can produce falls in exactly one band."""
        if any(b.level not in LEVELS for b in self.bands):
            raise RuleSetError(f"{self.id}: levels must be 1-4")
        scores = self.possible_scores()
        hits = np.sum([b.contains(scores) for b in self.bands], axis=0)
        if np.any(hits != 1):
            bad = scores[hits != 1]
            raise RuleSetError(
                f"{self.id}: scores {bad.tolist()} fall in {hits[hits != 1].tolist()} bands"
            )

    def score(self, values: Mapping[str, npt.ArrayLike]) -> npt.NDArray[np.float64]:
        """The product of the factors, after checking each value is one the method allows."""
        missing = [name for name in self.factors if name not in values]
        if missing:
            raise AssessmentError(missing[0], f"{self.method}: {missing[0]} is required")
        product: npt.NDArray[np.float64] | None = None
        for name, allowed in self.factors.items():
            column = np.atleast_1d(np.asarray(values[name], dtype=np.float64))
            ok = np.isin(column, np.array(allowed))
            if not np.all(ok):
                row = int(np.argmin(ok))
                shown = ", ".join(f"{v:g}" for v in allowed)
                raise AssessmentError(
                    name,
                    f"{self.method} {name} = {column[row]:g} is not one of {shown}",
                    row=row,
                )
            product = column if product is None else product * column
        assert product is not None
        return product

    def classify(self, scores: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.str_]]:
        """Four-colour level and band code of each score."""
        s = np.atleast_1d(np.asarray(scores, dtype=np.float64))
        index = np.zeros(s.shape, dtype=np.int64)
        for i, band in enumerate(self.bands):
            index[band.contains(s)] = i
        levels = np.array([b.level for b in self.bands], dtype=np.int64)
        codes = np.array([b.code for b in self.bands])
        return levels[index], codes[index]

    def assess(
        self, values: Mapping[str, npt.ArrayLike]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.str_]]:
        scores = self.score(values)
        level, code = self.classify(scores)
        return scores, level, code


def load_rule_sets(directory: str | Path) -> dict[str, RuleSet]:
    sets = {}
    for path in sorted(Path(directory).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "factors" in data:
            sets[data["id"]] = RuleSet.from_dict(data)
    return sets


def derived_level(levels: npt.ArrayLike) -> int | None:
    """The level of a group (unit, enterprise, district...): its most severe member."""
    array = np.asarray(levels)
    return int(array.min()) if array.size else None


def colour_counts(levels: npt.ArrayLike) -> dict[int, int]:
    counts = np.bincount(np.asarray(levels, dtype=np.int64), minlength=5)
    return {level: int(counts[level]) for level in LEVELS}
