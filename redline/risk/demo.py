"""The demo city's risk inventories and major hazard installations.

Every enterprise (and half the key places) gets analysis objects, units, risk events
(assessed with the default LEC rule set: inherent, and residual with its control measures)
and measures with inspection cycles, drawn from what fits its trade's sector or its kind of
place (`object_templates`); hazardous-chemicals enterprises get
installations holding real Table 1 substances, graded by GB 18218-2018.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils import timezone

from redline.engines.gb18218 import grade_payload
from redline.organisations.models import ChemicalPark, Enterprise, Organisation, Person
from redline.organisations.vocab import OrganisationKind, PersonRole, Sector, UnitKind
from redline.risk.models import (
    ControlMeasure,
    InspectionCycle,
    MajorHazardInstallation,
    ParkAssessment,
    RiskEvent,
    RiskObject,
    RiskUnit,
)
from redline.risk.standards import default_rule_set, gb18218, park_class

# --- what a unit's risk inventory looks like ----------------------------------------------

Measure = tuple[str, str, str, str]  # class, sub-class, description, control mode


@dataclass(frozen=True)
class EventTemplate:
    name: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class ObjectTemplate:
    """An analysis object the demo gives units of one sector or kind of key place: its risk
    units, and the risk events (with their control measures) that fit every one of them."""

    name: str
    kind: str
    units: tuple[str, ...]
    events: tuple[EventTemplate, ...]


def _e(name: str, *measures: Measure) -> EventTemplate:
    return EventTemplate(name, measures)


def _o(name: str, kind: str, units: str, *events: EventTemplate) -> ObjectTemplate:
    """An object from its name, kind, risk units ("a|b") and events."""
    return ObjectTemplate(name, kind, tuple(units.split("|")), events)


MON, INS = "monitoring", "inspection"
GAS_ALARM = ("1", "1-4", "可燃/有毒气体检测报警并联锁", MON)
INTERLOCK = ("1", "1-1", "液位、压力、温度超限联锁切断", MON)
CORROSION = ("2", "2-2", "定期检查设备腐蚀、泄漏情况", INS)
CERTIFIED = ("3", "3-1", "作业人员持证上岗", INS)
HANDOVER = ("3", "3-3", "执行交接班制度并记录", INS)
FIRE_KIT = ("4", "4-3", "消防设施完好有效", INS)
PPE = ("4", "4-2", "按规定佩戴个体防护用品", INS)
DRILL = ("4", "4-4", "应急预案定期演练", INS)
EARTHING = ("1", "1-3", "装卸前检查静电接地完好", INS)
ESD = ("1", "1-4", "紧急停车系统投用并定期测试", INS)
RELIEF = ("1", "1-3", "安全阀、爆破片定期校验并投用", INS)
PERMIT = ("3", "3-4", "特殊作业办理作业票并现场监护", INS)
EXITS = ("4", "4-1", "疏散通道、安全出口畅通，应急照明和疏散指示完好", INS)
WIRING = ("2", "2-3", "电气线路和配电设施定期检查", INS)
FIRE_WATCH = ("3", "3-3", "消防控制室双人值班并记录", INS)
KITCHEN_GAS = ("1", "1-4", "燃气泄漏报警并自动切断", MON)
HOOD = ("2", "2-3", "排油烟管道定期清洗", INS)
PIT_SURVEY = ("1", "1-5", "基坑变形第三方监测", MON)
PIT_PATROL = ("2", "2-3", "每日巡查基坑周边堆载和排水", INS)
SCAFFOLD = ("2", "2-2", "检查脚手架连墙件和立杆基础", INS)
HARNESS = ("4", "4-2", "高处作业系挂安全带", INS)
CRANE_LIMITS = ("1", "1-3", "检查起重机械限位和保险装置", INS)
SITE_POWER = ("1", "1-5", "三级配电两级保护，漏电保护器每日试跳", INS)
OVERPRESSURE = ("1", "1-1", "超压自动切断和放散装置完好", MON)
LINE_PATROL = ("2", "2-3", "巡查管线，第三方施工时现场监护", INS)
CATHODIC = ("2", "2-2", "定期检测管道阴极保护电位", INS)
VEHICLE_ALARM = ("1", "1-4", "车辆动态监控实时报警", MON)
PRE_TRIP = ("2", "2-3", "出车前安全例检", INS)
DRIVING_HOURS = ("3", "3-4", "驾驶员连续驾驶不超过4小时", INS)
YARD_SPEED = ("3", "3-4", "场内限速行驶，倒车有专人指挥", INS)
GUARDS = ("2", "2-1", "设备防护罩、安全光幕完好", INS)
LOCKOUT = ("3", "3-4", "检修执行停机挂牌上锁", INS)
DUST_ALARM = ("1", "1-4", "除尘系统火花探测和泄爆装置完好", MON)
DUST_CLEAN = ("2", "2-3", "定期清扫积尘", INS)
CONFINED = ("3", "3-4", "有限空间作业先通风、再检测、后作业", INS)
STACKING = ("3", "3-4", "物料限高堆放，货架固定", INS)
LAB_LOCKS = ("3", "3-4", "实验室危化品双人双锁管理", INS)
FUME_HOOD = ("2", "2-1", "通风橱运行完好", INS)
STAIRS = ("3", "3-4", "上下学错峰疏散，楼梯口有人值守", INS)
HANDRAILS = ("2", "2-3", "检查护栏、扶手牢固", INS)
PLAY_CHECK = ("2", "2-3", "大型玩具每日检查", INS)
OXYGEN = ("1", "1-1", "液氧储罐压力、液位监测报警", MON)
NON_SLIP = ("2", "2-3", "检查防滑设施和扶手完好", INS)
ALCOHOL = ("3", "3-4", "消毒用酒精限量存放、专柜保管", INS)
NEGATIVE_PRESSURE = ("1", "1-4", "负压病房压差监测报警", MON)
WASTE = ("3", "3-4", "医疗废物日产日清并交接登记", INS)
BATTERY = ("1", "1-4", "电池测试区温度监测和自动灭火装置完好", MON)
DORM_POWER = ("3", "3-4", "宿舍禁用大功率电器并定期检查", INS)

_KITCHEN = _o("厨房", "area", "厨房操作间", _e("燃气泄漏爆炸", KITCHEN_GAS, HOOD))
_POWER_ROOM = _o(
    "配电房", "area", "配电房", _e("电气火灾", WIRING, FIRE_KIT), _e("触电", CERTIFIED, PPE)
)
SECTOR_OBJECTS: dict[str, tuple[ObjectTemplate, ...]] = {
    Sector.HAZARDOUS_CHEMICALS: (
        _o(
            "储罐区",
            "mhi",
            "甲醇储罐组|液氨储罐",
            _e("储罐泄漏引发火灾爆炸", INTERLOCK, GAS_ALARM, CORROSION),
            _e("有毒气体泄漏中毒", GAS_ALARM, PPE),
        ),
        _o(
            "装卸区",
            "area",
            "装卸栈台",
            _e("装卸作业静电引燃", EARTHING, CERTIFIED),
            _e("装卸软管破裂泄漏", CORROSION, HANDOVER),
        ),
        _o(
            "生产装置区",
            "unit",
            "合成反应单元|精馏单元",
            _e("设备超压爆炸", INTERLOCK, ESD, RELIEF),
            _e("物料泄漏引发火灾爆炸", GAS_ALARM, CORROSION),
            _e("检修作业中毒窒息", PERMIT, DRILL),
        ),
    ),
    Sector.FIRE_KEY_UNITS: (
        _o(
            "营业场所",
            "area",
            "营业大厅|地下车库",
            _e("电气线路短路引发火灾", WIRING, FIRE_KIT),
            _e("疏散通道堵塞导致群死群伤", EXITS, DRILL),
        ),
        _o("消防控制室", "area", "消防控制室", _e("消防设施失效", FIRE_WATCH, FIRE_KIT)),
        _KITCHEN,
        _POWER_ROOM,
    ),
    Sector.CONSTRUCTION: (
        _o("基坑工程", "activity", "深基坑", _e("基坑坍塌", PIT_SURVEY, PIT_PATROL)),
        _o(
            "脚手架工程",
            "activity",
            "外脚手架|悬挑脚手架",
            _e("高处坠落", SCAFFOLD, HARNESS),
            _e("脚手架坍塌", SCAFFOLD),
        ),
        _o(
            "起重吊装",
            "activity",
            "塔式起重机|施工升降机",
            _e("起重伤害", CRANE_LIMITS, CERTIFIED),
            _e("物体打击", PPE),
        ),
        _o("施工临时用电", "activity", "总配电箱|生活区", _e("触电", SITE_POWER, CERTIFIED)),
    ),
    Sector.URBAN_GAS: (
        _o(
            "储配站",
            "unit",
            "调压计量区|储气罐区",
            _e("燃气泄漏爆炸", GAS_ALARM, OVERPRESSURE),
            _e("超压破裂", OVERPRESSURE, RELIEF),
        ),
        _o(
            "输配管网",
            "unit",
            "中压管道|庭院管网",
            _e("管道腐蚀穿孔", CATHODIC),
            _e("第三方施工破坏管道", LINE_PATROL),
        ),
    ),
    Sector.ROAD_TRANSPORT: (
        _o(
            "运输车队",
            "activity",
            "营运车辆",
            _e("车辆碰撞", VEHICLE_ALARM, PRE_TRIP),
            _e("疲劳驾驶", VEHICLE_ALARM, DRIVING_HOURS),
        ),
        _o(
            "停车场",
            "area",
            "车辆停放区",
            _e("车辆火灾", FIRE_KIT),
            _e("场内车辆伤害", YARD_SPEED),
        ),
    ),
    Sector.INDUSTRY_TRADE: (
        _o(
            "生产车间",
            "area",
            "一号生产车间|二号生产车间",
            _e("机械伤害", GUARDS, LOCKOUT),
            _e("触电", WIRING, CERTIFIED),
        ),
        _o("除尘系统", "unit", "除尘器", _e("粉尘爆炸", DUST_ALARM, DUST_CLEAN)),
        _o(
            "仓储区",
            "area",
            "原料仓库|成品仓库",
            _e("火灾", FIRE_KIT, EXITS),
            _e("货物倒塌砸伤", STACKING),
        ),
        _o("有限空间", "activity", "污水池|地坑", _e("有限空间中毒窒息", CONFINED, PPE)),
    ),
    Sector.OTHER: (
        _o(
            "经营场所",
            "area",
            "主楼|库房",
            _e("火灾", FIRE_KIT, EXITS),
            _e("触电", WIRING),
            _e("人员滑倒摔伤", NON_SLIP),
        ),
    ),
}
_CARE = (
    _o(
        "居住楼",
        "area",
        "老人居室|走廊",
        _e("火灾", WIRING, FIRE_KIT, EXITS),
        _e("跌倒摔伤", NON_SLIP),
    ),
    _KITCHEN,
)
KIND_OBJECTS: dict[str, tuple[ObjectTemplate, ...]] = {
    UnitKind.NURSING_HOME: _CARE,
    UnitKind.WELFARE: _CARE,
    UnitKind.SCHOOL: (
        _o(
            "教学楼",
            "area",
            "教室|楼梯走廊",
            _e("拥挤踩踏", STAIRS, HANDRAILS),
            _e("火灾", FIRE_KIT, EXITS),
        ),
        _o("实验室", "area", "化学实验室", _e("危化品泄漏中毒", LAB_LOCKS, FUME_HOOD)),
        _o("食堂", "area", "后厨", _e("燃气泄漏爆炸", KITCHEN_GAS, HOOD)),
    ),
    UnitKind.KINDERGARTEN: (
        _o("园舍", "area", "活动室|午睡室", _e("火灾", FIRE_KIT, EXITS, DRILL)),
        _o("户外活动场地", "area", "大型玩具区", _e("跌落摔伤", PLAY_CHECK)),
        _KITCHEN,
    ),
    UnitKind.HOSPITAL: (
        _o(
            "门诊楼",
            "area",
            "门诊大厅|候诊区",
            _e("火灾", FIRE_KIT, EXITS),
            _e("拥挤踩踏", EXITS, DRILL),
        ),
        _o("住院楼", "area", "病区|护士站", _e("火灾", FIRE_KIT, ALCOHOL, EXITS)),
        _o("医用气体站", "unit", "液氧储罐|汇流排间", _e("氧气泄漏引发火灾", OXYGEN, RELIEF)),
        _POWER_ROOM,
    ),
    UnitKind.FEVER_CLINIC: (
        _o(
            "发热门诊",
            "area",
            "诊室|留观病房",
            _e("火灾", ALCOHOL, FIRE_KIT),
            _e("负压系统失效", NEGATIVE_PRESSURE),
        ),
        _o("医疗废物暂存间", "area", "医疗废物暂存间", _e("医疗废物泄漏", WASTE)),
    ),
    UnitKind.PRISON: (
        _o("监区", "area", "监舍|监区走廊", _e("火灾", WIRING, FIRE_KIT, EXITS)),
        _o("伙房", "area", "伙房", _e("燃气泄漏爆炸", KITCHEN_GAS)),
    ),
    UnitKind.LARGE_WORKPLACE: (
        _o(
            "生产车间",
            "area",
            "SMT车间|组装线",
            _e("火灾", FIRE_KIT, EXITS),
            _e("机械伤害", GUARDS, LOCKOUT),
        ),
        _o("测试车间", "area", "电池老化测试区", _e("电池热失控起火", BATTERY, FIRE_KIT)),
        _o("员工宿舍", "area", "员工宿舍楼", _e("火灾", DORM_POWER, FIRE_KIT, EXITS)),
    ),
}
# Who in the unit answers for the object.
DEPARTMENTS: dict[str, str] = {
    Sector.HAZARDOUS_CHEMICALS: "安全环保部",
    Sector.CONSTRUCTION: "项目安全部",
    Sector.ROAD_TRANSPORT: "安全技术科",
    UnitKind.SCHOOL: "总务处",
    UnitKind.KINDERGARTEN: "园务办公室",
    UnitKind.HOSPITAL: "保卫科",
    UnitKind.FEVER_CLINIC: "院感科",
    UnitKind.PRISON: "狱政管理科",
}


def object_templates(unit: Enterprise, primary: str) -> tuple[str, tuple[ObjectTemplate, ...]]:
    """(whose they are, the objects) the demo draws a unit's risk inventory from: a key
    place's kind, an enterprise's trade (the sector of its name)."""
    if unit.kind != UnitKind.ENTERPRISE:
        return unit.kind, KIND_OBJECTS.get(unit.kind, SECTOR_OBJECTS[Sector.OTHER])
    return primary, SECTOR_OBJECTS.get(primary, SECTOR_OBJECTS[Sector.OTHER])


SUBSTANCES = [
    [{"name": "甲醇", "category": "W5.3", "tonnes": 900}, {"name": "液氨", "tonnes": 30}],
    [{"cas": "7446-09-5", "tonnes": 200}],
    [{"name": "液氯", "tonnes": 12}],
    [
        {"name": "甲苯", "category": "W5.3", "tonnes": 300},
        {"name": "苯", "category": "W5.3", "tonnes": 40},
    ],
    [{"name": "液化石油气", "category": "W2", "tonnes": 80}],
    [{"name": "乙醇", "category": "W5.3", "tonnes": 200}],
]


def build_risks(builder: Any, units: list[Enterprise]) -> None:
    rng = builder.rng
    rule_set = default_rule_set("LEC")
    people: dict[int, list[int]] = defaultdict(list)
    ids = {u.pk for u in units}
    for enterprise_id, person_id, role in (
        Person.objects.filter(enterprise__isnull=False)
        .order_by("pk")
        .values_list("enterprise_id", "id", "role")
    ):
        if enterprise_id not in ids:
            continue
        if role != PersonRole.POST_HOLDER:
            people[enterprise_id].insert(0, person_id)
        else:
            people[enterprise_id].append(person_id)
    enterprises = [u for u in units if u.kind == UnitKind.ENTERPRISE or rng.random() < 0.5]
    # Rows as dicts of attribute names (`bulk.insert_values`): a child refers to its
    # parent's dict until the parent has its id.
    objects: list[dict[str, Any]] = []
    unit_rows: list[dict[str, Any]] = []
    event_rows: list[tuple[Enterprise, dict[str, Any], EventTemplate]] = []
    for enterprise in enterprises:
        whose, templates = object_templates(enterprise, builder.primary_sector(enterprise))
        department = DEPARTMENTS.get(whose, "安全管理部")
        chosen = rng.sample(templates, k=rng.randint(1, min(2, len(templates))))
        for template in chosen:
            obj = {
                "enterprise_id": enterprise.pk,
                "name": template.name,
                "kind": template.kind,
                "department": department,
            }
            objects.append(obj)
            names = template.units
            for unit_name in rng.sample(names, k=rng.randint(1, min(2, len(names)))):
                unit = {
                    "object": obj,
                    "name": unit_name,
                    "site_x": round(rng.uniform(0.1, 0.9), 3),
                    "site_y": round(rng.uniform(0.15, 0.85), 3),
                }
                unit_rows.append(unit)
                events = template.events
                for event in rng.sample(events, k=rng.randint(1, min(2, len(events)))):
                    event_rows.append((enterprise, unit, event))
    builder.insert_values(RiskObject, objects, "risk objects")
    for unit in unit_rows:
        unit["risk_object_id"] = unit["object"]["id"]
    builder.insert_values(RiskUnit, unit_rows, "risk units")
    # Assess every event at once with the rule set (vectorised).
    n = len(event_rows)
    gen = np.random.default_rng(builder.seed)
    factors = rule_set.factors
    likely = gen.choice([6, 3, 1, 0.5], size=n, p=[0.15, 0.35, 0.35, 0.15])
    exposure = gen.choice([10, 6, 3, 2], size=n, p=[0.1, 0.5, 0.3, 0.1])
    consequence = gen.choice([40, 15, 7, 3], size=n, p=[0.1, 0.3, 0.4, 0.2])
    inherent = {"L": likely, "E": exposure, "C": consequence}
    residual = {
        "L": np.minimum(likely, gen.choice([3, 1, 0.5], size=n)),
        "E": exposure,
        "C": consequence,
    }
    assert set(inherent) == set(factors)
    i_score, i_level, _ = rule_set.assess(inherent)
    r_score, r_level, _ = rule_set.assess(residual)
    events = []
    for i, (enterprise, unit, event_template) in enumerate(event_rows):
        events.append(
            {
                "unit_id": unit["id"],
                "enterprise_id": enterprise.pk,
                "name": event_template.name,
                "method": "LEC",
                "rule_set": rule_set.id,
                "inherent_factors": {k: float(v[i]) for k, v in inherent.items()},
                "inherent_score": float(i_score[i]),
                "inherent_level": int(i_level[i]),
                "residual_factors": {k: float(v[i]) for k, v in residual.items()},
                "residual_score": float(r_score[i]),
                "residual_level": int(r_level[i]),
                "level": int(r_level[i]),
            }
        )
    builder.insert_values(RiskEvent, events, "risk events")
    measures = []
    for event, (_enterprise, _unit, event_template) in zip(events, event_rows, strict=True):
        responsible = people[event["enterprise_id"]]
        fitting = event_template.measures
        for klass, subclass, text, mode in rng.sample(
            fitting, k=rng.randint(1, min(2, len(fitting)))
        ):
            level = rng.choice(["company", "workshop", "team", "post"])
            if not responsible:
                continue  # a measure needs the person responsible for it
            measures.append(
                {
                    "event_id": event["id"],
                    "description": text,
                    "measure_class": klass,
                    "measure_subclass": subclass,
                    "control_mode": mode,
                    "management_level": level,
                    "responsible_id": rng.choice(responsible[:3]),
                    "inspection_content": f"检查：{text}" if mode == "inspection" else "",
                }
            )
    builder.insert_values(ControlMeasure, measures, "control measures")
    start = timezone.make_aware(dt.datetime(2026, 1, 1, 8, 0))
    cycles = [
        {
            "measure_id": m["id"],
            "every": 1 if i % 3 else 8,
            "unit": "day" if i % 3 else "hour",
            "starts_at": start,
            "work_start": dt.time(8) if i % 3 == 0 else None,
            "work_end": dt.time(18) if i % 3 == 0 else None,
            "day_type": "every" if i % 2 else "working",
        }
        for i, m in enumerate(m for m in measures if m["control_mode"] == "inspection")
    ]
    builder.insert_values(InspectionCycle, cycles, "inspection cycles")
    builder.progress(
        f"risk inventories: {len(objects):,} objects, {len(unit_rows):,} units, "
        f"{len(events):,} events, {len(measures):,} measures, {len(cycles):,} cycles"
    )
    _installations(builder, [e for e in units if Sector.HAZARDOUS_CHEMICALS in e.sector_list])
    _parks(builder)


def _parks(builder: Any) -> None:
    """Each park gets its managing committee and an assessment under the current guide."""
    for park in ChemicalPark.objects.filter(managing_body__isnull=True):
        body = Organisation.objects.create(
            name=f"{park.name}管理委员会",
            name_en=f"{park.name_en} Management Committee",
            kind=OrganisationKind.GOVERNMENT,
            region=park.region,
        )
        ChemicalPark.objects.filter(pk=park.pk).update(managing_body=body)
        score = round(builder.rng.uniform(62, 92), 1)
        ParkAssessment.objects.create(
            park=park,
            assessed_on=dt.date(2026, 6, 30),
            score=score,
            guide="2023",
            risk_class=park_class(score, "2023"),
            assessor="省应急管理厅评估组",
        )
        builder.progress(f"chemical park {park.name}: class {park_class(score, '2023')} ({score})")


def _installations(builder: Any, enterprises: list[Enterprise]) -> None:
    rng = builder.rng
    rows = []
    for enterprise in enterprises:
        for k in range(rng.randint(1, 2)):
            rows.append(
                (
                    enterprise,
                    f"{'罐区' if k == 0 else '生产装置'}{k + 1}",
                    "storage" if k == 0 else "production",
                    rng.choice([0, 12, 35, 60, 150]),
                    rng.choice(SUBSTANCES),
                )
            )
    payload = {
        "units": [
            {"id": str(i), "kind": kind, "people_exposed": people, "substances": subs}
            for i, (_e, _n, kind, people, subs) in enumerate(rows)
        ]
    }
    results = grade_payload(gb18218(), payload)["units"] if rows else []
    now = timezone.now()
    installations = [
        MajorHazardInstallation(
            enterprise=enterprise,
            name=name,
            kind=kind,
            people_exposed=people,
            substances=subs,
            ratio_sum=result["ratio_sum"],
            is_major=result["is_major"],
            alpha=result["alpha"],
            r_value=result["r_value"],
            grade=result["grade"],
            graded_at=now,
            grading_input={"units": [unit]},
            grading_result=result,
        )
        for (enterprise, name, kind, people, subs), unit, result in zip(
            rows, payload["units"], results, strict=True
        )
    ]
    builder.insert(installations, "major hazard installations")
    major = sum(1 for i in installations if i.is_major)
    builder.progress(f"major hazard installations: {len(installations):,} ({major:,} major)")
