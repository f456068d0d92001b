"""Demo data of hidden-hazard governance: inspection tasks from the demo inventories (with
their results), and a year of hazards with their timelines, in every state of the closed
loop, consistent with the state machine and the deadline rules.

The history is written in bulk (a province has about a million hazards), as the services
would have left it; the demo enterprise's live cases at the end go through the services,
so they also carry notifications and change-log entries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from redline.core import bulk
from redline.engines.task_schedule import due_times, period_after
from redline.hazards.inspection import _live_cycles, engine_cycle, work_calendar
from redline.hazards.models import Hazard, HazardEvent, InspectionTask, unit_copies
from redline.hazards.public import PublicReportInput, hazard_report_public
from redline.hazards.services import HazardReportInput, hazard_report, hazard_transition
from redline.hazards.tally import tally_rebuild
from redline.hazards.vocab import (
    Classification,
    HazardLevel,
    HazardSource,
    HazardState,
    HazardType,
    ManageType,
    TaskResult,
)
from redline.organisations.models import Enterprise, Organisation, Person, SectorMandate
from redline.organisations.vocab import OrganisationKind, RegionLevel, Sector, UnitKind
from redline.risk.models import UnitShutdown

# Days of inspection-task history per scale (a province's tasks would be tens of millions).
TASK_DAYS = {"small": 30, "city": 14, "province": 1}
HAZARDS_PER_UNIT = 5
MAJOR_SHARE = 0.04
BULK_CHUNK = 50_000  # rows written between two updates of the progress line

# --- what a unit's hazards look like ------------------------------------------------------


@dataclass(frozen=True)
class HazardTemplate:
    """A hidden hazard the demo draws for units of one sector or kind of key place: what it
    is, where it is found, and the determination items a major one of it may cite (items of
    a standard of that sector only)."""

    name: str
    hazard_type: str
    classification: str
    locations: tuple[str, ...]
    items: tuple[str, ...] = ()

    def description(self, location: str) -> str:
        place = "" if location in self.name else location
        return f"现场检查发现：{place}{self.name}，需整改。"


def _h(
    name: str, hazard_type: str, classification: str, where: str, cite: str = ""
) -> HazardTemplate:
    """A template from its name, type, classification, locations ("a|b") and items ("x y")."""
    return HazardTemplate(
        name, hazard_type, classification, tuple(where.split("|")), tuple(cite.split())
    )


Templates = tuple[HazardTemplate, ...]
_T, _C = HazardType, Classification
ACT, CONDITION, MANAGEMENT = _C.UNSAFE_ACT, _C.UNSAFE_CONDITION, _C.MANAGEMENT_DEFECT
# What fits every unit.
GENERAL = (
    _h("应急预案未演练", _T.OTHER, MANAGEMENT, "办公室"),
    _h("安全培训记录不全", _T.OTHER, MANAGEMENT, "办公室"),
    _h("灭火器过期", _T.FIRE, CONDITION, "配电室|仓库|办公楼"),
)
# Fire safety of any building: what a unit that is also a fire-safety key unit may show.
FIRE_COMMON = (
    _h("安全出口堵塞", _T.FIRE, CONDITION, "一层大厅|楼梯间"),
    _h("消火栓无水", _T.FIRE, CONDITION, "地下车库|一层大厅"),
    _h("疏散指示标志损坏", _T.FIRE, CONDITION, "疏散走道|楼梯间"),
    _h("常闭式防火门处于开启状态", _T.FIRE, ACT, "楼梯间"),
    _h("消防控制室值班人员未持证", _T.FIRE, MANAGEMENT, "消防控制室"),
    _h("电动自行车在楼内充电", _T.FIRE, ACT, "楼梯间|门厅"),
    _h("配电箱未接地", _T.ELECTRICAL, CONDITION, "配电室"),
)
# Enterprises' hazards by the sector of their trade. The items cited are situations (or fire
# direct items) of a determination standard of that sector that describe the hazard.
SECTOR_HAZARDS: dict[str, Templates] = {
    Sector.HAZARDOUS_CHEMICALS: (
        _h("储罐安全阀未投用", _T.EQUIPMENT, CONDITION, "储罐区", "HC-15"),
        _h("可燃气体检测报警器故障", _T.INSTRUMENT, CONDITION, "储罐区|生产装置区", "HC-12"),
        _h("防爆区域使用非防爆电器", _T.ELECTRICAL, CONDITION, "生产装置区|罐区泵房", "HC-12"),
        _h("紧急停车系统未投用", _T.PROCESS, CONDITION, "生产装置区", "HC-04"),
        _h("动火作业未办理作业票", _T.SAFETY, ACT, "生产装置区|储罐区", "HC-18"),
        _h("进入受限空间作业未审批", _T.SAFETY, ACT, "污水处理池|储罐检修现场", "HC-18"),
        _h("危化品仓库禁配物质混存", _T.LAYOUT, MANAGEMENT, "危化品仓库", "HC-20"),
        _h("特种作业人员未持证上岗", _T.SAFETY, ACT, "装卸区|生产装置区", "HC-02"),
        _h("控制室面向装置一侧不满足防爆要求", _T.LAYOUT, CONDITION, "控制室", "HC-13"),
        _h("自动化控制系统未配备不间断电源", _T.ELECTRICAL, CONDITION, "中控室", "HC-14"),
        _h("防火堤破损", _T.LAYOUT, CONDITION, "储罐区"),
        _h("反应釜温度记录缺失", _T.PROCESS, MANAGEMENT, "生产装置区"),
        _h("联锁旁路未审批", _T.PROCESS, MANAGEMENT, "中控室"),
        _h("工艺参数超出操作卡范围", _T.PROCESS, ACT, "生产装置区"),
        _h("法兰泄漏", _T.EQUIPMENT, CONDITION, "生产装置区|管廊"),
        _h("装卸栈台静电接地失效", _T.ELECTRICAL, CONDITION, "装卸区"),
        *GENERAL,
    ),
    Sector.FIRE_KEY_UNITS: (  # shopping centres, hotels, cinemas, markets, entertainment
        _h("营业厅安全出口数量不足", _T.FIRE, CONDITION, "营业厅|地下商场", "F17-D5"),
        _h("未按规定设置自动喷水灭火系统", _T.FIRE, CONDITION, "营业厅|客房楼层", "F17-D6"),
        _h("餐饮区存放液化石油气钢瓶", _T.FIRE, ACT, "餐饮区", "F17-D8"),
        _h("员工宿舍采用彩钢夹芯板搭建", _T.LAYOUT, CONDITION, "屋顶|后院", "F17-D10"),
        _h("消防车道被占用", _T.LAYOUT, CONDITION, "消防车道"),
        _h("厨房排油烟管道未清洗", _T.FIRE, MANAGEMENT, "厨房"),
        *FIRE_COMMON,
        *GENERAL,
    ),
    Sector.CONSTRUCTION: (
        _h("深基坑未进行第三方监测", _T.SAFETY, MANAGEMENT, "基坑", "HM-5-3"),
        _h("基坑超挖", _T.SAFETY, CONDITION, "基坑", "HM-5-2"),
        _h("外脚手架连墙件整层缺失", _T.EQUIPMENT, CONDITION, "外脚手架", "HM-7-2"),
        _h("塔式起重机限位装置失效", _T.EQUIPMENT, CONDITION, "塔式起重机", "HM-8-5"),
        _h("施工升降机防坠安全器超期未检", _T.EQUIPMENT, CONDITION, "施工升降机", "HM-8-6"),
        _h("高支模专项施工方案未经专家论证", _T.SAFETY, MANAGEMENT, "模板支架区", "HM-4-4"),
        _h(
            "危大工程未经验收即进入后续施工",
            _T.SAFETY,
            MANAGEMENT,
            "模板支架区|外脚手架",
            "HM24-ACC-1",
        ),
        _h("起重司机未取得特种作业操作资格证书", _T.SAFETY, ACT, "塔吊|施工升降机", "HM-4-3"),
        _h("有限空间作业现场无人监护", _T.SAFETY, ACT, "污水井|地下室", "HM-11-2"),
        _h("悬挑式操作平台未与主体结构可靠连接", _T.EQUIPMENT, CONDITION, "外立面", "HM-9-3"),
        _h("临边防护栏杆缺失", _T.SAFETY, CONDITION, "楼层临边|电梯井口"),
        _h("作业人员未佩戴安全帽", _T.SAFETY, ACT, "施工现场"),
        _h("施工临时用电未实行三级配电", _T.ELECTRICAL, CONDITION, "施工现场|生活区"),
        _h("物料堆放超高", _T.LAYOUT, CONDITION, "材料堆场"),
        *GENERAL,
    ),
    Sector.URBAN_GAS: (
        _h("储气罐液位监测无超限报警", _T.INSTRUMENT, CONDITION, "储配站储气罐区", "GAS-5-1"),
        _h("调压设施未设超压切断装置", _T.EQUIPMENT, CONDITION, "调压站|区域调压箱", "GAS-6-2"),
        _h("燃气管道被违章建筑占压", _T.LAYOUT, CONDITION, "中压管线沿线", "GAS-6-1"),
        _h("液化气装卸系统未设防拉脱装置", _T.EQUIPMENT, CONDITION, "装卸台", "GAS-5-3"),
        _h("为非自有气瓶充装燃气", _T.SAFETY, ACT, "灌装站", "GAS-7-1"),
        _h("未建立用户燃气设施定期安全检查制度", _T.OTHER, MANAGEMENT, "客户服务中心", "GAS-4-5"),
        _h("燃气阀门井积水", _T.EQUIPMENT, CONDITION, "阀门井"),
        _h("可燃气体检测报警器故障", _T.INSTRUMENT, CONDITION, "调压计量区|灌装间"),
        _h("管道标志桩缺失", _T.SAFETY, CONDITION, "中压管线沿线"),
        *GENERAL,
    ),
    Sector.ROAD_TRANSPORT: (
        _h("使用逾期未检验车辆从事经营", _T.EQUIPMENT, CONDITION, "营运车队", "RT-3-2"),
        _h("驾驶员疲劳驾驶未及时纠正处理", _T.SAFETY, ACT, "动态监控平台", "RT-3-3"),
        _h("恶劣天气预警期间违规发车", _T.SAFETY, MANAGEMENT, "调度室", "RT-3-4"),
        _h("超越许可范围从事经营", _T.OTHER, MANAGEMENT, "经营部", "RT-3-1"),
        _h("车载动态监控装置故障", _T.INSTRUMENT, CONDITION, "营运车辆"),
        _h("未配备灭火器", _T.FIRE, CONDITION, "营运车辆"),
        _h("停车场消防通道被占用", _T.LAYOUT, CONDITION, "停车场"),
        _h("出车前安全例检记录不全", _T.OTHER, MANAGEMENT, "车辆例检站"),
        *GENERAL,
    ),
    Sector.INDUSTRY_TRADE: (
        _h("有限空间未辨识且未设置警示标志", _T.SAFETY, MANAGEMENT, "污水池|地坑", "IT-13-1"),
        _h("外包作业未统一协调管理", _T.OTHER, MANAGEMENT, "厂区", "IT-3-1"),
        _h("焊工未取得特种作业操作证", _T.SAFETY, ACT, "焊接工位", "IT-3-2"),
        _h("除尘系统监测报警装置失效", _T.INSTRUMENT, CONDITION, "除尘系统", "IT-14"),
        _h("冲压设备安全光幕失效", _T.EQUIPMENT, CONDITION, "生产车间", "IT-14"),
        _h("皮带防护罩缺失", _T.EQUIPMENT, CONDITION, "生产车间"),
        _h("起重机限位失效", _T.EQUIPMENT, CONDITION, "生产车间"),
        _h("物料堆放占用消防通道", _T.LAYOUT, CONDITION, "仓库"),
        _h("配电箱未接地", _T.ELECTRICAL, CONDITION, "生产车间|配电室"),
        *GENERAL,
    ),
    Sector.OTHER: (  # property services, warehousing, printing
        _h("物料堆放占用消防通道", _T.LAYOUT, CONDITION, "仓库"),
        _h("安全出口堵塞", _T.FIRE, CONDITION, "一层大厅|楼梯间"),
        _h("配电箱未接地", _T.ELECTRICAL, CONDITION, "配电室"),
        _h("电动自行车在楼内充电", _T.FIRE, ACT, "楼梯间"),
        _h("货架未固定", _T.EQUIPMENT, CONDITION, "仓库"),
        *GENERAL,
    ),
}
# Key places: what their kind of place shows (a hospital is a crowded place of the fire
# sector, so it may cite the fire standard; the others' sector has no standard).
_RESIDENTIAL_CARE = (
    _h("老人居室使用大功率电器", _T.ELECTRICAL, ACT, "居住楼"),
    _h("扶手松动", _T.SAFETY, CONDITION, "居住楼走廊"),
    _h("厨房燃气软管老化", _T.EQUIPMENT, CONDITION, "厨房"),
    _h("夜间值班人员不足", _T.OTHER, MANAGEMENT, "值班室"),
    _h("安全出口堵塞", _T.FIRE, CONDITION, "居住楼"),
    *GENERAL,
)
KIND_HAZARDS: dict[str, Templates] = {
    UnitKind.NURSING_HOME: _RESIDENTIAL_CARE,
    UnitKind.WELFARE: _RESIDENTIAL_CARE,
    UnitKind.SCHOOL: (
        _h("危化品未双人双锁管理", _T.SAFETY, MANAGEMENT, "化学实验室"),
        _h("教学楼安全出口上锁", _T.FIRE, ACT, "教学楼"),
        _h("燃气泄漏报警器故障", _T.INSTRUMENT, CONDITION, "食堂后厨"),
        _h("学生宿舍私拉电线", _T.ELECTRICAL, ACT, "学生宿舍"),
        _h("护栏高度不足", _T.SAFETY, CONDITION, "教学楼走廊"),
        _h("体育器材固定不牢", _T.EQUIPMENT, CONDITION, "运动场"),
        *GENERAL,
    ),
    UnitKind.KINDERGARTEN: (
        _h("大型玩具连接件松动", _T.EQUIPMENT, CONDITION, "户外活动场地"),
        _h("电源插座未加装保护盖", _T.ELECTRICAL, CONDITION, "活动室"),
        _h("午睡室疏散通道堆放杂物", _T.FIRE, CONDITION, "午睡室"),
        _h("厨房燃气软管老化", _T.EQUIPMENT, CONDITION, "厨房"),
        *GENERAL,
    ),
    UnitKind.HOSPITAL: (
        _h("走廊存放大量酒精等易燃物品", _T.FIRE, ACT, "住院部病区", "F17-D8"),
        _h("医用氧气站安全阀未定期校验", _T.EQUIPMENT, CONDITION, "医用氧气站"),
        _h("病房楼疏散通道堵塞", _T.FIRE, CONDITION, "病房楼"),
        _h("消防控制室值班人员未持证", _T.FIRE, MANAGEMENT, "消防控制室"),
        _h("配电室应急照明失效", _T.ELECTRICAL, CONDITION, "配电室"),
        *GENERAL,
    ),
    UnitKind.FEVER_CLINIC: (
        _h("消毒用酒精超量存放", _T.FIRE, ACT, "发热门诊药品间"),
        _h("负压压差监测失效", _T.INSTRUMENT, CONDITION, "留观病房"),
        _h("医疗废物暂存间未上锁", _T.OTHER, MANAGEMENT, "医疗废物暂存间"),
        _h("诊区电气线路老化", _T.ELECTRICAL, CONDITION, "诊区"),
        *GENERAL,
    ),
    UnitKind.PRISON: (
        _h("监舍电线私拉乱接", _T.ELECTRICAL, ACT, "监舍"),
        _h("监控系统部分摄像头故障", _T.INSTRUMENT, CONDITION, "监区"),
        _h("伙房燃气泄漏报警器故障", _T.INSTRUMENT, CONDITION, "伙房"),
        _h("应急照明失效", _T.FIRE, CONDITION, "监区走廊"),
        *GENERAL,
    ),
    UnitKind.LARGE_WORKPLACE: (
        _h("生产厂房内设置员工宿舍", _T.LAYOUT, CONDITION, "生产厂房"),
        _h("锂电池老化测试区无防火分隔", _T.FIRE, CONDITION, "测试车间"),
        _h("生产线防静电设施失效", _T.ELECTRICAL, CONDITION, "SMT车间"),
        _h("疏散通道堆放物料", _T.FIRE, CONDITION, "组装车间"),
        _h("消防控制室值班人员未持证", _T.FIRE, MANAGEMENT, "消防控制室"),
        *GENERAL,
    ),
}
# How often an enterprise's hazard comes from a second sector's pool (a chemical plant that
# is also a fire-safety key unit shows fire-safety hazards too).
SECOND_SECTOR_SHARE = 0.25


def hazard_pools(unit: Enterprise, primary: str) -> list[tuple[str, Templates]]:
    """(sector the hazard is handled under, templates) the demo draws a unit's hazards from:
    a key place's kind; an enterprise's trade, then fire safety when it is also a fire-safety
    key unit."""
    if unit.kind != UnitKind.ENTERPRISE:
        sector = unit.sector_list[0] if unit.sector_list else ""
        return [(sector, KIND_HAZARDS.get(unit.kind, GENERAL))]
    pools = [(primary, SECTOR_HAZARDS.get(primary, SECTOR_HAZARDS[Sector.OTHER]))]
    if primary != Sector.FIRE_KEY_UNITS and Sector.FIRE_KEY_UNITS in unit.sector_list:
        pools.append((Sector.FIRE_KEY_UNITS, FIRE_COMMON))
    return pools


def _serious(pool: Templates) -> Templates:
    return tuple(t for t in pool if t not in GENERAL)


def build_hazards(builder: Any, units: list[Enterprise]) -> None:
    now = timezone.now()
    _tasks(builder, now)
    _history(builder, units, now)
    _live_cases(builder)
    builder.progress(f"hazard tally: {tally_rebuild():,} combinations")


class _Row(dict[str, Any]):
    """A row (a hazard, a task) as `bulk.insert_values` writes it, its fields read and set
    as attributes, as on the model, while it is drawn."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


# --- inspection tasks -------------------------------------------------------------------


def _tasks(builder: Any, now: dt.datetime) -> None:
    """The tasks `task_generate` makes for the period (the same engine, the same rows),
    the past ones recorded, written at once."""
    rng = builder.rng
    days = TASK_DAYS.get(builder.scale_name, 7)
    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start = (today - dt.timedelta(days=days)).astimezone(zone)
    end = (today + dt.timedelta(days=settings.REDLINE_TASK_HORIZON_DAYS)).astimezone(zone)
    calendar = work_calendar()
    shutdowns: dict[int, list[UnitShutdown]] = defaultdict(list)
    for shutdown in UnitShutdown.objects.filter(is_archived=False):
        shutdowns[shutdown.unit_id].append(shutdown)
    names = _people_by_enterprise()
    cycles = _live_cycles().order_by("pk").select_related("measure__event")
    tasks: list[_Row] = []
    made = recorded = 0
    expected = cycles.count() * (days + settings.REDLINE_TASK_HORIZON_DAYS)
    for cycle in cycles.iterator(chunk_size=5000):
        event = cycle.measure.event
        engine = engine_cycle(cycle, shutdowns.get(event.unit_id, ()), zone)
        for moment in due_times(engine, calendar, start, end):
            task = _Row(
                measure_id=cycle.measure_id,
                enterprise_id=event.enterprise_id,
                due_at=moment.astimezone(dt.UTC),
                window_ends_at=period_after(engine, moment).astimezone(dt.UTC),
            )
            # A past task recorded by the unit's inspector (or missed).
            if task.window_ends_at <= now:
                recorded += _record(rng, task, names)
            tasks.append(task)
        if len(tasks) >= BULK_CHUNK:
            made += bulk.insert_values(InspectionTask, tasks)
            tasks.clear()
            builder.bar("inspection tasks", made, expected)
    made += bulk.insert_values(InspectionTask, tasks)
    builder.progress(
        f"inspection tasks: {made:,} over {days + settings.REDLINE_TASK_HORIZON_DAYS} "
        f"days, {recorded:,} recorded"
    )


def _record(rng: Any, task: _Row, names: dict[int, list[tuple[str, str]]]) -> bool:
    """Fill in a past task's record as its inspector would have (False: it was missed)."""
    draw = rng.random()
    if draw < 0.08:
        return False
    task.result = TaskResult.NORMAL if draw < 0.97 else TaskResult.HAZARD
    late = rng.random() < 0.03
    span = (task.window_ends_at - task.due_at).total_seconds()
    offset = span * (1 + rng.random() * 0.2 if late else rng.random() * 0.6)
    task.checked_at = task.due_at + dt.timedelta(seconds=offset)
    task.recorded_at = task.checked_at
    people = names.get(task.enterprise_id) or [("巡检员", "")]
    task.inspector_name, task.inspector_phone = rng.choice(people)
    return True


def _people_by_enterprise() -> dict[int, list[tuple[str, str]]]:
    people: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for enterprise_id, name, phone in (
        Person.objects.filter(enterprise__isnull=False, is_archived=False)
        .order_by("enterprise_id", "pk")
        .values_list("enterprise_id", "name", "phone")
    ):
        people[enterprise_id].append((name, phone))
    return people


# --- a year of hazards ------------------------------------------------------------------


class _Context:
    """What the generator needs to know about the city, read once."""

    def __init__(self, units: list[Enterprise], primary_sector: Callable[[Enterprise], str]):
        self.people = _people_by_enterprise()
        self.primary_sector = primary_sector
        self._pools: dict[tuple[str, str, str], list[tuple[str, Templates, Templates]]] = {}
        self.departments: dict[tuple[int, str], str] = {}
        self.governments: dict[int, list[str]] = {}
        orgs = Organisation.objects.filter(
            kind__in=[OrganisationKind.GOVERNMENT, OrganisationKind.COMMITTEE_OFFICE],
            is_archived=False,
        ).select_related("region")
        by_region: dict[int, list[Organisation]] = defaultdict(list)
        for org in orgs:
            by_region[org.region_id].append(org)
        self.by_region = by_region
        self._department_cache: dict[tuple[int, str], list[str]] = {}
        self._government_cache: dict[tuple[int, tuple[str, ...]], list[str]] = {}
        # The sector mandates, read once (`supervising_departments` in memory).
        self.mandates: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        mandates = SectorMandate.objects.filter(department__is_archived=False).order_by("pk")
        for region_id, department_id, sector, kind in mandates.values_list(
            "region_id", "department_id", "sector", "unit_kind"
        ):
            self.mandates[region_id].append((department_id, sector, kind))
        self.names = {
            o.pk: str(o) for o in Organisation.objects.filter(pk__in=mandates.values("department"))
        }

    def pools_for(self, unit: Enterprise) -> list[tuple[str, Templates, Templates]]:
        """`hazard_pools` of the unit, each with the templates a major hazard is drawn from."""
        primary = self.primary_sector(unit)
        key = (unit.kind, unit.sectors, primary)
        if key not in self._pools:
            # A major hazard is one a standard names, or else at least not a paperwork one.
            self._pools[key] = [
                (sector, pool, tuple(t for t in pool if t.items) or _serious(pool))
                for sector, pool in hazard_pools(unit, primary)
            ]
        return self._pools[key]

    def departments_for(self, unit: Enterprise, sector: str) -> list[str]:
        """`organisations.selectors.supervising_departments`' names, from the mandates read
        once: the departments whose mandates cover the unit's kind, its sectors or
        `sector`, in its region or one above, most local first."""
        key = (unit.region_id, f"{unit.kind}:{unit.sectors}:{sector}")
        if key not in self._department_cache:
            path = [int(p) for p in unit.region.path.strip("/").split("/") if p]
            sectors = {*unit.sector_list, *([sector] if sector else [])}
            ordered: dict[int, int] = {}
            for depth, region_id in enumerate(path):
                for department_id, covers, kind in self.mandates.get(region_id, ()):
                    if kind == unit.kind or covers in sectors:
                        ordered[department_id] = max(ordered.get(department_id, -1), depth)
            self._department_cache[key] = [
                self.names[i] for i in sorted(ordered, key=lambda i: (-ordered[i], i))
            ]
        return self._department_cache[key]

    def governments_for(self, unit: Enterprise, levels: tuple[str, ...]) -> list[str]:
        key = (unit.region_id, levels)
        if key not in self._government_cache:
            path = [int(p) for p in unit.region.path.strip("/").split("/") if p]
            names = []
            for region_id in reversed(path):
                for org in self.by_region.get(region_id, []):
                    if org.region.level in levels and org.kind == OrganisationKind.GOVERNMENT:
                        names.append(str(org))
            self._government_cache[key] = names
        return self._government_cache[key]


def _history(builder: Any, units: list[Enterprise], now: dt.datetime) -> None:
    rng = builder.rng
    context = _Context(units, builder.primary_sector)
    units = list(
        Enterprise.objects.filter(pk__in=[u.pk for u in units])
        .select_related("region")
        .order_by("name", "id")
    )
    today = timezone.localdate(now)
    delays = settings.REDLINE_HAZARD_ESCALATION_DAYS
    hazards: list[_Row] = []
    events: list[tuple[_Row, dict[str, Any]]] = []
    total = events_total = 0
    expected = len(units) * HAZARDS_PER_UNIT

    def flush() -> None:
        nonlocal total, events_total
        bulk.reserve_ids(hazards, model=Hazard)
        for hazard, event in events:
            event["hazard_id"] = hazard["id"]
        bulk.insert_values(Hazard, hazards)
        bulk.insert_values(HazardEvent, [event for _hazard, event in events])
        total += len(hazards)
        events_total += len(events)
        hazards.clear()
        events.clear()
        builder.bar("hidden hazards", total, expected)

    for unit in units:
        for _ in range(max(0, round(rng.gauss(HAZARDS_PER_UNIT, 2)))):
            hazard, timeline = _one(rng, unit, context, now, today, delays)
            hazards.append(hazard)
            events.extend((hazard, event) for event in timeline)
        if len(hazards) >= BULK_CHUNK:
            flush()
    flush()
    builder.progress(f"hidden hazards: {total:,} with {events_total:,} timeline entries")


def _one(
    rng: Any,
    unit: Enterprise,
    context: _Context,
    now: dt.datetime,
    today: dt.date,
    delays: list[int],
) -> tuple[_Row, list[dict[str, Any]]]:
    age_days = rng.random() ** 1.6 * 365  # more recent hazards than old ones
    reported = now - dt.timedelta(days=age_days, minutes=rng.randint(0, 600))
    # What the hazard is follows from the unit: its trade's (or kind of place's) hazards,
    # and when major, maybe a determination item that matches it.
    pools = context.pools_for(unit)
    sector, pool, serious = pools[0]
    if len(pools) > 1 and rng.random() < SECOND_SECTOR_SHARE:
        sector, pool, serious = pools[1]
    major = rng.random() < MAJOR_SHARE
    template = rng.choice(serious if major else pool)
    items: list[str] = []
    if major and template.items and rng.random() < 0.7:
        items = [rng.choice(template.items)]
    location = rng.choice(template.locations)
    people = context.people.get(unit.pk) or [("安全员", "")]
    reporter = rng.choice(people)[0]
    hazard = _Row(
        enterprise_id=unit.pk,
        region_id=unit.region_id,
        sector=sector,
        **unit_copies(unit),
        name=template.name,
        description=template.description(location),
        hazard_type=template.hazard_type,
        level=HazardLevel.MAJOR if major else HazardLevel.GENERAL,
        classification=template.classification,
        source=rng.choice([*HazardSource.self_inspection()[:9], HazardSource.GOVERNMENT]),
        location=location,
        determination_items=items,
        reported_at=reported,
        reporter_name=reporter,
        state=HazardState.REPORTED,
        listed=False,
    )
    events = [_event("report", reported, reporter, to_state=HazardState.REPORTED)]
    if major:
        receivers = context.departments_for(unit, sector) + context.governments_for(
            unit, (RegionLevel.SUBDISTRICT, RegionLevel.DISTRICT)
        )
        events.append(_event("auto_report", reported, "Redline", data={"to": receivers}))
    clock = reported
    rectifier = rng.choice(people)[0]

    def later(hours: float) -> dt.datetime | None:
        nonlocal clock
        moment = clock + dt.timedelta(hours=hours)
        if moment >= now:
            return None
        clock = moment
        return moment

    def step(action: str, moment: dt.datetime, who: str, state: str, **data: Any) -> None:
        events.append(_event(action, moment, who, hazard.state, state, data=data))
        hazard.state = state

    if major:
        departments = context.departments_for(unit, sector) or ["安委会办公室"]
        if rng.random() < 0.6 and (moment := later(rng.uniform(2, 72))):
            hazard.listed, hazard.listed_at = True, moment
            events.append(_event("list", moment, departments[0], data={}, comment="列入挂牌督办"))
        moment = later(rng.uniform(24, 240))
        if moment is None:
            return hazard, events
        deadline = timezone.localdate(moment) + dt.timedelta(days=rng.randint(30, 120))
        hazard.plan_responsible = f"{rectifier}（{unit.name}）"
        hazard.plan_measures = "制定专项整改方案，落实工程技术措施，整改期间加强监测巡查。"
        hazard.plan_funds = Decimal(rng.randint(5, 500))
        hazard.plan_deadline = deadline
        hazard.plan_contingency = "整改期间停用相关设施，落实现场监护和应急处置措施。"
        hazard.manage_type, hazard.deadline = ManageType.BY_DEADLINE, deadline
        step("plan", moment, rectifier, HazardState.RECTIFYING, deadline=deadline.isoformat())
    elif rng.random() < 0.45:
        moment = later(rng.uniform(0.1, 4))
        if moment is None:
            return hazard, events
        hazard.manage_type = ManageType.ON_THE_SPOT
        hazard.rectified_at = moment
        step("fix_on_spot", moment, rectifier, HazardState.AWAITING_ACCEPTANCE)
    else:
        moment = later(rng.uniform(1, 48))
        if moment is None:
            return hazard, events
        deadline = timezone.localdate(moment) + dt.timedelta(days=rng.randint(3, 30))
        hazard.manage_type, hazard.deadline = ManageType.BY_DEADLINE, deadline
        step("assign", moment, rectifier, HazardState.RECTIFYING, deadline=deadline.isoformat())

    if hazard.state == HazardState.RECTIFYING:
        assert hazard.deadline is not None
        on_time = rng.random() < 0.9
        days_needed = (hazard.deadline - timezone.localdate(clock)).days
        days_taken = (
            rng.uniform(0.3, 1.0) * days_needed if on_time else days_needed + rng.uniform(1, 20)
        )
        moment = later(max(1.0, days_taken * 24))
        if moment is None:
            # Still being rectified: the flags the deadline sweep has raised by today.
            _overdue_before(hazard, events, context, unit, today, delays)
            return hazard, events
        _overdue_before(hazard, events, context, unit, timezone.localdate(moment), delays)
        hazard.rectified_at = moment
        step("submit", moment, rectifier, HazardState.AWAITING_ACCEPTANCE, comment="已整改")

    if hazard.state == HazardState.AWAITING_ACCEPTANCE:
        moment = later(rng.uniform(2, 96))
        if moment is None:
            return hazard, events
        if rng.random() < 0.08:
            step("reject", moment, "安全部门负责人", HazardState.RECTIFYING)
            hazard.state = HazardState.RECTIFYING
            return hazard, events
        hazard.accepted_at = moment
        target = HazardState.AWAITING_SIGNOFF if hazard.listed else HazardState.CLOSED
        step("accept", moment, "安全部门负责人", target)
        if target == HazardState.CLOSED:
            hazard.closed_at = moment
            return hazard, events
    if hazard.state == HazardState.AWAITING_SIGNOFF:
        moment = later(rng.uniform(24, 240))
        if moment is None:
            return hazard, events
        hazard.signed_off_at = hazard.closed_at = moment
        departments = context.departments_for(unit, sector) or ["安委会办公室"]
        step("sign_off", moment, departments[0], HazardState.CLOSED)
    return hazard, events


def _event(
    action: str,
    at: dt.datetime,
    who: str,
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
    comment: str = "",
) -> dict[str, Any]:
    """A timeline row (`bulk.insert_values`; its hazard's id is set when it has one)."""
    return {
        "at": at,
        "actor_name": who,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "comment": comment,
        "data": data or {},
    }


def _overdue_before(
    hazard: _Row,
    events: list[dict[str, Any]],
    context: _Context,
    unit: Enterprise,
    until: dt.date,
    delays: list[int],
) -> None:
    deadline = hazard.deadline
    if deadline is None or until <= deadline:
        return
    zone = timezone.get_current_timezone()
    flagged = dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time(0, 5), tzinfo=zone)
    hazard.overdue_since = flagged
    events.append(_event("overdue", flagged, "Redline", data={"deadline": deadline.isoformat()}))
    targets = {
        1: lambda: context.departments_for(unit, hazard.sector),
        2: lambda: context.governments_for(unit, (RegionLevel.DISTRICT,)),
        3: lambda: context.governments_for(unit, (RegionLevel.CITY,)),
    }
    for level, delay in enumerate(delays, start=1):
        day = deadline + dt.timedelta(days=delay + 1)
        if day > until:
            break
        hazard.escalation_level = level
        events.append(
            _event(
                "escalate",
                dt.datetime.combine(day, dt.time(0, 10), tzinfo=zone),
                "Redline",
                data={"level": level, "to": targets[level]()},
            )
        )


# --- live cases of the demo enterprise --------------------------------------------------


def _live_cases(builder: Any) -> None:
    """Cases of the demo enterprise made through the services, so they also carry
    notifications and change-log entries: a major hazard just reported, a general one
    awaiting acceptance."""
    users = get_user_model().objects.filter(username__startswith="enterprise-")
    operator = users.filter(username="enterprise-operator").select_related("organisation").first()
    if operator is None or operator.organisation is None:
        return
    enterprise_id = operator.organisation.enterprise_id
    major, _created = hazard_report(
        actor=operator,
        data=HazardReportInput.of(
            {
                "enterprise": enterprise_id,
                "name": "储罐安全阀未投用",
                "description": "2号储罐区3号储罐安全阀前的切断阀被关闭，安全阀未正常投用，"
                "储罐超压时无法泄放。",
                "hazard_type": HazardType.EQUIPMENT,
                "level": HazardLevel.MAJOR,
                "classification": Classification.UNSAFE_CONDITION,
                "source": HazardSource.COMPREHENSIVE,
                "location": "2号储罐区",
                "determination_items": ["HC-15"] if _item_exists("HC-15") else [],
            }
        ),
        idempotency_key="demo-live-major",
    )
    general, _created = hazard_report(
        actor=operator,
        data=HazardReportInput.of(
            {
                "enterprise": enterprise_id,
                "name": "灭火器过期",
                "description": "配电室两具二氧化碳灭火器超过检验期。",
                "hazard_type": HazardType.FIRE,
                "level": HazardLevel.GENERAL,
                "source": HazardSource.DAILY,
                "location": "配电室",
            }
        ),
        idempotency_key="demo-live-general",
    )
    hazard_transition(
        actor=operator,
        hazard_id=general.pk,
        action="fix_on_spot",
        version=general.version,
        data={"comment": "已更换两具新灭火器。"},
    )
    public = hazard_report_public(
        data=PublicReportInput.of(
            {
                "region": operator.organisation.region_id,
                "place": "夜市东侧巷口",
                "sector": "gas",
                "description": "夜市摊位把液化气钢瓶放在烧烤炉旁边，附近没有灭火器。",
            }
        ),
        ip="",
    )
    builder.progress(
        f"live demo cases: {major.number}, {general.number}, public {public.tracking_code}"
    )


def _item_exists(item_id: str) -> bool:
    from redline.hazards.standards import item

    try:
        item(item_id)
    except KeyError:
        return False
    return True
