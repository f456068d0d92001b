"""Periods of the situation report: a month (`2027-03`), a quarter (`2027-Q1`) or a year
(`2027`), as [start, end) in local dates."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core.errors import ValidationFailed

# --- periods -----------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    """[start, end) in local dates; `code` as written (`2027-03`, `2027-Q1`, `2027`)."""

    kind: str  # "month", "quarter" or "year"
    start: dt.date
    end: dt.date
    code: str

    @classmethod
    def parse(cls, text: Any) -> Period:
        """A month `YYYY-MM`, a quarter `YYYY-Qn` or a year `YYYY`; anything else is a 422
        naming the field `period`."""
        value = str(text if text is not None else "").strip()
        try:
            if match := _MONTH.match(value):
                year, month = int(match[1]), int(match[2])
                start = dt.date(year, month, 1)
                return cls("month", start, _add_months(start, 1), f"{year}-{month:02d}")
            if match := _QUARTER.match(value):
                year, quarter = int(match[1]), int(match[2])
                start = dt.date(year, 3 * quarter - 2, 1)
                return cls("quarter", start, _add_months(start, 3), f"{year}-Q{quarter}")
            if match := _YEAR.match(value):
                year = int(match[1])
                return cls("year", dt.date(year, 1, 1), dt.date(year + 1, 1, 1), str(year))
        except ValueError:
            pass
        message = _("The period must be a month (2027-03), a quarter (2027-Q1) or a year (2027).")
        raise ValidationFailed(message, fields={"period": message})

    @classmethod
    def current(cls, kind: str = "year", today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        if kind == "month":
            return cls.parse(f"{today.year}-{today.month:02d}")
        if kind == "quarter":
            return cls.parse(f"{today.year}-Q{(today.month - 1) // 3 + 1}")
        return cls.parse(str(today.year))

    def last_year(self) -> Period:
        code = f"{self.start.year - 1}{self.code[4:]}"
        return Period.parse(code)

    @property
    def label(self) -> str:
        year = self.start.year
        if self.kind == "month":
            return _("%(year)d-%(month)02d") % {"year": year, "month": self.start.month}
        if self.kind == "quarter":
            return _("Q%(quarter)d %(year)d") % {
                "quarter": (self.start.month - 1) // 3 + 1,
                "year": year,
            }
        return _("Year %(year)d") % {"year": year}

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def as_at(self, today: dt.date | None = None) -> dt.date:
        """The day the period's state figures are read on: its last day, or today while
        it runs."""
        today = today or timezone.localdate()
        return min(today, self.end - dt.timedelta(days=1))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        zone = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(self.end, dt.time.min, tzinfo=zone),
        )

    def months(self) -> list[str]:
        out, month = [], self.start
        while month < self.end:
            out.append(f"{month.year}-{month.month:02d}")
            month = _add_months(month, 1)
        return out


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
