"""Accidents from a spreadsheet (.xlsx or CSV), read by the one machinery
(`redline.core.spreadsheet`) with the columns declared here, each row recorded by the same
service and typed input as the form and the API (`services.accident_record`), so the Decree
493 engine sets every level. Every problem is reported by row and column; nothing is saved
when any row has one. The template is `template()`.

The unit is named by its unified social credit code or its exact name (one the importer may
record accidents of); the region (for an accident in no registered unit) by its
administrative code or name; the type by its code or its name in either standard.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from redline.accidents import services
from redline.accidents.vocab import TYPES_1986, TYPES_2025, ReportingClass
from redline.core import spreadsheet
from redline.core.errors import ValidationFailed
from redline.core.spreadsheet import Column, Row, Table
from redline.organisations.models import Enterprise, Region
from redline.organisations.vocab import Sector

if TYPE_CHECKING:
    from redline.accounts.models import User

ACCIDENTS = Table(
    "事故 accidents",
    columns=(
        Column(
            "date",
            "日期",
            "Date",
            gettext_lazy("Day of the accident."),
            type=spreadsheet.Date(),
            required=True,
        ),
        Column(
            "time",
            "时间",
            "Time",
            gettext_lazy("Time of day, HH:MM (default 00:00)."),
            type=spreadsheet.Time(),
        ),
        Column("place", "地点", "Place", required=True),
        Column(
            "unit",
            "单位",
            "Unit",
            gettext_lazy("Unified social credit code or exact name; empty: no registered unit."),
        ),
        Column(
            "region",
            "区域",
            "Region",
            gettext_lazy("Administrative code or name; needed without a unit."),
        ),
        Column(
            "sector",
            "行业领域",
            "Sector",
            gettext_lazy("Default: the unit's first sector."),
            type=spreadsheet.Choice(Sector),
        ),
        Column(
            "reporting_class",
            "事故类别",
            "Kind of accident",
            gettext_lazy("Production safety, road traffic or fire (default production)."),
            type=spreadsheet.Choice(ReportingClass),
        ),
        Column(
            "type_1986",
            "类型(GB 6441-1986)",
            "Type (GB 6441-1986)",
            gettext_lazy("Code 01-20 or name; for accidents before 2026-07-01."),
        ),
        Column(
            "type_2025",
            "类型(GB 6441-2025)",
            "Type (GB 6441-2025)",
            gettext_lazy("Code WSA1xxxx or name; for accidents from 2026-07-01."),
        ),
        Column("deaths", "死亡人数", "Deaths", type=spreadsheet.Count(), required=True),
        Column(
            "serious_injuries",
            "重伤人数",
            "Serious injuries",
            gettext_lazy("Including acute industrial poisoning."),
            type=spreadsheet.Count(),
            required=True,
        ),
        Column(
            "direct_loss_cny",
            "直接经济损失(元)",
            "Direct economic loss (CNY)",
            gettext_lazy("In yuan, to the cent."),
            type=spreadsheet.Decimal(places=2),
            required=True,
        ),
        Column("narrative", "事故经过", "Narrative"),
        Column(
            "reported_on",
            "报告日期",
            "Reported on",
            gettext_lazy("When it was reported to the regulator (default: at the import)."),
            type=spreadsheet.Date(),
        ),
        Column(
            "reported_time",
            "报告时间",
            "Reported at (time)",
            gettext_lazy("HH:MM, with the report date."),
            type=spreadsheet.Time(),
        ),
    ),
)
INSTRUCTIONS = "说明 instructions"
FILE = spreadsheet.Spreadsheet((ACCIDENTS,), all_sheets=False, instructions=INSTRUCTIONS)


def _unit(actor: User, text: str) -> int | None:
    units = Enterprise.objects.restrict(actor, "change").filter(is_archived=False)
    found = units.filter(credit_code=text.upper()).first() or units.filter(name=text).first()
    return found.pk if found else None


def _region(actor: User, text: str) -> int | None:
    regions = Region.objects.restrict(actor)
    found = regions.filter(code=text).first() or regions.filter(name=text).first()
    return found.pk if found else None


def row_input(actor: User, row: Row) -> services.AccidentInput:
    """The row as the service's typed input (the references looked up through the door)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "place": row["place"],
        "deaths": row["deaths"],
        "serious_injuries": row["serious_injuries"],
        "direct_loss_cny": row["direct_loss_cny"],
    }
    moment = dt.datetime.combine(row["date"], row["time"] or dt.time(0, 0))
    values["occurred_at"] = timezone.make_aware(moment)
    if row["reported_on"] is not None:
        reported = dt.datetime.combine(row["reported_on"], row["reported_time"] or dt.time(0, 0))
        values["reported_at"] = timezone.make_aware(reported)
    if row.filled("unit"):
        values["unit"] = _unit(actor, row.text("unit"))
        if values["unit"] is None:
            errors["unit"] = str(services.UNIT_REFUSAL)
    if row.filled("region"):
        values["region"] = _region(actor, row.text("region"))
        if values["region"] is None:
            errors["region"] = str(services.REGION_REFUSAL)
    for key, types in (("type_1986", TYPES_1986), ("type_2025", TYPES_2025)):
        if row.filled(key):
            code = types.find(row.text(key))
            if code is None:
                errors[key] = _("Not a type of this standard: %(value)s.") % {
                    "value": row.text(key)
                }
            values[key] = code
    for key in ("sector", "reporting_class", "narrative"):
        if row[key]:
            values[key] = row[key]
    if errors:
        raise ValidationFailed(fields=errors)
    return services.AccidentInput.of({k: v for k, v in values.items() if v is not None})


def import_accidents(*, actor: User, file: Any) -> spreadsheet.Outcome:
    """Record every row, or none (the problems by row and column)."""

    def save(row: Row) -> None:
        services.accident_record(actor=actor, data=row_input(actor, row))

    return spreadsheet.run(
        FILE,
        file,
        spreadsheet.each_row(save, {"occurred_at": "date", "reported_at": "reported_on"}),
    )


def template() -> bytes:
    """The .xlsx template: the sheet's header, an instructions sheet with each column's help
    and the codes of both type standards (the mapping between them is not normative)."""
    types_1986 = [(code, zh, en) for code, zh, en in TYPES_1986.rows]
    types_2025 = [(code, zh, en) for code, zh, en in TYPES_2025.rows]
    return spreadsheet.workbook(
        FILE,
        intro=_(
            "One accident a row. The level is computed from the deaths, serious injuries "
            "and direct loss (Decree 493 art. 3); it is not a column. Nothing is saved when "
            "a row has a problem."
        ),
        sections=[("GB 6441-1986", types_1986), ("GB 6441-2025", types_2025)],
    )
