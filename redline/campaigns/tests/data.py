"""A small, fully known fire campaign over the access-test city (see `world.py`): the
hazards and inspections below are listed with what each one contributes, so the expected
figures in the tests are worked out by hand from this list, not by the code under test.

Units in scope (sector fire, or fire among others): U-<sub>-fire and U-<sub>-mixed in
S11, S12 (district D1) and S21, S22 (district D2): 8 units.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from redline.campaigns.models import Campaign
from redline.campaigns.services import CampaignInput, campaign_save
from redline.hazards.models import Hazard, InspectionTask
from redline.hazards.tests.factories import measure_with_cycle, user
from redline.organisations.models import Enterprise, Region

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 6, 15)
TARGETS = {
    "inspected_share": 90,
    "major_closed_share": 100,
    "closure_share": 40,
    "overdue_rate": 10,
}


def at(month: int, day: int, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=ZONE)


def unit(name: str) -> Enterprise:
    return Enterprise.objects.select_related("region").get(name=name)


def hazard(where: Enterprise | Region, **fields: object) -> Hazard:
    placed = isinstance(where, Enterprise)
    values = {
        "enterprise": where if placed else None,
        "region": where.region if placed else where,
        "sector": "fire",
        "name": "隐患",
        "description": "—",
        "hazard_type": "fire",
        "level": "general",
        "source": "daily",
        "state": "reported",
    } | fields
    return Hazard.objects.create(**values)


def task(enterprise: Enterprise, checked: dt.datetime, result: str) -> InspectionTask:
    measure, _cycle = measure_with_cycle(enterprise, name=f"{enterprise.pk}-{checked:%m%d}")
    return InspectionTask.objects.create(
        measure=measure,
        enterprise=enterprise,
        due_at=checked - dt.timedelta(hours=2),
        window_ends_at=checked + dt.timedelta(days=1),
        result=result,
        checked_at=checked,
        recorded_at=checked,
    )


def fire_campaign(**data: object) -> Campaign:
    fields = {
        "name": "消防安全专项整治（测试）",
        "sectors": ("fire",),
        "starts_on": dt.date(2026, 1, 1),
        "ends_on": dt.date(2026, 12, 31),
        "standards": ("gb35181-2017", "gb35181-2025"),
        "targets": TARGETS,
    } | data
    # The tests give lists where the input takes tuples (sectors, regions, standards).
    typed = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    return campaign_save(actor=user("office-manager"), data=CampaignInput.of(typed))


def build_fire_records() -> None:
    a, b = unit("U-S11-fire"), unit("U-S11-mixed")
    c, d = unit("U-S12-fire"), unit("U-S12-mixed")
    e, f = unit("U-S21-fire"), unit("U-S21-mixed")
    g, h = unit("U-S22-fire"), unit("U-S22-mixed")
    # D1 ---------------------------------------------------------------------------------
    # 1: A, general, closed.
    hazard(a, state="closed", reported_at=at(2, 10), closed_at=at(2, 20))
    # 2: A, major citing F17-D1 (GB 35181-2017), closed; from a government inspection,
    #    so A counts as inspected.
    hazard(
        a,
        level="major",
        state="closed",
        source="government",
        determination_items=["F17-D1"],
        reported_at=at(3, 2),
        closed_at=at(4, 1),
    )
    # 3: C, major citing F17-D2, being rectified, deadline 1 May: overdue on 15 June.
    hazard(
        c,
        level="major",
        state="rectifying",
        determination_items=["F17-D2"],
        deadline=dt.date(2026, 5, 1),
        reported_at=at(4, 10),
    )
    # 4: C, general, reported, deadline 1 July: open, not overdue.
    hazard(c, deadline=dt.date(2026, 7, 1), reported_at=at(6, 1))
    # 10: B (industry + fire), a hazard of sector "industry": in scope through its unit's
    #     sectors; general, closed; a self-inspection, so B is not counted as inspected.
    hazard(b, sector="industry", state="closed", reported_at=at(5, 5), closed_at=at(5, 6))
    # D: an inspection task recorded as done in the period -> inspected.
    task(d, at(4, 1), "normal")
    # D2 ---------------------------------------------------------------------------------
    # 5: E, general, awaiting acceptance past its deadline: open, not overdue.
    hazard(e, state="awaiting", deadline=dt.date(2026, 3, 1), reported_at=at(2, 1))
    # 6: E, major without determination items, reported, deadline 1 June: overdue; from a
    #    government inspection, so E is inspected.
    hazard(
        e,
        level="major",
        source="government",
        deadline=dt.date(2026, 6, 1),
        reported_at=at(5, 20),
    )
    # 11: G, major citing HC-01 (a hazardous-chemicals item, not the campaign's), closed.
    hazard(
        g,
        level="major",
        state="closed",
        determination_items=["HC-01"],
        reported_at=at(3, 10),
        closed_at=at(3, 20),
    )
    # 12: a public report in S21 with sector fire, not tied to a unit: general, open.
    hazard(Region.objects.get(name="街道S21"), source="public", reported_at=at(4, 4))
    # H: a task recorded as "not inspected" -> not inspected.
    task(h, at(4, 1), "not_inspected")
    # F: a task done before the period -> not inspected.
    task(f, at(11, 1, 2025), "normal")
    # Not in the campaign ------------------------------------------------------------------
    # 7: A, reported before the period.
    hazard(a, reported_at=at(12, 20, 2025))
    # 8: G, dismissed.
    hazard(g, state="dismissed", reported_at=at(3, 3))
    # 9: the hazardous-chemicals unit of S11, sector hazchem.
    hazard(unit("U-S11-hazchem"), sector="hazchem", reported_at=at(3, 1))
