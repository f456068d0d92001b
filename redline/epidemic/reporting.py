"""Who may submit surveillance data (case counts, key-group counts), and for what.

Reading is the models' one door (`restrict`). Writing is narrower:
- a public-health body's operators, managers and admins: any region of its region subtree,
  and the key places in it;
- a key place's own unit account (operator, manager, admin): its own place only;
- a superuser: anywhere;
- governments, departments, enterprises that are not key places, and viewers/inspectors of
  any body: nobody's data (they read only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from redline.organisations.access import role_allows
from redline.organisations.models import Enterprise, Region
from redline.organisations.vocab import OrganisationKind, UnitKind


@dataclass(frozen=True)
class Reporter:
    """What a user may submit data for. `everything` (a superuser), or a region subtree
    (`region_path`, a public-health body), or one key place (`place_id`)."""

    everything: bool = False
    region_path: str = ""
    place_id: int | None = None

    @property
    def may_submit(self) -> bool:
        return self.everything or bool(self.region_path) or self.place_id is not None

    def covers_region(self, region: Region) -> bool:
        if self.everything:
            return True
        if self.region_path:
            return region.path.startswith(self.region_path)
        return False

    def covers_place(self, place: Enterprise) -> bool:
        if self.everything:
            return True
        if self.place_id is not None:
            return place.pk == self.place_id
        return bool(self.region_path) and place.region.path.startswith(self.region_path)

    def regions(self) -> QuerySet[Region]:
        """Regions the user may submit region counts for (none for a key place)."""
        if self.everything:
            return Region.objects.all()
        if self.region_path:
            return Region.objects.filter(path__startswith=self.region_path)
        return Region.objects.none()

    def places(self) -> QuerySet[Enterprise]:
        """Key places the user may submit counts for."""
        places = Enterprise.objects.filter(kind__in=UnitKind.key_places(), is_archived=False)
        if self.everything:
            return places
        if self.place_id is not None:
            return places.filter(pk=self.place_id)
        if self.region_path:
            return places.filter(region__path__startswith=self.region_path)
        return places.none()

    def places_q(self) -> Q:
        if self.everything:
            return Q()
        if self.place_id is not None:
            return Q(pk=self.place_id)
        return Q(region__path__startswith=self.region_path)


NOBODY = Reporter()


def reporter(user: Any) -> Reporter:
    """What `user` may submit; `NOBODY` for read-only users."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    if not role_allows(user, "change"):
        return NOBODY
    if getattr(user, "is_superuser", False):
        return Reporter(everything=True)
    org = getattr(user, "organisation", None)
    if org is None or org.is_archived:
        return NOBODY
    if org.kind == OrganisationKind.PUBLIC_HEALTH:
        return Reporter(region_path=org.region.path)
    if org.kind == OrganisationKind.ENTERPRISE and org.enterprise_id:
        place = org.enterprise
        if place.kind in UnitKind.key_places() and not place.is_archived:
            return Reporter(place_id=place.pk)
    return NOBODY
