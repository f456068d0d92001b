"""The demo city's risk inventories and major hazard installations.

Every enterprise gets analysis objects, units, risk events (assessed with the default
LEC rule set: inherent, and residual with its control measures) and measures with
inspection cycles, with names fitting its sector; hazardous-chemicals enterprises get
installations holding real Table 1 substances, graded by GB 18218-2018.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
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

# sector -> [(object, kind, [units]), ...], events, measures
TEMPLATES: dict[str, dict[str, Any]] = {
    Sector.HAZARDOUS_CHEMICALS: {
        "objects": [
            ("储罐区", "mhi", ["甲醇储罐组", "液氨储罐", "装卸栈台"]),
            ("生产装置区", "unit", ["合成反应单元", "精馏单元", "公用工程"]),
        ],
        "events": [
            "储罐泄漏引发火灾爆炸",
            "装卸作业静电引燃",
            "反应失控超压爆炸",
            "有毒气体泄漏中毒",
            "检修作业中毒窒息",
        ],
    },
    Sector.FIRE_KEY_UNITS: {
        "objects": [
            ("营业场所", "area", ["营业大厅", "消防控制室", "地下车库"]),
            ("后勤区", "area", ["厨房操作间", "配电房"]),
        ],
        "events": [
            "电气线路短路引发火灾",
            "疏散通道堵塞导致群死群伤",
            "厨房燃气泄漏爆炸",
            "消防设施失效",
        ],
    },
    Sector.CONSTRUCTION: {
        "objects": [("在建工地", "activity", ["深基坑", "脚手架作业", "塔式起重机"])],
        "events": ["基坑坍塌", "高处坠落", "起重伤害", "物体打击"],
    },
    Sector.URBAN_GAS: {
        "objects": [
            ("储配站", "unit", ["调压计量区", "储气罐区"]),
            ("输配管网", "unit", ["中压管道"]),
        ],
        "events": ["燃气泄漏爆炸", "管道腐蚀穿孔", "第三方施工破坏管道"],
    },
    Sector.ROAD_TRANSPORT: {
        "objects": [
            ("运输车队", "activity", ["危险货物运输车", "客运班线"]),
            ("停车场", "area", ["车辆停放区"]),
        ],
        "events": ["车辆碰撞", "疲劳驾驶", "危货罐车泄漏"],
    },
    Sector.INDUSTRY_TRADE: {
        "objects": [
            ("生产车间", "area", ["冲压车间", "喷涂车间", "除尘系统"]),
            ("仓储区", "area", ["原料仓库"]),
        ],
        "events": ["机械伤害", "粉尘爆炸", "有限空间中毒窒息", "触电"],
    },
    Sector.OTHER: {
        "objects": [("经营场所", "area", ["主楼", "库房"])],
        "events": ["火灾", "触电", "人员滑倒摔伤"],
    },
}
MEASURES = [
    ("1", "1-4", "可燃/有毒气体检测报警并联锁", "monitoring"),
    ("1", "1-1", "液位、压力、温度超限联锁切断", "monitoring"),
    ("2", "2-2", "定期检查设备腐蚀、泄漏情况", "inspection"),
    ("3", "3-1", "作业人员持证上岗", "inspection"),
    ("3", "3-3", "执行交接班制度并记录", "inspection"),
    ("4", "4-3", "消防设施完好有效", "inspection"),
    ("4", "4-2", "按规定佩戴个体防护用品", "inspection"),
    ("4", "4-4", "应急预案定期演练", "inspection"),
]
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
    for enterprise_id, person_id, role in Person.objects.filter(
        enterprise_id__in=[u.pk for u in units]
    ).values_list("enterprise_id", "id", "role"):
        if role != PersonRole.POST_HOLDER:
            people[enterprise_id].insert(0, person_id)
        else:
            people[enterprise_id].append(person_id)
    enterprises = [u for u in units if u.kind == UnitKind.ENTERPRISE or rng.random() < 0.5]
    objects, unit_rows, event_rows = [], [], []
    for enterprise in enterprises:
        sector = enterprise.sector_list[0] if enterprise.sector_list else Sector.OTHER
        template = TEMPLATES.get(sector, TEMPLATES[Sector.OTHER])
        chosen = rng.sample(template["objects"], k=rng.randint(1, len(template["objects"])))
        for name, kind, unit_names in chosen:
            obj = RiskObject(enterprise=enterprise, name=name, kind=kind, department="安全环保部")
            objects.append(obj)
            for unit_name in rng.sample(unit_names, k=rng.randint(1, min(2, len(unit_names)))):
                unit = RiskUnit(
                    risk_object=obj,
                    name=unit_name,
                    site_x=round(rng.uniform(0.1, 0.9), 3),
                    site_y=round(rng.uniform(0.15, 0.85), 3),
                )
                unit_rows.append(unit)
                for event_name in rng.sample(template["events"], k=rng.randint(1, 2)):
                    event_rows.append((enterprise, unit, event_name))
    RiskObject.objects.bulk_create(objects, batch_size=5000)
    for unit in unit_rows:
        unit.risk_object_id = unit.risk_object.pk
    RiskUnit.objects.bulk_create(unit_rows, batch_size=5000)
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
    for i, (enterprise, unit, name) in enumerate(event_rows):
        events.append(
            RiskEvent(
                unit_id=unit.pk,
                enterprise=enterprise,
                name=name,
                method="LEC",
                rule_set=rule_set.id,
                inherent_factors={k: float(v[i]) for k, v in inherent.items()},
                inherent_score=float(i_score[i]),
                inherent_level=int(i_level[i]),
                residual_factors={k: float(v[i]) for k, v in residual.items()},
                residual_score=float(r_score[i]),
                residual_level=int(r_level[i]),
                level=int(r_level[i]),
            )
        )
    RiskEvent.objects.bulk_create(events, batch_size=5000)
    measures = []
    for event in events:
        responsible = people[event.enterprise_id]
        for klass, subclass, text, mode in rng.sample(MEASURES, k=rng.randint(1, 2)):
            measures.append(
                ControlMeasure(
                    event=event,
                    description=text,
                    measure_class=klass,
                    measure_subclass=subclass,
                    control_mode=mode,
                    management_level=rng.choice(["company", "workshop", "team", "post"]),
                    responsible_id=rng.choice(responsible[:3]) if responsible else None,
                    inspection_content=f"检查：{text}" if mode == "inspection" else "",
                )
            )
    measures = [m for m in measures if m.responsible_id]
    ControlMeasure.objects.bulk_create(measures, batch_size=5000)
    start = timezone.make_aware(dt.datetime(2026, 1, 1, 8, 0))
    cycles = [
        InspectionCycle(
            measure=m,
            every=1 if i % 3 else 8,
            unit="day" if i % 3 else "hour",
            starts_at=start,
            work_start=dt.time(8) if i % 3 == 0 else None,
            work_end=dt.time(18) if i % 3 == 0 else None,
            day_type="every" if i % 2 else "working",
        )
        for i, m in enumerate(m for m in measures if m.control_mode == "inspection")
    ]
    InspectionCycle.objects.bulk_create(cycles, batch_size=5000)
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
    MajorHazardInstallation.objects.bulk_create(installations, batch_size=5000)
    major = sum(1 for i in installations if i.is_major)
    builder.progress(f"major hazard installations: {len(installations):,} ({major:,} major)")
