"""REST endpoints for regions, organisations, units, their people and responsibility chain."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from redline.core.api_pages import PageParams, paginate
from redline.core.audit_api import ChangeOut
from redline.core.web import UserRequest
from redline.organisations import selectors, services
from redline.organisations.models import Enterprise, Organisation, Person, Region
from redline.organisations.vocab import Sector

router = Router(tags=["organisations"])

SectorCode = Literal["hazchem", "fire", "construction", "gas", "transport", "industry", "other"]


class RegionOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    level: str
    parent_id: int | None
    population: int | None


class RegionDetailOut(RegionOut):
    boundary: dict[str, Any] | None


class RegionPage(Schema):
    items: list[RegionOut]
    count: int
    page: int
    page_size: int
    pages: int


class MandateOut(Schema):
    region_id: int
    sector: str
    unit_kind: str


class OrganisationOut(Schema):
    id: int
    name: str
    name_en: str
    kind: str
    department_type: str
    region_id: int
    enterprise_id: int | None
    mandates: list[MandateOut]

    @staticmethod
    def resolve_mandates(obj: Organisation) -> list[Any]:
        return list(obj.mandates.all())


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    count: int
    page: int
    page_size: int
    pages: int


class ParkOut(Schema):
    id: int
    name: str
    name_en: str
    region_id: int


class ParkPage(Schema):
    items: list[ParkOut]
    count: int
    page: int
    page_size: int
    pages: int


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str
    kind: str
    sectors: list[str] = Field(..., alias="sector_list")
    region_id: int
    region_name: str = Field(..., alias="region.name")
    chemical_park_id: int | None
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    headcount: int
    status: str
    is_archived: bool
    version: int
    created_at: datetime
    updated_at: datetime


class EnterprisePage(Schema):
    items: list[EnterpriseOut]
    count: int
    page: int
    page_size: int
    pages: int


class EnterpriseIn(Schema):
    name: str
    credit_code: str
    kind: str = "enterprise"
    sectors: list[SectorCode]
    region_id: int
    chemical_park_id: int | None = None
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    headcount: int = 0
    status: str = "operating"


class EnterprisePatch(Schema):
    version: int = Field(..., description="The version you read; a stale one answers 409.")
    name: str | None = None
    credit_code: str | None = None
    kind: str | None = None
    sectors: list[SectorCode] | None = None
    region_id: int | None = None
    chemical_park_id: int | None = None
    address: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    headcount: int | None = None
    status: str | None = None


class EnterpriseFilters(Schema):
    q: str | None = Field(None, description="Name contains, or credit code starts with")
    sector: SectorCode | None = None
    kind: str | None = None
    status: str | None = None
    region: int | None = Field(None, description="Region id: units in its subtree")
    park: int | None = None
    archived: Literal["no", "only", "all"] = "no"


class PersonOut(Schema):
    id: int
    name: str
    role: str
    post: str
    phone: str
    email: str
    enterprise_id: int | None
    organisation_id: int | None
    is_archived: bool
    version: int


class PersonPage(Schema):
    items: list[PersonOut]
    count: int
    page: int
    page_size: int
    pages: int


class PersonIn(Schema):
    name: str
    role: Literal["main_responsible", "safety_manager", "post_holder"]
    post: str = ""
    phone: str = ""
    email: str = ""


class PersonPatch(Schema):
    version: int
    name: str | None = None
    role: Literal["main_responsible", "safety_manager", "post_holder"] | None = None
    post: str | None = None
    phone: str | None = None
    email: str | None = None


class ChainPersonOut(Schema):
    id: int
    name: str
    post: str
    phone: str
    email: str


class ChainLinkOut(Schema):
    level: str
    title: str
    body: str
    detail: str
    people: list[ChainPersonOut]


class ArchiveIn(Schema):
    comment: str = ""


class HistoryPage(Schema):
    items: list[ChangeOut]
    count: int
    page: int
    page_size: int
    pages: int


def _enterprise_input(payload: Schema, *, partial: bool) -> services.EnterpriseInput:
    """The schema's names are the API's (sectors, region_id); the service's are the model's."""
    raw = payload.dict(exclude_unset=partial)
    raw.pop("version", None)
    renames = {"sectors": "sector_list", "region_id": "region", "chemical_park_id": "chemical_park"}
    data = {renames.get(key, key): value for key, value in raw.items()}
    if "sector_list" in data:
        data["sector_list"] = tuple(data["sector_list"] or ())
    return services.EnterpriseInput.of(data)


@router.get("/regions", response=RegionPage, summary="Regions in your jurisdiction")
def list_regions(
    request: UserRequest,
    page: Query[PageParams],
    level: str | None = None,
    parent: int | None = None,
) -> dict[str, Any]:
    qs = Region.objects.restrict(request.user).order_by("path")
    if level:
        qs = qs.filter(level=level)
    above = selectors.region_filter(request.user, parent, field="parent")
    if above is not None:
        qs = qs.filter(parent=above)
    return paginate(qs, page)


@router.get("/regions/{region_id}", response=RegionDetailOut)
def get_region(request: UserRequest, region_id: int) -> Region:
    return get_object_or_404(Region.objects.restrict(request.user), pk=region_id)


@router.get("/organisations", response=OrganisationPage, summary="Government bodies")
def list_organisations(
    request: UserRequest, page: Query[PageParams], kind: str | None = None
) -> dict[str, Any]:
    qs = (
        Organisation.objects.restrict(request.user)
        .filter(enterprise__isnull=True, is_archived=False)
        .prefetch_related("mandates")
        .order_by("region__path", "kind", "name")
    )
    if kind:
        qs = qs.filter(kind=kind)
    return paginate(qs, page)


@router.get("/chemical-parks", response=ParkPage)
def list_parks(request: UserRequest, page: Query[PageParams], region: int | None = None) -> Any:
    parks = selectors.parks_visible(request.user)
    where = selectors.region_filter(request.user, region)
    if where is not None:
        parks = parks.filter(region=where)
    return paginate(parks, page)


@router.get("/enterprises", response=EnterprisePage, summary="Units in your jurisdiction")
def list_enterprises(
    request: UserRequest, filters: Query[EnterpriseFilters], page: Query[PageParams]
) -> dict[str, Any]:
    return paginate(selectors.enterprise_list(request.user, filters.dict()), page)


@router.post("/enterprises", response={201: EnterpriseOut})
def create_enterprise(request: UserRequest, payload: EnterpriseIn) -> Status:
    data = _enterprise_input(payload, partial=False)
    return Status(201, services.enterprise_create(actor=request.user, data=data))


@router.get("/enterprises/{enterprise_id}", response=EnterpriseOut)
def get_enterprise(request: UserRequest, enterprise_id: int) -> Enterprise:
    return get_object_or_404(Enterprise.objects.restrict(request.user), pk=enterprise_id)


@router.patch("/enterprises/{enterprise_id}", response=EnterpriseOut)
def update_enterprise(
    request: UserRequest, enterprise_id: int, payload: EnterprisePatch
) -> Enterprise:
    return services.enterprise_update(
        actor=request.user,
        enterprise_id=enterprise_id,
        version=payload.version,
        data=_enterprise_input(payload, partial=True),
    )


@router.post("/enterprises/{enterprise_id}/archive", response=EnterpriseOut)
def archive_enterprise(request: UserRequest, enterprise_id: int, payload: ArchiveIn) -> Enterprise:
    return services.enterprise_set_archived(
        actor=request.user, enterprise_id=enterprise_id, archived=True, comment=payload.comment
    )


@router.post("/enterprises/{enterprise_id}/restore", response=EnterpriseOut)
def restore_enterprise(request: UserRequest, enterprise_id: int, payload: ArchiveIn) -> Enterprise:
    return services.enterprise_set_archived(
        actor=request.user, enterprise_id=enterprise_id, archived=False, comment=payload.comment
    )


@router.get("/enterprises/{enterprise_id}/chain", response=list[ChainLinkOut])
def enterprise_chain(request: UserRequest, enterprise_id: int) -> Any:
    enterprise = get_object_or_404(Enterprise.objects.restrict(request.user), pk=enterprise_id)
    return selectors.responsibility_chain(enterprise)


@router.get("/enterprises/{enterprise_id}/history", response=HistoryPage)
def enterprise_history(
    request: UserRequest, enterprise_id: int, page: Query[PageParams]
) -> dict[str, Any]:
    enterprise = get_object_or_404(Enterprise.objects.restrict(request.user), pk=enterprise_id)
    return paginate(selectors.enterprise_history(request.user, enterprise), page)


@router.get("/enterprises/{enterprise_id}/people", response=PersonPage)
def enterprise_people(
    request: UserRequest, enterprise_id: int, page: Query[PageParams], role: str | None = None
) -> Any:
    enterprise = get_object_or_404(Enterprise.objects.restrict(request.user), pk=enterprise_id)
    people = selectors.people_of(enterprise)
    if role:
        people = people.filter(role=role)
    return paginate(people, page)


@router.post("/enterprises/{enterprise_id}/people", response={201: PersonOut})
def add_person(request: UserRequest, enterprise_id: int, payload: PersonIn) -> Status:
    person = services.person_create(
        actor=request.user, enterprise_id=enterprise_id, data=services.PersonInput.of(payload)
    )
    return Status(201, person)


@router.patch("/people/{person_id}", response=PersonOut)
def update_person(request: UserRequest, person_id: int, payload: PersonPatch) -> Person:
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    return services.person_update(
        actor=request.user,
        person_id=person_id,
        version=version,
        data=services.PersonInput.of(data),
    )


@router.post("/people/{person_id}/archive", response=PersonOut)
def archive_person(request: UserRequest, person_id: int, version: int) -> Person:
    return services.person_archive(actor=request.user, person_id=person_id, version=version)


@router.get("/sectors", response=list[dict[str, str]], summary="The sector vocabulary")
def list_sectors(request: UserRequest) -> list[dict[str, str]]:
    return [{"code": code, "label": str(label)} for code, label in Sector.choices]
