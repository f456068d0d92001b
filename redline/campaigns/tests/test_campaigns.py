"""Writing campaigns: who may, what is valid (errors name the field), optimistic versions,
the change log; and who sees which campaign."""

from __future__ import annotations

import datetime as dt

import pytest

from redline.campaigns.forms import CampaignForm
from redline.campaigns.models import Campaign
from redline.campaigns.services import CampaignInput, campaign_save, may_manage
from redline.campaigns.tests.data import fire_campaign, unit
from redline.core.errors import Conflict, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog
from redline.hazards.models import Hazard
from redline.hazards.tests.factories import user

pytestmark = pytest.mark.django_db

VALID = CampaignInput(
    name="燃气专项整治",
    name_en="Gas campaign",
    sectors=("gas",),
    starts_on=dt.date(2026, 3, 1),
    ends_on=dt.date(2026, 12, 31),
    standards=("urban-gas-2023",),
    targets={"inspected_share": 100, "overdue_rate": 5},
)


def valid(**change: object) -> CampaignInput:
    return CampaignInput.of(VALID.given() | change)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"sectors": ()}, "sectors"),
        ({"sectors": ("gas", "nuclear")}, "sectors"),
        ({"ends_on": dt.date(2026, 2, 28)}, "ends_on"),
        ({"standards": ("no-such-standard",)}, "standards"),
        ({"standards": ("hazchem-2017",)}, "standards"),  # a sector the campaign lacks
        ({"standards": ("urban-gas-2023", "urban-gas-2023")}, "standards"),
        ({"targets": {"happiness": 100}}, "targets"),
        ({"targets": {"inspected_share": 120}}, "targets.inspected_share"),
        ({"targets": {"overdue_rate": -1}}, "targets.overdue_rate"),
        ({"targets": {"closure_share": True}}, "targets.closure_share"),
        ({"regions": (987654,)}, "regions"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_values_are_named(world, change, field):
    with pytest.raises(ValidationFailed) as failure:
        campaign_save(actor=user("office-manager"), data=valid(**change))
    assert failure.value.status == 422
    assert field in failure.value.fields, failure.value.fields
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_on": "not a date"}, "starts_on"),
        ({"targets_closure_share": "most"}, "targets_closure_share"),
    ],
)
def test_what_is_no_date_or_number_is_named_by_the_form(world, change, field):
    data = {"name": "燃气专项整治", "sectors": ["gas"], "starts_on": "2026-03-01"}
    form = CampaignForm(data | {"ends_on": "2026-12-31"} | change, user=user("office-manager"))
    assert not form.is_valid() and set(form.errors) == {field}, form.errors


def test_valid_campaign_is_saved_and_logged(world):
    district = unit("U-S11-fire").region.parent
    campaign = campaign_save(actor=user("office-manager"), data=valid(regions=(district.pk,)))
    assert campaign.sector_list == ["gas"]
    assert campaign.targets == {"inspected_share": 100, "overdue_rate": 5}
    assert list(campaign.regions.all()) == [district]
    entry = ChangeLog.objects.get(model="campaigns.Campaign", object_id=str(campaign.pk))
    assert entry.action == "create" and entry.before is None
    assert entry.after["regions"] == [[district.pk, str(district)]]


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("office-manager", True),
        ("office-admin", True),
        ("cityhall-manager", True),
        ("cityhall-admin", True),
        ("office-operator", False),
        ("office-viewer", False),
        ("d1-manager", False),
        ("d1-admin", False),
        ("s11-admin", False),
        ("emergency-admin", False),
        ("fire_d1-manager", False),
        ("cdc_d2-admin", False),
        ("ent-admin", False),
    ],
)
def test_who_may_create_and_edit(world, username, allowed):
    actor = user(username)
    assert may_manage(actor) is allowed
    existing = fire_campaign()
    if allowed:
        made = campaign_save(actor=actor, data=VALID)
        changed = campaign_save(
            actor=actor,
            data=CampaignInput(name="改名"),
            campaign_id=existing.pk,
            version=existing.version,
        )
        assert made.pk and changed.name == "改名"
        return
    with pytest.raises(PermissionDenied):
        campaign_save(actor=actor, data=VALID)
    with pytest.raises(PermissionDenied):
        campaign_save(
            actor=actor,
            data=CampaignInput(name="改名"),
            campaign_id=existing.pk,
            version=existing.version,
        )
    assert Campaign.objects.get().name == existing.name


def test_edit_with_a_stale_version_is_a_conflict(world):
    campaign = fire_campaign()
    manager = user("office-manager")
    campaign_save(
        actor=manager, data=CampaignInput(name="新名称"), campaign_id=campaign.pk, version=1
    )
    with pytest.raises(Conflict) as failure:
        campaign_save(
            actor=manager, data=CampaignInput(name="又一个"), campaign_id=campaign.pk, version=1
        )
    assert failure.value.status == 409
    assert Campaign.objects.get().name == "新名称"
    with pytest.raises(ValidationFailed) as missing:
        campaign_save(actor=manager, data=CampaignInput(name="x"), campaign_id=campaign.pk)
    assert "version" in missing.value.fields


def test_every_change_is_in_the_log(world):
    campaign = fire_campaign()
    manager = user("office-manager")
    district = unit("U-S21-fire").region.parent
    campaign = campaign_save(
        actor=manager,
        data=CampaignInput(regions=(district.pk,), targets={"inspected_share": 80}),
        campaign_id=campaign.pk,
        version=campaign.version,
    )
    assert campaign.version == 2
    campaign = campaign_save(
        actor=manager, data=CampaignInput(is_archived=True), campaign_id=campaign.pk, version=2
    )
    entries = list(
        ChangeLog.objects.filter(model="campaigns.Campaign", object_id=str(campaign.pk)).order_by(
            "id"
        )
    )
    assert [e.action for e in entries] == ["create", "update", "archive"]
    update = entries[1]
    assert update.before["regions"] == [] and update.after["regions"] == [
        [district.pk, str(district)]
    ]
    labels = {field for field, _before, _after in update.changes}
    names = {str(Campaign._meta.get_field(f).verbose_name) for f in ("regions", "targets")}
    assert names <= labels
    # Saving the same values again changes nothing and logs nothing.
    campaign_save(
        actor=manager, data=CampaignInput(is_archived=True), campaign_id=campaign.pk, version=3
    )
    assert ChangeLog.objects.filter(model="campaigns.Campaign").count() == 3


# --- visibility ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("cityhall-viewer", True),
        ("office-viewer", True),
        ("d1-viewer", True),
        ("s11-viewer", True),
        ("emergency-viewer", True),  # no fire mandate: still a city-wide programme
        ("fire_d1-viewer", True),
        ("education-viewer", True),
        ("cdc_d2-viewer", False),  # a public-health body takes no part
        ("ent-viewer", False),  # a hazardous-chemicals unit: not in a fire campaign
        ("ent2-viewer", True),  # a fire unit in S21
    ],
)
def test_who_sees_a_city_wide_fire_campaign(world, username, sees):
    campaign = fire_campaign()
    assert Campaign.objects.restrict(user(username)).filter(pk=campaign.pk).exists() is sees


def test_an_enterprise_sees_only_campaigns_covering_it(world):
    ent2 = user("ent2-viewer")  # U-S21-fire, district D2
    d1 = unit("U-S11-fire").region.parent
    d2 = unit("U-S21-fire").region.parent
    s21 = unit("U-S21-fire").region
    in_d1 = fire_campaign(name="D1", regions=[d1.pk])
    in_d2 = fire_campaign(name="D2", regions=[d2.pk])
    in_s21 = fire_campaign(name="S21", regions=[s21.pk])
    archived = fire_campaign(name="old")
    campaign_save(
        actor=user("office-manager"),
        data=CampaignInput(is_archived=True),
        campaign_id=archived.pk,
        version=archived.version,
    )
    visible = set(Campaign.objects.restrict(ent2).values_list("pk", flat=True))
    assert visible == {in_d2.pk, in_s21.pk}
    assert in_d1.pk not in visible
    # Government users see archived campaigns too (the list shows them apart).
    assert Campaign.objects.restrict(user("d1-viewer")).count() == 4


def test_hazard_scope_is_a_filter_for_the_ledger(world):
    from redline.campaigns.tests.data import build_fire_records

    build_fire_records()
    campaign = fire_campaign()
    in_scope = Hazard.objects.filter(campaign.hazard_q())
    # Hazards 1-6, 8 (dismissed), 10, 11, 12: in sectors, regions and period (data.py).
    assert in_scope.count() == 10
    assert not in_scope.filter(sector="hazchem").exists()


def test_demo_campaigns_are_the_conference_five_and_idempotent(world):
    import random
    from types import SimpleNamespace

    from redline.campaigns.demo import build_campaigns

    builder = SimpleNamespace(rng=random.Random(1), progress=lambda message: None)
    build_campaigns(builder, [])
    build_campaigns(builder, [])
    campaigns = list(Campaign.objects.order_by("id"))
    assert [(c.sector_list, c.standards) for c in campaigns] == [
        (["fire"], ["gb35181-2017", "gb35181-2025"]),
        (["construction"], ["housing-municipal-2022", "housing-municipal-2024"]),
        (["gas"], ["urban-gas-2023"]),
        (["hazchem"], ["hazchem-2017"]),
        (["transport"], ["road-transport-2023"]),
    ]
    for campaign in campaigns:
        campaign.full_clean()
        assert campaign.phase() == "running"  # the current year
        assert set(campaign.targets) == {
            "inspected_share",
            "major_closed_share",
            "closure_share",
            "overdue_rate",
        }
