"""The campaign pages: list, progress page with its chart data, and the form."""

from __future__ import annotations

import json

import pytest
import time_machine

from redline.campaigns.models import Campaign
from redline.campaigns.tests.data import build_fire_records, fire_campaign, unit
from redline.conftest import login
from redline.core.models import ChangeLog

pytestmark = pytest.mark.django_db

NOW = "2026-06-15 10:00"


@pytest.fixture
def campaign(world):
    build_fire_records()
    return fire_campaign()


@time_machine.travel(NOW, tick=False)
def test_list_shows_headline_progress(client, campaign):
    login(client, "office-viewer")
    page = client.get("/campaigns/")
    assert page.status_code == 200
    html = page.content.decode()
    assert campaign.name in html and f'href="/campaigns/{campaign.pk}/"' in html
    assert "37.5%" in html  # 3 of the 8 units in scope inspected
    assert 'href="/campaigns/"' in html  # the menu item


@time_machine.travel(NOW, tick=False)
def test_list_query_count_is_fixed(client, campaign, django_assert_max_num_queries):
    for index in range(4):
        fire_campaign(name=f"campaign {index}")
    login(client, "office-viewer")
    with django_assert_max_num_queries(12):
        assert client.get("/campaigns/").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_campaign_page_with_breakdowns_and_trend(client, campaign, django_assert_max_num_queries):
    login(client, "office-manager")
    with django_assert_max_num_queries(20):
        page = client.get(f"/campaigns/{campaign.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    for part in ('id="by-region"', 'id="by-department"', 'id="ranking"', 'id="targets"'):
        assert part in html
    assert "区D1" in html and "区D2" in html and "D1消防" in html
    assert "重大火灾隐患判定方法" in html  # the standard's title
    assert f'href="/hazards/?campaign={campaign.pk}"' in html
    assert f'href="/campaigns/{campaign.pk}/edit/"' in html
    trend = page.context["progress"].trend
    assert 'id="campaign-trend-data"' in html and "echarts.min.js" in html
    assert json.dumps(trend["weeks"][0]) in html
    assert trend["found"][23] == 9 and trend["closed"][23] == 4


@time_machine.travel(NOW, tick=False)
def test_district_page_shows_its_subdistricts(client, campaign):
    login(client, "d1-viewer")
    page = client.get(f"/campaigns/{campaign.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "街道S11" in html and "街道S12" in html and "区D2" not in html
    assert f'href="/campaigns/{campaign.pk}/edit/"' not in html


def test_unknown_or_unseen_campaign_is_404(client, campaign):
    login(client, "office-viewer")
    assert client.get("/campaigns/999999/").status_code == 404
    assert client.get("/campaigns/999999/edit/").status_code == 404
    login(client, "ent-viewer")  # a hazardous-chemicals unit: not in the fire campaign
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 404
    login(client, "ent2-viewer")  # a fire unit: in it
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 200


def form_data(**change: object) -> dict[str, object]:
    return {
        "name": "道路运输专项整治",
        "name_en": "Road transport",
        "sectors": ["transport"],
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "standards": ["road-transport-2023"],
        "targets_inspected_share": "90",
        "targets_overdue_rate": "5",
        "description": "",
    } | change


def test_office_manager_creates_and_edits(client, world):
    login(client, "office-manager")
    assert client.get("/campaigns/new/").status_code == 200
    response = client.post("/campaigns/new/", form_data())
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.targets == {"inspected_share": 90, "overdue_rate": 5}
    d2 = unit("U-S21-fire").region.parent
    edit = client.get(f"/campaigns/{campaign.pk}/edit/")
    assert edit.status_code == 200 and "道路运输专项整治" in edit.content.decode()
    response = client.post(
        f"/campaigns/{campaign.pk}/edit/",
        form_data(name="改名", regions=[d2.pk], version="1", targets_overdue_rate=""),
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "改名" and campaign.version == 2
    assert campaign.targets == {"inspected_share": 90}
    assert list(campaign.regions.all()) == [d2]
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="history"' in page


def test_errors_are_shown_next_to_the_field(client, world):
    login(client, "office-manager")
    response = client.post(
        "/campaigns/new/",
        form_data(ends_on="2025-12-31", standards=["hazchem-2017"], targets_closure_share="150"),
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"ends_on", "standards", "targets_closure_share"} <= set(errors)
    assert not Campaign.objects.exists()


def test_stale_edit_is_a_conflict(client, campaign):
    login(client, "office-manager")
    response = client.post(
        f"/campaigns/{campaign.pk}/edit/",
        form_data(sectors=["fire"], standards=[], version=str(campaign.version + 5)),
    )
    assert response.status_code == 409
    assert Campaign.objects.get().name == campaign.name


@pytest.mark.parametrize(
    "username", ["d1-manager", "emergency-admin", "ent-admin", "office-viewer"]
)
def test_others_may_not_create_or_edit(client, campaign, username):
    login(client, username)
    assert client.get("/campaigns/new/").status_code == 403
    assert client.post("/campaigns/new/", form_data()).status_code == 403
    status = client.post(f"/campaigns/{campaign.pk}/edit/", form_data(version="1")).status_code
    assert status == (404 if username == "ent-admin" else 403)
    assert Campaign.objects.count() == 1
    assert ChangeLog.objects.filter(model="campaigns.Campaign").count() == 1
    assert "/campaigns/new/" not in client.get("/campaigns/").content.decode()
