"""Demo data of epidemic monitoring: the disease catalogue, key groups of the regions and key
places, seven years of simulated daily case counts with injected outbreaks (recorded as
`SimulatedOutbreak`), the evaluation of the detection engine on them, and the last two weeks
of daily detection runs with the signals they raise, some already verified by the city CDC.

The counts come from `redline.engines.detection.simulate` as `data/demo_series.yaml`
describes them: for each district a daily series per condition (split among its subdistricts
by population, an outbreak's cases all in one subdistrict), and for key places (schools,
kindergartens, nursing homes) their syndrome counts. Each series has its own seed (stored on
its outbreaks), derived from the demo's seed, so the same seed gives the same data. The dates
are anchored on today, like the other demo steps: the counts end yesterday (each known from
the next day), and some outbreaks are still going on, so the daily run finds live signals.
"""

from __future__ import annotations

import datetime as dt
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from redline.core import bulk
from redline.engines.detection.simulate import (
    DAILY,
    Baseline,
    OutbreakPlan,
    Simulation,
    simulate_with_outbreaks,
)
from redline.epidemic.detection import detection_run
from redline.epidemic.models import (
    CaseCount,
    Condition,
    IngestBatch,
    KeyGroupCount,
    Signal,
    SimulatedOutbreak,
    series_key,
)
from redline.epidemic.selectors_evaluation import Report, evaluate_simulations
from redline.epidemic.services import condition_catalogue_load
from redline.epidemic.services_signals import signal_transition
from redline.epidemic.vocab import CountSource, KeyGroup, SignalState, Verification
from redline.organisations.models import Enterprise, Region
from redline.organisations.vocab import RegionLevel, UnitKind

PLAN = Path(__file__).resolve().parent / "data" / "demo_series.yaml"
# How many districts get simulated series, and key places of each kind (None: all). A
# province's hundred districts would be tens of millions of rows for no more insight.
DISTRICTS = {"small": None, "city": None, "province": 10}
PLACES_PER_KIND = {"small": None, "city": 6, "province": 6}
LIVE_DAYS = 14  # daily detection runs at the end of the demo
FIRST_OUTBREAK_DAY = 30  # outbreaks of the history start after this many days …
QUIET_END_DAYS = 60  # … and this many days before the end (the live ones are `current`)
BATCH = 20_000


@dataclass(frozen=True)
class Geography:
    districts: list[Region]
    subdistricts: dict[int, list[Region]]  # district id -> its subdistricts, by code
    places: list[Enterprise]  # the key places with simulated syndrome counts, by id


def build_epidemic(builder: Any, units: list[Enterprise]) -> None:
    started = time.monotonic()
    now = timezone.now()
    today = timezone.localdate(now)
    changes = condition_catalogue_load()
    builder.progress(
        f"disease catalogue: {Condition.objects.count()} conditions ({len(changes.created)} new)"
    )
    plan = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    geography = _geography(builder, units, plan)
    groups = _key_groups(builder, geography, today)
    builder.progress(f"key group counts: {groups:,}")
    rows, outbreaks = _counts(builder, plan, geography, today, now)
    builder.progress(
        f"case counts: {rows:,} rows over {plan['years']} years, {outbreaks:,} injected outbreaks"
    )
    report = evaluate_simulations(
        outbreaks=SimulatedOutbreak.objects.all(),
        counts=CaseCount.objects.all(),
        as_known_on=today,
    )
    for line in evaluation_lines(report):
        builder.progress(line)
    _live(builder, today, now)
    builder.progress(f"epidemic demo built in {time.monotonic() - started:.1f}s")


def evaluation_lines(report: Report) -> list[str]:
    """The evaluation as the demo prints it: one line per condition, then per method."""
    lines = []
    for item in report.conditions:
        head = f"detection of {item.condition.code} ({item.method})"
        if item.evaluation is None:
            reason = item.problem or "no series to evaluate"
            lines.append(f"{head}: injected {item.injected} outbreaks, not evaluated: {reason}")
            continue
        lines.append(
            f"{head}: injected {item.injected} outbreaks, {item.scored} after the method's "
            f"history, detected {item.detected} ({_percent(item.pod)}), "
            f"median delay {_days(item.median_delay)}, "
            f"{item.evaluation.false_alarms_per_year or 0:.1f} false alarms a year per series"
        )
    for method in report.methods:
        figures = method.figures
        lines.append(
            f"method {method.method}: injected {figures.scored} outbreaks, detected "
            f"{figures.detected} ({_percent(method.evaluation.pod)}), median delay "
            f"{_days(figures.median_delay)}, false-alarm rate "
            f"{_percent(method.evaluation.fpr, 1)}"
        )
    return lines


def _percent(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:g} days"


# --- where ------------------------------------------------------------------------------


def _geography(builder: Any, units: list[Enterprise], plan: dict[str, Any]) -> Geography:
    limit = DISTRICTS.get(builder.scale_name)
    districts = list(Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code"))
    districts = districts[:limit] if limit else districts
    subdistricts: dict[int, list[Region]] = defaultdict(list)
    for sub in Region.objects.filter(level=RegionLevel.SUBDISTRICT, parent__in=districts).order_by(
        "code"
    ):
        assert sub.parent_id is not None  # a subdistrict of one of the districts
        subdistricts[sub.parent_id].append(sub)
    kinds = {kind for entry in plan["places"] for kind in entry["kinds"]}
    per_kind = PLACES_PER_KIND.get(builder.scale_name)
    chosen: list[Enterprise] = []
    taken: dict[str, int] = defaultdict(int)
    subs = [s.pk for items in subdistricts.values() for s in items]
    candidates = Enterprise.objects.filter(
        pk__in=[u.pk for u in units], kind__in=kinds, region_id__in=subs
    ).select_related("region")
    for place in candidates.order_by("pk"):
        if per_kind is None or taken[place.kind] < per_kind:
            chosen.append(place)
            taken[place.kind] += 1
    return Geography(districts=districts, subdistricts=dict(subdistricts), places=chosen)


# --- key groups ---------------------------------------------------------------------------


# Shares of a subdistrict's population (demo figures, in the range of China's 7th census
# and chronic-disease surveys): aged 65+, underlying conditions, children under 6, pregnant.
REGION_SHARES: dict[str, tuple[float, float]] = {
    KeyGroup.AGED_65: (0.13, 0.21),
    KeyGroup.UNDERLYING: (0.18, 0.27),
    KeyGroup.CHILDREN: (0.04, 0.07),
    KeyGroup.PREGNANT: (0.006, 0.011),
}
UNVACCINATED_65 = (0.65, 0.85)  # of the aged 65+: no influenza vaccination this season
# Per kind of key place: the share of its headcount who are residents (pupils, children,
# residents) and then, of the residents, each key group.
PLACE_GROUPS: dict[str, tuple[float, dict[str, tuple[float, float]]]] = {
    UnitKind.NURSING_HOME: (
        0.75,
        {
            KeyGroup.AGED_65: (0.9, 0.98),
            KeyGroup.UNDERLYING: (0.6, 0.85),
            KeyGroup.UNVACCINATED: (0.3, 0.6),
        },
    ),
    UnitKind.WELFARE: (0.7, {KeyGroup.UNDERLYING: (0.3, 0.6), KeyGroup.CHILDREN: (0.1, 0.3)}),
    UnitKind.SCHOOL: (0.92, {KeyGroup.UNVACCINATED: (0.05, 0.15)}),
    UnitKind.KINDERGARTEN: (
        0.88,
        {KeyGroup.CHILDREN: (0.55, 0.7), KeyGroup.UNVACCINATED: (0.03, 0.1)},
    ),
    UnitKind.PRISON: (0.85, {KeyGroup.UNDERLYING: (0.1, 0.2)}),
    UnitKind.LARGE_WORKPLACE: (0.0, {}),
}


def _key_groups(builder: Any, geography: Geography, today: dt.date) -> int:
    rng = builder.rng
    census = dt.date(today.year, 1, 1)
    survey = today.replace(day=1)
    rows: list[KeyGroupCount] = []

    def add(
        region: Region,
        place: Enterprise | None,
        group: str,
        count: int,
        as_of: dt.date,
        source: str,
    ) -> None:
        rows.append(
            KeyGroupCount(
                region=region,
                place=place,
                group=group,
                series_key=series_key(region.pk, place.pk if place else None),
                count=max(0, count),
                as_of=as_of,
                source=source,
            )
        )

    for subs in geography.subdistricts.values():
        for sub in subs:
            population = sub.population or 50_000
            source = f"演示数据（模拟）：{sub.name}常住人口与健康档案统计"
            aged = 0
            for group, (low, high) in REGION_SHARES.items():
                count = round(population * rng.uniform(low, high))
                aged = count if group == KeyGroup.AGED_65 else aged
                add(sub, None, group, count, census, source)
            unvaccinated = round(aged * rng.uniform(*UNVACCINATED_65))
            add(sub, None, KeyGroup.UNVACCINATED, unvaccinated, survey, source)
    sub_ids = [s.pk for items in geography.subdistricts.values() for s in items]
    places = Enterprise.objects.filter(kind__in=list(PLACE_GROUPS), region_id__in=sub_ids)
    for place in places.select_related("region").order_by("pk"):
        share, groups = PLACE_GROUPS[place.kind]
        headcount = place.headcount or 100
        residents = round(headcount * share)
        source = f"演示数据（模拟）：{place.name}花名册"
        if residents:
            add(place.region, place, KeyGroup.RESIDENTS, residents, survey, source)
        add(place.region, place, KeyGroup.STAFF, headcount - residents, survey, source)
        for group, (low, high) in groups.items():
            add(
                place.region,
                place,
                group,
                round(residents * rng.uniform(low, high)),
                survey,
                source,
            )
    bulk.insert(rows)
    return len(rows)


# --- counts -----------------------------------------------------------------------------


def series_seed(seed: int, *parts: str) -> int:
    """A series' own seed: stable across runs and machines (not Python's salted hash)."""
    return zlib.crc32("|".join([str(seed), *parts]).encode("utf-8"))


class _Writer:
    """Case counts and outbreaks, written in batches (known from the day after each day)."""

    def __init__(self, builder: Any, first_day: dt.date, n: int, now: dt.datetime) -> None:
        self.builder = builder
        self.batch = IngestBatch.objects.create(
            key=f"demo-{builder.seed}-simulated-counts",
            source=CountSource.DEMO,
            received_at=now,
            file_name="demo_series.yaml",
        )
        zone = timezone.get_current_timezone()
        self.days = [first_day + dt.timedelta(days=i) for i in range(n + 1)]
        self.recorded = [dt.datetime.combine(d, dt.time(9, 0), tzinfo=zone) for d in self.days]
        self.rows: list[dict[str, Any]] = []  # case counts (`bulk.insert_values`)
        self.outbreaks: list[SimulatedOutbreak] = []
        self.total = 0

    def counts(
        self, condition: Condition, region: Region, place: Enterprise | None, values: Any
    ) -> None:
        """One series' daily counts; zero days are not stored (a missing day is a zero)
        except the first, which starts the series."""
        key = series_key(region.pk, place.pk if place else None)
        place_id = place.pk if place else None
        for i in np.flatnonzero(values):
            self._row(condition, region.pk, place_id, key, int(i), int(values[i]))
        if values[0] == 0:
            self._row(condition, region.pk, place_id, key, 0, 0)
        if len(self.rows) >= BATCH:
            self.flush()

    def _row(
        self,
        condition: Condition,
        region_id: int,
        place_id: int | None,
        key: str,
        i: int,
        count: int,
    ) -> None:
        self.rows.append(
            {
                "condition_id": condition.pk,
                "region_id": region_id,
                "place_id": place_id,
                "series_key": key,
                "day": self.days[i],
                "count": count,
                "known_from": self.days[i + 1],
                "batch_id": self.batch.pk,
                "recorded_at": self.recorded[i + 1],
            }
        )

    def outbreak(
        self,
        condition: Condition,
        region: Region,
        place: Enterprise | None,
        site: Region | None,
        *,
        start: int,
        end: int,
        cases: int,
        k: float,
        seed: int,
    ) -> None:
        self.outbreaks.append(
            SimulatedOutbreak(
                condition=condition,
                region=region,
                place=place,
                site=site,
                series_key=series_key(region.pk, place.pk if place else None),
                start=self.days[start],
                end=self.days[end],
                injected_cases=cases,
                size_sd=k,
                seed=seed,
            )
        )

    def flush(self) -> None:
        self.total += bulk.insert_values(CaseCount, self.rows)
        self.rows = []
        self.builder.bar("case counts", self.total)

    def finish(self) -> tuple[int, int]:
        self.flush()
        bulk.insert(self.outbreaks)
        IngestBatch.objects.filter(pk=self.batch.pk).update(
            rows=self.total, result={"created": self.total, "outbreaks": len(self.outbreaks)}
        )
        return self.total, len(self.outbreaks)


def _counts(
    builder: Any, plan: dict[str, Any], geography: Geography, today: dt.date, now: dt.datetime
) -> tuple[int, int]:
    n = int(plan["years"]) * 365
    first_day = today - dt.timedelta(days=n)  # the last day is yesterday
    start = (first_day - dt.date(first_day.year, 1, 1)).days + 1  # t of the first day
    conditions = {c.code: c for c in Condition.objects.all()}
    writer = _Writer(builder, first_day, n, now)
    current = plan.get("current") or []

    def simulate(
        entry: dict[str, Any], level: float, seed: int, extra: list[OutbreakPlan]
    ) -> tuple[Simulation, np.random.Generator]:
        rng = np.random.default_rng(seed)
        baseline = Baseline.peaking(
            level=level,
            amplitude=float(entry["amplitude"]),
            peak=float(entry["peak_day"]),
            phi=float(entry["phi"]),
            frequency=DAILY,
        )
        simulation = simulate_with_outbreaks(
            baseline,
            n,
            rng,
            outbreaks=int(entry["outbreaks"]),
            ks=[float(k) for k in entry["ks"]],
            gap=int(plan["gap_days"]),
            first=FIRST_OUTBREAK_DAY,
            last=n - QUIET_END_DAYS,
            extra=extra,
            start=start,
            spread=float(entry["spread"]),
            max_delay=float(plan["max_delay_spreads"]) * float(entry["spread"]),
        )
        return simulation, rng

    def live(condition: str, **where: Any) -> list[OutbreakPlan]:
        return [
            OutbreakPlan(start=n - 1 - int(c["days_before_end"]), k=float(c["k"]))
            for c in current
            if c["condition"] == condition
            and all(c.get(name) == value for name, value in where.items())
        ]

    for entry in plan["district"]:
        condition = conditions[entry["condition"]]
        for index, district in enumerate(geography.districts):
            subs = geography.subdistricts.get(district.pk) or []
            if not subs:
                continue
            people = np.array([s.population or 0 for s in subs], dtype=float)
            if people.sum() <= 0:
                people = np.ones(len(subs))
            level = float(entry["per_100k"]) * people.sum() / 100_000
            seed = series_seed(builder.seed, condition.code, district.code)
            simulation, rng = simulate(entry, level, seed, live(condition.code, district=index))
            if entry.get("record") == "district":
                for outbreak in simulation.outbreaks:
                    writer.outbreak(
                        condition,
                        district,
                        None,
                        None,
                        start=outbreak.start,
                        end=outbreak.end,
                        cases=outbreak.cases,
                        k=outbreak.k,
                        seed=seed,
                    )
                writer.counts(condition, district, None, simulation.counts)
                continue
            split = rng.multinomial(simulation.baseline, people / people.sum())
            for outbreak in simulation.outbreaks:
                site = int(rng.integers(len(subs)))
                split[outbreak.start : outbreak.end + 1, site] += outbreak.curve
                writer.outbreak(
                    condition,
                    district,
                    None,
                    subs[site],
                    start=outbreak.start,
                    end=outbreak.end,
                    cases=outbreak.cases,
                    k=outbreak.k,
                    seed=seed,
                )
            for column, sub in enumerate(subs):
                writer.counts(condition, sub, None, split[:, column])

    done: set[tuple[str, int]] = set()
    for entry in plan["places"]:
        condition = conditions[entry["condition"]]
        first_of_kind: dict[str, int] = {}
        for place in geography.places:
            if place.kind not in entry["kinds"] or (condition.code, place.pk) in done:
                continue
            done.add((condition.code, place.pk))
            first = first_of_kind.setdefault(place.kind, place.pk) == place.pk
            extra = live(condition.code, kind=place.kind) if first else []
            seed = series_seed(builder.seed, condition.code, place.credit_code)
            simulation, _rng = simulate(entry, float(entry["level"]), seed, extra)
            for outbreak in simulation.outbreaks:
                writer.outbreak(
                    condition,
                    place.region,
                    place,
                    place.region,
                    start=outbreak.start,
                    end=outbreak.end,
                    cases=outbreak.cases,
                    k=outbreak.k,
                    seed=seed,
                )
            writer.counts(condition, place.region, place, simulation.counts)

    for case in plan.get("single_cases") or []:
        condition = conditions[case["condition"]]
        if not geography.districts:
            break
        district = geography.districts[min(int(case["district"]), len(geography.districts) - 1)]
        subs = geography.subdistricts.get(district.pk) or []
        if not subs:
            continue
        day = n - 1 - int(case["days_before_end"])
        values = np.zeros(n, dtype=np.int64)
        values[day] = 1
        writer.outbreak(
            condition,
            district,
            None,
            subs[0],
            start=day,
            end=day,
            cases=1,
            k=0.0,
            seed=builder.seed,
        )
        writer.counts(condition, subs[0], None, values)
    return writer.finish()


# --- the last two weeks: daily runs, signals, verifications -----------------------------


def _live(builder: Any, today: dt.date, now: dt.datetime) -> None:
    """The daily detection runs of the last LIVE_DAYS days, each on the data as known the
    next morning (as the scheduled run), and the city CDC verifying what they raise: a
    signal on a series with an injected outbreak under way is true (and investigated the
    next day), most others false, some left for monitoring. The last run's signals await
    verification."""
    users = get_user_model().objects.select_related("organisation")
    verifier = users.filter(username="cdc-operator").first()
    responder = users.filter(username="cdc-manager").first()
    zone = timezone.get_current_timezone()
    hour = int(getattr(settings, "REDLINE_DETECTION_HOUR", 6))
    opened = verified = 0
    for offset in range(LIVE_DAYS, 0, -1):
        day = today - dt.timedelta(days=offset)
        known_on = day + dt.timedelta(days=1)
        run_at = min(dt.datetime.combine(known_on, dt.time(hour, 0), tzinfo=zone), now)
        run = detection_run(day=day, as_known_on=known_on, now=run_at)
        opened += run.signals_opened
        if verifier is None or known_on >= today:
            continue
        verified += _verify(run.pk, run_at, now, verifier, responder)
    open_signals = Signal.objects.open().count()
    builder.progress(
        f"daily detection runs: {LIVE_DAYS} days, {opened} signals raised, {verified} verified, "
        f"{open_signals} open"
    )


def _verify(
    run_id: int, run_at: dt.datetime, now: dt.datetime, verifier: Any, responder: Any
) -> int:
    count = 0
    fresh = Signal.objects.filter(run_id=run_id, state=SignalState.NEW).select_related("condition")
    for number, signal in enumerate(fresh.order_by("pk")):
        at = min(run_at + dt.timedelta(minutes=40 + 35 * number), now)
        # An outbreak injected into this series (a district's series also sums its key
        # places' counts) and under way when the alarm came.
        where = (
            {"series_key": signal.series_key}
            if signal.place_id
            else {"region__path__startswith": signal.region.path}
        )
        injected = SimulatedOutbreak.objects.filter(
            condition=signal.condition,
            start__lte=signal.last_date,
            end__gte=signal.first_date - dt.timedelta(days=6),
            **where,
        ).exists()
        if injected:
            data = {
                "verification": Verification.TRUE,
                "comment": "电话核实：病例有流行病学关联，启动现场调查。",
            }
        elif number % 4 == 3:
            data = {
                "verification": Verification.UNCERTAIN,
                "comment": "病例分散但略高于往年同期，继续观察3天。",
            }
        else:
            data = {
                "verification": Verification.FALSE,
                "comment": "核实为散发病例，无流行病学关联，季节性波动所致。",
            }
        signal = signal_transition(
            actor=verifier,
            signal_id=signal.pk,
            action="verify",
            version=signal.version,
            data=data,
            now=at,
        )
        count += 1
        if injected and responder is not None and at + dt.timedelta(days=1) < now:
            signal_transition(
                actor=responder,
                signal_id=signal.pk,
                action="respond",
                version=signal.version,
                data={
                    "comment": "现场调查确认聚集性疫情，已采样送检，落实隔离、消毒和健康监测。",
                    "cases": signal.count,
                },
                now=at + dt.timedelta(days=1),
            )
    return count
