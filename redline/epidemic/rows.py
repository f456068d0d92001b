"""Checking submitted surveillance rows (case counts, key-group counts) before anything is
written: each value read leniently (spreadsheet cells, API JSON, form fields), checked
against the catalogue, the registry and what the user may submit; every problem kept with
its row number and field, so that a submission is refused whole with all of them
(`RowsInvalid`). The writes are in `services`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from redline.core.errors import ValidationFailed
from redline.epidemic.models import Condition, KeyGroupCount, series_key
from redline.epidemic.reporting import Reporter
from redline.epidemic.vocab import KeyGroup
from redline.organisations.models import Enterprise, Region
from redline.organisations.vocab import UnitKind

MAX_CASES = 1_000_000  # cases of one condition on one day in one series
MAX_PEOPLE = 100_000_000  # people of one key group in one series
COUNT_FIELDS = ("condition", "region", "place", "date", "count")
GROUP_FIELDS = ("region", "place", "group", "count", "as_of", "source")
CHUNK = 500


# --- errors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem of a submission: `part` is "rows" (case counts) or "groups" (key-group
    counts), `row` the number the submitter sees (API: position from 1; file: the line or
    Excel row; form: the line of the form), `field` the column."""

    part: str
    row: int
    field: str
    message: str

    @property
    def key(self) -> str:
        return f"{self.part}.{self.row}.{self.field}"

    def as_dict(self) -> dict[str, Any]:
        return {"part": self.part, "row": self.row, "field": self.field, "message": self.message}


class RowsInvalid(ValidationFailed):
    """Some rows are bad; nothing was saved. `errors` lists every problem in row order."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.part != "rows", e.row))
        fields: dict[str, str] = {}
        for error in self.errors:
            fields[error.key] = (
                f"{fields[error.key]} {error.message}" if error.key in fields else error.message
            )
        message = ngettext(
            "The submission has %(n)d problem; nothing was saved.",
            "The submission has %(n)d problems; nothing was saved.",
            len(self.errors),
        ) % {"n": len(self.errors)}
        super().__init__(message, fields=fields)


# --- reading values ----------------------------------------------------------------------


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_day(value: Any) -> dt.date | None:
    """A date from a date, a datetime (a spreadsheet cell) or text YYYY-MM-DD / YYYY/M/D."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = as_text(value)
    for separator in ("-", "/", "."):
        parts = text.split(separator)
        if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
            try:
                return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                return None
    return None


def whole(value: Any, maximum: int) -> tuple[int | None, str]:
    """A whole number >= 0, or the reason it is not one."""
    if isinstance(value, bool):
        return None, _("Give a whole number.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None, _("Give a whole number, not a fraction.")
        number = int(value)
    else:
        text = as_text(value).replace(",", "")
        if not text:
            return None, _("This field is required.")
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if digits.isdigit():
            number = sign * int(digits)
        else:
            try:
                as_float = float(digits)
            except ValueError:
                return None, _("Give a whole number.")
            if as_float != as_float or not as_float.is_integer():
                return None, _("Give a whole number, not a fraction.")
            number = sign * int(as_float)
    if number < 0:
        return None, _("A count cannot be negative.")
    if number > maximum:
        return None, _("More than the plausible maximum of %(max)s: %(value)s.") % {
            "value": number,
            "max": maximum,
        }
    return number, ""


def read_row(raw: Any, fields: Sequence[str], position: int) -> tuple[int, dict[str, Any]]:
    """A row as {field: value} and its number (a `row` given with it, else its position)."""
    if isinstance(raw, Mapping):
        number = raw.get("row")
        values = {name: raw.get(name) for name in fields}
    else:
        items = list(raw)
        number = None
        values = {name: items[i] if i < len(items) else None for i, name in enumerate(fields)}
    return (number if isinstance(number, int) and number > 0 else position), values


def label_index(choices: Any) -> dict[str, str]:
    """Codes and labels (in every site language), folded, to the code."""
    index: dict[str, str] = {}
    for value, label in choices.choices:
        index[str(value).casefold()] = str(value)
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                index.setdefault(str(label).casefold(), str(value))
    return index


@dataclass(frozen=True)
class CountRow:
    number: int
    condition: Condition
    region: Region
    place: Enterprise | None
    day: dt.date
    count: int

    @property
    def ident(self) -> tuple[int, str, dt.date]:
        return (self.condition.pk, series_key(self.region.pk, self.place_id), self.day)

    @property
    def place_id(self) -> int | None:
        return self.place.pk if self.place else None


@dataclass(frozen=True)
class GroupRow:
    number: int
    region: Region
    place: Enterprise | None
    group: str
    count: int
    as_of: dt.date
    source: str

    @property
    def ident(self) -> tuple[str, str, dt.date]:
        return (series_key(self.region.pk, self.place_id), self.group, self.as_of)

    @property
    def place_id(self) -> int | None:
        return self.place.pk if self.place else None


@dataclass
class Checker:
    """Checks rows against the catalogue, the registry and what the user may submit; the
    lookups are loaded once per submission."""

    user: Any
    who: Reporter
    today: dt.date
    errors: list[RowError] = field(default_factory=list)
    conditions: dict[str, Condition] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    places: dict[str, Enterprise] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)

    def load(self, region_codes: set[str], place_refs: set[str]) -> None:
        everything = list(Condition.objects.all())
        for condition in everything:  # names first, so that a code always wins
            for name in (condition.name_en, condition.name):
                if name:
                    self.conditions[name.casefold()] = condition
        for condition in everything:
            self.conditions[condition.code.casefold()] = condition
        codes = [c for c in region_codes if c]
        for start in range(0, len(codes), CHUNK):
            for region in Region.objects.filter(code__in=codes[start : start + CHUNK]):
                self.regions[region.code] = region
        ids = sorted({int(r) for r in place_refs if r.isdigit() and len(r) < 18})
        credit = sorted({r.upper() for r in place_refs if len(r) == 18})
        visible = Enterprise.objects.restrict(self.user).select_related("region")
        for start in range(0, max(len(ids), len(credit)), CHUNK):
            found = visible.filter(pk__in=ids[start : start + CHUNK]) | visible.filter(
                credit_code__in=credit[start : start + CHUNK]
            )
            for place in found:
                self.places[str(place.pk)] = place
                self.places[place.credit_code] = place
        self.groups = label_index(KeyGroup)

    def error(self, part: str, row: int, name: str, message: str) -> None:
        self.errors.append(RowError(part, row, name, message))

    def condition(self, part: str, row: int, value: Any) -> Condition | None:
        text = as_text(value)
        if not text:
            self.error(part, row, "condition", _("This field is required."))
            return None
        found = self.conditions.get(text.casefold())
        if found is None:
            self.error(
                part,
                row,
                "condition",
                _("No disease or syndrome %(code)s in the catalogue.") % {"code": text},
            )
            return None
        if not found.is_active:
            self.error(
                part,
                row,
                "condition",
                _("No longer under surveillance (inactive in the catalogue): %(name)s.")
                % {"name": found.code},
            )
            return None
        return found

    def where(
        self, part: str, row: int, region_value: Any, place_value: Any
    ) -> tuple[Region | None, Enterprise | None, bool]:
        """The row's region and key place, checked against what the user may submit for;
        the flag says whether both are usable."""
        code = as_text(region_value)
        region = self.regions.get(code) if code else None
        ok = True
        if not code:
            self.error(part, row, "region", _("This field is required."))
            ok = False
        elif region is None:
            self.error(part, row, "region", _("No region with the code %(code)s.") % {"code": code})
            ok = False
        reference = as_text(place_value)
        place = None
        if reference:
            place = self.places.get(reference.upper())
            if place is None:
                self.error(
                    part,
                    row,
                    "place",
                    _(
                        "No key place %(ref)s in your jurisdiction (give its id or its "
                        "unified social credit code)."
                    )
                    % {"ref": reference},
                )
                return region, None, False
            if place.kind not in UnitKind.key_places():
                self.error(
                    part,
                    row,
                    "place",
                    _("Not a key place: %(name)s is registered as %(kind)s.")
                    % {"name": place.name, "kind": place.get_kind_display()},
                )
                return region, None, False
            if place.is_archived:
                self.error(
                    part,
                    row,
                    "place",
                    _("The key place %(name)s is archived.") % {"name": place.name},
                )
                return region, None, False
            if not self.who.covers_place(place):
                self.error(
                    part,
                    row,
                    "place",
                    _("You may not submit data for %(name)s.") % {"name": place.name},
                )
                return region, None, False
            if region is not None and place.region_id != region.pk:
                self.error(
                    part,
                    row,
                    "region",
                    _(
                        "The key place %(name)s is in the region %(region)s (%(code)s), "
                        "not in %(given)s."
                    )
                    % {
                        "name": place.name,
                        "region": place.region.name,
                        "code": place.region.code,
                        "given": code,
                    },
                )
                return region, None, False
            return region, place, ok
        if self.who.place_id is not None:
            self.error(
                part,
                row,
                "place",
                _("A key place reports its own counts only: give your place."),
            )
            return region, None, False
        if region is not None and not self.who.covers_region(region):
            self.error(
                part,
                row,
                "region",
                _("The region %(code)s is outside your jurisdiction.") % {"code": code},
            )
            return region, None, False
        return region, None, ok

    def day(self, part: str, row: int, name: str, value: Any) -> dt.date | None:
        if as_text(value) == "":
            self.error(part, row, name, _("This field is required."))
            return None
        day = parse_day(value)
        if day is None:
            self.error(
                part,
                row,
                name,
                _("Not a date: %(value)s. Give YYYY-MM-DD.") % {"value": as_text(value)},
            )
            return None
        if day > self.today:
            self.error(
                part,
                row,
                name,
                _("The date %(day)s is in the future (today is %(today)s).")
                % {"day": day.isoformat(), "today": self.today.isoformat()},
            )
            return None
        return day

    def number(self, part: str, row: int, value: Any, maximum: int) -> int | None:
        number, problem = whole(value, maximum)
        if number is None:
            self.error(part, row, "count", problem)
        return number

    def count_row(self, row: int, cells: Mapping[str, Any]) -> CountRow | None:
        condition = self.condition("rows", row, cells["condition"])
        region, place, where_ok = self.where("rows", row, cells["region"], cells["place"])
        day = self.day("rows", row, "date", cells["date"])
        count = self.number("rows", row, cells["count"], MAX_CASES)
        if condition is None or region is None or not where_ok or day is None or count is None:
            return None
        return CountRow(row, condition, region, place, day, count)

    def group_row(self, row: int, cells: Mapping[str, Any]) -> GroupRow | None:
        region, place, where_ok = self.where("groups", row, cells["region"], cells["place"])
        group_text = as_text(cells["group"])
        group = self.groups.get(group_text.casefold()) if group_text else None
        if not group_text:
            self.error("groups", row, "group", _("This field is required."))
        elif group is None:
            self.error(
                "groups",
                row,
                "group",
                _("Not a key group: %(value)s (one of: %(codes)s).")
                % {"value": group_text, "codes": ", ".join(KeyGroup.values)},
            )
        count = self.number("groups", row, cells["count"], MAX_PEOPLE)
        as_of = self.day("groups", row, "as_of", cells["as_of"])
        source = as_text(cells["source"])
        limit = KeyGroupCount._meta.get_field("source").max_length or 200
        if not source:
            self.error("groups", row, "source", _("Say where the figure comes from."))
        elif len(source) > limit:
            self.error("groups", row, "source", _("At most %(n)d characters.") % {"n": limit})
        if (
            region is None
            or not where_ok
            or group is None
            or count is None
            or as_of is None
            or not source
            or len(source) > limit
        ):
            return None
        return GroupRow(row, region, place, group, count, as_of, source)


def check(
    user: Any,
    who: Reporter,
    today: dt.date,
    count_rows: list[tuple[int, dict[str, Any]]],
    group_rows: list[tuple[int, dict[str, Any]]],
) -> tuple[list[CountRow], list[GroupRow]]:
    checker = Checker(user=user, who=who, today=today)
    all_rows = [*count_rows, *group_rows]
    checker.load(
        {as_text(cells["region"]) for _n, cells in all_rows},
        {as_text(cells["place"]).upper() for _n, cells in all_rows if as_text(cells["place"])},
    )
    counts: list[CountRow] = []
    seen: dict[tuple[int, str, dt.date], int] = {}
    for number, cells in count_rows:
        found = checker.count_row(number, cells)
        if found is None:
            continue
        if found.ident in seen:
            checker.error(
                "rows",
                number,
                "date",
                _("Row %(row)d already gives this disease, region, place and date.")
                % {"row": seen[found.ident]},
            )
            continue
        seen[found.ident] = number
        counts.append(found)
    groups: list[GroupRow] = []
    seen_groups: dict[tuple[str, str, dt.date], int] = {}
    for number, cells in group_rows:
        found_group = checker.group_row(number, cells)
        if found_group is None:
            continue
        if found_group.ident in seen_groups:
            checker.error(
                "groups",
                number,
                "as_of",
                _("Row %(row)d already gives this key group, region, place and date.")
                % {"row": seen_groups[found_group.ident]},
            )
            continue
        seen_groups[found_group.ident] = number
        groups.append(found_group)
    if checker.errors:
        raise RowsInvalid(checker.errors)
    return counts, groups
