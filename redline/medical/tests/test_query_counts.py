"""The capacity pages and API lists cost the same number of queries with a few hospitals
as with many, for each kind of reader (STYLE.md); the hospitals added are in different
subdistricts, with their own history, reports and alerts, so an N+1 on any of them shows.
(test_views.py checks the same pages as the city health commission.)"""

from __future__ import annotations

import itertools

import pytest

from redline.conftest import login
from redline.core.tests.queries import assert_flat
from redline.engines.credit_code import compose
from redline.medical.evaluation import capacity_alerts_evaluate
from redline.medical.models import CapacityReport
from redline.medical.tests.conftest import FIGURES, NOW, TODAY, seed_history
from redline.organisations.models import Enterprise, Region

pytestmark = pytest.mark.django_db

serial = itertools.count(1)
DISTRICT_SUBS = {"health": ("S11", "S12", "S21", "S22"), "d1": ("S11", "S12"), "d2": ("S21",)}


def add_hospitals(med, subs: tuple[str, ...], step: int, alerted: bool = False) -> list[str]:
    """Hospitals and fever clinics in other subdistricts, each with a few days of history
    and today's report (every other one strained enough to raise an alert). Returns their
    names (only those with an alert when `alerted`)."""
    shown = []
    for k in range(1 if step == 0 else 3):
        n = next(serial)
        region = Region.objects.get(name=f"街道{subs[(step + k) % len(subs)]}")
        unit = Enterprise(
            name=f"H-QM-{n}",
            credit_code=compose("1", "2", region.code[:6], f"QM{n:06d}"),
            kind=("hospital", "fever_clinic")[k % 2],
            region=region,
        )
        unit.sector_list = ["other"]
        unit.save()
        seed_history(unit.pk, 3)
        CapacityReport.objects.create(
            hospital=unit,
            day=TODAY,
            **(FIGURES | {"icu_occupied": 9 if k % 2 == 0 else 4}),
            reported_at=NOW,
        )
        if k % 2 == 0 or not alerted:
            shown.append(unit.name)
    capacity_alerts_evaluate(day=TODAY, now=NOW)
    return shown


@pytest.mark.parametrize(
    ("url", "lists_names"),
    [
        ("/medical/", True),
        ("/medical/alerts/", True),
        ("/api/v1/medical/reports", True),
        ("/api/v1/medical/alerts", True),
        ("/api/v1/medical/regions", False),
    ],
)
@pytest.mark.parametrize("org", ["health", "d1", "cdc_d2"])
def test_capacity_lists_cost_the_same_for_more_hospitals(client, med, clock, url, lists_names, org):
    login(client, f"{org}-viewer")
    subs = DISTRICT_SUBS.get(org, DISTRICT_SUBS["d2"])
    params = {"day": TODAY.isoformat()} if url in ("/medical/", "/api/v1/medical/regions") else {}

    def grow(step: int) -> list[str]:
        names = add_hospitals(med, subs, step, alerted="alerts" in url)
        return names if lists_names else []

    assert_flat(client, url, grow, params=params)


@pytest.mark.parametrize("url", ["/medical/alerts/{id}/", "/api/v1/medical/alerts/{id}"])
def test_an_alerts_timeline_costs_the_same_for_more_steps(client, med, clock, url):
    """A long timeline (steps by different people) reads in as many queries as a short one."""
    from redline.accounts.models import User
    from redline.medical.models import CapacityAlert, CapacityAlertEvent

    name = add_hospitals(med, DISTRICT_SUBS["health"], 0, alerted=True)[0]
    alert = CapacityAlert.objects.filter(hospital__name=name).first()
    actors = list(User.objects.filter(username__startswith="health-").order_by("pk"))
    login(client, "health-viewer")

    def grow(step: int) -> list[str]:
        shown = []
        for _k in range(1 if step == 0 else 3):
            n = next(serial)
            actor = actors[n % len(actors)]
            CapacityAlertEvent.objects.create(
                alert=alert,
                at=NOW,
                actor=actor,
                actor_name=actor.username,
                organisation_name="QM机构",
                action="comment",
                from_state=alert.state,
                to_state=alert.state,
                comment=f"QM说明{n}",
            )
            shown.append(f"QM说明{n}")
        return shown

    assert_flat(client, url.format(id=alert.pk), grow)
