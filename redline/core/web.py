"""Helpers the web views share: the requests they are given, a service's error shown on its
form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from redline.core.errors import Conflict, DomainError, NotFound
from redline.core.errors import PermissionDenied as DomainPermissionDenied

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from redline.accounts.models import User


class UserRequest(HttpRequest):
    """A request of a signed-in user: a page behind `login_required`, an API call past the
    API's authentication (`redline.core.api`). For annotations: Django and Django Ninja
    hand views a plain `HttpRequest`, whose `user` may be anonymous."""

    user: User


class PageRequest(UserRequest):
    """A signed-in user's page request as the middleware leaves it: django-htmx's `htmx`,
    and the section of the menu the page sets (`nav_section`, which
    `redline.core.context_processors.navigation` reads)."""

    htmx: HtmxDetails
    nav_section: str


def raise_for_access(failure: DomainError) -> None:
    """A service's 404/403 becomes the page's 404/403."""
    if isinstance(failure, DomainPermissionDenied):
        raise PermissionDenied
    if isinstance(failure, NotFound):
        raise Http404


def show_on_form(form: Any, failure: DomainError, renames: dict[str, str] | None = None) -> int:
    """Put a service's field errors next to their fields (others above the form) and
    return the status to answer with (409 for a conflict, else 422)."""
    raise_for_access(failure)
    renames = renames or {}
    for name, message in failure.fields.items():
        field = renames.get(name, name.replace(".", "_"))
        form.add_error(field if field in form.fields else None, message)
    if not failure.fields:
        form.add_error(None, failure.message)
    return 409 if isinstance(failure, Conflict) else 422
