"""Submitted surveillance rows (case counts, key-group counts): their declaration -- the
columns of a file, of an API body and of a form's rows alike -- and their checks before
anything is written: each value read by its column's type (`redline.core.spreadsheet`), then
checked against the catalogue, the registry and what the user may submit; every problem kept
on its row with the field, so that a submission is refused whole with all of them
(`RowsInvalid`). The writes are in `services`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from redline.core.errors import ValidationFailed
from redline.core.spreadsheet import Choice, Column, Count, Date, Row, Table, Text
from redline.epidemic.models import Condition, KeyGroupCount, series_key
from redline.epidemic.reporting import Reporter
from redline.epidemic.vocab import KeyGroup
from redline.organisations.models import Enterprise, Region
from redline.organisations.vocab import UnitKind

MAX_CASES = 1_000_000  # cases of one condition on one day in one series
MAX_PEOPLE = 100_000_000  # people of one key group in one series
CHUNK = 500

# --- the declaration ---------------------------------------------------------------------

REGION = Column(
    "region",
    "地区代码",
    gettext_lazy("Region code"),
    gettext_lazy("The region's administrative code."),
    required=True,
)
PLACE = Column(
    "place",
    "重点场所",
    gettext_lazy("Key place"),
    gettext_lazy(
        "The key place's id or unified social credit code for cases it reported (the "
        "region is then the place's region); empty for cases counted at the region. "
        "Count each case once: a district adds up its subdistricts and key places."
    ),
)
COUNTS = Table(
    "病例数 counts",
    (
        Column(
            "condition",
            "疾病/症候群",
            gettext_lazy("Disease or syndrome"),
            gettext_lazy("The catalogue code (e.g. hfmd) or the name."),
            required=True,
        ),
        REGION,
        PLACE,
        Column(
            "date",
            "日期",
            gettext_lazy("Date"),
            gettext_lazy("YYYY-MM-DD, not in the future."),
            Date(),
            required=True,
        ),
        Column(
            "count",
            "病例数",
            gettext_lazy("Cases"),
            gettext_lazy(
                "A whole number, 0 or more. A different number for a day already "
                "reported is a correction."
            ),
            Count(maximum=MAX_CASES),
            required=True,
        ),
    ),
    coded=True,
)
GROUPS = Table(
    "重点人群 key groups",
    (
        REGION,
        PLACE,
        Column(
            "group",
            "重点人群",
            gettext_lazy("Key group"),
            gettext_lazy("The key group's code or name."),
            Choice(KeyGroup),
            required=True,
        ),
        Column(
            "count",
            "人数",
            gettext_lazy("Number of people"),
            gettext_lazy("A whole number, 0 or more."),
            Count(maximum=MAX_PEOPLE),
            required=True,
        ),
        Column(
            "as_of",
            "统计日期",
            gettext_lazy("As of"),
            gettext_lazy(
                "YYYY-MM-DD: the date the figure describes. A later figure for the same "
                "date replaces it."
            ),
            Date(),
            required=True,
        ),
        Column(
            "source",
            "数据来源",
            pgettext_lazy("figure", "Source"),
            gettext_lazy("Where the figure comes from (a register, a survey, ...)."),
            Text(max_length=KeyGroupCount._meta.get_field("source").max_length),
            required=True,
            missing=gettext_lazy("Say where the figure comes from."),
        ),
    ),
    coded=True,
)
PARTS = {"rows": COUNTS, "groups": GROUPS}
COUNT_FIELDS = tuple(column.key for column in COUNTS.columns)
GROUP_FIELDS = tuple(column.key for column in GROUPS.columns)


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
    """Some rows are bad; nothing was saved. `errors` lists every problem in row order, and
    `rows` the rows that have them (by part)."""

    def __init__(self, rows: dict[str, list[Row]]) -> None:
        self.rows = rows
        self.errors = [
            RowError(part, row.number, key, message)
            for part in PARTS
            for row in sorted(rows.get(part, ()), key=lambda row: row.number)
            for key, message in row.problems()
        ]
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
    """Checks read rows against the catalogue, the registry and what the user may submit,
    each problem on its row; the lookups are loaded once per submission."""

    user: Any
    who: Reporter
    today: dt.date
    conditions: dict[str, Condition] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    places: dict[str, Enterprise] = field(default_factory=dict)

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
        self.who.reportable({place.pk for place in self.places.values()})

    def condition(self, row: Row) -> Condition | None:
        text = row["condition"]
        if not text:
            return None
        found = self.conditions.get(text.casefold())
        if found is None:
            row.error(
                "condition",
                _("No disease or syndrome %(code)s in the catalogue.") % {"code": text},
            )
            return None
        if not found.is_active:
            row.error(
                "condition",
                _("No longer under surveillance (inactive in the catalogue): %(name)s.")
                % {"name": found.code},
            )
            return None
        return found

    def where(self, row: Row) -> tuple[Region | None, Enterprise | None, bool]:
        """The row's region and key place, checked against what the user may submit for;
        the flag says whether both are usable."""
        code = row["region"]
        region = self.regions.get(code) if code else None
        ok = region is not None
        if code and region is None:
            row.error("region", _("No region with the code %(code)s.") % {"code": code})
        reference = row["place"]
        if reference:
            place = self.places.get(reference.upper())
            if place is None:
                row.error(
                    "place",
                    _(
                        "No key place %(ref)s in your jurisdiction (give its id or its "
                        "unified social credit code)."
                    )
                    % {"ref": reference},
                )
                return region, None, False
            if place.kind not in UnitKind.key_places():
                row.error(
                    "place",
                    _("Not a key place: %(name)s is registered as %(kind)s.")
                    % {"name": place.name, "kind": place.get_kind_display()},
                )
                return region, None, False
            if place.is_archived:
                row.error("place", _("The key place %(name)s is archived.") % {"name": place.name})
                return region, None, False
            if not self.who.covers_place(place):
                row.error(
                    "place", _("You may not submit data for %(name)s.") % {"name": place.name}
                )
                return region, None, False
            if region is not None and place.region_id != region.pk:
                row.error(
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
            row.error("place", _("A key place reports its own counts only: give your place."))
            return region, None, False
        if region is not None and not self.who.covers_region(region):
            row.error(
                "region",
                _("The region %(code)s is outside your jurisdiction.") % {"code": code},
            )
            return region, None, False
        return region, None, ok

    def day(self, row: Row, name: str) -> dt.date | None:
        day = row[name]
        if day is not None and day > self.today:
            row.error(
                name,
                _("The date %(day)s is in the future (today is %(today)s).")
                % {"day": day.isoformat(), "today": self.today.isoformat()},
            )
            return None
        return day

    def count_row(self, row: Row) -> CountRow | None:
        condition = self.condition(row)
        region, place, where_ok = self.where(row)
        day = self.day(row, "date")
        count = row["count"]
        if condition is None or region is None or not where_ok or day is None or count is None:
            return None
        return CountRow(row.number, condition, region, place, day, count)

    def group_row(self, row: Row) -> GroupRow | None:
        region, place, where_ok = self.where(row)
        as_of = self.day(row, "as_of")
        group, count, source = row["group"], row["count"], row["source"]
        if region is None or not where_ok or as_of is None or None in (group, count, source):
            return None
        return GroupRow(row.number, region, place, group, count, as_of, source)


def check(
    user: Any, who: Reporter, today: dt.date, count_rows: list[Row], group_rows: list[Row]
) -> tuple[list[CountRow], list[GroupRow]]:
    """The rows' records; RowsInvalid with every problem (the rows' own and the checks')."""
    checker = Checker(user=user, who=who, today=today)
    all_rows = [*count_rows, *group_rows]
    checker.load(
        {row["region"] for row in all_rows if row["region"]},
        {row["place"].upper() for row in all_rows if row["place"]},
    )
    counts: list[CountRow] = []
    seen: dict[tuple[int, str, dt.date], int] = {}
    for row in count_rows:
        found = checker.count_row(row)
        if found is None:
            continue
        if found.ident in seen:
            row.error(
                "date",
                _("Row %(row)d already gives this disease, region, place and date.")
                % {"row": seen[found.ident]},
            )
            continue
        seen[found.ident] = row.number
        counts.append(found)
    groups: list[GroupRow] = []
    seen_groups: dict[tuple[str, str, dt.date], int] = {}
    for row in group_rows:
        found_group = checker.group_row(row)
        if found_group is None:
            continue
        if found_group.ident in seen_groups:
            row.error(
                "as_of",
                _("Row %(row)d already gives this key group, region, place and date.")
                % {"row": seen_groups[found_group.ident]},
            )
            continue
        seen_groups[found_group.ident] = row.number
        groups.append(found_group)
    if not all(row.ok for row in all_rows):
        raise RowsInvalid({"rows": count_rows, "groups": group_rows})
    return counts, groups


def read_rows(table: Table, given: Iterable[Any]) -> list[Row]:
    """Rows as given to a service (mappings, sequences or rows read from a file), read by
    the table; numbered by their position unless they carry a number."""
    return [table.record(raw, position) for position, raw in enumerate(given, start=1)]


def given_row(table: Table, values: dict[str, Any]) -> Row:
    """A row whose values an edge has read already (a service's typed input): taken as they
    are, for the checks above."""
    row = Row(table, 1, dict(values))
    row.values = dict(values)
    return row
