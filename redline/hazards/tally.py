"""The hazard tally (HazardTally): counts per combination of region, level, state, listed,
sector and the unit's copies, with the time closed hazards took.

Every write that creates a hazard or changes one of those columns moves the hazard from
its old combination to its new one in the same transaction (`tally_move`); a change that
touches many hazards at once (a unit that moved) and the demo's bulk history rebuild it
(`tally_rebuild`), and so does a periodic job, which also repairs any drift. Counts are
changed with conditional updates, so concurrent writers never lose one.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum

from redline.hazards.models import Hazard, HazardTally
from redline.hazards.vocab import HazardState

KEY = ("region_id", "level", "state", "listed", "sector", "unit_sectors", "unit_kind")


def key_of(hazard: Hazard) -> dict[str, Any]:
    return {name: getattr(hazard, name) for name in KEY}


def closed_part(hazard: Hazard) -> tuple[int, float]:
    """(1, seconds taken) for a closed hazard with its times, else (0, 0)."""
    if hazard.state == HazardState.CLOSED and hazard.closed_at and hazard.reported_at:
        return 1, (hazard.closed_at - hazard.reported_at).total_seconds()
    return 0, 0.0


def _bump(key: dict[str, Any], count: int, timed: int, seconds: float) -> None:
    changes = {
        "count": F("count") + count,
        "closed_timed": F("closed_timed") + timed,
        "closed_seconds": F("closed_seconds") + seconds,
    }
    if HazardTally.objects.filter(**key).update(**changes):
        return
    try:
        with transaction.atomic():
            HazardTally.objects.create(
                **key, count=count, closed_timed=timed, closed_seconds=seconds
            )
    except IntegrityError:  # another writer created the row a moment ago
        HazardTally.objects.filter(**key).update(**changes)


def tally_add(hazard: Hazard) -> None:
    timed, seconds = closed_part(hazard)
    _bump(key_of(hazard), 1, timed, seconds)


def tally_move(before: dict[str, Any], before_closed: tuple[int, float], hazard: Hazard) -> None:
    """The hazard was `before` (a key_of, with its closed_part) and is now as it is."""
    after, after_closed = key_of(hazard), closed_part(hazard)
    if before == after and before_closed == after_closed:
        return
    _bump(before, -1, -before_closed[0], -before_closed[1])
    _bump(after, 1, after_closed[0], after_closed[1])


@transaction.atomic
def tally_rebuild() -> int:
    """Recount everything from the hazards; returns the number of combinations."""
    duration = ExpressionWrapper(F("closed_at") - F("reported_at"), output_field=DurationField())
    closed = Q(state=HazardState.CLOSED, closed_at__isnull=False)
    if connection.vendor == "postgresql":
        # Writers bump the tally after changing a hazard: holding them off until this
        # recount commits means none of their changes is counted twice or lost.
        with connection.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{HazardTally._meta.db_table}" IN EXCLUSIVE MODE')
    rows = (
        Hazard.objects.order_by()
        .values(*KEY)
        .annotate(
            count=Count("pk"),
            closed_timed=Count("pk", filter=closed),
            spent=Sum(duration, filter=closed),
        )
    )
    HazardTally.objects.all().delete()
    made = [
        HazardTally(
            **{name: row[name] for name in KEY},
            count=row["count"],
            closed_timed=row["closed_timed"],
            closed_seconds=_seconds(row["spent"]),
        )
        for row in rows.iterator(chunk_size=5000)
    ]
    HazardTally.objects.bulk_create(made, batch_size=5000)
    return len(made)


def _seconds(value: Any) -> float:
    if value is None:
        return 0.0
    if hasattr(value, "total_seconds"):
        return float(value.total_seconds())
    return float(value) / 1e6  # microseconds where the backend has no interval type
