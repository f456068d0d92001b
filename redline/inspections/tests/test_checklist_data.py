"""Inspection checklist templates as data: the shipped files, the validator's refusals, and the
rules applied to answers (shown items, non-compliance, score). No database."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from redline.hazards import standards
from redline.inspections import checklist_data
from redline.inspections.checklist_data import (
    AnswerError,
    ChecklistError,
    findings,
    is_non_compliant,
    load_templates,
    score,
    template,
    validate,
    visible_items,
)

SHIPPED = {"hazchem", "fire", "construction", "gas", "transport"}
# One checklist per special rectification programme: every line of the sector's standard.
PROGRAMMES = {
    "fire-rectification": "gb35181-2017",
    "construction-rectification": "housing-municipal-2024",
    "gas-rectification": "urban-gas-2023",
    "hazchem-rectification": "hazchem-2017",
    "transport-rectification": "road-transport-2023",
}


# --- the shipped templates ----------------------------------------------------------------


def test_every_shipped_template_validates():
    loaded = load_templates()
    assert {t.code for t in loaded} == SHIPPED | set(PROGRAMMES)
    assert set(checklist_data.campaign_programmes()) == set(PROGRAMMES)
    for path in sorted(checklist_data.DATA.glob("*.json")):
        again = validate(json.loads(path.read_text(encoding="utf-8")))
        assert path.name == f"{again.code}-v{again.version}.json"
        assert again == template(again.code, again.version)


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_shipped_template_shape(code):
    shipped = template(code)
    assert shipped.sector == code  # one standing template per conference sector
    assert shipped.campaign is None
    assert 4 <= len(shipped.sections) <= 7
    assert 20 <= len(shipped.items) <= 40
    for section in shipped.sections:
        assert section.title_zh and section.title_en
    for entry in shipped.items:
        assert entry.text_zh and entry.text_en
    # Not confirmed, so it says why.
    assert shipped.status == "partial"
    assert shipped.gaps


@pytest.mark.parametrize("code", sorted(PROGRAMMES))
def test_campaign_checklist_asks_every_line_of_its_standard(code):
    """A programme's checklist asks each line of its standard once, as a compliance item
    whose non-compliant answer is that major hazard, with a photo; a line's status carries
    into its citation."""
    shipped = template(code)
    assert shipped.campaign == code
    standard = standards.determination_standards()[PROGRAMMES[code]]
    lines = [entry.id for entry in standard.items if entry.kind in ("situation", "direct")]
    assert sorted(shipped.determination_items) == sorted(lines)  # grouped by the groups
    assert len(shipped.items) == len(lines)
    for entry in shipped.items:
        cited = entry.determination()
        assert cited is not None and cited.standard_id == standard.id
        assert entry.answer == "compliance" and entry.photo_required
        if not cited.confirmed:
            assert entry.legal_basis_status != "confirmed", entry.code
    assert checklist_data.stale_links(shipped) == []
    assert shipped.status == "confirmed" or shipped.gaps


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_shipped_template_links_at_least_five_determination_items(code):
    shipped = template(code)
    linked = shipped.determination_items
    assert len(linked) >= 5
    for item_id in linked:
        entry = standards.item(item_id)  # exists
        standard = standards.determination_standards()[entry.standard_id]
        assert standard.sector in (shipped.sector, "fire")
        assert entry.kind in ("situation", "direct")
        assert standard.current or standard.id == standards.FIRE_STANDARD
    assert checklist_data.stale_links(shipped) == []


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_shipped_lines_citing_weaker_items_are_flagged(code):
    """A line linking a partial or unconfirmed determination item is not shipped as
    confirmed; an unconfirmed citation is never silently confirmed."""
    for entry in template(code).items:
        cited = entry.determination()
        if cited is not None and not cited.confirmed:
            assert entry.legal_basis_status != "confirmed", entry.code
        if not entry.legal_basis:
            assert entry.legal_basis_status == "unconfirmed", entry.code


def test_fire_items_may_be_cited_from_other_sectors():
    assert "F17-D7" in template("hazchem").determination_items
    assert {"F17-D3", "F17-D7"} <= set(template("gas").determination_items)


def test_readme_table_matches_the_data():
    readme = (checklist_data.DATA / "README.md").read_text(encoding="utf-8")
    for shipped in load_templates():
        row = (
            f"| `{shipped.code}-v{shipped.version}.json` | {shipped.sector} | "
            f"{len(shipped.sections)} | {len(shipped.items)} | {len(shipped.determination_items)}:"
        )
        assert row in readme


def test_template_lookup():
    assert template("fire").version == max(t.version for t in load_templates() if t.code == "fire")
    assert template("fire", 1).code == "fire"
    with pytest.raises(KeyError, match="no checklist template fire v99"):
        template("fire", 99)
    with pytest.raises(KeyError):
        template("nothing")


def test_hazchem_no_major_hazard_installation_hides_its_lines():
    hazchem = template("hazchem")
    gated = {"B2", "B3", "B4", "B7"}
    shown = {e.code for e in visible_items(hazchem, {"B1": "not_applicable"})}
    assert not gated & shown
    shown = {e.code for e in visible_items(hazchem, {"B1": "compliant"})}
    assert gated <= shown


# --- the validator ------------------------------------------------------------------------


def _item(code: str, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": code,
        "text_zh": f"检查项{code}",
        "text_en": f"Check {code}",
        "answer": "compliance",
        "weight": 3,
        "legal_basis_status": "unconfirmed",
    }
    entry.update(fields)
    return entry


def _raw() -> dict[str, Any]:
    """A small valid hazchem template: A1 compliance (5), A2 number <= 6 months (2),
    A3 shown when A1 is non-compliant (3), B1 citing HC-05 (4), B2 text shown when A2 is out
    of limits, B3 photo."""
    return {
        "code": "demo",
        "version": 1,
        "sector": "hazchem",
        "campaign": None,
        "title_zh": "示例检查表",
        "title_en": "Demo checklist",
        "source": {
            "notes": "docs/domain/sector-hazards-inspection.md",
            "section": "1a",
            "keys": ["S1a"],
        },
        "status": "partial",
        "gaps": ["A test template."],
        "sections": [
            {
                "code": "A",
                "title_zh": "管理",
                "title_en": "Management",
                "items": [
                    _item("A1", weight=5),
                    _item("A2", answer="number", max=6, unit="months", weight=2),
                    _item("A3", show_if={"item": "A1", "answers": ["non_compliant"]}),
                ],
            },
            {
                "code": "B",
                "title_zh": "设施",
                "title_en": "Facilities",
                "items": [
                    _item(
                        "B1",
                        weight=4,
                        determination_item="HC-05",
                        legal_basis="安监总管三〔2017〕121号 第5项",
                        legal_basis_status="confirmed",
                        photo_required=True,
                    ),
                    _item(
                        "B2",
                        answer="text",
                        weight=1,
                        show_if={"item": "A2", "answers": ["non_compliant"]},
                    ),
                    _item("B3", answer="photo", weight=1),
                ],
            },
        ],
    }


def _find(raw: dict[str, Any], code: str) -> dict[str, Any]:
    for section in raw["sections"]:
        for entry in section["items"]:
            if entry["code"] == code:
                return entry
    raise KeyError(code)


def _set(code: str, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        _find(raw, code).update(fields)

    return change


def _drop(code: str, key: str) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        del _find(raw, code)[key]

    return change


def _top(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        raw.update(fields)

    return change


def _duplicate_item(raw: dict[str, Any]) -> None:
    raw["sections"][1]["items"].append(_item("A2"))


def _duplicate_section(raw: dict[str, Any]) -> None:
    raw["sections"].append({**copy.deepcopy(raw["sections"][1]), "items": [_item("C1")]})


def _section_without_title_en(raw: dict[str, Any]) -> None:
    del raw["sections"][0]["title_en"]


def _show_if(item: str, *answers: str) -> dict[str, Any]:
    return {"item": item, "answers": list(answers)}


# (case id, change, item (or section) named, field named, words in the problem)
BAD = [
    ("duplicate item code", _duplicate_item, "A2", "code", "used twice"),
    ("duplicate section code", _duplicate_section, "B", "code", "section code used twice"),
    ("unknown answer type", _set("A1", answer="yes_no"), "A1", "answer", "'yes_no'"),
    ("min > max", _set("A2", min=10), "A2", "min", "min 10 is greater than max 6"),
    ("number without limits", _set("A2", max=None), "A2", "min", "needs a min or a max"),
    ("number without unit", _drop("A2", "unit"), "A2", "unit", "'' is not one of"),
    ("number with unknown unit", _set("A2", unit="weeks"), "A2", "unit", "'weeks'"),
    ("limits on a compliance item", _set("A1", max=3), "A1", "max", "only number items"),
    ("unit on a text item", _set("B2", unit="h"), "B2", "unit", "only number items"),
    ("weight 0", _set("A1", weight=0), "A1", "weight", "outside 1-5"),
    ("weight 6", _set("A1", weight=6), "A1", "weight", "outside 1-5"),
    ("weight not a number", _set("A1", weight="3"), "A1", "weight", "not a whole number"),
    ("weight a bool", _set("A1", weight=True), "A1", "weight", "not a whole number"),
    (
        "show_if names an unknown item",
        _set("A3", show_if=_show_if("Z9", "compliant")),
        "A3",
        "show_if.item",
        "not an item of this template",
    ),
    (
        "show_if names a later item",
        _set("A3", show_if=_show_if("B1", "compliant")),
        "A3",
        "show_if.item",
        "a later item",
    ),
    (
        "show_if names itself",
        _set("A3", show_if=_show_if("A3", "compliant")),
        "A3",
        "show_if.item",
        "itself",
    ),
    (
        "show_if an answer a compliance item cannot give",
        _set("A3", show_if=_show_if("A1", "yes")),
        "A3",
        "show_if.answers",
        "cannot give 'yes'",
    ),
    (
        "show_if an answer a number item cannot give",
        _set("B2", show_if=_show_if("A2", "answered")),
        "B2",
        "show_if.answers",
        "cannot give 'answered'",
    ),
    (
        "show_if on a text item",
        _set("B3", show_if=_show_if("B2", "answered")),
        "B3",
        "show_if.item",
        "gives no answer",
    ),
    ("show_if without answers", _set("A3", show_if=_show_if("A1")), "A3", "show_if.answers", ""),
    (
        "unknown determination item",
        _set("B1", determination_item="HC-99"),
        "B1",
        "determination_item",
        "no determination item 'HC-99'",
    ),
    (
        "determination item of another sector",
        _set("B1", determination_item="GAS-4-1"),
        "B1",
        "determination_item",
        "a gas standard",
    ),
    (
        "fire composite element",
        _set("B1", determination_item="7.7.2"),
        "B1",
        "determination_item",
        "composite element",
    ),
    (
        "determination item on a text item",
        _set("B2", determination_item="HC-05"),
        "B2",
        "determination_item",
        "never non-compliant",
    ),
    ("missing text_en", _drop("A1", "text_en"), "A1", "text_en", "missing"),
    ("empty text_zh", _set("A1", text_zh="  "), "A1", "text_zh", "empty"),
    ("guidance in Chinese only", _set("A1", guidance_zh="查看"), "A1", "guidance_en", "one"),
    ("guidance in English only", _set("A1", guidance_en="Look"), "A1", "guidance_zh", "one"),
    ("section without title_en", _section_without_title_en, "A", "title_en", "missing"),
    ("template without title_en", _top(title_en=""), "", "title_en", "empty"),
    (
        "unknown legal_basis_status",
        _set("A1", legal_basis_status="likely"),
        "A1",
        "legal_basis_status",
        "'likely'",
    ),
    (
        "confirmed with nothing cited",
        _set("A1", legal_basis_status="confirmed"),
        "A1",
        "legal_basis_status",
        "nothing is cited",
    ),
    ("unknown field", _set("A1", hint="x"), "A1", "hint", "unknown field"),
    ("photo_required on a text item", _set("B2", photo_required=True), "B2", "photo_required", ""),
    ("unknown sector", _top(sector="mining"), "", "sector", "'mining'"),
    ("bad campaign code", _top(campaign="Spring 2026"), "", "campaign", "campaign code"),
    ("partial without gaps", _top(gaps=[]), "", "gaps", "lists its gaps"),
    ("confirmed with unconfirmed lines", _top(status="confirmed"), "", "status", "item A1"),
    ("version 0", _top(version=0), "", "version", "outside"),
    ("no sections", _top(sections=[]), "", "sections", "empty"),
    ("source without keys", _top(source={"notes": "n", "section": "1a"}), "", "source.keys", ""),
]


@pytest.mark.parametrize(
    ("change", "named", "field", "words"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_validator_refuses_a_bad_file_naming_the_field(change, named, field, words):
    raw = _raw()
    change(raw)
    with pytest.raises(ChecklistError) as caught:
        validate(raw)
    error = caught.value
    assert error.field == field
    assert error.template.startswith("demo")
    assert str(error).startswith("checklist demo")
    assert f"field '{field}'" in str(error)
    if named:
        assert named in (error.item, error.section)
        assert named in str(error)
    assert words in error.problem


def test_a_line_is_no_surer_than_the_item_it_cites():
    raw = _raw()
    raw["sector"] = "construction"
    _find(raw, "B1").update(determination_item="HM24-SM-1")  # partial in the standard
    with pytest.raises(ChecklistError, match="only partial") as caught:
        validate(raw)
    assert (caught.value.item, caught.value.field) == ("B1", "legal_basis_status")
    _find(raw, "B1").update(legal_basis_status="partial")
    assert validate(raw).item("B1").determination_item == "HM24-SM-1"


def test_a_stored_version_citing_a_superseded_edition_stays_valid():
    """An inspection keeps the template version it used: that version must still validate
    once its standard is replaced. The stale link is reported, not refused."""
    raw = _raw()
    raw["sector"] = "construction"
    _find(raw, "B1").update(determination_item="HM-7-2")  # housing-municipal-2022
    checklist = validate(raw)
    assert checklist_data.stale_links(checklist) == ["HM-7-2"]
    _find(raw, "B1").update(determination_item="F17-D6")  # the encoded fire edition
    assert checklist_data.stale_links(validate(raw)) == []


def test_validator_accepts_fire_direct_items_in_any_sector():
    raw = _raw()
    _find(raw, "B1").update(determination_item="F17-D7", legal_basis="GB 35181-2017 6.7")
    assert validate(raw).item("B1").determination().standard_id == standards.FIRE_STANDARD


def test_validator_accepts_a_campaign_template_and_one_sided_limits():
    raw = _raw()
    raw["campaign"] = "spring-2026-gas"
    _find(raw, "A2").update(min=1, max=None, unit="persons")
    checklist = validate(raw)
    assert checklist.campaign == "spring-2026-gas"
    assert (checklist.item("A2").min, checklist.item("A2").max) == (1.0, None)


def test_validator_refuses_what_is_not_a_template():
    with pytest.raises(ChecklistError, match="a template is a JSON object"):
        validate([])


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """The loader reading a scratch folder (its cache emptied before and after)."""
    monkeypatch.setattr(checklist_data, "DATA", tmp_path)
    checklist_data._templates.cache_clear()
    yield tmp_path
    checklist_data._templates.cache_clear()


def test_loader_refuses_a_file_named_other_than_its_code_and_version(data_dir: Path):
    (data_dir / "demo-v2.json").write_text(json.dumps(_raw()), encoding="utf-8")
    with pytest.raises(ChecklistError, match=re.escape("demo-v1.json")) as caught:
        load_templates()
    assert caught.value.field == "code"


def test_loader_refuses_a_file_that_is_not_json(data_dir: Path):
    (data_dir / "demo-v1.json").write_text("{", encoding="utf-8")
    with pytest.raises(ChecklistError, match="not valid JSON"):
        load_templates()


def test_loader_reads_versions_in_order(data_dir: Path):
    for version in (2, 1):
        raw = {**_raw(), "version": version}
        (data_dir / f"demo-v{version}.json").write_text(json.dumps(raw), encoding="utf-8")
    assert [t.version for t in load_templates()] == [1, 2]
    assert template("demo").version == 2
    assert template("demo", 1).version == 1


# --- answers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    return validate(_raw())


def codes(items):
    return [entry.code for entry in items]


def test_conditional_item_hidden_then_shown(demo):
    assert codes(visible_items(demo, {})) == ["A1", "A2", "B1", "B3"]
    assert codes(visible_items(demo, {"A1": "compliant"})) == ["A1", "A2", "B1", "B3"]
    assert codes(visible_items(demo, {"A1": "non_compliant"})) == ["A1", "A2", "A3", "B1", "B3"]


def test_number_out_of_limits_shows_its_follow_up(demo):
    assert "B2" not in codes(visible_items(demo, {"A2": 6}))  # limits are inclusive
    assert "B2" in codes(visible_items(demo, {"A2": 7}))
    assert "B2" not in codes(visible_items(demo, {"A2": "not_applicable"}))


def test_hiding_cascades_and_ignores_stale_answers():
    raw = _raw()
    raw["sections"][1]["items"].append(
        _item("B4", answer="text", weight=1, show_if={"item": "A3", "answers": ["compliant"]})
    )
    checklist = validate(raw)
    answers = {"A1": "non_compliant", "A3": "compliant", "B4": "details"}
    assert "B4" in codes(visible_items(checklist, answers))
    answers["A1"] = "compliant"  # A3 hides; its stale answer no longer shows B4
    assert not {"A3", "B4"} & set(codes(visible_items(checklist, answers)))


def test_is_non_compliant(demo):
    a1, a2, b2, b3 = (demo.item(c) for c in ("A1", "A2", "B2", "B3"))
    assert is_non_compliant(a1, "non_compliant")
    assert not is_non_compliant(a1, "compliant")
    assert not is_non_compliant(a1, "not_applicable")
    assert not is_non_compliant(a1, None)
    assert is_non_compliant(a2, 6.5)
    assert is_non_compliant(a2, Decimal("6.01"))
    assert not is_non_compliant(a2, 6)
    assert not is_non_compliant(a2, Decimal("6.00"))
    assert not is_non_compliant(a2, 0)
    assert not is_non_compliant(a2, "not_applicable")
    assert not is_non_compliant(b2, "a note")
    assert not is_non_compliant(b3, ["photo-1"])


def test_number_below_min_is_non_compliant():
    raw = _raw()
    _find(raw, "A2").update(min=2, max=None, unit="persons")
    entry = validate(raw).item("A2")
    assert is_non_compliant(entry, 1)
    assert not is_non_compliant(entry, 2)
    assert not is_non_compliant(entry, 40)


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("A1", "yes"),
        ("A1", True),
        ("A2", "compliant"),
        ("A2", True),
        ("A2", float("nan")),
        ("A2", "6"),
        ("B2", 3),
    ],
)
def test_an_answer_the_item_cannot_take_is_refused(demo, code, value):
    with pytest.raises(AnswerError, match=code):
        is_non_compliant(demo.item(code), value)


def test_answers_for_unknown_items_are_refused(demo):
    with pytest.raises(AnswerError, match="Z9"):
        visible_items(demo, {"Z9": "compliant"})


def test_score_worked_examples(demo):
    # A1 compliant (5) + A2 8 months, out of limits (2); A3 hidden; B1 not applicable.
    answers = {"A1": "compliant", "A2": 8, "A3": "non_compliant", "B1": "not_applicable"}
    assert score(demo, answers) == pytest.approx(100 * 5 / 7)
    # A1 non-compliant (5), A3 compliant (3) now shown, B1 compliant (4); A2 unanswered.
    answers = {"A1": "non_compliant", "A3": "compliant", "B1": "compliant"}
    assert score(demo, answers) == pytest.approx(100 * 7 / 12)
    # Text and photo items never count.
    assert score(demo, {"A1": "compliant", "B3": ["photo-1"]}) == 100.0


def test_score_excludes_not_applicable_and_is_none_when_nothing_counts(demo):
    assert score(demo, {}) is None
    assert score(demo, {"A1": "not_applicable", "A2": "not_applicable"}) is None
    assert score(demo, {"B3": ["photo-1"]}) is None  # a photo alone is not scored
    assert score(demo, {"A1": "non_compliant", "A2": "not_applicable"}) == 0.0


def test_readme_worked_example():
    """The score example in data/checklists/README.md."""
    raw = _raw()
    raw["sections"] = [
        {
            "code": "A",
            "title_zh": "甲",
            "title_en": "A",
            "items": [
                _item("A1", weight=5),
                _item("A2", answer="number", max=6, unit="months", weight=2),
                _item("A3", weight=3, show_if={"item": "A1", "answers": ["non_compliant"]}),
                _item("A4", weight=4),
            ],
        }
    ]
    checklist = validate(raw)
    first = score(checklist, {"A1": "compliant", "A2": 8, "A4": "not_applicable"})
    assert round(first, 1) == 71.4
    assert score(checklist, {"A1": "non_compliant", "A3": "compliant"}) == 37.5


def test_findings_are_the_shown_non_compliant_items(demo):
    answers = {"A1": "compliant", "A2": 9, "A3": "non_compliant", "B1": "non_compliant"}
    found = findings(demo, answers)
    assert codes(found) == ["A2", "B1"]  # A3 is hidden
    assert [e.determination_item for e in found] == [None, "HC-05"]


def test_photo_and_text_answers(demo):
    b3 = demo.item("B3")
    assert checklist_data.outcome(b3, ["photo-1"]) == "answered"
    assert checklist_data.outcome(b3, []) is None
    assert checklist_data.outcome(demo.item("B2"), "  ") is None


def test_error_messages_are_readable():
    raw = _raw()
    _find(raw, "A2").update(min=10)
    with pytest.raises(ChecklistError) as caught:
        validate(raw)
    assert re.fullmatch(
        r"checklist demo v1, section A, item A2, field 'min': min 10 is greater than max 6",
        str(caught.value),
    )
