"""The one door for access: whose jurisdiction covers which records.

`jurisdiction(user)` says what part of the city a user's organisation answers for;
the querysets' `restrict(user, action)` turn that into a filter. Views, the API,
exports, counts and search all read through `restrict`; nothing filters by
jurisdiction by hand.

- the city government and the city Safety Committee office: everything;
- a district or subdistrict government: units in its region subtree;
- a department: units in the sectors (or kinds of key place) of its mandates,
  each in the mandate's region subtree; a mandate over hospitals or fever clinics also
  makes the department (the health commission) a health authority in that region;
- a public-health body, and a health authority: the key places (schools, nursing
  homes, ...) in its region subtree, and the region's own records (a district's case
  counts, a region's capacity alerts);
- an enterprise or unit: itself.

A record that belongs to a unit (its people, hazards, case counts, signals, ...) follows
the unit: whoever sees the unit sees them, and nobody else. A record of a region (no unit)
is seen by the governments and health authorities whose area covers it (`area_paths`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce, wraps
from operator import or_
from typing import Any

from django.db.models import Q

from redline.core.errors import PermissionDenied
from redline.organisations.vocab import OrganisationKind, RegionLevel, UnitKind

ROLES = ("viewer", "operator", "inspector", "manager", "admin")

# Which roles may take which action on business data inside their jurisdiction.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "view": frozenset(ROLES),
    "change": frozenset({"operator", "manager", "admin"}),
    "create": frozenset({"operator", "manager", "admin"}),
    "archive": frozenset({"manager", "admin"}),
    "inspect": frozenset({"inspector", "manager", "admin"}),
    "administer": frozenset({"admin"}),
}
# Actions on the registry itself that only the government side takes.
GOVERNMENT_ONLY = frozenset({"create", "archive"})


@dataclass(frozen=True)
class Mandate:
    path: str
    sector: str
    unit_kind: str


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    region_paths: tuple[str, ...] = ()
    mandates: tuple[Mandate, ...] = ()
    key_place_paths: tuple[str, ...] = ()
    enterprise_id: int | None = None
    enterprise_region_id: int | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        return not (
            self.everything
            or self.region_paths
            or self.mandates
            or self.key_place_paths
            or self.enterprise_id
        )

    @staticmethod
    def regions_under(paths: tuple[str, ...] | list[str]) -> Any:
        from redline.organisations.models import Region

        condition = reduce(or_, (Q(path__startswith=p) for p in paths))
        return Region.objects.filter(condition).values("id")

    def enterprise_q(self, prefix: str = "") -> Q:
        """A filter on Enterprise, reached from the queried model through `prefix`."""
        if self.everything:
            return Q()
        parts: list[Q] = []
        if self.enterprise_id:
            parts.append(Q(**{f"{prefix}id": self.enterprise_id}))
        if self.region_paths:
            parts.append(Q(**{f"{prefix}region_id__in": self.regions_under(self.region_paths)}))
        for mandate in self.mandates:
            what = (
                Q(**{f"{prefix}sectors__contains": f",{mandate.sector},"})
                if mandate.sector
                else Q(**{f"{prefix}kind": mandate.unit_kind})
            )
            where = Q(**{f"{prefix}region_id__in": self.regions_under([mandate.path])})
            parts.append(where & what)
        if self.key_place_paths:
            parts.append(
                Q(**{f"{prefix}region_id__in": self.regions_under(self.key_place_paths)})
                & Q(**{f"{prefix}kind__in": UnitKind.key_places()})
            )
        if not parts:
            return Q(**{f"{prefix}id__in": []})
        return reduce(or_, parts)

    @property
    def area_paths(self) -> tuple[str, ...]:
        """The region subtrees whose own records (those of no unit: a district's summed case
        counts, a region's capacity alerts) the user sees: a government's region and a health
        authority's."""
        return tuple(dict.fromkeys([*self.region_paths, *self.key_place_paths]))

    def covers_area(self, region_path: str) -> bool:
        """Does the user see every record of the region with this path (its whole subtree)?"""
        return self.everything or any(region_path.startswith(p) for p in self.area_paths)

    def area_q(self, lookup: str) -> Q:
        """A filter on records of a region, reached through `lookup` (e.g. "region__path")."""
        if self.everything:
            return Q()
        parts = [Q(**{f"{lookup}__startswith": p}) for p in self.area_paths]
        if not parts:
            return Q(pk__in=[])
        return reduce(or_, parts)

    def region_q(self, prefix: str = "") -> Q:
        """A filter on Region, reached through `prefix` ("" for Region itself)."""
        if self.everything:
            return Q()
        paths = [*self.region_paths, *(m.path for m in self.mandates), *self.key_place_paths]
        parts = [Q(**{f"{prefix}path__startswith": p}) for p in dict.fromkeys(paths)]
        if self.enterprise_region_id:
            parts.append(Q(**{f"{prefix}id": self.enterprise_region_id}))
        if not parts:
            return Q(**{f"{prefix}id__in": []})
        return reduce(or_, parts)


NOTHING = Scope()
EVERYTHING = Scope(everything=True)


def user_roles(user: Any) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "is_superuser", False):
        return frozenset(ROLES)
    return frozenset(getattr(user, "roles", None) or ())


def role_allows(user: Any, action: str) -> bool:
    if action not in ACTION_ROLES:
        raise ValueError(f"unknown action {action!r}")
    return bool(user_roles(user) & ACTION_ROLES[action])


def _compute(user: Any) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False):
        return NOTHING
    if getattr(user, "is_superuser", False):
        return EVERYTHING
    org = getattr(user, "organisation", None)
    if org is None or org.is_archived:
        return NOTHING
    kind = org.kind
    region = org.region
    if kind in (OrganisationKind.GOVERNMENT, OrganisationKind.COMMITTEE_OFFICE):
        if region.level == RegionLevel.CITY:
            return EVERYTHING
        return Scope(region_paths=(region.path,))
    if kind == OrganisationKind.DEPARTMENT:
        mandates = tuple(
            Mandate(path=m.region.path, sector=m.sector, unit_kind=m.unit_kind)
            for m in org.mandates.select_related("region").order_by("id")
        )
        # A mandate over hospitals or fever clinics makes the department a health authority
        # in the mandate's region: it oversees the epidemic work there (the city's health
        # commission), so it sees the key places and the epidemic data a CDC there sees.
        health = tuple(
            dict.fromkeys(m.path for m in mandates if m.unit_kind in UnitKind.health_care())
        )
        return Scope(mandates=mandates, key_place_paths=health)
    if kind == OrganisationKind.PUBLIC_HEALTH:
        return Scope(key_place_paths=(region.path,))
    if kind == OrganisationKind.ENTERPRISE and org.enterprise_id:
        return Scope(enterprise_id=org.enterprise_id, enterprise_region_id=region.id)
    return NOTHING


def once_per_user[T](attribute: str) -> Callable[[Callable[[Any], T]], Callable[[Any], T]]:
    """Compute something of a user once per user object (one request), kept on the object
    under `attribute`; anonymous users are computed each time."""

    def decorate(compute: Callable[[Any], T]) -> Callable[[Any], T]:
        @wraps(compute)
        def cached(user: Any) -> T:
            found = getattr(user, attribute, None)
            if found is not None:
                return found
            found = compute(user)
            if user is not None and getattr(user, "is_authenticated", False):
                setattr(user, attribute, found)
            return found

        return cached

    return decorate


@once_per_user("_redline_scope")
def jurisdiction(user: Any) -> Scope:
    """The user's scope."""
    return _compute(user)


def is_government_side(user: Any) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    org = getattr(user, "organisation", None)
    return org is not None and org.kind != OrganisationKind.ENTERPRISE


def can(user: Any, action: str) -> bool:
    if not role_allows(user, action):
        return False
    return not (action in GOVERNMENT_ONLY and not is_government_side(user))


def ensure_can(user: Any, action: str) -> None:
    """For a record the user can already see: may they take this action on it?"""
    if not can(user, action):
        raise PermissionDenied()
