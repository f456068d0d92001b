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
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from redline.hazards.inspection import task_generate
from redline.hazards.models import Hazard, HazardEvent, InspectionTask, unit_copies
from redline.hazards.public import hazard_report_public
from redline.hazards.services import hazard_report, hazard_transition
from redline.hazards.standards import determination_standards
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
from redline.organisations import selectors as org_selectors
from redline.organisations.models import Enterprise, Organisation, Person
from redline.organisations.vocab import OrganisationKind, RegionLevel, Sector

# Days of inspection-task history per scale (a province's tasks would be tens of millions).
TASK_DAYS = {"small": 30, "city": 14, "province": 1}
HAZARDS_PER_UNIT = 5
MAJOR_SHARE = 0.04

NAMES = {
    HazardType.SAFETY: [
        "安全警示标志缺失",
        "临边防护栏杆松动",
        "作业人员未佩戴安全帽",
        "有限空间作业未审批",
    ],
    HazardType.PROCESS: ["工艺参数超出操作卡范围", "联锁旁路未审批", "反应釜温度记录缺失"],
    HazardType.ELECTRICAL: ["配电箱未接地", "电缆沟积水", "防爆区域使用非防爆电器"],
    HazardType.INSTRUMENT: ["可燃气体检测报警器故障", "压力表超期未检定", "液位计显示失真"],
    HazardType.FIRE: ["安全出口堵塞", "消防栓无水", "灭火器过期", "疏散指示标志损坏"],
    HazardType.LAYOUT: ["罐区防火堤破损", "物料堆放占用消防通道", "建筑间距不足"],
    HazardType.EQUIPMENT: ["法兰泄漏", "安全阀未定期校验", "皮带防护罩缺失", "起重机限位失效"],
    HazardType.OTHER: ["应急预案未演练", "安全培训记录不全"],
}
STANDARD_OF_SECTOR = {
    Sector.HAZARDOUS_CHEMICALS: "hazchem-2017",
    Sector.FIRE_KEY_UNITS: "gb35181-2017",
    Sector.CONSTRUCTION: "housing-municipal-2022",
    Sector.URBAN_GAS: "urban-gas-2023",
    Sector.ROAD_TRANSPORT: "road-transport-2023",
    Sector.INDUSTRY_TRADE: "industry-trade-2023",
}


def build_hazards(builder: Any, units: list[Enterprise]) -> None:
    now = timezone.now()
    _tasks(builder, now)
    _history(builder, units, now)
    _live_cases(builder)
    builder.progress(f"hazard tally: {tally_rebuild():,} combinations")


# --- inspection tasks -------------------------------------------------------------------


def _tasks(builder: Any, now: dt.datetime) -> None:
    rng = builder.rng
    days = TASK_DAYS.get(builder.scale_name, 7)
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    result = task_generate(
        start=today - dt.timedelta(days=days),
        end=today + dt.timedelta(days=settings.REDLINE_TASK_HORIZON_DAYS),
        now=now,
        chunk_size=2000,
    )
    names = _people_by_enterprise()
    recorded = 0
    past = InspectionTask.objects.filter(window_ends_at__lte=now).order_by("pk")
    ids = list(past.values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        chunk = list(InspectionTask.objects.filter(pk__in=ids[start : start + 5000]))
        done = [task for task in chunk if _record(rng, task, names)]
        # Rewritten in bulk: a bulk update of thousands of distinct values is slow on SQLite.
        InspectionTask.objects.filter(pk__in=[t.pk for t in done]).delete()
        InspectionTask.objects.bulk_create(done, batch_size=2000)
        recorded += len(done)
    builder.progress(
        f"inspection tasks: {result.created:,} over {days + settings.REDLINE_TASK_HORIZON_DAYS} "
        f"days, {recorded:,} recorded"
    )


def _record(rng: Any, task: InspectionTask, names: dict[int, list[tuple[str, str]]]) -> bool:
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
    for enterprise_id, name, phone in Person.objects.filter(
        enterprise__isnull=False, is_archived=False
    ).values_list("enterprise_id", "name", "phone"):
        people[enterprise_id].append((name, phone))
    return people


# --- a year of hazards ------------------------------------------------------------------


class _Context:
    """What the generator needs to know about the city, read once."""

    def __init__(self, units: list[Enterprise]) -> None:
        self.people = _people_by_enterprise()
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
        self.items = {
            sector: [
                i.id
                for i in determination_standards()[sid].items
                if i.kind in ("situation", "direct")
            ]
            for sector, sid in STANDARD_OF_SECTOR.items()
        }
        self._department_cache: dict[tuple[int, str], list[str]] = {}

    def departments_for(self, unit: Enterprise, sector: str) -> list[str]:
        key = (unit.region_id, f"{unit.kind}:{unit.sectors}:{sector}")
        if key not in self._department_cache:
            found = org_selectors.supervising_departments(unit, sector)
            self._department_cache[key] = [str(o) for o in found]
        return self._department_cache[key]

    def governments_for(self, unit: Enterprise, levels: tuple[str, ...]) -> list[str]:
        path = [int(p) for p in unit.region.path.strip("/").split("/")]
        names = []
        for region_id in reversed(path):
            for org in self.by_region.get(region_id, []):
                if org.region.level in levels and org.kind == OrganisationKind.GOVERNMENT:
                    names.append(str(org))
        return names


def _history(builder: Any, units: list[Enterprise], now: dt.datetime) -> None:
    rng = builder.rng
    context = _Context(units)
    units = list(Enterprise.objects.filter(pk__in=[u.pk for u in units]).select_related("region"))
    today = timezone.localdate(now)
    delays = settings.REDLINE_HAZARD_ESCALATION_DAYS
    total = events_total = 0
    batch: list[tuple[Hazard, list[HazardEvent]]] = []
    for unit in units:
        for _ in range(max(0, round(rng.gauss(HAZARDS_PER_UNIT, 2)))):
            batch.append(_one(rng, unit, context, now, today, delays))
            if len(batch) >= 5000:
                events_total += _save(batch)
                total += len(batch)
                batch = []
    events_total += _save(batch)
    total += len(batch)
    builder.progress(f"hidden hazards: {total:,} with {events_total:,} timeline entries")


def _save(batch: list[tuple[Hazard, list[HazardEvent]]]) -> int:
    if not batch:
        return 0
    Hazard.objects.bulk_create([h for h, _ in batch], batch_size=5000)
    events = []
    for hazard, hazard_events in batch:
        for event in hazard_events:
            event.hazard = hazard
            events.append(event)
    HazardEvent.objects.bulk_create(events, batch_size=5000)
    return len(events)


def _one(
    rng: Any,
    unit: Enterprise,
    context: _Context,
    now: dt.datetime,
    today: dt.date,
    delays: list[int],
) -> tuple[Hazard, list[HazardEvent]]:
    age_days = rng.random() ** 1.6 * 365  # more recent hazards than old ones
    reported = now - dt.timedelta(days=age_days, minutes=rng.randint(0, 600))
    sector = unit.sector_list[0] if unit.sector_list else ""
    major = rng.random() < MAJOR_SHARE
    hazard_type = rng.choice(list(NAMES))
    people = context.people.get(unit.pk) or [("安全员", "")]
    reporter = rng.choice(people)[0]
    items: list[str] = []
    if major and sector in context.items and rng.random() < 0.7:
        items = [rng.choice(context.items[sector])]
    hazard = Hazard(
        enterprise=unit,
        region_id=unit.region_id,
        sector=sector,
        **unit_copies(unit),
        name=rng.choice(NAMES[hazard_type]),
        description="现场检查发现：" + rng.choice(NAMES[hazard_type]) + "，需整改。",
        hazard_type=hazard_type,
        level=HazardLevel.MAJOR if major else HazardLevel.GENERAL,
        classification=rng.choice(Classification.values),
        source=rng.choice([*HazardSource.self_inspection()[:9], HazardSource.GOVERNMENT]),
        location=rng.choice(["一车间", "罐区", "仓库", "办公楼", "装卸区", "配电室", "施工现场"]),
        determination_items=items,
        reported_at=reported,
        reporter_name=reporter,
        state=HazardState.REPORTED,
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
) -> HazardEvent:
    return HazardEvent(
        at=at,
        actor_name=who,
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data or {},
    )


def _overdue_before(
    hazard: Hazard,
    events: list[HazardEvent],
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
        data={
            "enterprise": enterprise_id,
            "name": "储罐区防火堤破损",
            "description": "2号储罐区防火堤东侧破损约3米，围堰失效，泄漏时无法有效收集。",
            "hazard_type": HazardType.LAYOUT,
            "level": HazardLevel.MAJOR,
            "classification": Classification.UNSAFE_CONDITION,
            "source": HazardSource.COMPREHENSIVE,
            "location": "2号储罐区",
            "determination_items": ["HC-10"] if _item_exists("HC-10") else [],
        },
        idempotency_key="demo-live-major",
    )
    general, _created = hazard_report(
        actor=operator,
        data={
            "enterprise": enterprise_id,
            "name": "配电室灭火器过期",
            "description": "配电室两具二氧化碳灭火器超过检验期。",
            "hazard_type": HazardType.FIRE,
            "level": HazardLevel.GENERAL,
            "source": HazardSource.DAILY,
            "location": "配电室",
        },
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
        data={
            "region": operator.organisation.region_id,
            "place": "夜市东侧巷口",
            "sector": "gas",
            "description": "夜市摊位把液化气钢瓶放在烧烤炉旁边，附近没有灭火器。",
        },
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
