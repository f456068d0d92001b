"""Production safety accident levels (生产安全事故等级) by State Council Decree No. 493 (2007)
《生产安全事故报告和调查处理条例》, article 3.

Four levels, from the highest: particularly serious (特别重大), serious (重大), larger (较大),
general (一般). An accident takes the highest level that ANY ONE of its three figures reaches:

    level                  deaths     serious injuries*   direct economic loss (CNY)
    particularly_serious   >= 30      >= 100              >= 100,000,000
    serious                >= 10      >= 50               >= 50,000,000
    larger                 >= 3       >= 10               >= 10,000,000
    general                below all of the above

    * serious injuries include acute industrial poisoning (急性工业中毒).

Article 3's last paragraph: "以上" includes the number, "以下" excludes it, so every lower bound
belongs to the higher level (3 deaths is larger, 10 serious, 30 particularly serious).

`deciding` names the criteria that set the level: those whose own band is the accident's
level ("deaths", "serious_injuries", "direct_loss_cny", in that order). For a general accident
no criterion reaches a higher band, so all three are within the general band and all three
are named.

Money is compared as `Decimal` (a float such as 9999999.99 is read through its shortest
decimal text), so a boundary is never crossed by binary rounding. Counts are whole numbers
(`bool` is not one); figures below zero are refused.

Framework-free: no Django.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

SOURCE = "State Council Decree No. 493 (2007), art. 3"
LEVELS = ("particularly_serious", "serious", "larger", "general")  # highest first
CRITERIA = ("deaths", "serious_injuries", "direct_loss_cny")

# Each level's lower bounds (inclusive), highest level first; general has none.
BANDS: dict[str, dict[str, Decimal]] = {
    "particularly_serious": {
        "deaths": Decimal(30),
        "serious_injuries": Decimal(100),
        "direct_loss_cny": Decimal(100_000_000),
    },
    "serious": {
        "deaths": Decimal(10),
        "serious_injuries": Decimal(50),
        "direct_loss_cny": Decimal(50_000_000),
    },
    "larger": {
        "deaths": Decimal(3),
        "serious_injuries": Decimal(10),
        "direct_loss_cny": Decimal(10_000_000),
    },
}
# Larger than any real loss and than what the record keeps (14 digits, 2 decimals).
MAX_LOSS = Decimal("999999999999.99")
MAX_COUNT = 1_000_000


class AccidentInputError(ValueError):
    """Bad input: names the accident (its id, or its index) and the field."""

    def __init__(self, accident: str, field: str, message: str):
        self.accident = accident
        self.field = field
        self.detail = message
        super().__init__(f"accident {accident}: {field}: {message}")


@dataclass(frozen=True)
class Classification:
    level: str
    deciding: tuple[str, ...]


def rank(level: str) -> int:
    """0 for general up to 3 for particularly serious."""
    return len(LEVELS) - 1 - LEVELS.index(level)


def criterion_level(criterion: str, value: int | Decimal) -> str:
    """The level one figure reaches on its own."""
    for level in LEVELS[:-1]:
        if Decimal(value) >= BANDS[level][criterion]:
            return level
    return "general"


def classify(*, deaths: int, serious_injuries: int, direct_loss_cny: Decimal) -> Classification:
    """The accident's level and the criteria that set it (figures already checked)."""
    own = {
        "deaths": criterion_level("deaths", deaths),
        "serious_injuries": criterion_level("serious_injuries", serious_injuries),
        "direct_loss_cny": criterion_level("direct_loss_cny", direct_loss_cny),
    }
    level = max(own.values(), key=rank)
    return Classification(level, tuple(c for c in CRITERIA if own[c] == level))


# --- reading raw input (the CLI and anything else handing over JSON) --------------------------


def _shown(value: Any) -> str:
    """A value as the JSON it came from said it (2.0, true, "2", null)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Decimal | int | float):
        return str(value)
    return repr(value)


def read_count(value: Any, accident: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AccidentInputError(accident, field, f"must be a whole number, got {_shown(value)}")
    if value < 0:
        raise AccidentInputError(accident, field, f"must be zero or more, got {value}")
    if value > MAX_COUNT:
        raise AccidentInputError(accident, field, f"must be at most {MAX_COUNT}, got {value}")
    return value


def read_money(value: Any, accident: str, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise AccidentInputError(accident, field, f"must be a number, got {_shown(value)}")
    try:
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise AccidentInputError(
            accident, field, f"must be a number, got {_shown(value)}"
        ) from None
    if not amount.is_finite():
        raise AccidentInputError(accident, field, f"must be a number, got {_shown(value)}")
    if amount < 0:
        raise AccidentInputError(accident, field, f"must be zero or more, got {value}")
    if amount > MAX_LOSS:
        raise AccidentInputError(accident, field, f"must be at most {MAX_LOSS}, got {value}")
    if amount != amount.quantize(Decimal("0.01")):
        raise AccidentInputError(accident, field, f"has more than 2 decimals: {value}")
    return amount


def read_date(value: Any, accident: str, field: str) -> dt.date:
    if not isinstance(value, str):
        raise AccidentInputError(accident, field, f"must be a date YYYY-MM-DD, got {_shown(value)}")
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise AccidentInputError(
            accident, field, f"must be a date YYYY-MM-DD, got {_shown(value)}"
        ) from None


def classify_payload(payload: Any) -> dict[str, list[dict[str, Any]]]:
    """`{"accidents": [{"id", "date", "deaths", "serious_injuries", "direct_loss_cny"}]}` ->
    `{"accidents": [{"id", "level", "deciding"}]}` in the same order. Every accident is read
    before any result is given: the first bad one raises `AccidentInputError`."""
    if not isinstance(payload, Mapping):
        raise AccidentInputError("(input)", "accidents", "the input must be a JSON object")
    accidents = payload.get("accidents")
    if not isinstance(accidents, Sequence) or isinstance(accidents, str):
        raise AccidentInputError("(input)", "accidents", "must be a list of accidents")
    results: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(accidents):
        name = f"#{index}"
        if not isinstance(raw, Mapping):
            raise AccidentInputError(name, "(accident)", "must be a JSON object")
        ident = raw.get("id")
        if isinstance(ident, bool) or not isinstance(ident, str | int) or str(ident) == "":
            raise AccidentInputError(name, "id", f"must be a non-empty text, got {_shown(ident)}")
        name = str(ident)
        if name in seen:
            raise AccidentInputError(name, "id", "appears twice")
        seen.add(name)
        for field in ("date", *CRITERIA):
            if field not in raw:
                raise AccidentInputError(name, field, "is missing")
        read_date(raw["date"], name, "date")
        found = classify(
            deaths=read_count(raw["deaths"], name, "deaths"),
            serious_injuries=read_count(raw["serious_injuries"], name, "serious_injuries"),
            direct_loss_cny=read_money(raw["direct_loss_cny"], name, "direct_loss_cny"),
        )
        results.append({"id": ident, "level": found.level, "deciding": list(found.deciding)})
    return {"accidents": results}
