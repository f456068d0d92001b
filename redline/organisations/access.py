"""The one door for access: may this user take this action on this record?

`jurisdiction(user, action)` says on what part of the city a user's organisation may take
an action (a `Scope`); the querysets' `restrict(user, action)` turn that into a filter, and
`get_for(user, action, pk=...)` loads one record (404 outside what the user sees, 403 when
the user sees it but may not take the action). Views, the API, exports, counts, search and
services all go through them; nothing decides jurisdiction by hand.

What each kind of organisation sees ("view"):
- the city government and the city Safety Committee office: everything;
- a district or subdistrict government: units in its region subtree;
- a department: units in the sectors (or kinds of key place) of its mandates,
  each in the mandate's region subtree; a mandate over hospitals or fever clinics also
  makes the department (the health commission) a health authority in that region;
- a public-health body, and a health authority: the key places (schools, nursing
  homes, ...) in its region subtree, and the region's own records (a district's case
  counts, a region's capacity alerts);
- an enterprise or unit: itself;
- every government body, the Safety Committee office and every department: every
  special rectification campaign; a unit: the live campaigns that cover it;
- the Safety Committee's key tasks (an organisation's affairs, not a unit's,
  `Scope.organisation_id`): the city government and the city Safety Committee office all of
  them; any other government-side body the tasks it leads or cooperates on, and a government
  below the city also those placed in its region subtree, above it or city-wide (the tasks
  that reach its area); a unit none.

Other actions are narrower where `_compute` says so: a health commission's oversight of the
key places is for epidemic work, so it reads those units (and their hazards, people, risk
inventories) but changes, registers and inspects only the units of its own mandates, while
it acts on their epidemic records as a health authority; only public-health bodies and a key
place's own account report surveillance counts ("report"); only a hospital's own account
reports its capacity ("report_capacity"); only the city government and Safety Committee
office manage campaigns and the Safety Committee's meetings and key tasks ("manage"); only the
government side registers and archives units. A key task's progress ("report_progress") is
reported by the bodies it names (lead, cooperating) and by a government below the city for the
tasks that reach its region; never by a unit.

A record that belongs to a unit (its people, hazards, case counts, signals, ...) follows
the unit: whoever sees the unit sees them, and nobody else. A record of a region (no unit)
is seen by the governments and health authorities whose area covers it (`area_paths`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import reduce, wraps
from operator import or_
from typing import Any

from django.db.models import Q

from redline.core.errors import PermissionDenied
from redline.organisations.vocab import OrganisationKind, RegionLevel, UnitKind

ROLES = ("viewer", "operator", "inspector", "manager", "admin")

WRITERS = frozenset({"operator", "manager", "admin"})
MANAGERS = frozenset({"manager", "admin"})

# The door's actions and the roles that may take each; where (on which records) is
# `jurisdiction(user, action)`'s answer.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "view": frozenset(ROLES),  # read
    "change": WRITERS,  # edit a record; act on a hazard, a signal or an alert
    "create": WRITERS,  # register a unit (the government side)
    "archive": MANAGERS,  # archive or restore a unit (the government side)
    "inspect": frozenset({"inspector", "manager", "admin"}),  # inspect a unit, report hazards
    "administer": frozenset({"admin"}),
    "report": WRITERS,  # submit surveillance counts (case and key-group counts)
    "report_capacity": WRITERS,  # submit a hospital's daily capacity report
    "manage": MANAGERS,  # campaigns; the Safety Committee's meetings, key tasks, verification
    "report_progress": WRITERS,  # report a Safety Committee key task's progress
}
# Submitting data is the submitters' own: governments and departments read it.
SUBMITTING = frozenset({"report", "report_capacity"})


@dataclass(frozen=True)
class Mandate:
    path: str
    sector: str
    unit_kind: str


@dataclass(frozen=True)
class Scope:
    """Where a user may take one action (`jurisdiction(user, action)`)."""

    everything: bool = False
    # a government's region subtree: every unit and every record of a region there
    region_paths: tuple[str, ...] = ()
    # a department's mandates: the units of a sector or kind of unit in a region subtree
    mandates: tuple[Mandate, ...] = ()
    # the key places (units) of these region subtrees
    key_place_paths: tuple[str, ...] = ()
    # a health authority's region subtrees: the epidemic and capacity records of the key
    # places there and of the regions themselves (`place_q`, `area_q`)
    health_paths: tuple[str, ...] = ()
    # a unit's own account: the unit (and its region, for the region filters)
    enterprise_id: int | None = None
    enterprise_region_id: int | None = None
    # special rectification campaigns: "all", "covering" (those covering the unit) or none
    campaigns: str = ""
    # the directory of government bodies and their contacts (read by every signed-in user)
    directory: bool = False
    # the user's own (government-side) organisation: the records that are an organisation's
    # affairs rather than a unit's (the Safety Committee's key tasks it leads or cooperates
    # on); a government's key tasks of its region come from `region_paths`
    organisation_id: int | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        """No business record at all (the directory and campaigns aside)."""
        return not (
            self.everything
            or self.region_paths
            or self.mandates
            or self.key_place_paths
            or self.health_paths
            or self.enterprise_id
            or self.organisation_id
        )

    @staticmethod
    def regions_under(paths: tuple[str, ...] | list[str]) -> Any:
        from redline.organisations.models import Region

        condition = reduce(or_, (Q(path__startswith=p) for p in paths))
        return Region.objects.filter(condition).values("id")

    def mandates_by_path(self) -> dict[str, tuple[list[str], list[str]]]:
        """The mandates' sectors and kinds of unit per region subtree: one filter each."""
        grouped: dict[str, tuple[list[str], list[str]]] = {}
        for mandate in self.mandates:
            sectors, kinds = grouped.setdefault(mandate.path, ([], []))
            if mandate.sector:
                sectors.append(mandate.sector)
            else:
                kinds.append(mandate.unit_kind)
        return grouped

    def enterprise_q(self, prefix: str = "") -> Q:
        """A filter on Enterprise, reached from the queried model through `prefix`."""
        from redline.organisations.models import in_sectors_q

        if self.everything:
            return Q()
        parts: list[Q] = []
        if self.enterprise_id:
            parts.append(Q(**{f"{prefix}id": self.enterprise_id}))
        if self.region_paths:
            parts.append(Q(**{f"{prefix}region_id__in": self.regions_under(self.region_paths)}))
        for path, (sectors, kinds) in self.mandates_by_path().items():
            what = []
            if sectors:
                what.append(in_sectors_q(sectors, prefix))
            if kinds:
                what.append(Q(**{f"{prefix}kind__in": kinds}))
            where = Q(**{f"{prefix}region_id__in": self.regions_under([path])})
            parts.append(where & reduce(or_, what))
        if self.key_place_paths:
            parts.append(
                Q(**{f"{prefix}region_id__in": self.regions_under(self.key_place_paths)})
                & Q(**{f"{prefix}kind__in": UnitKind.key_places()})
            )
        if not parts:
            return Q(**{f"{prefix}id__in": []})
        return reduce(or_, parts)

    def place_q(self, prefix: str = "") -> Q:
        """A filter on the epidemic and capacity records of key places (counts, signals,
        capacity reports and alerts), reached through `prefix` to their place: the units of
        `enterprise_q`, and a health authority's key places."""
        # (where the user sees the key places as units, `enterprise_q` has them already)
        paths = [p for p in self.health_paths if p not in self.key_place_paths]
        if self.everything or not paths:
            return self.enterprise_q(prefix)
        health = Q(**{f"{prefix}region_id__in": self.regions_under(paths)}) & Q(
            **{f"{prefix}kind__in": UnitKind.key_places()}
        )
        return self.enterprise_q(prefix) | health

    @property
    def area_paths(self) -> tuple[str, ...]:
        """The region subtrees whose own records (those of no unit: a district's summed case
        counts, a region's capacity alerts) the user sees: a government's region and a health
        authority's."""
        return tuple(dict.fromkeys([*self.region_paths, *self.health_paths]))

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
        paths = [
            *self.region_paths,
            *(m.path for m in self.mandates),
            *self.key_place_paths,
            *self.health_paths,
        ]
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


def _compute(user: Any, action: str) -> Scope:
    """The one table of jurisdiction: where `user` may take `action` (roles aside)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NOTHING
    if getattr(user, "is_superuser", False):
        return EVERYTHING
    org = getattr(user, "organisation", None)
    if org is None or org.is_archived:
        return Scope(directory=action == "view")
    scope = _of_organisation(user, org, action)
    return replace(scope, directory=True) if action == "view" and not scope.everything else scope


def _of_organisation(user: Any, org: Any, action: str) -> Scope:
    kind = org.kind
    region = org.region
    reading = action == "view"
    if action == "report_progress":
        return _progress_reporting(org)
    # A government-side body reads the key tasks that name it (`organisation_id`).
    own = org.pk if reading and kind != OrganisationKind.ENTERPRISE else None
    if kind in (OrganisationKind.GOVERNMENT, OrganisationKind.COMMITTEE_OFFICE):
        if action in SUBMITTING:
            return NOTHING  # governments read surveillance and capacity data
        if region.level == RegionLevel.CITY:
            return EVERYTHING
        if action == "manage":
            return NOTHING  # campaigns and the committee's tasks are the city's to manage
        # Campaigns are city-wide programmes every government body takes part in.
        return Scope(
            region_paths=(region.path,), campaigns="all" if reading else "", organisation_id=own
        )
    if kind == OrganisationKind.DEPARTMENT:
        if action in SUBMITTING or action == "manage":
            return NOTHING
        return _department(_mandates(user), reading=reading, own=own)
    if kind == OrganisationKind.PUBLIC_HEALTH:
        if action in ("report_capacity", "manage"):
            return NOTHING  # a hospital reports its own capacity
        paths = (region.path,)
        return Scope(key_place_paths=paths, health_paths=paths, organisation_id=own)
    if kind == OrganisationKind.ENTERPRISE and org.enterprise_id:
        if action in ("create", "archive", "manage"):
            return NOTHING  # the registry and campaigns are the government side's
        if action == "report":
            # A key place reports its own counts; other units have none to report.
            unit = org.enterprise
            if unit.kind not in UnitKind.key_places() or unit.is_archived:
                return NOTHING
        return Scope(
            enterprise_id=org.enterprise_id,
            enterprise_region_id=region.id,
            campaigns="covering" if reading else "",
        )
    return NOTHING


def _department(mandates: tuple[Mandate, ...], *, reading: bool, own: int | None) -> Scope:
    """A department's scope from its mandates, for reading or for acting."""
    # A mandate over hospitals or fever clinics makes the department a health authority
    # in the mandate's region: it oversees the epidemic work there (the city's health
    # commission), so it sees the key places and the epidemic data a CDC there sees and
    # acts on that data; the key places themselves (the units, their people, hazards and
    # risk inventories) it only reads, beyond the units of its own mandates.
    health = tuple(dict.fromkeys(m.path for m in mandates if m.unit_kind in UnitKind.health_care()))
    if reading:
        return Scope(
            mandates=mandates,
            key_place_paths=health,
            health_paths=health,
            campaigns="all",
            organisation_id=own,
        )
    return Scope(mandates=mandates, health_paths=health)


def department_competence(org: Any) -> Scope:
    """The records in a department's competence: the scope the door gives its own users for
    acting ("change": the units of the sectors and kinds of its mandates, each in the
    mandate's region subtree, and their records), for the department itself rather than one
    of its users (the assessment of departments measures it). Nothing for another kind of
    body."""
    if org.kind != OrganisationKind.DEPARTMENT or org.is_archived:
        return NOTHING
    return _department(_mandates_of(org), reading=False, own=None)


def department_competences(orgs: Iterable[Any]) -> dict[int, Scope]:
    """`department_competence` of each of these bodies, by id, their mandates read in one
    query (the assessment of every department at once)."""
    from redline.organisations.models import SectorMandate

    orgs = list(orgs)
    mandates: dict[int, list[Mandate]] = {org.pk: [] for org in orgs}
    found = SectorMandate.objects.filter(department_id__in=list(mandates))
    for m in found.select_related("region").order_by("id"):
        mandates[m.department_id].append(
            Mandate(path=m.region.path, sector=m.sector, unit_kind=m.unit_kind)
        )
    return {
        org.pk: NOTHING
        if org.kind != OrganisationKind.DEPARTMENT or org.is_archived
        else _department(tuple(mandates[org.pk]), reading=False, own=None)
        for org in orgs
    }


def _progress_reporting(org: Any) -> Scope:
    """Where a body reports the progress of the Safety Committee's key tasks: those it leads
    or cooperates on, and for a government (or committee office) below the city those that
    reach its region. A unit reports none."""
    if org.kind == OrganisationKind.ENTERPRISE:
        return NOTHING
    local = org.kind in (OrganisationKind.GOVERNMENT, OrganisationKind.COMMITTEE_OFFICE)
    paths = (org.region.path,) if local and org.region.level != RegionLevel.CITY else ()
    return Scope(organisation_id=org.pk, region_paths=paths)


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


@once_per_user("_redline_mandates")
def _mandates(user: Any) -> tuple[Mandate, ...]:
    """A department's mandates (read once per request)."""
    return _mandates_of(user.organisation)


def _mandates_of(org: Any) -> tuple[Mandate, ...]:
    return tuple(
        Mandate(path=m.region.path, sector=m.sector, unit_kind=m.unit_kind)
        for m in org.mandates.select_related("region").order_by("id")
    )


def jurisdiction(user: Any, action: str = "view") -> Scope:
    """Where the user may take `action` (their roles aside: see `scope_for`); computed once
    per user object (one request) and action."""
    if action not in ACTION_ROLES:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not getattr(user, "is_authenticated", False):
        return _compute(user, action)
    known: dict[str, Scope] | None = getattr(user, "_redline_scopes", None)
    if known is None:
        known = {}
        user._redline_scopes = known
    if action not in known:
        known[action] = _compute(user, action)
    return known[action]


def scope_for(user: Any, action: str) -> Scope:
    """Where the user may take `action`, their roles included: nothing when no role of
    theirs allows it."""
    if not role_allows(user, action):
        return NOTHING
    return jurisdiction(user, action)


def is_government_side(user: Any) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    org = getattr(user, "organisation", None)
    return org is not None and org.kind != OrganisationKind.ENTERPRISE


def can(user: Any, action: str) -> bool:
    """May the user take `action` anywhere at all (to offer it: a button, a menu entry)?
    Whether on a given record is `may` (or `get_for`)."""
    return not scope_for(user, action).is_empty


def ensure_can(user: Any, action: str) -> None:
    """PermissionDenied unless the user may take `action` somewhere (`can`)."""
    if not can(user, action):
        raise PermissionDenied()


def may(user: Any, action: str, record: Any) -> bool:
    """May the user take `action` on this record (through its model's door)?"""
    if record is None or record.pk is None:
        return False
    if scope_for(user, action).everything:
        return True
    manager = type(record)._default_manager
    return bool(manager.restrict(user, action).filter(pk=record.pk).exists())


def is_health_authority(user: Any) -> bool:
    """A public-health body or a department with a mandate over hospitals or fever clinics
    (the health commission), or a superuser: who acts on epidemic and capacity records."""
    if getattr(user, "is_superuser", False):
        return True
    return bool(jurisdiction(user).health_paths)
