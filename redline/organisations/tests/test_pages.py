"""Pages render for every level and do a bounded number of queries (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from redline.accounts.models import User
from redline.organisations.models import Enterprise, Person

pytestmark = pytest.mark.django_db


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("url", ["/", "/enterprises/", "/regions/", "/audit/"])
def test_list_pages_do_not_grow_queries_with_rows(client, world, url):
    from redline.engines.credit_code import compose
    from redline.organisations import services

    client.force_login(User.objects.get(username="cityhall-admin"))
    template = Enterprise.objects.get(name="U-S11-build")
    operator = User.objects.get(username="cityhall-operator")

    def add(i):
        services.enterprise_create(
            actor=operator,
            data=services.EnterpriseInput(
                name=f"加量单位{i}",
                credit_code=compose("9", "1", "100100", f"QC{i:06d}"),
                sector_list=("construction",),
                region=template.region_id,
            ),
        )

    add(0)
    before = queries_for(client, url)
    for i in range(1, 6):
        add(i)
    after = queries_for(client, url)
    assert after == before, f"{url}: {before} queries with fewer rows, {after} with more"


def test_detail_page_queries_are_bounded(client, world):
    client.force_login(User.objects.get(username="cityhall-viewer"))
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    before = queries_for(client, f"/enterprises/{unit.pk}/")
    for i in range(6):
        Person.objects.create(name=f"岗位{i}", role="post_holder", post="操作工", enterprise=unit)
    assert queries_for(client, f"/enterprises/{unit.pk}/") == before
    assert before <= 20
