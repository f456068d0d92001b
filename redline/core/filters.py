"""The filters of list pages, read once at the edge as a service's input is: each filter is
declared with its reader (`redline.core.readers`), and a bad value is refused naming the
filter (`ValidationFailed`, 422 on a page and in the API) instead of being ignored or failing
further down. A region is not read here: it goes through the door
(`organisations.selectors.region_filter`, a 404 outside the jurisdiction).

Day ranges (`<name>_from`, `<name>_to`, both days included) let a figure of a period (the
situation report's, the cockpit's) link to exactly the records it counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core.errors import ValidationFailed
from redline.core.readers import Date, Invalid, Reader, read_fields


def read_filters(fields: Mapping[str, Reader], data: Mapping[str, Any]) -> dict[str, Any]:
    """The typed values of the declared filters given in `data` (blank ones are not given);
    ValidationFailed naming every bad one. Filters not declared here are left to the caller."""
    given = {name: data[name] for name in fields if name in data}
    values, errors = read_fields(dict(fields), given, ())
    if errors:
        raise ValidationFailed(_("Some filters are not valid."), fields=errors)
    return values


def Flag() -> Reader:
    """Yes or no (a checkbox's `1`, a JSON boolean, `true` / `false`, `yes` / `no`)."""
    answers = {"1": True, "true": True, "yes": True, "on": True}
    answers |= {"0": False, "false": False, "no": False, "off": False}

    def read(value: Any) -> bool:
        answer = answers.get(str(value).strip().lower())
        if answer is None:
            raise Invalid(_("Give 1 (yes) or 0 (no)."))
        return answer

    return Reader(read, "1 or 0")


def Ids() -> Reader:
    """One or more record ids, comma-separated (`4,9`), as a tuple without repeats; which
    records they may name is the caller's to check."""

    def read(value: Any) -> tuple[int, ...]:
        parts = [p.strip() for p in str(value).split(",") if p.strip()]
        if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise Invalid(_("Give one or more ids, separated by commas."))
        return tuple(dict.fromkeys(int(p) for p in parts))

    return Reader(read, "ids, comma-separated")


def day_range(name: str) -> dict[str, Reader]:
    """The two filters of a day range: `<name>_from` and `<name>_to`."""
    return {f"{name}_from": Date(), f"{name}_to": Date()}


def day_bounds(name: str, values: Mapping[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    """The first and last days of the range `name` (None where not given); a last day
    before the first is refused."""
    since: dt.date | None = values.get(f"{name}_from")
    until: dt.date | None = values.get(f"{name}_to")
    if since is not None and until is not None and until < since:
        message = _("The last day comes before the first.")
        raise ValidationFailed(message, fields={f"{name}_to": message})
    return since, until


def day_range_q(field: str, name: str, values: Mapping[str, Any], *, moment: bool) -> Q:
    """`field` within the range `values` give for `name` (read by `read_filters`): a date
    field on those days, a moment (`moment`) from the first day's start to the end of the
    last, in the server's time zone."""
    since, until = day_bounds(name, values)
    zone = timezone.get_current_timezone()
    q = Q()
    if since is not None:
        low: Any = dt.datetime.combine(since, dt.time.min, tzinfo=zone) if moment else since
        q &= Q(**{f"{field}__gte": low})
    if until is not None:
        after = until + dt.timedelta(days=1)
        high: Any = dt.datetime.combine(after, dt.time.min, tzinfo=zone) if moment else after
        q &= Q(**{f"{field}__lt": high})
    return q


def days_of(name: str, start: dt.date, end: dt.date) -> dict[str, str]:
    """The query of a day range from `start` to `end` (excluded, as a period's end is)."""
    return {f"{name}_from": start.isoformat(), f"{name}_to": (end - dt.timedelta(1)).isoformat()}
