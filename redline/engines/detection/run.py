"""`redline detect` without the command line: read `series,date,count` CSV, check it, run a
method over every series, write `series,date,count,upperbound,alarm`.

Every problem names its row or parameter (DetectionInputError). Series keep the input's
order; each series' periods are sorted by date and must be regularly spaced: daily, weekly
or monthly (the same day of each month).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from redline.engines.detection.cusum import TRANSFORMS, cusum
from redline.engines.detection.ears import ears, ears_many
from redline.engines.detection.farrington import (
    POWERS,
    THRESHOLD_METHODS,
    farrington,
    farrington_flexible,
    farrington_flexible_settings,
    farrington_settings,
    run_many,
)
from redline.engines.detection.fixed import fixed
from redline.engines.detection.mpm import mpm

HEADER = ("series", "date", "count")


class DetectionInputError(ValueError):
    pass


@dataclass(frozen=True)
class Series:
    name: str
    dates: list[dt.date]
    counts: list[int]


@dataclass(frozen=True)
class Method:
    run: Callable[..., Any]
    params: Mapping[str, Callable[[str], Any]]  # R name -> parser of its text value
    fixed: Mapping[str, Any]
    # What the method needs to know about the series besides its counts: "freq" (periods
    # per year: 52 weekly, 12 monthly, 365 daily, as R's sts) and/or "dates" (the periods'
    # dates, datetime.date).
    context: tuple[str, ...] = ()
    # Optional: many series of one frequency at once (list of counts, **params, freq=...,
    # last=N to evaluate only each series' last N periods) -> one result per series, the
    # same as `run` on each.
    batch: Callable[..., list[Any]] | None = None


def run_series(
    spec: Method,
    counts: list[Any],
    params: Mapping[str, Any],
    freq: int,
    dates: list[list[dt.date]],
) -> list[Any]:
    """Every series through the method: in one batch where the method offers it (the
    results are the same as one by one), else one by one. A ValueError names no series:
    callers that need the series named run one by one on error."""
    if spec.batch is not None and "dates" not in spec.context:
        return spec.batch(counts, **spec.fixed, **params, freq=freq)
    results = []
    for values, days in zip(counts, dates, strict=True):
        context = {"freq": freq, "dates": days}
        extra = {name: context[name] for name in spec.context}
        results.append(spec.run(values, **spec.fixed, **params, **extra))
    return results


def frequency(dates: list[dt.date]) -> int:
    """Periods per year of a regularly spaced series (R's `freq`)."""
    if len(dates) < 2:
        return 52
    step = (dates[1] - dates[0]).days
    return 365 if step == 1 else 52 if step == 7 else 12


def _number(text: str) -> float:
    value = float(text)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(text)
    return value


def _whole(text: str) -> int:
    value = float(text)
    if not value.is_integer():
        raise ValueError(text)
    return int(value)


def _c3(text: str) -> str:
    if text not in ("r", "textbook"):
        raise ValueError(text)
    return text


def _at_least(low: float, parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def parser(text: str) -> Any:
        value = parse(text)
        if value < low:
            raise ValueError(text)
        return value

    return parser


def _positive(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise ValueError(text)
    return value


def _percent(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= 100:
        raise ValueError(text)
    return value


def _cusum_m(text: str) -> float | str:
    return "glm" if text == "glm" else _positive(text)


def _trans(text: str) -> str:
    if text not in TRANSFORMS:
        raise ValueError(text)
    return text


def _range(text: str) -> tuple[int, int | None]:
    """R's `range` as FIRST:LAST (1-based, inclusive), or FIRST: for "to the end"."""
    first_text, sep, last_text = text.partition(":")
    if not sep:
        raise ValueError(text)
    first = _whole(first_text)
    last = _whole(last_text) if last_text.strip() else None
    if first < 1 or (last is not None and last < first):
        raise ValueError(text)
    return first, last


def _logical(text: str) -> bool:
    """R's TRUE/FALSE (also true/false, T/F, 1/0)."""
    value = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}.get(
        text.strip().lower()
    )
    if value is None:
        raise ValueError(text)
    return value


def _limit54(text: str) -> tuple[int, int]:
    """Two whole numbers: "5,4" or R's "c(5,4)"."""
    inner = text.strip()
    if inner.startswith("c(") and inner.endswith(")"):
        inner = inner[2:-1]
    parts = [part.strip() for part in inner.split(",")]
    if len(parts) != 2:
        raise ValueError(text)
    cases, periods = _whole(parts[0]), _whole(parts[1])
    if cases < 0 or periods < 1:
        raise ValueError(text)
    return cases, periods


def _probability(text: str) -> float:
    value = _number(text)
    if not 0 < value < 1:
        raise ValueError(text)
    return value


def _choice(options: Iterable[str]) -> Callable[[str], str]:
    allowed = tuple(options)

    def parser(text: str) -> str:
        if text not in allowed:
            raise ValueError(text)
        return text

    return parser


EARS_PARAMS = {"baseline": _whole, "alpha": _number, "minSigma": _number}
FARRINGTON_PARAMS = {
    "b": _at_least(1, _whole),
    "w": _at_least(0, _whole),
    "reweight": _logical,
    "alpha": _probability,
    "trend": _logical,
    "limit54": _limit54,
    "powertrans": _choice(POWERS),
}
METHODS: dict[str, Method] = {
    "ears-c1": Method(ears, EARS_PARAMS, {"method": "C1"}, batch=ears_many),
    "ears-c2": Method(ears, EARS_PARAMS, {"method": "C2"}, batch=ears_many),
    "ears-c3": Method(ears, {**EARS_PARAMS, "c3": _c3}, {"method": "C3"}, batch=ears_many),
    "cusum": Method(
        cusum,
        {
            "k": _at_least(0, _number),
            "h": _positive,
            "m": _cusum_m,
            "trans": _trans,
            "alpha": _at_least(0, _number),
            "range": _range,
        },
        {},
        ("freq",),
    ),
    "mpm": Method(
        mpm,
        {
            "window": _at_least(1, _whole),
            "years": _at_least(1, _whole),
            "blocks": _at_least(0, _whole),
            "percentile": _percent,
        },
        {},
        ("freq", "dates"),
    ),
    "fixed": Method(fixed, {"threshold": _at_least(1, _whole)}, {}),
    "farrington": Method(
        farrington,
        FARRINGTON_PARAMS,
        {},
        ("freq",),
        lambda many, last=None, **params: run_many(many, farrington_settings(**params), last=last),
    ),
    "farrington-flexible": Method(
        farrington_flexible,
        {
            **FARRINGTON_PARAMS,
            "weightsThreshold": _number,
            "pThresholdTrend": _number,
            "noPeriods": _at_least(1, _whole),
            "pastWeeksNotIncluded": _at_least(0, _whole),
            "thresholdMethod": _choice(THRESHOLD_METHODS),
        },
        {},
        ("freq",),
        lambda many, last=None, **params: run_many(
            many, farrington_flexible_settings(**params), last=last
        ),
    ),
}
# Methods of the contract this build does not offer yet: refused by name, not as unknown.
PLANNED: tuple[str, ...] = ()


def parse_params(method: str, pairs: Iterable[str]) -> dict[str, Any]:
    if method in PLANNED:
        raise DetectionInputError(f"--method {method}: not available in this version yet")
    if method not in METHODS:
        known = ", ".join([*METHODS, *PLANNED])
        raise DetectionInputError(f"--method {method}: unknown method (known: {known})")
    spec = METHODS[method].params
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise DetectionInputError(f"--param {pair}: give NAME=VALUE")
        if name not in spec:
            raise DetectionInputError(
                f"--param {name}: unknown parameter for {method} (known: {', '.join(spec)})"
            )
        try:
            params[name] = spec[name](text)
        except ValueError:
            raise DetectionInputError(f"--param {name}: {text!r} is not a valid value") from None
    return params


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month


def read_series(text: str) -> list[Series]:
    """The input's series in order of first appearance, each sorted by date and checked.

    A file has a few hundred thousand rows: the row loop does only what a row needs. The
    dates the series share are parsed once each; a row of the series of the row before it
    (files list a series' rows together) finds that series' dates without a look-up."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != HEADER:
        raise DetectionInputError("row 1: the header must be series,date,count")
    found: dict[str, dict[dt.date, int]] = {}
    days: dict[str, dt.date] = {}  # date text -> date
    name, dates = None, {}
    for number, row in enumerate(reader, start=2):
        if len(row) != 3:
            if not row or all(not cell.strip() for cell in row):
                continue
            raise DetectionInputError(f"row {number}: expected 3 columns, found {len(row)}")
        label, date_text, count_text = row[0].strip(), row[1].strip(), row[2].strip()
        if not label:
            if not date_text and not count_text:
                continue
            raise DetectionInputError(f"row {number}: series is empty")
        day = days.get(date_text)
        if day is None:
            try:
                day = days[date_text] = dt.date.fromisoformat(date_text)
            except ValueError:
                raise DetectionInputError(
                    f"row {number}: date {date_text!r} is not an ISO date (YYYY-MM-DD)"
                ) from None
        if not count_text.isdigit():
            raise DetectionInputError(
                f"row {number}: count {count_text!r} is not a whole number >= 0"
            )
        if label != name:
            name, dates = label, found.setdefault(label, {})
        if day in dates:
            raise DetectionInputError(f"row {number}: series {label} has {day} twice")
        dates[day] = int(count_text)
    if not found:
        raise DetectionInputError("no rows: the input has only its header")
    series = []
    for label, by_date in found.items():
        ordered = sorted(by_date)
        _check_spacing(label, ordered)
        series.append(Series(label, ordered, [by_date[d] for d in ordered]))
    return series


def _check_spacing(name: str, dates: list[dt.date]) -> None:
    if len(dates) < 2:
        return
    steps = {(b - a).days for a, b in itertools.pairwise(dates)}
    if steps == {1} or steps == {7}:
        return
    months = {_month_index(b) - _month_index(a) for a, b in itertools.pairwise(dates)}
    if months == {1} and len({d.day for d in dates}) == 1:
        return
    for a, b in itertools.pairwise(dates):
        if (b - a).days != (dates[1] - dates[0]).days:
            raise DetectionInputError(
                f"series {name}: irregular spacing between {a} and {b} "
                "(each series must be daily, weekly or monthly)"
            )
    raise DetectionInputError(f"series {name}: irregular spacing")


def detect(text: str, method: str, pairs: Iterable[str]) -> str:
    """The whole command: CSV text in, CSV text out."""
    params = parse_params(method, pairs)
    series = read_series(text)
    spec = METHODS[method]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["series", "date", "count", "upperbound", "alarm"])
    results: dict[str, Any] = {}
    groups: dict[int, list[Series]] = {}
    for item in series:
        groups.setdefault(frequency(item.dates), []).append(item)
    for freq, members in groups.items():
        counts = [np.asarray(item.counts, dtype=float) for item in members]
        try:
            found = run_series(spec, counts, params, freq, [item.dates for item in members])
        except ValueError:
            found = []
            for item, values in zip(members, counts, strict=True):
                try:
                    found += run_series(spec, [values], params, freq, [item.dates])
                except ValueError as error:
                    raise DetectionInputError(f"series {item.name}: {error}") from None
        results.update({item.name: result for item, result in zip(members, found, strict=True)})
    for item in series:
        result = results[item.name]
        # Python numbers (not numpy scalars) for each row: the same text, written faster
        periods = np.asarray(result.periods, dtype=np.int64).tolist()
        uppers = np.asarray(result.upperbound, dtype=np.float64).tolist()
        alarms = np.asarray(result.alarm, dtype=np.float64).tolist()
        writer.writerows(
            (
                item.name,
                item.dates[period].isoformat(),
                item.counts[period],
                "" if math.isnan(upper) else repr(upper),
                "" if math.isnan(alarm) else str(int(alarm)),
            )
            for period, upper, alarm in zip(periods, uppers, alarms, strict=True)
        )
    return out.getvalue()
