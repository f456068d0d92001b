"""Reading one value: a spreadsheet cell, a CSV field, a JSON value or a form field, as text,
a whole number, a number, a date, a time, yes/no, or a code of a vocabulary.

Each type reads leniently (what people type into Excel, what Excel makes of it) and says in
the reader's language what is wrong (`CellError`). An empty cell never reaches a type: the
row decides whether it may be empty (see `table.Table.read`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from redline.core.spreadsheet.formulas import FORMULA_START


class CellError(ValueError):
    """A value a type cannot read; the message says why, in the reader's language."""


def as_text(value: Any) -> str:
    """A value as text: whole numbers without ".0", a date as YYYY-MM-DD, spaces trimmed, and
    the quote an export puts before formula-like text removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        text = text[1:]
    return text


def fold(value: Any) -> str:
    """How headers and vocabulary entries are compared: without spaces, stars, underscores,
    slashes or case ("疾病/症候群" = "疾病症候群", "As of" = "as_of")."""
    return re.sub(r"[\s*＊_/]+", "", str(value)).casefold()


class CellType:
    """How the cells of a column are read. `read` gets a value that is not empty and the
    values read so far in the same row (by column key), and returns the value or raises
    `CellError`."""

    def read(self, value: Any, row: Mapping[str, Any]) -> Any:
        return as_text(value)


@dataclass(frozen=True)
class Text(CellType):
    max_length: int | None = None

    def read(self, value: Any, row: Mapping[str, Any]) -> str:
        text = as_text(value)
        if self.max_length is not None and len(text) > self.max_length:
            raise CellError(_("At most %(n)d characters.") % {"n": self.max_length})
        return text


TEXT = Text()


LARGEST_EXPONENT = 30  # "1e999999" is no number a sheet means (and would take a minute)


def _number(value: Any) -> decimal.Decimal | None:
    """A number from a numeric cell or text ("1,200", "+3", " 2.5 "); None if it is none."""
    if isinstance(value, bool):
        return None
    text = str(value) if isinstance(value, int | float) else as_text(value).replace(",", "")
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return None
    if not number.is_finite() or number.adjusted() > LARGEST_EXPONENT:
        return None
    return number


@dataclass(frozen=True)
class Integer(CellType):
    """A whole number, from `minimum` to `maximum` when they are given."""

    minimum: int | None = None
    maximum: int | None = None

    def read(self, value: Any, row: Mapping[str, Any]) -> int:
        number = _number(value)
        if number is None:
            raise CellError(_("Give a whole number."))
        if number != number.to_integral_value():
            raise CellError(_("Give a whole number, not a fraction."))
        whole = int(number)
        if self.minimum is not None and whole < self.minimum:
            raise CellError(self.below_minimum())
        if self.maximum is not None and whole > self.maximum:
            raise CellError(
                _("More than the plausible maximum of %(max)s: %(value)s.")
                % {"value": whole, "max": self.maximum}
            )
        return whole

    def below_minimum(self) -> str:
        return _("Give a whole number from %(minimum)d.") % {"minimum": self.minimum}


@dataclass(frozen=True)
class Count(Integer):
    """How many of something: a whole number, 0 or more."""

    minimum: int | None = 0

    def below_minimum(self) -> str:
        return _("A count cannot be negative.")


@dataclass(frozen=True)
class Number(CellType):
    """A number, read as a float (a factor, a score)."""

    def read(self, value: Any, row: Mapping[str, Any]) -> float:
        number = _number(value)
        if number is None:
            raise CellError(_("Give a number."))
        return float(number)


@dataclass(frozen=True)
class Decimal(CellType):
    """An exact decimal number (hours, money), with at most `places` decimal places."""

    places: int | None = None

    def read(self, value: Any, row: Mapping[str, Any]) -> decimal.Decimal:
        number = _number(value)
        if number is None:
            raise CellError(_("Give a number."))
        if self.places is not None and number != round(number, self.places):
            raise CellError(_("Give at most %(n)d decimal places.") % {"n": self.places})
        return number


DATE = re.compile(r"^(\d{4})(?:([-/.])(\d{1,2})\2(\d{1,2})|年(\d{1,2})月(\d{1,2})日?)$")


@dataclass(frozen=True)
class Date(CellType):
    """A date cell, or text YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYY年M月D日."""

    def read(self, value: Any, row: Mapping[str, Any]) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = as_text(value)
        match = DATE.match(text)
        if match:
            month, day = (match[3], match[4]) if match[2] else (match[5], match[6])
            try:
                return dt.date(int(match[1]), int(month), int(day))
            except ValueError:
                pass
        raise CellError(_("Not a date: %(value)s. Give YYYY-MM-DD.") % {"value": text})


TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")


@dataclass(frozen=True)
class Time(CellType):
    """A time of day to the minute: a time cell, a day's fraction, or text HH:MM."""

    def read(self, value: Any, row: Mapping[str, Any]) -> dt.time:
        if isinstance(value, dt.datetime):
            return value.time().replace(second=0, microsecond=0)
        if isinstance(value, dt.time):
            return value.replace(second=0, microsecond=0)
        if isinstance(value, float) and 0 <= value < 1:  # a time typed as a day's fraction
            minutes = round(value * 24 * 60)
            return dt.time(minutes // 60 % 24, minutes % 60)
        match = TIME.match(as_text(value))
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            return dt.time(int(match[1]), int(match[2]))
        raise CellError(_("Give a time as HH:MM."))


YES = frozenset({"1", "true", "yes", "y", "是", "有", "√", "✓", "✔"})
NO = frozenset({"0", "false", "no", "n", "否", "无", "×", "✗", "✘"})


@dataclass(frozen=True)
class Bool(CellType):
    """Yes or no: 是/否, yes/no, true/false, 1/0, √/×, or a checkbox cell."""

    def read(self, value: Any, row: Mapping[str, Any]) -> bool:
        if isinstance(value, bool):
            return value
        text = fold(as_text(value))
        if text in YES:
            return True
        if text in NO:
            return False
        raise CellError(_("Give yes or no (是 or 否)."))


class Vocabulary:
    """Codes, each found by its code or by one of its labels in any of the site's languages
    (compared folded). Built from a choices class, or from any code -> labels mapping (a
    catalogue's rows)."""

    def __init__(self, entries: Mapping[str, Iterable[str | Promise]]) -> None:
        self.entries = {str(code): tuple(labels) for code, labels in entries.items()}

    @classmethod
    def of(cls, choices: type[models.Choices]) -> Vocabulary:
        return cls({str(value): (label,) for value, label in choices.choices})

    @cached_property
    def _codes(self) -> dict[str, str]:
        return {fold(code): code for code in self.entries}

    @cached_property
    def _labels(self) -> dict[str, set[str]]:
        labels: dict[str, set[str]] = defaultdict(set)
        for code, names in self.entries.items():
            for name in names:
                for language, _name in settings.LANGUAGES:
                    with translation.override(language):
                        labels[fold(str(name))].add(code)
        return labels

    def find(self, text: str, within: Callable[[str], bool] | None = None) -> set[str]:
        """The codes `text` may mean (a code wins over a label), among those `within` keeps."""
        code = self._codes.get(fold(text))
        found = {code} if code else self._labels.get(fold(text), set())
        return {value for value in found if within is None or within(value)}

    def shown(self, within: Callable[[str], bool] | None = None) -> str:
        """The codes and their labels in the reader's language, for a message."""
        return ", ".join(
            f"{code} ({names[0]})" if names else code
            for code, names in self.entries.items()
            if within is None or within(code)
        )


@dataclass(frozen=True)
class Within:
    """Limits a choice by another column of the row: `test(code, other_value)`; an empty or
    unreadable other cell limits nothing. `message` is said of a code the test refuses."""

    key: str
    test: Callable[[str, Any], bool]
    message: str | Promise


@dataclass(frozen=True)
class Choice(CellType):
    """A code of a vocabulary (a choices class, or a `Vocabulary`), given as the code or as
    a label in any site language."""

    choices: type[models.Choices] | Vocabulary
    within: Within | None = None

    @cached_property
    def vocabulary(self) -> Vocabulary:
        if isinstance(self.choices, Vocabulary):
            return self.choices
        return Vocabulary.of(self.choices)

    def read(self, value: Any, row: Mapping[str, Any]) -> str:
        if isinstance(value, dt.date):  # Excel turns a typed code such as 1-1 into 1 January
            value = f"{value.month}-{value.day}"
        text = as_text(value)
        within = self._limit(row)
        found = self.vocabulary.find(text, within)
        if len(found) == 1:
            return found.pop()
        if found:
            raise CellError(_("“%(value)s” is ambiguous here: give the code.") % {"value": text})
        if within is not None and self.within is not None and self.vocabulary.find(text):
            raise CellError(str(self.within.message))
        raise CellError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": text, "choices": self.vocabulary.shown(within)}
        )

    def _limit(self, row: Mapping[str, Any]) -> Callable[[str], bool] | None:
        if self.within is None or row.get(self.within.key) is None:
            return None
        other, test = row[self.within.key], self.within.test
        return lambda code: test(code, other)
