"""The daily detection run: every active condition's series through its method, and the
alarms on each series' latest period turned into signals.

    detection_run (one day, as known on a day)
      -> detection_condition (one condition: its series built once, one query)
         -> detection_chunk (up to `chunk_size` series: evaluated, then committed alone)

Each function takes plain arguments. In the embedded default they run in one process; in
the scaled configuration `detection_dispatch` plans the chunks (each condition's series
split `chunk_size` at a time) and sends each to the workers (`DETECTION_STEP`), where they run
in parallel; the chunk that completes the plan ends the run. A chunk records itself in
`DetectionRun.chunks_done`
in the same transaction as its signals, so a run that stops half-way is resumed by running
the same day again (the done chunks are skipped), and a run repeated on a finished day
adds no signal (an alarm on a period a signal already covers changes nothing).

Which period signals: the latest ending on `day` — the day itself for daily series, the
last complete ISO week (Monday to Sunday, on or before `day`) for weekly ones. The method
runs over the series' history (for EARS only the window it reads), as R would run it.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core.errors import ValidationFailed
from redline.engines.detection.ears import FIRST as EARS_FIRST
from redline.engines.detection.run import METHODS, PLANNED, Method
from redline.epidemic import messages
from redline.epidemic.models import Condition, DetectionRun
from redline.epidemic.series import (
    PERIOD_DAYS,
    SeriesSet,
    condition_series,
    district_map,
    last_period,
)
from redline.epidemic.services_signals import signal_raise
from redline.epidemic.vocab import Aggregation

# How many of the latest periods a signal keeps as the data that triggered it.
EVIDENCE_PERIODS = {Aggregation.DAILY: 28, Aggregation.WEEKLY: 26}


class ConditionProblem(Exception):
    """A condition that cannot be analysed as configured (recorded on the run, in English:
    see redline/epidemic/messages.py)."""


@dataclass(frozen=True)
class Outcome:
    """One series' result on its latest period."""

    key: str
    region_id: int
    place_id: int | None
    period: dt.date
    count: int
    alarm: bool
    upperbound: float | None
    evidence: dict[str, Any] = field(default_factory=dict)
    not_evaluable: str = ""  # why the method gave nothing for the latest period
    failure: str = ""  # the method failed on this series (recorded as a run error)


class _Latest(TypedDict):
    """What an `Outcome` says of its series' latest period, whatever the method gave."""

    key: str
    region_id: int
    place_id: int | None
    period: dt.date
    count: int


def prepare(condition: Condition) -> tuple[Method, dict[str, Any]]:
    """The condition's method from the engine's registry and its parameters, parsed as the
    `redline detect` command parses them; a problem names the method or parameter."""
    method = condition.method
    if method not in METHODS:
        if method in PLANNED:
            raise ConditionProblem(messages.NOT_YET % {"method": method})
        raise ConditionProblem(messages.UNKNOWN_METHOD % {"method": method})
    spec = METHODS[method]
    params: dict[str, Any] = {}
    raw = condition.params if isinstance(condition.params, dict) else {}
    for name, value in raw.items():
        parse = spec.params.get(name)
        if parse is None:
            raise ConditionProblem(
                messages.UNKNOWN_PARAMETER
                % {"name": name, "method": method, "known": ", ".join(spec.params)}
            )
        if isinstance(value, bool | list | dict) or value is None:
            params[name] = value
            continue
        try:
            params[name] = parse(str(value))
        except ValueError:
            raise ConditionProblem(
                messages.BAD_VALUE % {"name": name, "value": repr(value)}
            ) from None
    return spec, params


def _setting(spec: Method, params: Mapping[str, Any], name: str) -> Any:
    """A parameter's value: the condition's, else the method's own default."""
    if name in params:
        return params[name]
    return inspect.signature(spec.run).parameters[name].default


def _ears_history(spec: Method, params: Mapping[str, Any], step: int) -> int:
    """EARS reads `baseline` periods before a guard band of 0 (C1) or 2 (C2, C3) periods;
    C3 also sums the two periods before."""
    first = EARS_FIRST[spec.fixed["method"]]
    return int(_setting(spec, params, "baseline")) + first


def _mpm_history(spec: Method, params: Mapping[str, Any], step: int) -> int:
    """MPM reads, `years` years back, `blocks` windows either side of the window (days)."""
    window = int(_setting(spec, params, "window"))
    years = int(_setting(spec, params, "years"))
    blocks = int(_setting(spec, params, "blocks"))
    days = years * 366 + (blocks + 1) * window + 7  # a leap day per year, and a week more
    return -(-days // step)


# Methods whose value at a period depends only on a window of periods just before it: the
# periods of history each needs (their series are read from just that far back; the others
# read all history).
WINDOWED: dict[str, Callable[[Method, Mapping[str, Any], int], int]] = {
    "ears-c1": _ears_history,
    "ears-c2": _ears_history,
    "ears-c3": _ears_history,
    "mpm": _mpm_history,
    "fixed": lambda spec, params, step: 0,
}


def history_since(
    condition: Condition, params: Mapping[str, Any], day: dt.date, shown: int | None = None
) -> dt.date | None:
    """The first day a windowed method needs to evaluate the last `shown` periods (default:
    the evidence periods); None: all history."""
    history = WINDOWED.get(condition.method)
    if history is None or condition.method not in METHODS:
        return None
    aggregation = Aggregation(condition.aggregation)
    step = PERIOD_DAYS[aggregation]
    shown = EVIDENCE_PERIODS[aggregation] if shown is None else shown
    periods = history(METHODS[condition.method], params, step) + shown
    return last_period(day, aggregation) - dt.timedelta(days=step * periods)


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def run_method(
    spec: Method,
    params: Mapping[str, Any],
    counts: Any,
    dates: list[dt.date],
    frequency: int,
    last: int | None = None,
) -> Any:
    """The engine's method over one series, exactly as `redline detect` calls it; `last`
    lets a method that can (farrington) evaluate only the last periods (same values)."""
    if last is not None and spec.batch is not None and "dates" not in spec.context:
        values = np.asarray(counts, dtype=float)
        return spec.batch([values], **spec.fixed, **params, freq=frequency, last=last)[0]
    context = {"freq": frequency, "dates": dates}
    extra = {name: context[name] for name in spec.context}
    return spec.run(np.asarray(counts, dtype=float), **spec.fixed, **params, **extra)


def read_window(
    result: Any, length: int, window: int
) -> tuple[int, list[float | None], list[int | None]]:
    """The last `window` periods of a method's result: (first position, upper bounds,
    alarms 1/0), None where the method gives nothing (R's NA, or not evaluated)."""
    last = length - 1
    first = max(0, last - window + 1)
    periods = np.asarray(result.periods, dtype=np.int64)
    bounds = np.asarray(result.upperbound, dtype=float)
    alarms = np.asarray(result.alarm, dtype=float)
    upper: list[float | None] = [None] * (last - first + 1)
    flags: list[int | None] = [None] * (last - first + 1)
    for position in np.nonzero(periods >= first)[0]:
        offset = int(periods[position]) - first
        upper[offset] = _number(bounds[position])
        flags[offset] = None if math.isnan(alarms[position]) else int(alarms[position])
    return first, upper, flags


# Per-period outputs some methods give besides the bound: `current` (MPM: the window sum the
# bound applies to) and `expected` (the baseline's expected count).
EXTRAS = ("current", "expected")


def read_extras(result: Any, length: int, window: int) -> dict[str, list[float | None]]:
    """The methods' extra outputs over the last `window` periods (None where not given)."""
    last = length - 1
    first = max(0, last - window + 1)
    periods = np.asarray(result.periods, dtype=np.int64)
    found: dict[str, list[float | None]] = {}
    for name in EXTRAS:
        values = getattr(result, name, None)
        if values is None:
            continue
        column: list[float | None] = [None] * (last - first + 1)
        array = np.asarray(values, dtype=float)
        for position in np.nonzero(periods >= first)[0]:
            column[int(periods[position]) - first] = _number(array[position])
        found[name] = column
    return found


def evaluate(
    series: SeriesSet,
    index: int,
    spec: Method,
    params: Mapping[str, Any],
    *,
    condition: Condition,
    run: DetectionRun,
    result: Any = None,
) -> Outcome:
    """Run the method over one series (unless its `result` is given) and read its latest
    period (and the evidence)."""
    dates, counts = series.values(index)
    base: _Latest = {
        "key": series.keys[index],
        "region_id": int(series.region_ids[index]),
        "place_id": series.place_id(index),
        "period": series.dates[-1],
        "count": int(counts[-1]) if len(counts) else 0,
    }
    window = EVIDENCE_PERIODS[Aggregation(series.aggregation)]
    try:
        if result is None:
            result = run_method(spec, params, counts, dates, series.frequency, last=window)
    except ValueError as error:
        return Outcome(**base, alarm=False, upperbound=None, not_evaluable=str(error))
    except Exception as error:  # an engine failure must not stop the other series
        failure = f"{type(error).__name__}: {error}"
        return Outcome(**base, alarm=False, upperbound=None, failure=failure)
    first, upper, flags = read_window(result, len(counts), window)
    if flags[-1] is None:
        return Outcome(
            **base,
            alarm=False,
            upperbound=upper[-1],
            not_evaluable=messages.NO_LATEST,
        )
    alarm = flags[-1] == 1
    extras = read_extras(result, len(counts), window)
    current = extras.get("current")
    if current is not None and current[-1] is not None:
        # The bound applies to the window's sum (MPM): that is the signal's count.
        base["count"] = round(current[-1])
    evidence: dict[str, Any] = {}
    if alarm:
        notes = [str(n) for n in getattr(result, "unconfirmed", ()) or ()]
        evidence = {
            "series": series.keys[index],
            "method": condition.method,
            "params": dict(params),
            "aggregation": series.aggregation,
            "day": run.day.isoformat(),
            "as_known_on": run.as_known_on.isoformat(),
            "period": series.dates[-1].isoformat(),
            "run": run.pk,
            "dates": [d.isoformat() for d in dates[first:]],
            "counts": [int(c) for c in counts[first:]],
            "upperbounds": upper,
            "alarms": flags,
            **extras,
        }
        if notes:
            evidence["unconfirmed"] = notes
    return Outcome(**base, alarm=alarm, upperbound=upper[-1], evidence=evidence)


def evaluate_all(
    series: SeriesSet,
    spec: Method,
    params: Mapping[str, Any],
    *,
    condition: Condition,
    run: DetectionRun,
) -> list[Outcome]:
    """Every series of a chunk: in one call of the engine where the method takes many
    series at once (the same values as one by one), else one by one. When the engine refuses
    the batch (a series too short, say), the series go one by one, so that the refusal is
    told of its own series and the others are still evaluated."""
    results: list[Any] | None = None
    if len(series) > 1 and spec.batch is not None and "dates" not in spec.context:
        window = EVIDENCE_PERIODS[Aggregation(series.aggregation)]
        values = [np.asarray(series.values(i)[1], dtype=float) for i in range(len(series))]
        try:
            results = spec.batch(values, **spec.fixed, **params, freq=series.frequency, last=window)
        except Exception:  # told series by series below
            results = None
    return [
        evaluate(
            series,
            i,
            spec,
            params,
            condition=condition,
            run=run,
            result=None if results is None else results[i],
        )
        for i in range(len(series))
    ]


def chunk_count(series: int, chunk_size: int) -> int:
    return (series + chunk_size - 1) // chunk_size


def _chunk_id(condition: Condition, index: int) -> str:
    return f"{condition.code}:{index}"


def _done_ids(run: DetectionRun) -> set[str]:
    return {entry["id"] for entry in run.chunks_done if isinstance(entry, dict)}


def _add_errors(run: DetectionRun, found: list[dict[str, Any]]) -> bool:
    """Add problems not yet recorded on the run (the same problem is recorded once)."""
    known = {(e.get("condition"), e.get("error")) for e in run.errors if isinstance(e, dict)}
    fresh = [e for e in found if (e["condition"], e["error"]) not in known]
    if fresh:
        run.errors = [*run.errors, *fresh]
    return bool(fresh)


def detection_record_problem(*, run_id: int, condition_id: int, error: str) -> None:
    """Record that a condition could not be analysed (once per run)."""
    condition = Condition.objects.get(pk=condition_id)
    with transaction.atomic():
        run = DetectionRun.objects.select_for_update().get(pk=run_id)
        entry = {"condition": condition.code, "method": condition.method, "error": error}
        if _add_errors(run, [entry]):
            run.save(update_fields=["errors"])


def detection_chunk(
    *,
    run_id: int,
    condition_id: int,
    index: int,
    chunk_size: int,
    now: dt.datetime,
    series: SeriesSet | None = None,
    keys: list[str] | None = None,
    of: int | None = None,
) -> dict[str, Any]:
    """Evaluate one chunk of a condition's series and commit its signals with the record
    that the chunk is done. A chunk already done is skipped. `series` is the condition's
    series when the caller has built them (in-process); a worker passes nothing, and the
    chunk's series `keys` as planned (with `of`, the condition's number of chunks)."""
    run = DetectionRun.objects.get(pk=run_id)
    condition = Condition.objects.get(pk=condition_id)
    chunk_id = _chunk_id(condition, index)
    if chunk_id in _done_ids(run):
        return {"id": chunk_id, "skipped": True}
    spec, params = prepare(condition)
    if series is None:
        series = condition_series(
            condition,
            day=run.day,
            as_known_on=run.as_known_on,
            since=history_since(condition, params, run.day),
        )
    if keys is not None:
        position = {key: i for i, key in enumerate(series.keys)}
        part = series.take([position[key] for key in keys if key in position])
    else:
        start = index * chunk_size
        part = series.take(range(start, min(len(series), start + chunk_size)))
        of = chunk_count(len(series), chunk_size)
    outcomes = evaluate_all(part, spec, params, condition=condition, run=run)
    with transaction.atomic():
        locked = DetectionRun.objects.select_for_update().get(pk=run_id)
        if chunk_id in _done_ids(locked):
            return {"id": chunk_id, "skipped": True}
        alarms: list[list[Any]] = []
        opened = 0
        for outcome in outcomes:
            if not outcome.alarm:
                continue
            signal, what = signal_raise(
                condition=condition,
                region_id=outcome.region_id,
                place_id=outcome.place_id,
                method=condition.method,
                params=params,
                period=outcome.period,
                count=outcome.count,
                upperbound=outcome.upperbound,
                evidence=outcome.evidence,
                now=now,
                run=locked,
            )
            opened += what == "opened"
            alarms.append(
                [
                    outcome.key,
                    outcome.period.isoformat(),
                    outcome.count,
                    outcome.upperbound,
                    signal.number if signal else None,
                    what,
                ]
            )
        skipped = Counter(o.not_evaluable for o in outcomes if o.not_evaluable)
        failures = Counter(o.failure for o in outcomes if o.failure)
        entry = {
            "id": chunk_id,
            "condition": condition.code,
            "index": index,
            "of": of,
            "series": len(part),
            "alarms": alarms,
            "not_evaluable": dict(skipped),
            "at": now.isoformat(),
        }
        locked.chunks_done = [*locked.chunks_done, entry]
        locked.series += len(part)
        locked.alarms += len(alarms)
        locked.signals_opened += opened
        _add_errors(
            locked,
            [
                {
                    "condition": condition.code,
                    "method": condition.method,
                    "error": messages.IN_SERIES % {"error": text, "n": n},
                }
                for text, n in failures.items()
            ],
        )
        locked.save(update_fields=["chunks_done", "series", "alarms", "signals_opened", "errors"])
    return entry


def detection_condition(
    *,
    run_id: int,
    condition_id: int,
    chunk_size: int,
    now: dt.datetime,
    districts: dict[int, int] | None = None,
) -> int:
    """One condition of a run: its series (one query), then each chunk not yet done.
    Returns the number of chunks run now."""
    run = DetectionRun.objects.get(pk=run_id)
    condition = Condition.objects.get(pk=condition_id)
    entries = [e for e in run.chunks_done if e.get("condition") == condition.code]
    if entries and len(entries) >= entries[0].get("of", 0):
        return 0
    try:
        spec, params = prepare(condition)
    except ConditionProblem as problem:
        detection_record_problem(run_id=run_id, condition_id=condition_id, error=str(problem))
        return 0
    del spec
    series = condition_series(
        condition,
        day=run.day,
        as_known_on=run.as_known_on,
        since=history_since(condition, params, run.day),
        districts=districts,
    )
    ran = 0
    for index in range(chunk_count(len(series), chunk_size)):
        entry = detection_chunk(
            run_id=run_id,
            condition_id=condition_id,
            index=index,
            chunk_size=chunk_size,
            now=now,
            series=series,
        )
        ran += not entry.get("skipped")
    _note_nothing_evaluable(run_id, condition)
    return ran


def _note_nothing_evaluable(run_id: int, condition: Condition) -> None:
    """When not one series of a condition could be evaluated for the same reason (too
    little history for the method, a parameter the method refuses), say so on the run."""
    run = DetectionRun.objects.get(pk=run_id)
    entries = [e for e in run.chunks_done if e.get("condition") == condition.code]
    total = sum(e.get("series", 0) for e in entries)
    reasons: Counter[str] = Counter()
    for entry in entries:
        reasons.update(entry.get("not_evaluable", {}))
    if total and len(reasons) == 1 and next(iter(reasons.values())) == total:
        reason = next(iter(reasons))
        detection_record_problem(
            run_id=run_id,
            condition_id=condition.pk,
            error=messages.NONE_EVALUABLE % {"reason": reason},
        )


DETECTION_STEP = "epidemic.detection-chunk"


def detection_dispatch(
    *,
    day: dt.date,
    now: dt.datetime,
    as_known_on: dt.date | None = None,
    chunk_size: int = 500,
    send: Callable[[str, dict[str, Any]], None],
    resend_after: dt.timedelta = dt.timedelta(hours=1),
) -> tuple[DetectionRun, int]:
    """The run of `detection_run` spread over workers: plan its chunks (each condition's
    series, `chunk_size` at a time; a condition that cannot be analysed is recorded at once)
    and `send` each chunk not yet done as a `DETECTION_STEP`. The run of the same day that is
    still unfinished is continued: its chunks not done are sent again only when they were
    last sent more than `resend_after` ago (a lost message, a worker that died), not while
    they may still be waiting for a worker. Returns (the run, the chunks sent)."""
    as_known_on = as_known_on or day
    check_run_days(day, as_known_on, now)
    run, _resumed = _open_run(day, as_known_on, now, None)
    if run.plan.get("chunks") is not None:
        sent_at = dt.datetime.fromisoformat(run.plan["sent_at"])
        if timezone.now() - sent_at < resend_after:
            return run, 0
        messages_ = run.plan["messages"]
    else:
        messages_ = _plan(run, chunk_size, now)
    done = _done_ids(run)
    waiting = [m for m in messages_ if m["id"] not in done]
    plan = {**run.plan, "sent_at": timezone.now().isoformat()}
    if "chunks" not in plan:
        plan.update(chunks={}, messages=messages_)
        for message in messages_:
            plan["chunks"][message["condition"]] = message["of"]
    DetectionRun.objects.filter(pk=run.pk).update(plan=plan)
    for message in waiting:
        send(
            DETECTION_STEP,
            {
                "run_id": run.pk,
                "condition_id": message["condition_id"],
                "index": message["index"],
                "keys": message["keys"],
                "of": message["of"],
                "now": now.isoformat(),
            },
        )
    if not messages_:
        detection_finish(run_id=run.pk, now=now)
    run.refresh_from_db()
    return run, len(waiting)


def _plan(run: DetectionRun, chunk_size: int, now: dt.datetime) -> list[dict[str, Any]]:
    """Every chunk of the run: which condition, which series."""
    planned: list[dict[str, Any]] = []
    districts = district_map()
    for condition in Condition.objects.active().order_by("code"):
        try:
            _spec, params = prepare(condition)
        except ConditionProblem as problem:
            detection_record_problem(run_id=run.pk, condition_id=condition.pk, error=str(problem))
            continue
        series = condition_series(
            condition,
            day=run.day,
            as_known_on=run.as_known_on,
            since=history_since(condition, params, run.day),
            districts=districts,
        )
        of = chunk_count(len(series), chunk_size)
        for index in range(of):
            planned.append(
                {
                    "id": _chunk_id(condition, index),
                    "condition": condition.code,
                    "condition_id": condition.pk,
                    "index": index,
                    "of": of,
                    "keys": series.keys[index * chunk_size : (index + 1) * chunk_size],
                }
            )
    return planned


def detection_chunk_step(
    *, run_id: int, condition_id: int, index: int, keys: list[str], of: int, now: str
) -> dict[str, Any]:
    """One planned chunk, on a worker; the chunk that completes the plan ends the run."""
    moment = dt.datetime.fromisoformat(now)
    entry = detection_chunk(
        run_id=run_id,
        condition_id=condition_id,
        index=index,
        chunk_size=max(1, len(keys)),
        now=moment,
        keys=keys,
        of=of,
    )
    detection_finish(run_id=run_id, now=moment)
    return {"id": entry["id"], "skipped": bool(entry.get("skipped"))}


def detection_finish(*, run_id: int, now: dt.datetime) -> bool:
    """End a planned run when every planned chunk is done (once: the run is locked)."""
    with transaction.atomic():
        run = DetectionRun.objects.select_for_update().get(pk=run_id)
        if run.finished_at is not None:
            return True
        done = Counter(e.get("condition") for e in run.chunks_done if isinstance(e, dict))
        chunks = run.plan.get("chunks", {})
        if any(done[code] < of for code, of in chunks.items()):
            return False
        for condition in Condition.objects.filter(code__in=list(chunks)):
            _note_nothing_evaluable(run_id, condition)
        DetectionRun.objects.filter(pk=run_id).update(finished_at=now)
    return True


def _open_run(
    day: dt.date, as_known_on: dt.date, now: dt.datetime, user: Any
) -> tuple[DetectionRun, bool]:
    """The unfinished run of this day and knowledge date to resume, or a new one."""
    unfinished = (
        DetectionRun.objects.filter(day=day, as_known_on=as_known_on, finished_at__isnull=True)
        .order_by("-started_at", "-pk")
        .first()
    )
    if unfinished is not None:
        return unfinished, True
    run = DetectionRun.objects.create(
        day=day,
        as_known_on=as_known_on,
        started_at=now,
        requested_by=user if getattr(user, "pk", None) else None,
    )
    return run, False


def detection_run(
    *,
    day: dt.date,
    now: dt.datetime,
    as_known_on: dt.date | None = None,
    user: Any = None,
    chunk_size: int = 500,
    progress: Callable[[int, int, str], None] | None = None,
) -> DetectionRun:
    """Run every active condition's method over its series with the data up to `day` as
    known at the end of `as_known_on` (default `day`: re-running a past day reproduces its
    alarms whatever was corrected since). Resumes an unfinished run of the same day and
    knowledge date; a finished one is repeated (without duplicating signals). `progress` is
    told (done, of, the condition's code) before each condition."""
    as_known_on = as_known_on or day
    check_run_days(day, as_known_on, now)
    if chunk_size < 1:
        raise ValidationFailed(fields={"chunk_size": _("Give a whole number of 1 or more.")})
    run, _resumed = _open_run(day, as_known_on, now, user)
    districts = district_map()
    conditions = list(Condition.objects.active().order_by("code").values_list("pk", "code"))
    for done, (condition_id, code) in enumerate(conditions):
        if progress is not None:
            progress(done, len(conditions), code)
        detection_condition(
            run_id=run.pk,
            condition_id=condition_id,
            chunk_size=chunk_size,
            now=now,
            districts=districts,
        )
    DetectionRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(finished_at=now)
    run.refresh_from_db()
    return run


def check_run_days(day: dt.date, as_known_on: dt.date, now: dt.datetime) -> None:
    """The days a run may be asked for (ValidationFailed naming the field otherwise): the
    day analysed not in the future, the data known on it or later, not in the future."""
    if day > timezone.localdate(now):
        raise ValidationFailed(fields={"day": _("The day analysed cannot be in the future.")})
    if as_known_on < day:
        raise ValidationFailed(
            fields={"as_known_on": _("The data cannot be known before the day analysed.")}
        )
    if as_known_on > timezone.localdate(now):
        raise ValidationFailed(fields={"as_known_on": _("This date cannot be in the future.")})


def run_alarms(run: DetectionRun) -> list[tuple[str, str, int, float | None]]:
    """The alarms a run found: (condition:series, period, count, upper bound), sorted."""
    found = []
    for entry in run.chunks_done:
        for key, period, count, upper, *_rest in entry.get("alarms", []):
            found.append((f"{entry['condition']}|{key}", period, count, upper))
    return sorted(found)
