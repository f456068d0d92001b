"""Reads of the organisation registry. Every one starts from `restrict(user, ...)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from redline.core.errors import NotFound
from redline.core.models import ChangeLog
from redline.core.trigram import contains_q
from redline.organisations.access import department_competence
from redline.organisations.models import (
    ChemicalPark,
    Enterprise,
    EnterpriseQuerySet,
    Organisation,
    Person,
    Region,
    ScopedQuerySet,
    SectorMandate,
)
from redline.organisations.vocab import OrganisationKind, PersonRole, RegionLevel, Sector, UnitKind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations


class _Contacts(TypedDict):
    live_contacts: list[Person]


LIST_FILTERS = ("q", "sector", "kind", "status", "region", "park", "archived")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def enterprise_list(
    user: Any, filters: dict[str, Any] | None = None, action: str = "view"
) -> EnterpriseQuerySet[Enterprise]:
    """The units a user may see (or take `action` on), filtered as a list page, an export or
    the API asks."""
    filters = filters or {}
    qs = Enterprise.objects.restrict(user, action).select_related("region", "chemical_park")
    archived = filters.get("archived")
    if archived in ("only", "1", True):
        qs = qs.filter(is_archived=True)
    elif archived != "all":
        qs = qs.filter(is_archived=False)
    text = (filters.get("q") or "").strip()
    if text:
        code = text.upper()
        # A code prefix as a range, so the unique index on credit_code serves it.
        by_code = Q(credit_code__gte=code, credit_code__lt=code + "~")
        qs = qs.filter(contains_q("name", text) | by_code)
    if filters.get("sector") in Sector.values:
        qs = qs.in_sector(filters["sector"])
    if filters.get("kind") in UnitKind.values:
        qs = qs.filter(kind=filters["kind"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    region = region_filter(user, filters.get("region"))
    if region is not None:
        qs = qs.filter(region_id__in=Region.objects.restrict(user).subtree(region).values("id"))
    if filters.get("park"):
        qs = qs.filter(chemical_park_id=_int(filters["park"]))
    return qs


def region_filter(
    user: Any, value: Any, *, field: str = "region", codes: bool = False
) -> Region | None:
    """The region a filter names (`?region=`: an id, or with `codes` also an administrative
    code), looked up through the door: None when none is named; NotFound naming the field
    when it names no region the user may see, the same answer for a region outside the
    jurisdiction as for one that does not exist (404 on a page and in the API)."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    regions = Region.objects.restrict(user)
    found = regions.filter(code=text).first() if codes else None
    if found is None and text.isdigit() and len(text) < 10:
        found = regions.filter(pk=int(text)).first()
    if found is None:
        message = _("No such region in your jurisdiction.")
        raise NotFound(message, fields={field: message})
    region: Region = found
    return region


def department_filter(user: Any, value: Any, *, field: str = "department") -> Organisation | None:
    """The department a filter names (`?department=<id>`), looked up through the door as
    `region_filter` looks up a region: None when none is named; NotFound naming the field
    when it names no department the user sees (404 on a page and in the API). A list narrows
    to the records in its competence (`in_competence`) on top of the user's own `restrict`,
    so the filter never shows more than the user sees."""
    text = str(value if value is not None else "").strip()
    found = None
    if text.isdigit() and len(text) < 10:
        found = (
            Organisation.objects.restrict(user)
            .filter(pk=int(text), kind=OrganisationKind.DEPARTMENT, is_archived=False)
            .first()
        )
    if found is None and text:
        message = _("No such department.")
        raise NotFound(message, fields={field: message})
    return found


def in_competence[QS: QuerySet[Any, Any]](queryset: QS, department: Organisation) -> QS:
    """The records of a scoped queryset (one a list started from `restrict(user)`) that are
    in a department's competence: the door's own filter for `access.department_competence`
    on that model (`ScopedQuerySet.within`), so narrowing, never widening."""
    scoped = cast("ScopedQuerySet[Any]", queryset)
    return cast("QS", scoped.within(department_competence(department)))


def enterprise_history(user: Any, enterprise: Enterprise) -> QuerySet[ChangeLog]:
    """Changes of the unit and of the records that belong to it (its people, ...)."""
    return (
        ChangeLog.objects.restrict(user).filter(enterprise_id=enterprise.pk).select_related("actor")
    )


def region_choices(user: Any, selected: Any = None) -> list[Region]:
    """Regions for a filter menu: the user's top levels (down to districts), plus the
    selected region when it lies deeper; subdistricts are reached from the tree page."""
    regions = list(Region.objects.restrict(user).filter(level__in=["city", "district"]))
    if not regions:  # a subdistrict or enterprise user: their own regions
        regions = list(Region.objects.restrict(user))
    chosen = _int(selected)
    if chosen and chosen not in {r.pk for r in regions}:
        extra = Region.objects.restrict(user).filter(pk=chosen).first()
        if extra is not None:
            regions.append(extra)
    return sorted(regions, key=lambda r: r.path)


def enterprise_get(user: Any, enterprise_id: int, action: str = "view") -> Enterprise:
    """A unit the user may see and take `action` on: NotFound (404) when they cannot see
    it, PermissionDenied (403) when they see it but may not take the action."""
    unit: Enterprise = Enterprise.objects.select_related(
        "region", "region__parent", "chemical_park"
    ).get_for(user, action, pk=enterprise_id)
    return unit


def people_of(enterprise: Enterprise) -> QuerySet[Person]:
    return enterprise.people.filter(is_archived=False).order_by("role", "name", "id")


@dataclass
class ChainLink:
    """One step of the responsibility chain: a level, a body, and its named people."""

    level: str
    title: str
    body: str = ""
    people: list[Person] = field(default_factory=list)
    detail: str = ""


ROLE_ORDER = (PersonRole.POST_HOLDER, PersonRole.SAFETY_MANAGER, PersonRole.MAIN_RESPONSIBLE)
ROLE_LEVEL = {
    PersonRole.POST_HOLDER: ("post", _("Post holders")),
    PersonRole.SAFETY_MANAGER: ("safety_manager", _("Safety managers")),
    PersonRole.MAIN_RESPONSIBLE: ("main_responsible", _("Main responsible person")),
}
REGION_LEVEL_TITLE: dict[str, StrOrPromise] = {
    RegionLevel.SUBDISTRICT: _("Subdistrict / town government"),
    RegionLevel.DISTRICT: _("District government"),
    RegionLevel.CITY: _("City government"),
}


def responsibility_chain(enterprise: Enterprise) -> list[ChainLink]:
    """The named people responsible for a unit, from its posts up to the city.

    post holders -> safety managers -> main responsible person -> supervising
    department contacts (by sector mandate, most local first) -> subdistrict ->
    district -> city (government and its Safety Committee office).
    """
    links: list[ChainLink] = []
    people = list(people_of(enterprise))
    for role in ROLE_ORDER:
        level, title = ROLE_LEVEL[role]
        holders = [p for p in people if p.role == role]
        links.append(ChainLink(level=level, title=str(title), body=enterprise.name, people=holders))

    ancestors = enterprise.region.ancestors()  # root first
    ancestor_ids = [r.pk for r in ancestors]
    depth = {r.pk: i for i, r in enumerate(ancestors)}
    contacts = Prefetch(
        "contacts",
        queryset=Person.objects.filter(is_archived=False).order_by("name"),
        to_attr="live_contacts",
    )
    mandates = (
        SectorMandate.objects.filter(region_id__in=ancestor_ids, department__is_archived=False)
        .filter(Q(sector__in=enterprise.sector_list) | Q(unit_kind=enterprise.kind))
        .select_related("department", "department__region", "region")
        .prefetch_related(Prefetch("department__contacts", queryset=contacts.queryset))
    )
    seen: dict[int, ChainLink] = {}
    for mandate in sorted(mandates, key=lambda m: (-depth[m.region_id], m.department_id)):
        what = mandate.get_sector_display() if mandate.sector else mandate.get_unit_kind_display()
        link = seen.get(mandate.department_id)
        if link is not None:
            link.detail += f"; {what}"
            continue
        department = mandate.department
        link = ChainLink(
            level="department",
            title=str(_("Supervising department")),
            body=str(department),
            people=[p for p in department.contacts.all() if not p.is_archived],
            detail=f"{what} · {mandate.region}",
        )
        seen[mandate.department_id] = link
        links.append(link)

    governments = (
        Organisation.objects.filter(
            region_id__in=ancestor_ids,
            kind__in=[OrganisationKind.GOVERNMENT, OrganisationKind.COMMITTEE_OFFICE],
            is_archived=False,
        )
        .select_related("region")
        .prefetch_related(contacts)
    )
    by_region: dict[int, list[WithAnnotations[Organisation, _Contacts]]] = {}
    for org in governments:
        by_region.setdefault(org.region_id, []).append(org)
    for region in reversed(ancestors):
        for org in sorted(by_region.get(region.pk, []), key=lambda o: o.kind != "government"):
            links.append(
                ChainLink(
                    level=region.level,
                    title=str(REGION_LEVEL_TITLE.get(region.level, region.level))
                    if org.kind == OrganisationKind.GOVERNMENT
                    else str(_("Safety Committee office")),
                    body=str(org),
                    people=org.live_contacts,
                )
            )
    return links


def region_tree(user: Any) -> list[Region]:
    """Regions the user may see, in tree order, each with its count of active units."""
    regions = list(Region.objects.restrict(user).order_by("path"))
    counts = dict(
        enterprise_list(user)
        .values("region_id")
        .annotate(n=Count("id"))
        .values_list("region_id", "n")
    )
    by_path = {r.path: r for r in regions}
    for region in regions:
        region.unit_count = counts.get(region.pk, 0)  # type: ignore[attr-defined]
    # Roll counts up: each region adds its own count to every visible ancestor.
    for region in sorted(regions, key=lambda r: -r.depth):
        region.total_units = getattr(region, "total_units", 0) + region.unit_count  # type: ignore[attr-defined]
        parent_path = region.path.rsplit("/", 2)[0] + "/"
        parent = by_path.get(parent_path)
        if parent is not None:
            parent.total_units = getattr(parent, "total_units", 0) + region.total_units  # type: ignore[attr-defined]
    return regions


def organisations_in(regions: list[Region]) -> dict[int, list[Organisation]]:
    orgs = (
        Organisation.objects.filter(region__in=regions, enterprise__isnull=True, is_archived=False)
        .prefetch_related("mandates__region")
        .order_by("kind", "name")
    )
    grouped: dict[int, list[Organisation]] = {}
    for org in orgs:
        grouped.setdefault(org.region_id, []).append(org)
    return grouped


def parks_visible(user: Any) -> QuerySet[ChemicalPark]:
    return ChemicalPark.objects.restrict(user).select_related("region")


def supervising_departments(enterprise: Enterprise | None, sector: str = "") -> list[Organisation]:
    """The departments whose mandates cover a unit (its kind, its sectors, or the extra
    `sector` a matter of it belongs to, in its region or one above), most local first."""
    if enterprise is None:
        return []
    ancestors = enterprise.region.ancestors()
    depth = {r.pk: i for i, r in enumerate(ancestors)}
    sectors = [*enterprise.sector_list, *([sector] if sector else [])]
    what = Q(unit_kind=enterprise.kind) | Q(sector__in=sectors)
    mandates = SectorMandate.objects.filter(
        region_id__in=list(depth), department__is_archived=False
    ).filter(what)
    ordered: dict[int, int] = {}
    for department_id, region_id in mandates.values_list("department_id", "region_id"):
        ordered[department_id] = max(ordered.get(department_id, -1), depth[region_id])
    departments = Organisation.objects.in_bulk(list(ordered))
    return [departments[i] for i in sorted(ordered, key=lambda i: (-ordered[i], i))]


def governments_at(region: Region, levels: tuple[str, ...]) -> list[Organisation]:
    """The government bodies and Safety Committee offices of the region's ancestors (and
    the region itself) at these levels."""
    ancestors = [r for r in region.ancestors() if r.level in levels]
    return list(
        Organisation.objects.filter(
            region__in=ancestors,
            kind__in=[OrganisationKind.GOVERNMENT, OrganisationKind.COMMITTEE_OFFICE],
            is_archived=False,
        ).order_by("-region__path", "kind", "id")
    )
