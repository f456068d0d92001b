"""A hazard follows its unit's sectors: the department ledger and the tally read the
hazard's copy of them (an equality on `unit_sectors`, `copies_q`), which follows the unit
when its sectors change and a hazard when it is reported or reassigned. And the ledger's
name search: the same results as `icontains` on every database, from a trigram index on
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from redline.accounts.models import User
from redline.campaigns.tests import data
from redline.campaigns.tests.data import unit
from redline.hazards import selectors
from redline.hazards.models import Hazard, HazardTally
from redline.hazards.public import PublicReportInput, hazard_report_public
from redline.hazards.services import hazard_transition
from redline.hazards.tally import tally_rebuild
from redline.organisations.models import Region
from redline.organisations.services import EnterpriseInput, enterprise_update

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only"
)


def hazard(where: Any, **fields: Any) -> Hazard:
    return data.hazard(where, reported_at=timezone.now(), **fields)


def user(username: str) -> User:
    return User.objects.get(username=username)


def ledger(username: str, **filters: str) -> set[str]:
    return set(selectors.hazard_list(user(username), filters).values_list("name", flat=True))


def tallied(username: str) -> int:
    return sum(HazardTally.objects.restrict(user(username)).values_list("count", flat=True))


def test_a_units_hazards_follow_its_sectors(world):
    mixed = unit("U-S11-mixed")  # industry and fire
    hazard(mixed, name="H-mixed", sector="industry")
    hazard(unit("U-S12-build"), name="H-build", sector="construction")
    tally_rebuild()
    assert "H-mixed" in ledger("emergency-viewer") and "H-mixed" in ledger("fire_d1-viewer")
    assert "H-build" not in ledger("emergency-viewer")
    assert tallied("emergency-viewer") == 1

    enterprise_update(
        actor=user("cityhall-operator"),
        enterprise_id=mixed.pk,
        version=mixed.version,
        data=EnterpriseInput(sector_list=("construction", "fire")),
    )
    assert Hazard.objects.get(name="H-mixed").unit_sectors == ",fire,construction,"
    assert "H-mixed" not in ledger("emergency-viewer")
    assert "H-mixed" in ledger("fire_d1-viewer")
    assert tallied("emergency-viewer") == 0  # the tally was recounted


def test_a_public_report_of_no_unit_goes_by_its_own_sector(world):
    region = Region.objects.get(pk=world.regions["S12"])
    hazard(region, name="H-loose", sector="hazchem", source="public")
    assert "H-loose" in ledger("emergency-viewer")
    assert "H-loose" not in ledger("fire_d1-viewer")
    assert "H-loose" in ledger("d1-viewer")


def test_a_reassigned_hazard_follows_its_new_unit(world):
    report = hazard_report_public(
        data=PublicReportInput.of(
            {
                "region": world.regions["S11"],
                "place": "Lane 4",
                "sector": "construction",
                "description": "Scaffolding without ties",
            }
        )
    )
    assert report.unit_sectors == ",construction,"
    assert ledger("emergency-viewer") == set()
    target = unit("U-S11-hazchem")
    hazard_transition(
        actor=user("s11-inspector"),
        hazard_id=report.pk,
        version=report.version,
        action="assign_unit",
        data={"enterprise": target.pk},
    )
    report.refresh_from_db()
    assert report.enterprise_id == target.pk and report.unit_sectors == ",hazchem,"
    assert ledger("emergency-viewer") == {report.name}


def test_the_department_filter_is_an_equality_on_the_copy(world):
    where = str(Hazard.objects.restrict(user("emergency-viewer")).query).split(" WHERE ", 1)[1]
    assert '"hazards_hazard"."unit_sectors" IN (' in where
    assert '"unit_sectors" LIKE' not in where


def test_a_sector_filter_that_matches_nothing_in_the_scope(world):
    hazard(unit("U-S11-hazchem"), name="H-chem", sector="hazchem", state="closed")
    hazard(unit("U-S11-fire"), name="H-fire", sector="fire", state="closed")
    assert ledger("emergency-viewer", sector="fire", state="closed") == set()
    assert ledger("emergency-viewer", sector="hazchem", state="closed") == {"H-chem"}
    assert ledger("cityhall-viewer", sector="fire", state="closed") == {"H-fire"}


# --- name search ----------------------------------------------------------------------

NAMES = ["储罐法兰泄漏", "法兰连接处锈蚀", "Flange LEAK at pump", "100%_valve 阀门", "配电箱未接地"]
TERMS = ["法兰", "法兰连接", "flange", "LEAK", "leak at", "%", "_", "100%_", "阀门", "无此隐患"]


@pytest.fixture
def named_hazards(world):
    place = unit("U-S11-hazchem")
    for name in NAMES:
        hazard(place, name=name, sector="hazchem")
    return NAMES


@pytest.mark.parametrize("term", TERMS)
def test_the_ledger_search_is_icontains_on_every_database(named_hazards, term):
    found = ledger("cityhall-viewer", q=term)
    # A case-insensitive substring match, as Python computes it.
    assert found == {n for n in named_hazards if term.lower() in n.lower()}


@pytest.mark.parametrize("term", ["U-S11-mixed", "s11-MIX", "mixed", "S1"])
def test_the_ledger_search_finds_the_hazards_of_a_unit_by_its_name(world, term):
    hazard(unit("U-S11-mixed"), name="H-of-mixed")
    hazard(unit("U-S12-mixed"), name="H-of-other")
    expected = {
        name
        for name, place in [("H-of-mixed", "U-S11-mixed"), ("H-of-other", "U-S12-mixed")]
        if term.lower() in place.lower() or term.lower() in name.lower()
    }
    assert ledger("cityhall-viewer", q=term) == expected
    # ... and only among the hazards the user may see.
    assert ledger("fire_d1-viewer", q=term) == expected
    assert ledger("ent-viewer", q=term) == set()


@on_postgresql
def test_the_trigram_index_serves_a_hazard_name_search(named_hazards):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'hazard_name_trgm'")
        (definition,) = cursor.fetchone()
        assert "gin_trgm_ops" in definition and "upper" in definition.lower()
        cursor.execute("SELECT 1 FROM pg_statistic_ext WHERE stxname = 'hazard_name_trgm_short'")
        assert cursor.fetchone()
        # Tiny tables: make the planner show whether it can use the index at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")

        def plan(term: str) -> str:
            ids = selectors.hazard_list(user("cityhall-viewer"), {"q": term}).values("pk")
            sql, params = ids.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(line for (line,) in cursor.fetchall())

        assert "hazard_name_trgm" in plan("法兰连接")
        # A term with no trigram never reads the whole index.
        assert "hazard_name_trgm" not in plan("法兰")
