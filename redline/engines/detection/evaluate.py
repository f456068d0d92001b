"""How well a detection method finds known outbreaks: per outbreak detected or not and with
what delay, and the false alarms between outbreaks (domain note §5).

Definitions (periods are 0-based indices into the series):
- the *evaluated* periods are those the method gave a result for (its `periods`); an alarm
  that is NaN (R's NA: no decision) counts as no alarm;
- an outbreak is *scored* when its start is within the evaluated range; it is *detected* when
  an alarm falls within its span (start … end); its *delay* is the number of periods from its
  start to that first alarm (0: detected in its first period);
- POD (probability of detection) = detected / scored outbreaks; POD in the first period =
  share detected with delay 0; the conditional expected delay (CED) = the mean delay among the
  detected; the median delay likewise;
- per period: sensitivity = alarmed outbreak periods / outbreak periods, FPR = alarms outside
  every outbreak's span / evaluated periods outside them, specificity = 1 − FPR, PPV = alarms
  inside an outbreak / all alarms; false alarms per year = false alarms / (evaluated periods
  outside outbreaks / periods per year);
- false *signals*: runs of consecutive false alarms, each counted once (a continuing alarm is
  one open signal for the people who verify them); false signals per year likewise;
- `mlag` is R's `algo.quality` mean lag: for each scored outbreak the delay to the first alarm
  searched within start … min(start + penalty, next outbreak's start − 1), `penalty` when none.

Periods of an outbreak that started before the evaluated range are not counted as false
alarms (they are outbreak periods) but that outbreak is not scored.

`alarms` runs any method of `run.METHODS` over one series, so the demo and the tests use the
engine exactly as `redline detect` does. No Django.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.engines.detection.run import METHODS, PLANNED

DEFAULT_PENALTY = 20


@dataclass(frozen=True)
class OutbreakOutcome:
    start: int
    end: int
    detected: bool
    first_alarm: int | None  # the period of the first alarm within the span
    delay: int | None  # first_alarm − start
    lag: int  # algo.quality's lag (penalty when missed)


@dataclass(frozen=True)
class Evaluation:
    outbreaks: tuple[OutbreakOutcome, ...]  # the scored outbreaks, in start order
    periods: int  # evaluated periods
    outbreak_periods: int  # evaluated periods within an outbreak's span
    alarms: int  # alarms in the evaluated periods
    true_alarms: int  # … within an outbreak's span
    undecided: int  # evaluated periods without a decision (NaN)
    false_runs: int  # runs of consecutive false alarms
    frequency: float  # periods per year
    penalty: int = DEFAULT_PENALTY

    @property
    def false_alarms(self) -> int:
        return self.alarms - self.true_alarms

    @property
    def quiet_periods(self) -> int:
        """Evaluated periods outside every outbreak."""
        return self.periods - self.outbreak_periods

    @property
    def scored(self) -> int:
        return len(self.outbreaks)

    @property
    def detected(self) -> int:
        return sum(o.detected for o in self.outbreaks)

    @property
    def pod(self) -> float | None:
        return self.detected / self.scored if self.scored else None

    @property
    def pod_first(self) -> float | None:
        return sum(o.delay == 0 for o in self.outbreaks) / self.scored if self.scored else None

    @property
    def delays(self) -> list[int]:
        return [o.delay for o in self.outbreaks if o.delay is not None]

    @property
    def median_delay(self) -> float | None:
        return float(statistics.median(self.delays)) if self.delays else None

    @property
    def mean_delay(self) -> float | None:
        """The conditional expected delay (among detected outbreaks)."""
        return statistics.fmean(self.delays) if self.delays else None

    @property
    def mlag(self) -> float | None:
        return statistics.fmean(o.lag for o in self.outbreaks) if self.outbreaks else None

    @property
    def sensitivity(self) -> float | None:
        return self.true_alarms / self.outbreak_periods if self.outbreak_periods else None

    @property
    def fpr(self) -> float | None:
        return self.false_alarms / self.quiet_periods if self.quiet_periods else None

    @property
    def specificity(self) -> float | None:
        fpr = self.fpr
        return None if fpr is None else 1.0 - fpr

    @property
    def ppv(self) -> float | None:
        return self.true_alarms / self.alarms if self.alarms else None

    @property
    def false_alarms_per_year(self) -> float | None:
        if not self.quiet_periods:
            return None
        return self.false_alarms / (self.quiet_periods / self.frequency)

    @property
    def false_signals_per_year(self) -> float | None:
        if not self.quiet_periods:
            return None
        return self.false_runs / (self.quiet_periods / self.frequency)


def evaluate(
    periods: Sequence[int] | NDArray[np.int64],
    alarm: Sequence[float] | NDArray[np.float64],
    outbreaks: Iterable[tuple[int, int]],
    *,
    frequency: float,
    penalty: int = DEFAULT_PENALTY,
) -> Evaluation:
    """Score a method's alarms (one per evaluated period: 1, 0 or NaN) against outbreaks
    given as (start, end) periods, end inclusive."""
    where = np.asarray(periods, dtype=np.int64)
    flags = np.asarray(alarm, dtype=float)
    if where.shape != flags.shape or where.ndim != 1:
        raise ValueError("periods and alarm must be two vectors of the same length")
    if where.size and np.any(np.diff(where) <= 0):
        raise ValueError("periods must be increasing")
    if frequency <= 0:
        raise ValueError("frequency must be positive")
    if penalty < 0:
        raise ValueError("penalty must be 0 or more")
    spans = sorted((int(s), int(e)) for s, e in outbreaks)
    for start, end in spans:
        if end < start or start < 0:
            raise ValueError(f"outbreak ({start}, {end}): the end is before the start")
    decided = ~np.isnan(flags)
    raised = decided & (flags == 1.0)
    undecided = int((~decided).sum())
    if where.size == 0:
        return Evaluation((), 0, 0, 0, 0, 0, 0, frequency, penalty)
    first, last = int(where[0]), int(where[-1])
    inside = np.zeros(where.size, dtype=bool)
    for start, end in spans:
        inside |= (where >= start) & (where <= end)
    alarm_periods = where[raised]
    false = raised & ~inside
    continues = np.zeros(where.size, dtype=bool)
    continues[1:] = false[:-1] & (np.diff(where) == 1)
    false_runs = int((false & ~continues).sum())
    outcomes = []
    for index, (start, end) in enumerate(spans):
        if not first <= start <= last:
            continue
        hits = alarm_periods[(alarm_periods >= start) & (alarm_periods <= end)]
        first_alarm = int(hits[0]) if hits.size else None
        later = [s for s, _ in spans[index + 1 :] if s > start]
        horizon = min(start + penalty, (later[0] - 1) if later else start + penalty)
        found = alarm_periods[(alarm_periods >= start) & (alarm_periods <= horizon)]
        outcomes.append(
            OutbreakOutcome(
                start=start,
                end=end,
                detected=first_alarm is not None,
                first_alarm=first_alarm,
                delay=None if first_alarm is None else first_alarm - start,
                lag=int(found[0]) - start if found.size else penalty,
            )
        )
    return Evaluation(
        outbreaks=tuple(outcomes),
        periods=int(where.size),
        outbreak_periods=int(inside.sum()),
        alarms=int(raised.sum()),
        true_alarms=int((raised & inside).sum()),
        undecided=undecided,
        false_runs=false_runs,
        frequency=frequency,
        penalty=penalty,
    )


def combine(evaluations: Iterable[Evaluation]) -> Evaluation:
    """Pool the evaluations of several series (same frequency and penalty)."""
    items = list(evaluations)
    if not items:
        raise ValueError("nothing to combine")
    if len({(e.frequency, e.penalty) for e in items}) > 1:
        raise ValueError("evaluations of different frequencies or penalties cannot be pooled")
    return Evaluation(
        outbreaks=tuple(o for e in items for o in e.outbreaks),
        periods=sum(e.periods for e in items),
        outbreak_periods=sum(e.outbreak_periods for e in items),
        alarms=sum(e.alarms for e in items),
        true_alarms=sum(e.true_alarms for e in items),
        undecided=sum(e.undecided for e in items),
        false_runs=sum(e.false_runs for e in items),
        frequency=items[0].frequency,
        penalty=items[0].penalty,
    )


@dataclass(frozen=True)
class Alarms:
    periods: NDArray[np.int64]
    alarm: NDArray[np.float64]
    upperbound: NDArray[np.float64]


def alarms(
    method: str,
    counts: Sequence[int] | NDArray[np.int64] | NDArray[np.float64],
    *,
    params: Mapping[str, Any] | None = None,
    frequency: int = 52,
    dates: Sequence[Any] | None = None,
) -> Alarms:
    """Run one of `run.METHODS` (by its CLI name, with R-named parameters) over one regularly
    spaced series, as `redline detect` would. `frequency` is R's `freq` (52 weekly, 365
    daily); `dates` the periods' dates for methods that need them."""
    if method not in METHODS:
        reason = "not available yet" if method in PLANNED else "unknown method"
        raise ValueError(f"method {method}: {reason}")
    spec = METHODS[method]
    context: dict[str, Any] = {"freq": frequency, "dates": list(dates) if dates else None}
    extra = {name: context[name] for name in spec.context}
    if "dates" in extra and extra["dates"] is None:
        raise ValueError(f"method {method} needs the periods' dates")
    result = spec.run(np.asarray(counts, dtype=float), **spec.fixed, **dict(params or {}), **extra)
    return Alarms(
        periods=np.asarray(result.periods, dtype=np.int64),
        alarm=np.asarray(result.alarm, dtype=float),
        upperbound=np.asarray(result.upperbound, dtype=float),
    )


def aggregate(counts: Sequence[int] | NDArray[np.int64], width: int) -> NDArray[np.int64]:
    """Sums over consecutive blocks of `width` periods ending with the last one (daily counts
    to weeks that end on the series' last day); an incomplete first block is dropped."""
    values = np.asarray(counts, dtype=np.int64)
    if width < 1:
        raise ValueError("width must be at least 1")
    skip = values.size % width
    return values[skip:].reshape(-1, width).sum(axis=1)


def block_of(period: int, n: int, width: int) -> int:
    """The block (as `aggregate` makes them) that holds `period` of an n-period series; −1
    for a period in the dropped incomplete first block."""
    skip = n % width
    return -1 if period < skip else (period - skip) // width
