"""Inspection checklist templates: versioned data files (`data/checklists/<code>-v<version>.json`,
schema in `data/checklists/README.md`), validated and loaded once per process, and the pure
rules the inspection app applies to an inspector's answers: which items are shown
(`visible_items`), which answers are non-compliant (`is_non_compliant`), the score (`score`).

An item may name a major-hazard determination item (`redline.hazards.standards`): a
non-compliant answer on it becomes a major hazard citing that item. The validator only lets a
template cite a situation or fire direct item of its own sector's current standard, or of the
fire standard (every unit has fire safety), never a composite fire element (one element alone
is not a major hazard). It accepts an item of a superseded edition, so that a template version
stored when it was current stays valid; `stale_links` names such items, and the shipped
templates are tested to have none.

No Django, no database: plain typed dataclasses.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from typing import Literal, NoReturn

from redline.hazards import standards

DATA = Path(__file__).resolve().parent / "data" / "checklists"

AnswerType = Literal["compliance", "number", "text", "photo"]
ANSWER_TYPES: tuple[AnswerType, ...] = ("compliance", "number", "text", "photo")
SCORED_TYPES: tuple[AnswerType, ...] = ("compliance", "number")

COMPLIANT = "compliant"
NON_COMPLIANT = "non_compliant"
NOT_APPLICABLE = "not_applicable"
COMPLIANCE_ANSWERS = (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE)
ANSWERED = "answered"  # what a text or photo item's answer says

STATUSES = standards.STATUSES  # confirmed / partial / unconfirmed, as in the determination data
# The fire standard's items may be cited from any sector's checklist: every unit has fire safety.
ANY_SECTOR = "fire"
# Units of number items: symbols or count words the user interface translates.
UNITS = ("h", "months", "persons", "%", "%LEL", "m", "V", "MPa")

_CODE = re.compile(r"^[a-z][a-z0-9-]*$")
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*$")  # section and item codes

Answers = Mapping[str, object]


class ChecklistError(ValueError):
    """A template file that breaks the schema, naming the template, the section and item
    (where there is one) and the field."""

    def __init__(
        self, template: str, field: str, problem: str, *, section: str = "", item: str = ""
    ) -> None:
        self.template = template
        self.section = section
        self.item = item
        self.field = field
        self.problem = problem
        where = [f"checklist {template}"]
        if section:
            where.append(f"section {section}")
        if item:
            where.append(f"item {item}")
        super().__init__(f"{', '.join(where)}, field '{field}': {problem}")


class AnswerError(ValueError):
    """An answer an item cannot take (the app checks input before it gets here)."""


@dataclass(frozen=True)
class ShowIf:
    item: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    code: str
    section: str
    text_zh: str
    text_en: str
    guidance_zh: str
    guidance_en: str
    legal_basis: str
    legal_basis_status: str
    determination_item: str | None
    answer: AnswerType
    min: float | None
    max: float | None
    unit: str
    photo_required: bool
    weight: int
    show_if: ShowIf | None

    @property
    def scored(self) -> bool:
        """Whether the item counts in the score (compliance and number items)."""
        return self.answer in SCORED_TYPES

    def determination(self) -> standards.Item | None:
        """The determination item a non-compliant answer cites, or None (a general item)."""
        return standards.item(self.determination_item) if self.determination_item else None


@dataclass(frozen=True)
class Section:
    code: str
    title_zh: str
    title_en: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Source:
    notes: str
    section: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    code: str
    version: int
    sector: str
    campaign: str | None
    title_zh: str
    title_en: str
    source: Source
    status: str
    gaps: tuple[str, ...]
    sections: tuple[Section, ...] = field(repr=False)

    @cached_property
    def items(self) -> tuple[Item, ...]:
        """Every item, in order (sections in order, items in order)."""
        return tuple(entry for section in self.sections for entry in section.items)

    @cached_property
    def _by_code(self) -> dict[str, Item]:
        return {entry.code: entry for entry in self.items}

    def item(self, code: str) -> Item:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"checklist {self.code} v{self.version} has no item {code!r}") from None

    @property
    def determination_items(self) -> tuple[str, ...]:
        """The determination items the template cites, each once, in order."""
        return tuple(
            dict.fromkeys(e.determination_item for e in self.items if e.determination_item)
        )


# --- loading ------------------------------------------------------------------------------


@cache
def _templates() -> tuple[Template, ...]:
    found: dict[tuple[str, int], Template] = {}
    for path in sorted(DATA.glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ChecklistError(path.name, "(file)", f"not valid JSON: {error}") from None
        loaded = validate(raw)
        expected = f"{loaded.code}-v{loaded.version}.json"
        if path.name != expected:
            raise ChecklistError(
                _label(loaded.code, loaded.version),
                "code",
                f"the file is {path.name}; its code and version say {expected}",
            )
        found[(loaded.code, loaded.version)] = loaded
    return tuple(found[key] for key in sorted(found))


def load_templates() -> list[Template]:
    """Every shipped template, by code then version (validated once per process)."""
    return list(_templates())


def campaign_programmes() -> dict[str, Template]:
    """The campaign programmes the shipped templates are written for: programme code -> its
    latest template. A campaign naming one of these codes offers that checklist."""
    return {t.campaign: t for t in _templates() if t.campaign}


def template(code: str, version: int | None = None) -> Template:
    """A shipped template by code and version; without a version, its latest version."""
    matches = [t for t in _templates() if t.code == code]
    if version is not None:
        matches = [t for t in matches if t.version == version]
    if not matches:
        wanted = code if version is None else f"{code} v{version}"
        raise KeyError(f"no checklist template {wanted}")
    return matches[-1]


# --- validation ---------------------------------------------------------------------------


def _label(code: object, version: object) -> str:
    name = code if isinstance(code, str) and code else "?"
    return f"{name} v{version}" if isinstance(version, int) else str(name)


@dataclass
class _Reader:
    """Reads one object of a template (the template, a section or an item), refusing with
    the template, section and item named."""

    template: str
    raw: Mapping[str, object]
    section: str = ""
    item: str = ""

    def fail(self, key: str, problem: str) -> NoReturn:
        raise ChecklistError(self.template, key, problem, section=self.section, item=self.item)

    def keys(self, required: set[str], optional: set[str]) -> None:
        for key in sorted(required - self.raw.keys()):
            self.fail(key, "missing")
        for key in sorted(self.raw.keys() - required - optional):
            self.fail(key, "unknown field")

    def text(self, key: str, *, blank: bool = False) -> str:
        value = self.raw.get(key, "" if blank else None)
        if not isinstance(value, str):
            self.fail(key, "missing or not a string")
        if not blank and not value.strip():
            self.fail(key, "empty")
        return value.strip()

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.raw.get(key)
        if not isinstance(value, str) or value not in allowed:
            self.fail(key, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def integer(self, key: str, low: int, high: int | None = None) -> int:
        value = self.raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"{value!r} is not a whole number")
        if value < low or (high is not None and value > high):
            self.fail(key, f"{value} is outside {low}-{high if high is not None else '...'}")
        return value

    def number(self, key: str) -> float | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"{value!r} is not a number")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            self.fail(key, f"{value!r} is not true or false")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(key, "not a list of non-empty strings")
        return tuple(str(v) for v in value)

    def mapping(self, key: str) -> Mapping[str, object]:
        value = self.raw.get(key)
        if not isinstance(value, dict):
            self.fail(key, "missing or not an object")
        return value

    def objects(self, key: str) -> list[Mapping[str, object]]:
        value = self.raw.get(key)
        if not isinstance(value, list) or not value:
            self.fail(key, "missing, empty or not a list")
        for entry in value:
            if not isinstance(entry, dict):
                self.fail(key, f"{entry!r} is not an object")
        return list(value)


_TEMPLATE_KEYS = {
    "code",
    "version",
    "sector",
    "title_zh",
    "title_en",
    "source",
    "status",
    "sections",
}
_TEMPLATE_OPTIONAL = {"campaign", "gaps"}
_SECTION_KEYS = {"code", "title_zh", "title_en", "items"}
_ITEM_KEYS = {"code", "text_zh", "text_en", "answer", "weight", "legal_basis_status"}
_ITEM_OPTIONAL = {
    "guidance_zh",
    "guidance_en",
    "legal_basis",
    "determination_item",
    "min",
    "max",
    "unit",
    "photo_required",
    "show_if",
}


def validate(raw: object) -> Template:
    """A template from a file's parsed JSON, or ChecklistError naming what is wrong."""
    if not isinstance(raw, dict):
        raise ChecklistError("?", "(file)", "a template is a JSON object")
    reader = _Reader(_label(raw.get("code"), raw.get("version")), raw)
    reader.keys(_TEMPLATE_KEYS, _TEMPLATE_OPTIONAL)
    code = reader.text("code")
    if not _CODE.match(code):
        reader.fail("code", f"{code!r} is not lower-case letters, digits and hyphens")
    version = reader.integer("version", 1)
    sector = reader.choice("sector", standards.SECTORS)
    campaign = raw.get("campaign")
    if campaign is not None and not (isinstance(campaign, str) and _CODE.match(campaign)):
        reader.fail("campaign", f"{campaign!r} is neither null nor a campaign code")
    source_reader = _Reader(reader.template, reader.mapping("source"))
    try:
        source_reader.keys({"notes", "section", "keys"}, set())
        source = Source(
            notes=source_reader.text("notes"),
            section=source_reader.text("section"),
            keys=source_reader.strings("keys"),
        )
    except ChecklistError as error:
        reader.fail(f"source.{error.field}", error.problem)
    status = reader.choice("status", STATUSES)
    gaps = reader.strings("gaps")

    raw_sections = reader.objects("sections")
    every_code: set[str] = set()  # to tell a show_if naming a later item from an unknown one
    for raw_section in raw_sections:
        entries = raw_section.get("items")
        if isinstance(entries, list):
            every_code.update(str(e.get("code")) for e in entries if isinstance(e, dict))
    sections: list[Section] = []
    items_seen: dict[str, Item] = {}
    for raw_section in raw_sections:
        section = _section(reader, raw_section, sector, items_seen, every_code)
        if any(s.code == section.code for s in sections):
            raise ChecklistError(
                reader.template, "code", "section code used twice", section=section.code
            )
        sections.append(section)
    built = Template(
        code=code,
        version=version,
        sector=sector,
        campaign=campaign,
        title_zh=reader.text("title_zh"),
        title_en=reader.text("title_en"),
        source=source,
        status=status,
        gaps=gaps,
        sections=tuple(sections),
    )
    _check_status(reader, built)
    return built


def _section(
    template: _Reader,
    raw: Mapping[str, object],
    sector: str,
    items_seen: dict[str, Item],
    every_code: set[str],
) -> Section:
    code = raw.get("code")
    reader = _Reader(template.template, raw, section=code if isinstance(code, str) else "?")
    reader.keys(_SECTION_KEYS, set())
    code = reader.text("code")
    if not _LABEL.match(code):
        reader.fail("code", f"{code!r} is not letters, digits, dots and hyphens")
    items: list[Item] = []
    for raw_item in reader.objects("items"):
        entry = _item(reader, raw_item, sector, items_seen, every_code)
        items_seen[entry.code] = entry
        items.append(entry)
    return Section(
        code=code,
        title_zh=reader.text("title_zh"),
        title_en=reader.text("title_en"),
        items=tuple(items),
    )


def _item(
    section: _Reader,
    raw: Mapping[str, object],
    sector: str,
    earlier: Mapping[str, Item],
    every_code: set[str],
) -> Item:
    code = raw.get("code")
    reader = _Reader(
        section.template, raw, section=section.section, item=code if isinstance(code, str) else "?"
    )
    reader.keys(_ITEM_KEYS, _ITEM_OPTIONAL)
    code = reader.text("code")
    if not _LABEL.match(code):
        reader.fail("code", f"{code!r} is not letters, digits, dots and hyphens")
    if code in earlier:
        reader.fail("code", f"item code {code} is used twice (item codes are unique per template)")
    answer = _answer_type(reader)
    guidance_zh = reader.text("guidance_zh", blank=True)
    guidance_en = reader.text("guidance_en", blank=True)
    if bool(guidance_zh) != bool(guidance_en):
        missing = "guidance_en" if guidance_zh else "guidance_zh"
        reader.fail(missing, "guidance is given in one language only")
    legal_basis = reader.text("legal_basis", blank=True)
    legal_basis_status = reader.choice("legal_basis_status", STATUSES)
    if not legal_basis and legal_basis_status != "unconfirmed":
        reader.fail("legal_basis_status", "nothing is cited, so it can only be unconfirmed")
    low, high, unit = reader.number("min"), reader.number("max"), reader.raw.get("unit", "")
    if answer == "number":
        if low is None and high is None:
            reader.fail("min", "a number item needs a min or a max (or both)")
        if low is not None and high is not None and low > high:
            reader.fail("min", f"min {low:g} is greater than max {high:g}")
        if unit not in UNITS:
            reader.fail("unit", f"{unit!r} is not one of {', '.join(UNITS)}")
    else:
        for key, value in (("min", low), ("max", high)):
            if value is not None:
                reader.fail(key, f"only number items have limits, not {answer} items")
        if unit != "":
            reader.fail("unit", f"only number items have a unit, not {answer} items")
    photo_required = reader.flag("photo_required")
    if photo_required and answer not in SCORED_TYPES:
        reader.fail("photo_required", f"a {answer} item is never non-compliant")
    determination_item = _determination_item(reader, sector, answer)
    if determination_item is not None:
        cited = standards.item(determination_item).status
        if STATUSES.index(legal_basis_status) < STATUSES.index(cited):
            reader.fail(
                "legal_basis_status",
                f"{legal_basis_status}, but {determination_item} is only {cited}: "
                "a line is no surer than the item it cites",
            )
    return Item(
        code=code,
        section=section.section,
        text_zh=reader.text("text_zh"),
        text_en=reader.text("text_en"),
        guidance_zh=guidance_zh,
        guidance_en=guidance_en,
        legal_basis=legal_basis,
        legal_basis_status=legal_basis_status,
        determination_item=determination_item,
        answer=answer,
        min=low,
        max=high,
        unit=str(unit),
        photo_required=photo_required,
        weight=reader.integer("weight", 1, 5),
        show_if=_show_if(reader, code, earlier, every_code),
    )


def _answer_type(reader: _Reader) -> AnswerType:
    value = reader.raw.get("answer")
    for answer in ANSWER_TYPES:
        if value == answer:
            return answer
    reader.fail("answer", f"{value!r} is not one of {', '.join(ANSWER_TYPES)}")


def _determination_item(reader: _Reader, sector: str, answer: AnswerType) -> str | None:
    value = reader.raw.get("determination_item")
    if value is None:
        return None
    key = "determination_item"
    if not isinstance(value, str) or not value:
        reader.fail(key, f"{value!r} is neither null nor an item id")
    try:
        entry = standards.item(value)
    except KeyError:
        reader.fail(key, f"no determination item {value!r} in redline/hazards/data/determination")
    standard = standards.determination_standards()[entry.standard_id]
    if entry.kind == "element":
        reader.fail(
            key,
            f"{value} is a composite element of {standard.id}: one element alone is not a "
            "major hazard (name it in the guidance instead)",
        )
    if standard.sector not in (sector, ANY_SECTOR):
        reader.fail(
            key,
            f"{value} belongs to {standard.id}, a {standard.sector} standard; a {sector} "
            f"checklist cites its own sector's standards and the {ANY_SECTOR} standard",
        )
    if answer not in SCORED_TYPES:
        reader.fail(key, f"a {answer} item is never non-compliant, so it cannot cite {value}")
    return value


def _possible_outcomes(entry: Item) -> tuple[str, ...]:
    """The answers a show_if may name on an item (a number item's are those of its limits)."""
    return COMPLIANCE_ANSWERS if entry.scored else ()


def _show_if(
    reader: _Reader, code: str, earlier: Mapping[str, Item], every_code: set[str]
) -> ShowIf | None:
    value = reader.raw.get("show_if")
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"item", "answers"}:
        reader.fail("show_if", "not null or an object with exactly 'item' and 'answers'")
    target, answers = value["item"], value["answers"]
    if not isinstance(target, str):
        reader.fail("show_if.item", f"{target!r} is not an item code")
    if target == code:
        reader.fail("show_if.item", "an item cannot depend on itself")
    if target in every_code and target not in earlier:
        reader.fail("show_if.item", f"names {target}, a later item: it must come before {code}")
    if target not in earlier:
        reader.fail("show_if.item", f"names {target}, which is not an item of this template")
    referenced = earlier[target]
    possible = _possible_outcomes(referenced)
    if not possible:
        reader.fail("show_if.item", f"{target} is a {referenced.answer} item: it gives no answer")
    if not isinstance(answers, list) or not answers or len(set(map(str, answers))) != len(answers):
        reader.fail("show_if.answers", "not a non-empty list of distinct answers")
    for answer in answers:
        if answer not in possible:
            reader.fail(
                "show_if.answers",
                f"{target} ({referenced.answer}) cannot give {answer!r}; "
                f"it gives {', '.join(possible)}",
            )
    return ShowIf(item=target, answers=tuple(str(a) for a in answers))


def _check_status(reader: _Reader, built: Template) -> None:
    """A template is confirmed only when everything it cites is; otherwise it says why."""
    if built.status == "confirmed":
        for entry in built.items:
            weak = entry.legal_basis_status != "confirmed"
            cited = entry.determination()
            if weak or (cited is not None and not cited.confirmed):
                reader.fail(
                    "status",
                    f"confirmed, but item {entry.code} cites something not confirmed",
                )
    elif not built.gaps:
        reader.fail("gaps", f"a {built.status} template lists its gaps")


def stale_links(checklist: Template) -> list[str]:
    """The determination items the template cites from a superseded edition (the fire
    standard whose items are encoded, `standards.FIRE_STANDARD`, counts as current)."""
    stale = []
    for item_id in checklist.determination_items:
        standard = standards.determination_standards()[standards.item(item_id).standard_id]
        if not standard.current and standard.id != standards.FIRE_STANDARD:
            stale.append(item_id)
    return stale


# --- answers ------------------------------------------------------------------------------


def outcome(entry: Item, answer: object) -> str | None:
    """What an answer says: compliant / non_compliant / not_applicable for compliance and
    number items (a number outside the limits is non-compliant; the limits are inclusive),
    "answered" for a text or photo item, None when there is no answer (None or "").
    AnswerError when the item cannot take the answer."""
    if answer is None or answer == "":
        return None
    if entry.answer == "compliance":
        if isinstance(answer, str) and answer in COMPLIANCE_ANSWERS:
            return answer
        raise AnswerError(f"{entry.code}: {answer!r} is not one of {', '.join(COMPLIANCE_ANSWERS)}")
    if entry.answer == "number":
        if answer == NOT_APPLICABLE:
            return NOT_APPLICABLE
        if isinstance(answer, bool) or not isinstance(answer, int | float | Decimal):
            raise AnswerError(f"{entry.code}: {answer!r} is not a number")
        value = float(answer)
        if not math.isfinite(value):
            raise AnswerError(f"{entry.code}: {answer!r} is not a finite number")
        below = entry.min is not None and value < entry.min
        above = entry.max is not None and value > entry.max
        return NON_COMPLIANT if below or above else COMPLIANT
    if entry.answer == "text":
        if not isinstance(answer, str):
            raise AnswerError(f"{entry.code}: {answer!r} is not a text")
        return ANSWERED if answer.strip() else None
    return ANSWERED if answer else None  # photo: a truthy marker says a photo is attached


def is_non_compliant(entry: Item, answer: object) -> bool:
    """Whether an answer is non-compliant (never for text or photo items, nor unanswered)."""
    return outcome(entry, answer) == NON_COMPLIANT


def visible_items(checklist: Template, answers: Answers) -> list[Item]:
    """The items shown for these answers, in order. An item with a show_if is shown when the
    item it names is shown and answered with one of the listed answers; an item that hides
    also hides those depending on it, whatever answers they still hold."""
    unknown = sorted(set(answers) - {e.code for e in checklist.items})
    if unknown:
        raise AnswerError(f"checklist {checklist.code} has no items {', '.join(unknown)}")
    shown: dict[str, bool] = {}
    for entry in checklist.items:
        rule = entry.show_if
        if rule is None:
            shown[entry.code] = True
        else:
            target = checklist.item(rule.item)
            said = outcome(target, answers.get(rule.item))
            shown[entry.code] = shown[rule.item] and said in rule.answers
    return [entry for entry in checklist.items if shown[entry.code]]


def findings(checklist: Template, answers: Answers) -> list[Item]:
    """The shown items answered non-compliant, in order: what the inspection reports."""
    return [
        e for e in visible_items(checklist, answers) if is_non_compliant(e, answers.get(e.code))
    ]


def score(checklist: Template, answers: Answers) -> float | None:
    """100 x (weights of the shown compliance and number items answered compliant) /
    (weights of the shown compliance and number items answered other than not applicable);
    None when no such item is answered."""
    earned = possible = 0
    for entry in visible_items(checklist, answers):
        if not entry.scored:
            continue
        said = outcome(entry, answers.get(entry.code))
        if said is None or said == NOT_APPLICABLE:
            continue
        possible += entry.weight
        if said == COMPLIANT:
            earned += entry.weight
    return 100 * earned / possible if possible else None
