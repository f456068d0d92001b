"""Small builders for the signal tests: a condition, counts written as the ingestion writes
them (one current row per series and day, corrections superseding), public-health bodies
and users added to the access-test world, and an outbreak that EARS C2 flags."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from redline.accounts.models import User
from redline.epidemic.models import CaseCount, Condition, series_key
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise, Organisation, Region

ZONE = ZoneInfo("Asia/Shanghai")
# A calm week of counts, repeated; then an outbreak day far above EARS C2's bound.
CALM = [2, 3, 1, 2, 4, 2, 3]
SPIKE = 25


def condition(
    code: str = "ili-test",
    *,
    method: str = "ears-c2",
    aggregation: str = "daily",
    params: dict[str, Any] | None = None,
    verify_hours: int = 24,
    active: bool = True,
    name: str = "",
) -> Condition:
    return Condition.objects.create(
        code=code,
        name=name or f"测试病种 {code}",
        name_en=f"Test condition {code}",
        kind="syndrome",
        method=method,
        params=params or {},
        aggregation=aggregation,
        verify_hours=verify_hours,
        is_active=active,
    )


def add_counts(
    cond: Condition,
    region: Region | int,
    values: dict[dt.date, int],
    *,
    place: Enterprise | int | None = None,
    known_from: dt.date | None = None,
) -> None:
    """Record counts, each known from `known_from` (default: its own day). A day already
    recorded is corrected: the earlier row is superseded on `known_from`."""
    region_id = region if isinstance(region, int) else region.pk
    place_id = place if (place is None or isinstance(place, int)) else place.pk
    key = series_key(region_id, place_id)
    now = timezone.now()
    current = CaseCount.objects.filter(
        condition=cond, series_key=key, day__in=list(values), superseded_on__isnull=True
    )
    for day in current.values_list("day", flat=True):
        current.filter(day=day).update(superseded_on=known_from or day)
    rows = []
    for day, count in values.items():
        known = known_from or day
        rows.append(
            CaseCount(
                condition=cond,
                region_id=region_id,
                place_id=place_id,
                series_key=key,
                day=day,
                count=count,
                known_from=known,
                recorded_at=now,
            )
        )
    CaseCount.objects.bulk_create(rows)


def calm_days(end: dt.date, days: int, *, offset: int = 0) -> dict[dt.date, int]:
    """`days` days of calm counts ending the day before `end`."""
    start = end - dt.timedelta(days=days)
    return {start + dt.timedelta(days=i): CALM[(i + offset) % len(CALM)] for i in range(days)}


def outbreak(
    cond: Condition,
    region: Region | int,
    day: dt.date,
    *,
    place: Enterprise | int | None = None,
    days: int = 30,
    spike: int = SPIKE,
) -> None:
    """Calm counts for `days` days, then `spike` cases on `day`."""
    values = calm_days(day, days)
    values[day] = spike
    add_counts(cond, region, values, place=place)


def calm(cond: Condition, region: Region | int, day: dt.date, *, place: Any = None) -> None:
    """Calm counts up to and including `day` (no alarm)."""
    values = calm_days(day + dt.timedelta(days=1), 31)
    add_counts(cond, region, values, place=place)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZONE)


def add_cdc(world: Any, key: str, region_key: str) -> Organisation:
    """A public-health body in the world's region, with a user per role ("<key>-<role>")."""
    org = Organisation.objects.create(
        name=f"{key}疾控", kind="public_health", region_id=world.regions[region_key]
    )
    User.objects.bulk_create(
        [User(username=f"{key}-{role}", organisation=org, roles=[role]) for role in ROLES]
    )
    return org


def add_body(world: Any, key: str, region_key: str, kind: str, **extra: Any) -> Organisation:
    org = Organisation.objects.create(
        name=f"{key}机构", kind=kind, region_id=world.regions[region_key], **extra
    )
    User.objects.bulk_create(
        [User(username=f"{key}-{role}", organisation=org, roles=[role]) for role in ROLES]
    )
    return org


def user(username: str) -> User:
    return User.objects.select_related("organisation", "organisation__region").get(
        username=username
    )


def unit(name: str) -> Enterprise:
    return Enterprise.objects.get(name=name)
