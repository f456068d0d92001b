"""Helpers the web views share: a service's error shown on its form."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from redline.core.errors import Conflict, DomainError, NotFound
from redline.core.errors import PermissionDenied as DomainPermissionDenied


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
