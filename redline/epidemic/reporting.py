"""What a user may submit surveillance data (case counts, key-group counts) for.

Who may is the door's answer for the action "report" (`redline.organisations.access`):
- a public-health body's operators, managers and admins: any region of its region subtree,
  and the key places in it;
- a key place's own unit account (operator, manager, admin): its own place only;
- a superuser: anywhere;
- governments, departments, enterprises that are not key places, and viewers/inspectors of
  any body: nobody's data (they read only).

`Reporter` puts that answer in the terms of a submission: the regions and key places the
user may give, through the door (`restrict(user, "report")`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from redline.organisations.access import NOTHING, Scope, scope_for
from redline.organisations.models import Enterprise, Region
from redline.organisations.vocab import UnitKind


@dataclass(frozen=True)
class Reporter:
    """What `user` may submit data for: the door's scope for "report"."""

    user: Any = None
    scope: Scope = NOTHING
    # place id -> may the user submit for it (filled by `reportable`)
    known: dict[int, bool] = field(default_factory=dict, compare=False, repr=False)

    @property
    def may_submit(self) -> bool:
        return not self.scope.is_empty

    @property
    def everything(self) -> bool:
        return self.scope.everything

    @property
    def place_id(self) -> int | None:
        """The key place a key place's own account reports for (it reports nothing else)."""
        return self.scope.enterprise_id

    def covers_region(self, region: Region) -> bool:
        """May the user submit a region's own counts (those of no key place) there?"""
        return self.scope.covers_area(region.path)

    def covers_place(self, place: Enterprise) -> bool:
        return place.pk in self.reportable({place.pk})

    def reportable(self, place_ids: set[int]) -> set[int]:
        """Of these units, the key places the user may submit counts for (asked of the door
        once per unit, in chunks)."""
        wanted = sorted(set(place_ids) - self.known.keys())
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            found = (
                set(self.places().filter(pk__in=chunk).values_list("pk", flat=True))
                if self.may_submit
                else set()
            )
            self.known.update({pk: pk in found for pk in chunk})
        return {pk for pk in place_ids if self.known[pk]}

    def regions(self) -> QuerySet[Region]:
        """Regions the user may submit region counts for (none for a key place)."""
        regions = Region.objects.restrict(self.user, "report")
        return regions.filter(self.scope.area_q("path")) if self.may_submit else regions.none()

    def places(self) -> QuerySet[Enterprise]:
        """Key places the user may submit counts for."""
        return Enterprise.objects.restrict(self.user, "report").filter(
            kind__in=UnitKind.key_places(), is_archived=False
        )


CHUNK = 500


def reporter(user: Any) -> Reporter:
    """What `user` may submit (nothing, `may_submit` false, for read-only users)."""
    return Reporter(user=user, scope=scope_for(user, "report"))
