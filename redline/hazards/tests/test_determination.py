"""The determination standards as shipped: counts, texts, statuses and ids against the notes
(docs/domain/sector-hazards-inspection.md section 1)."""

from __future__ import annotations

import pytest

from redline.hazards.standards import SECTORS, determination_standards, fire_rules, item

# Situations (or fire direct items + composite elements) carried per standard.
EXPECTED_COUNTS = {
    # 1a: "20 situations" (notes, 1a document facts table, "Number of items").
    "hazchem-2017": 20,
    # 1b: "The enumerated situations in articles 4-13 come to 32 ... 4+4+3+5+7+3+1+2+1+2.
    # Articles 14 and 15 add general clauses" ("Counting the 2022 edition") -> 32 + 2.
    "housing-municipal-2022": 34,
    # 1b "What the 2024 edition changes": HM-6-4, 2 safety-management, prohibited
    # technology, acceptance, 3 tunnel/underground additions.
    "housing-municipal-2024": 8,
    # 1c conditions table: GAS-4-1..5, 5-1..3, 6-1..2, 7-1..2, 9-1..4 (the -x rows are gaps).
    "urban-gas-2023": 16,
    # 1d: 10 direct items (F17-D1..D10) + 21 composite elements (7.1.1-4, 7.2.1-3,
    # 7.3.1-9, 7.4.5-6, 7.5, 7.7.2, 7.9.3).
    "gb35181-2017": 31,
    # 1d: 2025 item-level content UNCONFIRMED, nothing encoded.
    "gb35181-2025": 0,
    # 1e conditions table: RT-3-1..5, RT-4-1 (RT-4-x is a gap).
    "road-transport-2023": 6,
    # 1e related standard: the two bridge/tunnel items.
    "highway-operation-2023": 2,
    # 1f article map: art. 3 (3), art. 12 (2), art. 13 (2), art. 14 (1).
    "industry-trade-2023": 8,
}


def test_counts_per_standard():
    counts = {sid: len(s.items) for sid, s in determination_standards().items()}
    assert counts == EXPECTED_COUNTS


def test_hazchem_has_hc01_to_hc20():
    ids = [i.id for i in determination_standards()["hazchem-2017"].items]
    assert ids == [f"HC-{n:02d}" for n in range(1, 21)]


def test_housing_2022_enumerates_32_situations_plus_general_clauses():
    items = determination_standards()["housing-municipal-2022"].items
    per_article: dict[str, int] = {}
    for entry in items:
        per_article[entry.article] = per_article.get(entry.article, 0) + 1
    enumerated = [per_article[str(a)] for a in range(4, 14)]
    assert enumerated == [4, 4, 3, 5, 7, 3, 1, 2, 1, 2]
    assert sum(enumerated) == 32
    assert per_article["14"] == per_article["15"] == 1
    assert {"HM-6-1", "HM-6-2", "HM-6-3"} <= {i.id for i in items}


def test_fire_direct_items_and_elements():
    fire = determination_standards()["gb35181-2017"]
    direct = [i.id for i in fire.items if i.kind == "direct"]
    assert direct == [f"F17-D{n}" for n in range(1, 11)]
    assert len([i for i in fire.items if i.kind == "element"]) == 21
    assert len(fire.raw["composite_rules"]) == 4
    assert len(fire.raw["exemptions"]) == 4


def test_every_standard_has_its_metadata():
    for standard in determination_standards().values():
        assert standard.sector in SECTORS
        assert standard.title_zh and standard.title_en and standard.version
        assert standard.raw["source"]["section"].startswith("1")
    assert {s.sector for s in determination_standards().values()} == set(SECTORS)


def test_every_item_has_english_and_chinese_text_and_a_status():
    for standard in determination_standards().values():
        for entry in standard.items:
            assert entry.text_en.strip(), entry.id
            assert any("\u4e00" <= ch <= "\u9fff" for ch in entry.text_zh), entry.id
            assert entry.status in {"confirmed", "partial", "unconfirmed"}, entry.id


def test_ids_are_unique_across_standards():
    ids = [i.id for s in determination_standards().values() for i in s.items]
    assert len(ids) == len(set(ids))


def test_item_is_addressable_across_standards():
    assert item("HC-20").standard_id == "hazchem-2017"
    assert item("HM-6-2").article == "6"
    assert item("GAS-9-4").standard_id == "urban-gas-2023"
    assert item("7.3.5").kind == "element"
    with pytest.raises(KeyError, match="HC-21"):
        item("HC-21")


def test_unconfirmed_and_partial_are_flagged():
    assert item("HC-01").confirmed
    assert item("HM-14").status == item("HM-15").status == "unconfirmed"
    assert item("HM-5-4").status == "partial"
    assert item("HM-6-1").status == "partial"
    assert item("GAS-5-3").status == "partial"
    assert item("7.3.7").status == "partial"
    assert {i for i in ("7.3.8", "7.3.9", "7.4.5", "7.4.6", "7.9.3")} == {
        i.id for i in determination_standards()["gb35181-2017"].items if i.status == "unconfirmed"
    }
    statuses = {
        r["id"]: r["status"]
        for r in determination_standards()["gb35181-2017"].raw["composite_rules"]
    }
    assert statuses == {
        "crowded-3": "confirmed",
        "flammable-explosive-3": "unconfirmed",
        "crowded-flammable-important-4": "unconfirmed",
        "other-6": "unconfirmed",
    }


def test_gas_placeholders_are_gaps_not_items():
    gas = determination_standards()["urban-gas-2023"]
    assert not [i for i in gas.items if i.id.endswith("-x") or i.id == "GAS-8"]
    gaps = " ".join(gas.gaps)
    for placeholder in ("GAS-5-x", "GAS-6-x", "GAS-7-x / GAS-8"):
        assert placeholder in gaps


def test_versions_link_up():
    standards = determination_standards()
    assert standards["gb35181-2017"].superseded_by == "gb35181-2025"
    assert standards["gb35181-2025"].replaces == "gb35181-2017"
    assert standards["gb35181-2025"].status == "unconfirmed"
    assert standards["housing-municipal-2022"].superseded_by == "housing-municipal-2024"
    assert standards["housing-municipal-2024"].replaces == "housing-municipal-2022"
    for standard in standards.values():
        for link in (standard.superseded_by,):
            assert link is None or link in standards


def test_fire_rules_load_for_the_engine():
    rules = fire_rules()
    assert rules.standard == "gb35181-2017"
    crowded = next(r for r in rules.rules if r.id == "crowded-3")
    assert crowded.elements == frozenset([f"7.3.{n}" for n in range(1, 10)] + ["7.5", "7.9.3"])
    assert len(rules.direct_items) == 10
