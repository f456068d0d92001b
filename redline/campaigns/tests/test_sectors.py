"""A campaign's sectors as rows (`CampaignSector`), and the campaign matching read from the
sector rows of campaigns and units: which campaigns cover a unit of several sectors, which
units and hazards are in a campaign's scope, and how that follows a unit's edits."""

from __future__ import annotations

import pytest

from redline.campaigns.models import Campaign, CampaignSector
from redline.campaigns.services import CampaignInput, campaign_save
from redline.campaigns.tests.data import at, fire_campaign, hazard, unit
from redline.hazards.models import Hazard
from redline.hazards.tests.factories import user
from redline.organisations.models import Enterprise, Region
from redline.organisations.services import EnterpriseInput, enterprise_update

pytestmark = pytest.mark.django_db


def rows_of(campaign: Campaign) -> set[str]:
    rows = CampaignSector.objects.filter(campaign=campaign)
    return set(rows.values_list("sector", flat=True))


def covering(name: str) -> set[str]:
    return set(Campaign.objects.covering(unit(name)).values_list("name", flat=True))


def test_a_campaigns_sectors_are_rows_that_follow_its_edits(world):
    campaign = fire_campaign(sectors=["fire", "construction"], standards=[])
    assert rows_of(campaign) == {"fire", "construction"}
    campaign = campaign_save(
        actor=user("office-manager"),
        data=CampaignInput(sectors=("construction",)),
        campaign_id=campaign.pk,
        version=campaign.version,
    )
    assert campaign.sector_list == ["construction"]
    assert rows_of(campaign) == {"construction"}


def test_a_unit_of_several_sectors_is_covered_by_a_campaign_of_either(world):
    fire_campaign(name="工贸", sectors=["industry"], standards=[])
    fire_campaign(name="消防")
    gas = fire_campaign(name="燃气", sectors=["gas"], standards=[])
    assert covering("U-S11-mixed") == {"工贸", "消防"}  # industry and fire
    assert covering("U-S11-fire") == {"消防"}
    in_gas = Enterprise.objects.filter(gas.enterprise_q())
    assert not in_gas.exists()

    mixed = unit("U-S11-mixed")
    enterprise_update(
        actor=user("cityhall-operator"),
        enterprise_id=mixed.pk,
        version=mixed.version,
        data=EnterpriseInput(sector_list=("gas", "industry")),
    )
    assert covering("U-S11-mixed") == {"工贸", "燃气"}
    assert set(in_gas.values_list("name", flat=True)) == {"U-S11-mixed"}
    # A unit's own account sees the campaigns that cover it (U-S21-fire: fire).
    seen = Campaign.objects.restrict(user("ent2-viewer")).values_list("name", flat=True)
    assert set(seen) == covering("U-S21-fire") == {"消防"}


def test_the_units_in_a_campaign_of_one_sector(world):
    campaign = fire_campaign(name="工贸", sectors=["industry"], standards=[])
    units = set(Enterprise.objects.filter(campaign.enterprise_q()).values_list("name", flat=True))
    assert units == {"U-S11-mixed", "U-S12-mixed", "U-S21-mixed", "U-S22-mixed"}


def test_a_campaigns_hazards_are_those_of_its_sectors_or_of_its_units(world):
    campaign = fire_campaign(name="工贸", sectors=["industry"], standards=[])
    when = at(6, 1)
    # A fire hazard at a unit that is also in industry & trade: in, through the unit.
    hazard(unit("U-S11-mixed"), name="H-unit", sector="fire", reported_at=when)
    # A hazard filed under industry & trade at a fire unit: in, through its own sector.
    hazard(unit("U-S11-fire"), name="H-own", sector="industry", reported_at=when)
    hazard(unit("U-S11-fire"), name="H-out", sector="fire", reported_at=when)
    region = Region.objects.get(pk=world.regions["S21"])
    hazard(region, name="H-loose", sector="industry", reported_at=when)
    hazard(unit("U-S11-mixed"), name="H-late", sector="fire", reported_at=at(1, 1, 2027))
    found = set(Hazard.objects.filter(campaign.hazard_q()).values_list("name", flat=True))
    assert found == {"H-unit", "H-own", "H-loose"}


def test_a_campaigns_hazards_follow_their_units_sectors(world):
    """The unit's sectors are read from the hazard's copy of them, which follows the
    unit's edits."""
    gas = fire_campaign(name="燃气", sectors=["gas"], standards=[])
    mixed = unit("U-S11-mixed")
    hazard(mixed, name="H-mixed", sector="fire", reported_at=at(6, 1))
    in_gas = Hazard.objects.filter(gas.hazard_q())
    assert not in_gas.exists()
    enterprise_update(
        actor=user("cityhall-operator"),
        enterprise_id=mixed.pk,
        version=mixed.version,
        data=EnterpriseInput(sector_list=("gas", "industry")),
    )
    assert set(in_gas.values_list("name", flat=True)) == {"H-mixed"}
