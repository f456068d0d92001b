"""The demo city's special rectification campaigns: the five fields the city's production
safety conference named (fire protection, construction, urban gas, hazardous chemicals,
road traffic), each over the current year, city-wide, with the sector's determination
standards and targets of the kind such campaigns set (major hazards cleared, full
inspection coverage, few overdue)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from redline.campaigns.models import Campaign
from redline.organisations.models import Enterprise
from redline.organisations.vocab import Sector

CONFERENCE = (
    "落实全市安全生产工作会议部署，深入开展安全生产重大事故隐患专项排查整治，"
    "对照重大事故隐患判定标准逐项排查，重大事故隐患动态清零。"
)

# (name, English name, sectors, standards, targets, what the campaign looks at)
CAMPAIGNS: list[tuple[str, str, list[str], list[str], dict[str, float], str]] = [
    (
        "消防安全专项整治",
        "Fire safety special rectification",
        [Sector.FIRE_KEY_UNITS],
        ["gb35181-2017", "gb35181-2025"],
        {"inspected_share": 95, "major_closed_share": 100, "closure_share": 90, "overdue_rate": 5},
        "聚焦人员密集场所、消防安全重点单位，整治疏散通道堵塞、消防设施失效等重大火灾隐患。",
    ),
    (
        "建筑施工安全专项整治",
        "Construction safety special rectification",
        [Sector.CONSTRUCTION],
        ["housing-municipal-2022", "housing-municipal-2024"],
        {"inspected_share": 100, "major_closed_share": 100, "closure_share": 95, "overdue_rate": 3},
        "聚焦深基坑、高支模、起重机械、脚手架等危大工程，严查无证施工、方案未论证等重大隐患。",
    ),
    (
        "城镇燃气安全专项整治",
        "Urban gas safety special rectification",
        [Sector.URBAN_GAS],
        ["urban-gas-2023"],
        {"inspected_share": 100, "major_closed_share": 100, "closure_share": 90, "overdue_rate": 5},
        "聚焦燃气经营企业、餐饮等用户场所，整治管道占压、瓶装燃气违规充装和用户端重大隐患。",
    ),
    (
        "危险化学品安全专项整治",
        "Hazardous chemicals safety special rectification",
        [Sector.HAZARDOUS_CHEMICALS],
        ["hazchem-2017"],
        {"inspected_share": 100, "major_closed_share": 100, "closure_share": 95, "overdue_rate": 2},
        "聚焦“两重点一重大”企业和化工园区，整治自动化控制、紧急切断、特殊作业管理等重大隐患。",
    ),
    (
        "道路交通运输安全专项整治",
        "Road transport safety special rectification",
        [Sector.ROAD_TRANSPORT],
        ["road-transport-2023"],
        {"inspected_share": 90, "major_closed_share": 100, "closure_share": 90, "overdue_rate": 5},
        "聚焦“两客一危一货”运输企业，整治动态监控不落实、疲劳驾驶、车辆带病运行等重大隐患。",
    ),
]

# The checklist programme of each campaign above (`inspections/data/checklists/*-rectification`).
PROGRAMMES = [
    "fire-rectification",
    "construction-rectification",
    "gas-rectification",
    "hazchem-rectification",
    "transport-rectification",
]


def build_campaigns(builder: Any, units: list[Enterprise]) -> None:
    """Create the five campaigns (those already present, by name, are left as they are)."""
    year = timezone.localdate().year
    existing = set(Campaign.objects.values_list("name", flat=True))
    made = 0
    for (name, name_en, sectors, standards, targets, focus), code in zip(
        CAMPAIGNS, PROGRAMMES, strict=True
    ):
        if name in existing:
            continue
        campaign = Campaign(
            name=name,
            name_en=name_en,
            code=code,
            starts_on=dt.date(year, 1, 1),
            ends_on=dt.date(year, 12, 31),
            standards=standards,
            targets=targets,
            description=f"{CONFERENCE}{focus}",
        )
        campaign.sector_list = [str(s) for s in sectors]
        campaign.full_clean()
        campaign.save()
        made += 1
    builder.progress(f"special rectification campaigns: {made}")
