"""The disease and syndrome catalogue as data: `data/conditions.yaml`, read and checked here.

Every problem names the entry (its code, or its position) and the field. A method must be one
the detection engine offers (`METHODS`) or has announced (`PLANNED`); the parameters of an
offered method are run through that method's own parser, so the catalogue cannot hold a
configuration `redline detect` would refuse. The writes (upsert into `Condition`) are
`services.condition_catalogue_load`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db.models import Field

from redline.engines.detection.run import METHODS, PLANNED, DetectionInputError, parse_params
from redline.epidemic.models import Condition
from redline.epidemic.vocab import Aggregation, ConditionKind, DiseaseClass

CATALOGUE = Path(__file__).resolve().parent / "data" / "conditions.yaml"
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIRED = (
    "code",
    "name",
    "kind",
    "disease_class",
    "method",
    "aggregation",
    "verify_hours",
    "source",
)
OPTIONAL = ("name_en", "source_en", "params", "unconfirmed", "unconfirmed_en", "active")
# Where an entry's value goes in Condition (the YAML says `active`, the model `is_active`).
MODEL_FIELDS = {
    "name": "name",
    "name_en": "name_en",
    "kind": "kind",
    "disease_class": "disease_class",
    "method": "method",
    "params": "params",
    "aggregation": "aggregation",
    "verify_hours": "verify_hours",
    "source": "source",
    "source_en": "source_en",
    "unconfirmed": "unconfirmed",
    "unconfirmed_en": "unconfirmed_en",
    "active": "is_active",
}


class CatalogueError(ValueError):
    """The catalogue file cannot be loaded; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Entry:
    code: str
    values: dict[str, Any] = field(default_factory=dict)  # model field -> value


def _limit(name: str) -> int:
    field = Condition._meta.get_field(name)
    return int(field.max_length or 0) if isinstance(field, Field) else 0


def param_text(value: Any) -> str:
    """A parameter's value as the engine's parsers (and `--param NAME=VALUE`) read it."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def check_method(method: str, params: Mapping[str, Any]) -> list[str]:
    """Problems with a method name and its parameters (empty when they are usable)."""
    if method in METHODS:
        pairs = [f"{name}={param_text(value)}" for name, value in params.items()]
        try:
            parse_params(method, pairs)
        except DetectionInputError as error:
            return [str(error)]
        return []
    if method in PLANNED:
        return []  # announced by the engine; its parser checks the parameters once it exists
    known = ", ".join([*METHODS, *PLANNED])
    return [f"method {method!r} is not a detection method (known: {known})"]


def _entry(position: int, raw: Any, problems: list[str]) -> Entry | None:
    if not isinstance(raw, dict):
        problems.append(f"entry {position}: must be a mapping of fields")
        return None
    code = raw.get("code")
    where = f"{code}" if isinstance(code, str) and code else f"entry {position}"
    found: list[str] = []

    def problem(name: str, message: str) -> None:
        found.append(f"{where}: {name}: {message}")

    for name in sorted(set(raw) - set(REQUIRED) - set(OPTIONAL)):
        problem(str(name), "unknown field")
    for name in REQUIRED:
        if raw.get(name) in (None, ""):
            problem(name, "required")
    if found:
        problems.extend(found)
        return None
    if not isinstance(code, str) or not CODE.match(code) or len(code) > _limit("code"):
        problem("code", f"lower-case letters, digits and _ (at most {_limit('code')} characters)")
    texts = ("name", "name_en", "source", "source_en", "unconfirmed", "unconfirmed_en")
    for name in texts:
        value = raw.get(name, "")
        if not isinstance(value, str):
            problem(name, "must be text")
        elif len(value.strip()) > _limit(name):
            problem(name, f"at most {_limit(name)} characters")
    for name, choices in (
        ("kind", ConditionKind),
        ("disease_class", DiseaseClass),
        ("aggregation", Aggregation),
    ):
        if str(raw[name]) not in choices.values:
            problem(name, f"{raw[name]!r} is not one of {', '.join(choices.values)}")
    hours = raw["verify_hours"]
    if isinstance(hours, bool) or not isinstance(hours, int) or hours < 1:
        problem("verify_hours", "a whole number of hours >= 1")
    params = raw.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        problem("params", "a mapping of parameter names to values")
        params = {}
    elif any(isinstance(v, dict | list) for v in params.values()):
        problem("params", "each value is a number, a word or true/false")
    method = str(raw["method"])
    for message in check_method(method, params):
        problem("method", message)
    active = raw.get("active", True)
    if not isinstance(active, bool):
        problem("active", "true or false")
    if found or not isinstance(code, str):
        problems.extend(found)
        return None
    values = {MODEL_FIELDS[name]: (raw.get(name, "") or "").strip() for name in texts} | {
        "kind": raw["kind"],
        "disease_class": str(raw["disease_class"]),
        "method": method,
        "params": dict(params),
        "aggregation": raw["aggregation"],
        "verify_hours": hours,
        "is_active": active,
    }
    return Entry(code=code, values=values)


def read(path: Path | str | None = None) -> list[Entry]:
    """The catalogue's entries, in file order; CatalogueError naming every problem."""
    source = Path(path) if path else CATALOGUE
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise CatalogueError([f"{source}: cannot read: {error}"]) from None
    except yaml.YAMLError as error:
        raise CatalogueError([f"{source}: not valid YAML: {error}"]) from None
    if not isinstance(data, dict) or not isinstance(data.get("conditions"), list):
        raise CatalogueError([f"{source}: expected a mapping with a `conditions` list"])
    problems: list[str] = []
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for position, raw in enumerate(data["conditions"], start=1):
        entry = _entry(position, raw, problems)
        if entry is None:
            continue
        if entry.code in seen:
            problems.append(f"{entry.code}: code: also used by entry {seen[entry.code]}")
            continue
        seen[entry.code] = position
        entries.append(entry)
    if not entries and not problems:
        problems.append(f"{source}: the catalogue has no conditions")
    if problems:
        raise CatalogueError(problems)
    return entries
