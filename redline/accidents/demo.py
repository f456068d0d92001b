"""The demo city's accidents: four years (three past years and this one, up to today), about
eight a year per district, levels spread as real statistics are (almost all general, a few
larger, at most one serious in the whole run, none particularly serious), most in registered
units of their sector and some on the roads (no registered unit). Past accidents went through
their investigation and are closed; this year's recent ones are open, some with a
supplementary report, one investigation left past its 60 days (flagged by the sweep). This
year's control indicators (the city, each district, three sectors) are set at last year's
figures less 10 %, so the progress page has something to say.

Everything goes through the services and the kernel's steps (dated in the past with `now=`).
Deterministic: its own random stream from the demo's seed."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Sum
from django.utils import timezone

from redline.accidents import services
from redline.accidents.deadlines import accident_deadline_sweep
from redline.accidents.models import Accident
from redline.accidents.vocab import ReportingClass, standard_for, suggested_2025
from redline.accidents.workflow import ACCIDENT
from redline.core.workflow import take_step
from redline.organisations.access import role_allows
from redline.organisations.demo import CITY
from redline.organisations.models import Enterprise, Organisation, Region
from redline.organisations.vocab import OrganisationKind, Sector

YEARS = 4
PER_DISTRICT_YEAR = 8
# GB 6441-1986 types likely in each sector (the demo's spread, not statistics).
TYPES = {
    Sector.HAZARDOUS_CHEMICALS: ["19", "18", "07", "08", "03"],
    Sector.FIRE_KEY_UNITS: ["08", "08", "05", "09"],
    Sector.CONSTRUCTION: ["09", "09", "01", "10", "04", "05"],
    Sector.URBAN_GAS: ["18", "19", "08"],
    Sector.ROAD_TRANSPORT: ["02", "02", "02"],
    Sector.INDUSTRY_TRADE: ["03", "03", "01", "04", "05", "09", "20"],
    Sector.OTHER: ["20", "09", "01", "06"],
}
PLACES = {
    Sector.HAZARDOUS_CHEMICALS: ["储罐区", "装置区", "装卸站台", "仓库"],
    Sector.FIRE_KEY_UNITS: ["营业大厅", "库房", "配电室"],
    Sector.CONSTRUCTION: ["在建工地", "脚手架", "基坑", "塔吊作业区"],
    Sector.URBAN_GAS: ["调压站", "用户厨房", "管道施工现场"],
    Sector.ROAD_TRANSPORT: ["国道路段", "交叉路口", "货运站"],
    Sector.INDUSTRY_TRADE: ["冲压车间", "仓储区", "包装车间", "粉尘作业区"],
    Sector.OTHER: ["作业现场", "厂区道路"],
}


def _writer(org: Organisation | None) -> Any:
    if org is None:
        return None
    people = get_user_model().objects.filter(organisation=org, is_active=True)
    return next((u for u in people.order_by("username") if role_allows(u, "change")), None)


def _figures(rng: random.Random, serious_left: list[int]) -> tuple[int, int, Decimal]:
    """Deaths, serious injuries and loss: ~93 % general, ~6 % larger, one serious at most."""
    draw = rng.random()
    if draw < 0.004 and serious_left[0]:
        serious_left[0] -= 1
        return 10, rng.randint(3, 20), Decimal(rng.randint(20_000_000, 45_000_000))
    if draw < 0.07:
        which = rng.choice(("deaths", "injuries", "loss"))
        deaths = rng.randint(3, 5) if which == "deaths" else rng.randint(0, 2)
        injuries = rng.randint(10, 14) if which == "injuries" else rng.randint(0, 6)
        low, high = (10_000_000, 18_000_000) if which == "loss" else (200_000, 3_000_000)
        return deaths, injuries, Decimal(rng.randint(low, high))
    deaths = rng.choices((0, 1, 2), weights=(35, 55, 10))[0]
    injuries = rng.choices((0, 1, 2, 3), weights=(50, 30, 15, 5))[0]
    if deaths == 0 and injuries == 0:
        injuries = 1
    cents = Decimal(rng.randint(0, 99)) / 100
    return deaths, injuries, Decimal(rng.randint(5_000, 1_500_000)) + cents


def build_accidents(builder: Any, units: list[Enterprise]) -> None:
    city = Region.objects.filter(code=CITY[2]).first()
    if city is None:
        return
    government = (
        Organisation.objects.filter(
            region=city, kind=OrganisationKind.GOVERNMENT, enterprise__isnull=False
        ).first()
        or Organisation.objects.filter(region=city, kind=OrganisationKind.GOVERNMENT).first()
    )
    actor = _writer(government)
    office = Organisation.objects.filter(
        region=city, kind=OrganisationKind.COMMITTEE_OFFICE
    ).first()
    manager = next(
        (
            u
            for u in get_user_model().objects.filter(organisation=office).order_by("username")
            if role_allows(u, "manage")
        ),
        None,
    )
    if actor is None:
        return
    rng = random.Random(f"accidents-{builder.seed}")
    districts = list(Region.objects.filter(parent=city).order_by("code"))
    subdistricts = {
        d.pk: list(Region.objects.filter(parent=d).order_by("code")) or [d] for d in districts
    }
    by_district: dict[int, list[Enterprise]] = {d.pk: [] for d in districts}
    for unit in units:
        for district in districts:
            if unit.region.path.startswith(district.path):
                by_district[district.pk].append(unit)
    now = timezone.now()
    today = timezone.localdate()
    serious_left = [1]
    made = 0
    overdue_left = [1]  # investigations left open past their 60 days
    for year in range(today.year - YEARS + 1, today.year + 1):
        first = dt.date(year, 1, 1)
        last = min(dt.date(year, 12, 31), today - dt.timedelta(days=1))
        span = (last - first).days
        if span < 1:
            continue
        for district in districts:
            count = PER_DISTRICT_YEAR + rng.randint(-3, 3)
            if year == today.year:
                count = max(1, round(count * (span + 1) / 365))
            for _ in range(count):
                day = first + dt.timedelta(days=rng.randint(0, span))
                moment = timezone.make_aware(
                    dt.datetime.combine(
                        day, dt.time(rng.randint(6, 21), rng.choice((0, 15, 30, 45)))
                    )
                )
                pool = by_district[district.pk]
                on_road = not pool or rng.random() < 0.15
                values: dict[str, Any] = {"occurred_at": moment}
                if on_road:
                    sector = Sector.ROAD_TRANSPORT
                    values |= {
                        "region": rng.choice(subdistricts[district.pk]).pk,
                        "sector": sector,
                        "reporting_class": ReportingClass.ROAD_TRAFFIC,
                    }
                else:
                    unit = rng.choice(pool)
                    sector = builder.primary_sector(unit)
                    values |= {"unit": unit.pk, "sector": sector}
                    if sector == Sector.FIRE_KEY_UNITS:
                        values["reporting_class"] = ReportingClass.FIRE
                deaths, injuries, loss = _figures(rng, serious_left)
                old = rng.choice(TYPES.get(sector, TYPES[Sector.OTHER]))
                if standard_for(day) == "2025":
                    values["type_2025"] = suggested_2025(old) or "WSA10099"
                else:
                    values["type_1986"] = old
                place = rng.choice(PLACES.get(sector, PLACES[Sector.OTHER]))
                values |= {
                    "place": place,
                    "deaths": deaths,
                    "serious_injuries": injuries,
                    "direct_loss_cny": loss,
                    "narrative": f"{day:%Y年%m月%d日}，{place}发生事故，造成{deaths}人死亡、"
                    f"{injuries}人重伤。",
                    # most reported within the hour; a few late
                    "reported_at": moment + dt.timedelta(minutes=rng.choice((25, 40, 55, 75, 300))),
                }
                accident = services.accident_record(
                    actor=actor, data=services.AccidentInput.of(values), now=moment
                )
                made += 1
                _history(accident, actor, rng, now, today, overdue_left)
    if manager is not None:
        _indicators(manager, city, districts, today.year)
    accident_deadline_sweep(now=now)
    builder.progress(f"accidents: {made} over {YEARS} years")


def _history(
    accident: Accident,
    actor: Any,
    rng: random.Random,
    now: dt.datetime,
    today: dt.date,
    overdue_left: list[int],
) -> None:
    """The investigation of an accident, dated as it would have happened."""
    start = accident.occurred_at + dt.timedelta(days=rng.randint(1, 3))
    if start >= now:
        return
    age = (today - timezone.localtime(accident.occurred_at).date()).days
    if age <= 5 and rng.random() < 0.5 and accident.deaths < 2:
        accident = take_step(
            ACCIDENT,
            actor=actor,
            pk=accident.pk,
            action="supplement",
            version=accident.version,
            data={
                "comment": "一名重伤人员经抢救无效死亡。",
                "deaths": accident.deaths + 1,
                "serious_injuries": max(0, accident.serious_injuries - 1),
            },
            now=start,
        )
    accident = take_step(
        ACCIDENT,
        actor=actor,
        pk=accident.pk,
        action="start_investigation",
        version=accident.version,
        data={"investigating_body": "区人民政府事故调查组"},
        now=start,
    )
    closing = accident.occurred_at + dt.timedelta(days=rng.randint(35, 58))
    if closing >= now:
        return  # still under investigation
    if 70 < age < 200 and overdue_left[0] > 0:
        overdue_left[0] -= 1
        return  # one investigation left past its 60 days
    take_step(
        ACCIDENT,
        actor=actor,
        pk=accident.pk,
        action="submit_report",
        version=accident.version,
        data={"comment": "经调查，事故系作业人员违章作业、现场安全管理不到位所致。"},
        now=closing,
    )


def _indicators(manager: Any, city: Region, districts: list[Region], year: int) -> None:
    """This year's ceilings: last year's figures less 10 % (at least 1)."""
    zone = timezone.get_current_timezone()
    last = Accident.objects.filter(
        occurred_at__gte=dt.datetime(year - 1, 1, 1, tzinfo=zone),
        occurred_at__lt=dt.datetime(year, 1, 1, tzinfo=zone),
    )

    def ceilings(found: Any) -> tuple[int, int]:
        row = found.aggregate(n=Count("pk"), d=Sum("deaths", default=0))
        return max(1, round(row["n"] * 0.9)), max(1, round(row["d"] * 0.9))

    targets: list[tuple[Region, str, Any]] = [
        (city, "", last.filter(region__path__startswith=city.path))
    ]
    targets += [(d, "", last.filter(region__path__startswith=d.path)) for d in districts]
    for code in (Sector.CONSTRUCTION, Sector.ROAD_TRANSPORT, Sector.HAZARDOUS_CHEMICALS):
        targets.append((city, str(code), last.filter(sector=code)))
    for region, sector, found in targets:
        accidents, deaths = ceilings(found)
        services.indicator_set(
            actor=manager,
            data=services.IndicatorInput.of(
                {
                    "year": year,
                    "region": region.pk,
                    "sector": sector,
                    "max_accidents": accidents,
                    "max_deaths": deaths,
                }
            ),
        )
