"""How well the detection engine finds the outbreaks the demo injected: each simulated series
(the series the daily run analyses: a district's, or a key place's) is run through its
condition's method over all the periods the method evaluates, exactly as the daily run
calls it (`detection.prepare`, `series.condition_series`, `detection.run_method`), and its
alarms are scored against the recorded `SimulatedOutbreak`s
(`redline.engines.detection.evaluate`).

Scoped like every read: the outbreaks and the counts a user may see (`restrict`). The
outbreaks of a district's series are recorded on the district, so only a user who sees the
whole district (and therefore all its counts) has that series evaluated; a key place's
series is evaluated for whoever sees the place.

Delays are in days: from an outbreak's first day to the last day of the first period with an
alarm (the day the alarm is known; for weekly analysis the week's Sunday).

Running the methods over a city's whole history reads every count (the slow part: seconds),
so each condition's alarms are kept (`_store`) under a key of everything they depend on: the
database, the catalogue entry (method, parameters, aggregation), the knowledge date, the
series, the regions' districts, the user's door (the SQL of the counts they may read) and
the counts' version -- the latest count's id: counts are never deleted or edited (a new count
or a correction adds a row), so a new id is the only way they change. The page says when the
alarms it shows were computed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from redline.engines.detection.evaluate import Evaluation, combine, evaluate
from redline.epidemic.detection import ConditionProblem, prepare, run_method
from redline.epidemic.models import CaseCount, CaseCountQuerySet, Condition, SimulatedOutbreak
from redline.epidemic.series import PERIOD_DAYS, condition_series, district_map, monday
from redline.epidemic.vocab import Aggregation

CACHE_SECONDS = 24 * 3600
# Why an outbreak is not scored.
TOO_EARLY = "too_early"  # it starts before the method has enough history
NOT_EVALUATED = "not_evaluated"  # its condition or series could not be evaluated


@dataclass(frozen=True)
class OutbreakResult:
    outbreak: SimulatedOutbreak
    scored: bool  # it starts within the periods the method evaluates
    detected: bool = False
    first_alarm: dt.date | None = None  # the last day of the first period with an alarm
    delay_days: int | None = None
    unscored: str = ""  # TOO_EARLY or NOT_EVALUATED when not scored

    @property
    def series_url(self) -> str:
        """The series' page, at the outbreak's last day."""
        o = self.outbreak
        code = o.condition.code
        url = (
            reverse("epidemic:series-place", args=[code, o.region_id, o.place_id])
            if o.place_id
            else reverse("epidemic:series", args=[code, o.region_id])
        )
        return f"{url}?day={o.end.isoformat()}"


@dataclass
class ConditionResult:
    condition: Condition
    method: str
    params: dict[str, Any]
    series: int = 0
    evaluation: Evaluation | None = None
    outbreaks: list[OutbreakResult] = field(default_factory=list)
    problem: str = ""  # why the condition could not be evaluated

    @property
    def injected(self) -> int:
        return len(self.outbreaks)

    @property
    def scored(self) -> int:
        return sum(o.scored for o in self.outbreaks)

    @property
    def detected(self) -> int:
        return sum(o.detected for o in self.outbreaks if o.scored)

    @property
    def delays(self) -> list[int]:
        return [o.delay_days for o in self.outbreaks if o.scored and o.delay_days is not None]

    @property
    def median_delay(self) -> float | None:
        return float(statistics.median(self.delays)) if self.delays else None

    @property
    def pod(self) -> float | None:
        return self.detected / self.scored if self.scored else None

    @property
    def figures(self) -> Figures | None:
        return None if self.evaluation is None else Figures(self.evaluation, self.delays)


@dataclass
class MethodResult:
    method: str
    conditions: list[str]
    evaluation: Evaluation
    delays: list[int]

    @property
    def figures(self) -> Figures:
        return Figures(self.evaluation, self.delays)


@dataclass(frozen=True)
class Figures:
    """What the page shows of an evaluation (percentages, per year, delays in days)."""

    evaluation: Evaluation
    delays: list[int]

    @property
    def scored(self) -> int:
        return self.evaluation.scored

    @property
    def detected(self) -> int:
        return self.evaluation.detected

    @property
    def pod_percent(self) -> float | None:
        pod = self.evaluation.pod
        return None if pod is None else 100 * pod

    @property
    def median_delay(self) -> float | None:
        return float(statistics.median(self.delays)) if self.delays else None

    @property
    def fpr_percent(self) -> float | None:
        fpr = self.evaluation.fpr
        return None if fpr is None else 100 * fpr

    @property
    def false_alarms_per_year(self) -> float | None:
        return self.evaluation.false_alarms_per_year

    @property
    def false_signals_per_year(self) -> float | None:
        return self.evaluation.false_signals_per_year

    @property
    def quiet_years(self) -> float:
        return self.evaluation.quiet_periods / self.evaluation.frequency


@dataclass
class Report:
    conditions: list[ConditionResult]
    methods: list[MethodResult]
    computed_at: dt.datetime | None = None  # when the oldest alarms shown were computed

    @property
    def outbreaks(self) -> list[OutbreakResult]:
        return [o for c in self.conditions for o in c.outbreaks]

    @property
    def empty(self) -> bool:
        return not self.conditions


def simulation_evaluation(user: Any, *, as_known_on: dt.date | None = None) -> Report:
    """The evaluation of the simulated series this user may see."""
    return evaluate_simulations(
        outbreaks=SimulatedOutbreak.objects.restrict(user),
        counts=CaseCount.objects.restrict(user),
        as_known_on=as_known_on,
    )


def evaluate_simulations(
    *,
    outbreaks: QuerySet[SimulatedOutbreak],
    counts: CaseCountQuerySet[CaseCount],
    as_known_on: dt.date | None = None,
) -> Report:
    """Score each condition's simulated series (those of `outbreaks`) on `counts`, as known
    at the end of `as_known_on` (default today)."""
    as_known_on = as_known_on or timezone.localdate()
    rows = list(
        outbreaks.select_related("condition", "region", "place", "site").order_by(
            "condition__code", "series_key", "start"
        )
    )
    by_condition: dict[int, list[SimulatedOutbreak]] = defaultdict(list)
    conditions: dict[int, Condition] = {}
    for row in rows:
        by_condition[row.condition_id].append(row)
        conditions[row.condition_id] = row.condition
    districts = district_map() if rows else {}
    version = _version(districts) if rows else ""
    computed: list[dt.datetime] = []
    results = [
        _condition(
            conditions[pk], by_condition[pk], counts, as_known_on, districts, version, computed
        )
        for pk in sorted(conditions, key=lambda pk: conditions[pk].code)
    ]
    return Report(
        conditions=results,
        methods=_by_method(results),
        computed_at=min(computed) if computed else None,
    )


@dataclass(frozen=True)
class SeriesAlarms:
    """A method's alarms over one series: what the scoring needs, and what is cached."""

    first: dt.date  # the first period's date (a day, or an ISO week's Monday)
    frequency: int
    periods: Any  # numpy int array: the evaluated periods
    alarm: Any  # numpy float array: 1, 0 or NaN per evaluated period
    problem: str = ""  # the method refused the series (e.g. too short)


def _alarms(
    condition: Condition,
    spec: Any,
    params: dict[str, Any],
    keys: list[str],
    *,
    last: dt.date,
    as_known_on: dt.date,
    counts: CaseCountQuerySet[CaseCount],
    districts: dict[int, int],
) -> dict[str, SeriesAlarms | None]:
    """The method's alarms on each of these series (None: no such series in `counts`, the
    counts of these series that the user may read)."""
    series = condition_series(
        condition, day=last, as_known_on=as_known_on, counts=counts, districts=districts
    )
    found: dict[str, SeriesAlarms | None] = {}
    for key in keys:
        index = series.index_of(key)
        if index is None:
            found[key] = None
            continue
        dates, values = series.values(index)
        try:
            result = run_method(spec, params, values, dates, series.frequency)
        except ValueError as error:  # e.g. too short for the method
            found[key] = SeriesAlarms(dates[0], series.frequency, None, None, str(error))
            continue
        found[key] = SeriesAlarms(
            first=dates[0],
            frequency=series.frequency,
            periods=np.asarray(result.periods, dtype=np.int64),
            alarm=np.asarray(result.alarm, dtype=float),
        )
    return found


def _of_series(
    counts: CaseCountQuerySet[CaseCount], keys: list[str], districts: dict[int, int]
) -> CaseCountQuerySet[CaseCount]:
    """The counts that make up these series and no others (each series starts at its own
    first recorded period, so leaving the other series out changes none of these): for a
    district's series every count recorded in a region that joins it, for a key place's the
    place's own counts."""
    joined: set[int] = set()
    places: set[int] = set()
    for key in keys:
        region, _colon, place = key.partition(":")
        if place:
            places.add(int(place))
        else:
            joined.add(int(region))
    regions = [pk for pk, district in districts.items() if district in joined]
    return counts.filter(Q(region_id__in=regions) | Q(place_id__in=sorted(places)))


@dataclass(frozen=True)
class Kept:
    """A condition's alarms as kept: when computed, the last day of the counts they were
    computed on (None: no counts), and each series' alarms."""

    computed_at: dt.datetime
    last: dt.date | None
    alarms: dict[str, SeriesAlarms | None]


def _store() -> BaseCache:
    """Where the alarms are kept: settings' "kept" cache, found by every process and after a
    restart (the shared cache of the scaled configuration, else files under REDLINE_VAR_DIR;
    the tests keep it in memory)."""
    return caches["kept"]


def _version(districts: dict[int, int]) -> str:
    """What every condition's alarms depend on besides the condition, the user and the
    series: the counts (the latest count's id: the version of them all, whatever the user
    may read; which counts they read is their door's part of the key) and which district
    each region's counts join; and the database (its name, and when its first migration
    was applied)."""
    top = CaseCount.objects.aggregate(top=Max("pk"))["top"]
    joins = hashlib.sha256(repr(sorted(districts.items())).encode()).hexdigest()
    # The kept alarms outlive a database (files, Redis): which database they were read from.
    created = MigrationRecorder(connection).migration_qs.order_by("pk")
    database = (
        connection.settings_dict["NAME"],
        list(created.values_list("applied", flat=True)[:1]),
    )
    return repr((top, joins, database))


def _door(counts: CaseCountQuerySet[CaseCount]) -> str:
    """The SQL of the counts a user may read (their door), so that users who may read
    different counts never share alarms."""
    try:
        sql, params = counts.query.sql_with_params()
    except EmptyResultSet:
        return "nothing"
    return repr((sql, params))


def _cache_key(condition: Condition, params: dict[str, Any], *parts: Any) -> str:
    text = repr(
        (condition.pk, condition.method, sorted(params.items()), condition.aggregation, *parts)
    )
    return "epidemic-evaluation:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _condition(
    condition: Condition,
    outbreaks: list[SimulatedOutbreak],
    counts: CaseCountQuerySet[CaseCount],
    as_known_on: dt.date,
    districts: dict[int, int],
    version: str,
    computed: list[dt.datetime],
) -> ConditionResult:
    result = ConditionResult(
        condition=condition, method=condition.method, params=dict(condition.params or {})
    )
    unscored = [OutbreakResult(o, False, unscored=NOT_EVALUATED) for o in outbreaks]
    try:
        spec, params = prepare(condition)
    except ConditionProblem as error:
        result.problem = str(error)
        result.outbreaks = unscored
        return result
    keyed: dict[str, list[SimulatedOutbreak]] = defaultdict(list)
    for outbreak in outbreaks:
        keyed[outbreak.series_key].append(outbreak)
    keys = sorted(keyed)
    mine = _of_series(counts, keys, districts)
    key = _cache_key(condition, params, version, as_known_on, _door(mine), keys)
    store = _store()
    kept = store.get(key)
    if kept is None:
        # The series end at the last day of any count of the condition the user may read.
        known = counts.as_known_on(as_known_on).filter(condition=condition)
        last = known.aggregate(last=Max("day"))["last"]
        kept = Kept(
            computed_at=timezone.now(),
            last=last,
            alarms={}
            if last is None
            else _alarms(
                condition,
                spec,
                params,
                keys,
                last=last,
                as_known_on=as_known_on,
                counts=mine,
                districts=districts,
            ),
        )
        store.set(key, kept, CACHE_SECONDS)
    if kept.last is None:
        result.outbreaks = unscored
        return result
    computed.append(kept.computed_at)
    found = kept.alarms
    step = PERIOD_DAYS[Aggregation(condition.aggregation)]
    evaluations: list[Evaluation] = []
    for key_of_series, items in keyed.items():
        alarms = found.get(key_of_series)
        if alarms is None or alarms.problem:
            result.problem = alarms.problem if alarms else result.problem
            result.outbreaks += [OutbreakResult(o, False, unscored=NOT_EVALUATED) for o in items]
            continue
        spans = [
            (_period(o.start, alarms.first, step), _period(o.end, alarms.first, step))
            for o in items
        ]
        scored = evaluate(
            alarms.periods,
            alarms.alarm,
            [span for span in spans if span[0] >= 0],
            frequency=alarms.frequency,
        )
        evaluations.append(scored)
        result.series += 1
        outcomes = {(o.start, o.end): o for o in scored.outbreaks}
        for span, outbreak in zip(spans, items, strict=True):
            outcome = outcomes.get(span)
            if outcome is None:
                result.outbreaks.append(OutbreakResult(outbreak, False, unscored=TOO_EARLY))
                continue
            first_alarm = (
                None
                if outcome.first_alarm is None
                else alarms.first + dt.timedelta(days=step * outcome.first_alarm + step - 1)
            )
            result.outbreaks.append(
                OutbreakResult(
                    outbreak,
                    scored=True,
                    detected=outcome.detected,
                    first_alarm=first_alarm,
                    delay_days=None if first_alarm is None else (first_alarm - outbreak.start).days,
                )
            )
    if evaluations:
        result.evaluation = combine(evaluations)
    result.outbreaks.sort(key=lambda o: (o.outbreak.series_key, o.outbreak.start))
    return result


def _period(day: dt.date, first: dt.date, step: int) -> int:
    """The index of the period holding `day` on an axis starting at `first`."""
    if step == 7:
        return (monday(day) - first).days // 7
    return (day - first).days


def _by_method(results: Iterable[ConditionResult]) -> list[MethodResult]:
    pooled: dict[tuple[str, float], list[ConditionResult]] = defaultdict(list)
    for item in results:
        if item.evaluation is not None:
            pooled[(item.method, item.evaluation.frequency)].append(item)
    methods = []
    for (method, _frequency), items in sorted(pooled.items()):
        methods.append(
            MethodResult(
                method=method,
                conditions=[str(i.condition) for i in items],
                evaluation=combine(i.evaluation for i in items if i.evaluation is not None),
                delays=[d for i in items for d in i.delays],
            )
        )
    return methods
