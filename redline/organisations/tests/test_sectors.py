"""A unit's sectors as rows (`EnterpriseSector`): one row a sector, kept in step with the
unit, read by the jurisdiction door and every sector filter through an index; and name
search, which PostgreSQL answers from a trigram index with the results SQLite gives."""

from __future__ import annotations

import pytest
from django.db import connection

from redline.accounts.models import User
from redline.organisations import selectors
from redline.organisations.models import Enterprise, EnterpriseSector
from redline.organisations.services import EnterpriseInput, enterprise_update
from redline.organisations.vocab import Sector

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only"
)


def rows_of(unit: Enterprise) -> set[str]:
    return set(EnterpriseSector.objects.filter(enterprise=unit).values_list("sector", flat=True))


def seen_by(username: str) -> set[str]:
    user = User.objects.get(username=username)
    return set(Enterprise.objects.restrict(user).values_list("name", flat=True))


def change_sectors(unit: Enterprise, sectors: list[str]) -> Enterprise:
    return enterprise_update(
        actor=User.objects.get(username="cityhall-operator"),
        enterprise_id=unit.pk,
        version=unit.version,
        data=EnterpriseInput(sector_list=tuple(sectors)),
    )


def test_a_unit_of_several_sectors_has_a_row_for_each(world):
    mixed = Enterprise.objects.get(name="U-S11-mixed")
    assert mixed.sector_list == ["fire", "industry"]
    assert rows_of(mixed) == {"fire", "industry"}
    # Every unit's rows say what its sectors say.
    for unit in Enterprise.objects.all():
        assert rows_of(unit) == set(unit.sector_list), unit.name


def test_changing_a_units_sectors_moves_it_between_departments(world):
    mixed = Enterprise.objects.get(name="U-S11-mixed")
    # The emergency department (hazardous chemicals, industry & trade) sees it for its
    # industry; the district's fire brigade for its fire sector.
    assert "U-S11-mixed" in seen_by("emergency-viewer")
    assert "U-S11-mixed" in seen_by("fire_d1-viewer")

    mixed = change_sectors(mixed, ["fire", "construction"])
    assert rows_of(mixed) == {"fire", "construction"}
    assert mixed.sectors == ",fire,construction,"
    assert "U-S11-mixed" not in seen_by("emergency-viewer")
    assert "U-S11-mixed" in seen_by("fire_d1-viewer")

    mixed = change_sectors(mixed, ["hazchem"])
    assert rows_of(mixed) == {"hazchem"}
    assert "U-S11-mixed" in seen_by("emergency-viewer")
    assert "U-S11-mixed" not in seen_by("fire_d1-viewer")


def test_saving_a_unit_keeps_its_rows(world):
    unit = Enterprise.objects.get(name="U-S21-build")
    unit.sector_list = ["construction", "gas", "fire"]
    unit.save()
    assert rows_of(unit) == {"construction", "gas", "fire"}
    unit.sector_list = ["gas"]
    unit.save(update_fields=["sectors"])
    assert rows_of(unit) == {"gas"}
    unit.headcount = 7
    unit.save(update_fields=["headcount"])  # sectors not saved: rows untouched
    assert rows_of(unit) == {"gas"}


def test_sector_filters_read_the_rows_not_the_text(world):
    user = User.objects.get(username="emergency-viewer")
    text = '"organisations_enterprise"."sectors"'
    for query in (Enterprise.objects.restrict(user), Enterprise.objects.in_sector("fire")):
        where = str(query.query).split(" WHERE ", 1)[1]
        assert "organisations_enterprisesector" in where and text not in where


def test_the_sector_filter_finds_a_unit_under_each_of_its_sectors(world):
    user = User.objects.get(username="cityhall-viewer")
    for sector, expected in [
        ("industry", {"U-S11-mixed", "U-S12-mixed", "U-S21-mixed", "U-S22-mixed"}),
        ("fire", {f"U-{s}-{t}" for s in ("S11", "S12", "S21", "S22") for t in ("fire", "mixed")}),
        ("gas", set()),
    ]:
        found = selectors.enterprise_list(user, {"sector": sector})
        assert set(found.values_list("name", flat=True)) == expected, sector
        assert Enterprise.objects.in_sector(sector).count() == len(expected), sector


def test_the_stored_texts_of_the_sets_that_hold_a_sector():
    texts = Sector.texts_with_any(["gas"])
    assert len(texts) == 2 ** (len(Sector.values) - 1) == len(set(texts))
    assert {
        ",gas,",
        ",fire,gas,",
        ",hazchem,fire,construction,gas,transport,industry,other,",
    } <= set(texts)
    assert ",fire," not in texts and "" not in texts
    # Each is what a record with those sectors stores.
    assert all(Sector.text(t.split(",")) == t for t in texts)
    both = set(Sector.texts_with_any(["hazchem", "industry"]))
    assert both == set(Sector.texts_with_any(["hazchem"])) | set(
        Sector.texts_with_any(["industry"])
    )
    assert Sector.text(["fire", "hazchem", "mining"]) == ",hazchem,fire," and Sector.text([]) == ""


# --- name search ----------------------------------------------------------------------

NAMES = ["临江法兰阀门有限公司", "ACME Valves Ltd", "acme 100%_pure 化工", "江北法兰厂"]
TERMS = ["法兰", "法兰阀门", "ACME", "acme", "Valves", "100%_", "%", "_", "化工", "无此名称"]


@pytest.fixture
def named_units(world):
    template = Enterprise.objects.get(name="U-S11-hazchem")
    made = []
    for n, name in enumerate(NAMES):
        unit = Enterprise.objects.get(pk=template.pk)
        unit.pk, unit.name = None, name
        unit.credit_code = template.credit_code[:-3] + f"Q{n}" + template.credit_code[-1]
        made.append(unit)
    Enterprise.objects.bulk_create(made)
    return NAMES


@pytest.mark.parametrize("term", TERMS)
def test_name_search_is_icontains_on_every_database(named_units, term):
    user = User.objects.get(username="cityhall-viewer")
    found = set(selectors.enterprise_list(user, {"q": term}).values_list("name", flat=True))
    # The results of a case-insensitive substring match, as Python computes it.
    expected = {n for n in named_units if term.lower() in n.lower()}
    assert found & set(named_units) == expected


@on_postgresql
def test_the_trigram_index_serves_a_unit_name_search():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'enterprise_name_trgm'")
        (definition,) = cursor.fetchone()
        assert "gin" in definition and "gin_trgm_ops" in definition
        assert "upper" in definition.lower()
        cursor.execute(
            "SELECT 1 FROM pg_statistic_ext WHERE stxname = 'enterprise_name_trgm_short'"
        )
        assert cursor.fetchone()
        # The query a search of three characters or more sends can use the index.
        query = Enterprise.objects.filter(name__icontains="法兰阀").values("pk")
        sql, params = query.query.sql_with_params()
        # Tiny tables: make the planner show whether it can use the index at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
        assert "enterprise_name_trgm" in plan
