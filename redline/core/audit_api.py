"""The change log through the API: each record's history, and an administrators' search."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema

from redline.core.api_pages import PageParams, paginate
from redline.core.errors import PermissionDenied
from redline.core.models import ChangeLog
from redline.core.web import UserRequest
from redline.organisations.access import role_allows

router = Router(tags=["audit"])


class ChangeOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    client: str
    ip: str | None
    request_id: str
    action: str
    model: str
    object_id: str
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    comment: str


class ChangePage(Schema):
    items: list[ChangeOut]
    count: int
    page: int
    page_size: int
    pages: int


class ChangeFilters(Schema):
    q: str | None = None
    model: str | None = None
    action: str | None = None
    actor: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def search(user: Any, filters: dict[str, Any]) -> Any:
    """Log entries an administrator may read, filtered; scoped to their jurisdiction."""
    if not role_allows(user, "administer"):
        raise PermissionDenied()
    qs = ChangeLog.objects.restrict(user).select_related("actor")
    if filters.get("q"):
        qs = qs.filter(object_repr__icontains=filters["q"])
    if filters.get("model"):
        qs = qs.filter(model=filters["model"])
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("actor"):
        qs = qs.filter(actor_id=filters["actor"])
    if filters.get("since"):
        qs = qs.filter(at__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(at__lt=filters["until"])
    return qs


@router.get("/audit", response=ChangePage, summary="Search the change log (administrators)")
def search_log(
    request: UserRequest, filters: Query[ChangeFilters], page: Query[PageParams]
) -> dict[str, Any]:
    return paginate(search(request.user, filters.dict()), page)
